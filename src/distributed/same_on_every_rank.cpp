#include "distributed/same_on_every_rank.hpp"

#include <cstdio>
#include <cstring>
#include <map>

#include "vknn/error.hpp"

namespace vknn::distributed {

std::uint64_t content_hash(const void* data, std::size_t bytes, std::uint64_t hash) {
  const auto* p = static_cast<const unsigned char*>(data);
  for (std::size_t i = 0; i < bytes; ++i) {
    hash ^= p[i];
    hash *= 1099511628211ull;
  }
  return hash;
}

std::string hex(std::uint64_t value) {
  char text[24];
  std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(value));
  return text;
}

namespace {

std::string rank_list(const std::vector<int>& ranks) {
  std::string text = ranks.size() == 1 ? "rank " : "ranks ";
  for (std::size_t i = 0; i < ranks.size(); ++i) text += (i ? ", " : "") + std::to_string(ranks[i]);
  return text;
}

// Every rank's text of one fact (lengths first, then the bytes).
std::vector<std::string> gather_texts(Communicator& communicator, const std::string& text) {
  const int ranks = communicator.size();
  const std::uint64_t length = text.size();
  std::vector<std::uint64_t> lengths(static_cast<std::size_t>(ranks));
  communicator.allgather(std::as_bytes(std::span(&length, 1)), std::as_writable_bytes(std::span(lengths)));
  std::vector<std::size_t> counts(lengths.begin(), lengths.end());
  std::size_t total = 0;
  for (std::size_t c : counts) total += c;
  std::string all(total, '\0');
  communicator.allgatherv(std::as_bytes(std::span(text.data(), text.size())), counts,
                          std::as_writable_bytes(std::span(all.data(), all.size())));
  std::vector<std::string> texts;
  std::size_t offset = 0;
  for (std::size_t c : counts) {
    texts.push_back(all.substr(offset, c));
    offset += c;
  }
  return texts;
}

}  // namespace

void require_same_on_every_rank(Communicator& communicator, const std::string& call,
                                const std::vector<Fact>& facts) {
  const int ranks = communicator.size();
  // One hash per fact, name included, so that ranks whose code lists other
  // facts are told apart too.
  std::vector<std::uint64_t> mine;
  for (const Fact& f : facts) {
    mine.push_back(content_hash(f.text.data(), f.text.size(), content_hash(f.name.data(), f.name.size())));
  }
  const std::uint64_t count = mine.size();
  std::vector<std::uint64_t> counts(static_cast<std::size_t>(ranks));
  communicator.allgather(std::as_bytes(std::span(&count, 1)), std::as_writable_bytes(std::span(counts)));
  for (int r = 1; r < ranks; ++r) {
    if (counts[std::size_t(r)] != counts[0]) {
      throw Error(call + ": rank " + std::to_string(r) + " checks " + std::to_string(counts[std::size_t(r)]) +
                  " facts before training but rank 0 checks " + std::to_string(counts[0]) +
                  "; every rank must run the same program and vknn");
    }
  }
  std::vector<std::uint64_t> all(mine.size() * std::size_t(ranks));
  communicator.allgather(std::as_bytes(std::span(mine)), std::as_writable_bytes(std::span(all)));
  std::string differences;
  for (std::size_t f = 0; f < facts.size(); ++f) {
    bool same = true;
    for (int r = 1; r < ranks; ++r) same &= all[std::size_t(r) * facts.size() + f] == all[f];
    if (same) continue;
    // Every rank found the same difference (it compared the same hashes),
    // so every rank takes part in this gather.
    const std::vector<std::string> texts = gather_texts(communicator, facts[f].text);
    std::map<std::string, std::vector<int>> holders;
    std::vector<std::string> first_seen;
    for (int r = 0; r < ranks; ++r) {
      auto& list = holders[texts[std::size_t(r)]];
      if (list.empty()) first_seen.push_back(texts[std::size_t(r)]);
      list.push_back(r);
    }
    differences += "\n  " + facts[f].name + " differs:";
    for (const std::string& text : first_seen) {
      differences += "\n    " + rank_list(holders[text]) + ": " + text;
    }
  }
  if (!differences.empty()) {
    throw Error(call + ": the " + std::to_string(ranks) +
                " ranks were not started alike, so none trains (every rank must run the same "
                "model, optimizer, weights, data and options):" + differences);
  }
}

}  // namespace vknn::distributed
