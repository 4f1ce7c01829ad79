// The check that every rank starts a fit (evaluate, predict) with the same
// model, optimizer, weights, data and options, before any step: ranks that
// differ would otherwise train on, all holding "the same" weights that are
// in fact averaged from different models, or wait forever in a collective
// the others never reach.
#pragma once

#include <string>
#include <vector>

#include "distributed/communicator.hpp"

namespace vknn::distributed {

// One thing the ranks must agree on: its name ("model", "training data")
// and a description that is equal exactly when the things are (for large
// things, a size and a content hash).
struct Fact {
  std::string name;
  std::string text;
};

// A collective: every rank passes the same list of fact names. Throws
// vknn::Error on every rank when a fact differs, naming it, which ranks
// hold which description, and `call` ("fit"); otherwise returns.
void require_same_on_every_rank(Communicator& communicator, const std::string& call,
                                const std::vector<Fact>& facts);

// FNV-1a, 64 bits: a content hash for the facts' descriptions (not for
// security: it tells apart data a user gave by mistake).
std::uint64_t content_hash(const void* data, std::size_t bytes, std::uint64_t hash = 14695981039346656037ull);
std::string hex(std::uint64_t value);

}  // namespace vknn::distributed
