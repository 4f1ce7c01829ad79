// Fuzzes the safetensors reader (io::decode_safetensors): any bytes are
// either a valid file or a vknn::Error, never a crash, a leak, undefined
// behaviour or another exception. A file it accepts must survive a round
// trip: encoded again and decoded, it gives the same names, shapes, value
// bits and metadata.
#include <cstdlib>
#include <cstring>
#include <span>

#include "fuzz_support.hpp"
#include "safetensors_mutator.hpp"
#include "io/safetensors.hpp"
#include "vknn/error.hpp"

namespace {

using namespace vknn;

void check_round_trip(const io::WeightsFile& file) {
  io::Metadata metadata;
  for (const auto& [key, value] : file.metadata) {
    if (key != "format") metadata.emplace_back(key, value);  // the writer sets "format"
  }
  const std::vector<std::uint8_t> again = io::encode_safetensors(file.tensors, metadata);
  const io::WeightsFile back = io::decode_safetensors(again, "round trip");
  if (back.tensors.size() != file.tensors.size()) std::abort();
  for (std::size_t i = 0; i < back.tensors.size(); ++i) {
    const io::Tensor& a = file.tensors[i];
    const io::Tensor& b = back.tensors[i];
    if (a.name != b.name || a.shape != b.shape || a.values.size() != b.values.size()) std::abort();
    if (!a.values.empty() &&
        std::memcmp(a.values.data(), b.values.data(), a.values.size() * sizeof(float)) != 0) {
      std::abort();
    }
  }
  metadata.insert(metadata.begin(), {"format", "vknn"});
  if (back.metadata != metadata) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const char* stage = "accepted";
  try {
    const io::WeightsFile file = io::decode_safetensors(std::span(data, size), "fuzz.safetensors");
    check_round_trip(file);
  } catch (const Error& e) {
    // Errors up to and including the JSON grammar; anything else came from
    // the checks on the tensor entries, the metadata or the data layout.
    const std::string_view m = e.what();
    const bool header = m.find("malformed header") != std::string_view::npos ||
                        m.find("header length") != std::string_view::npos ||
                        m.find("too short for the 8-byte header length") != std::string_view::npos;
    stage = header ? "refused-in-header" : "refused-by-tensor-checks";
  }
  if (fuzz::census_requested()) std::fprintf(stderr, "census: %s\n", stage);
  return 0;
}

// Mutations that keep the header length consistent (safetensors_mutator.hpp).
extern "C" std::size_t LLVMFuzzerCustomMutator(std::uint8_t* data, std::size_t size,
                                               std::size_t max_size, unsigned int seed) {
  return vknn::fuzz::mutate_safetensors(data, size, max_size, seed);
}
