// Fuzzes the IDX readers (data::read_idx_images, data::read_idx_labels) on
// the bytes as a file: plain IDX, and gzip when the input starts with the
// gzip magic (1f 8b), so corrupt gzip streams are fuzzed here too. Anything
// is accepted consistently or refused with a vknn::Error.
#include "idx_check.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto path = vknn::fuzz::write_scratch_file("input-idx-ubyte", data, size);
  vknn::fuzz::read_idx_both_ways(path, "");
  return 0;
}
