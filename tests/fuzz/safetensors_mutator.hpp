// A structure-aware mutator for the safetensors targets. Plain byte
// mutations that insert or delete a byte in the header break the 8-byte
// header length in front of it, so most mutants die at the first check and
// few reach the tensor checks (measured: 0 of 120 corpus entries without a
// seed corpus and dictionary). Here, besides libFuzzer's own mutations of the
// whole file, a mutation may change only the header's JSON or only the data,
// and the length prefix is then rewritten to match.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <random>
#include <vector>

extern "C" std::size_t LLVMFuzzerMutate(std::uint8_t* data, std::size_t size, std::size_t max_size);

namespace vknn::fuzz {

inline std::size_t mutate_safetensors(std::uint8_t* data, std::size_t size, std::size_t max_size,
                                      unsigned int seed) {
  std::minstd_rand rng(seed);
  std::uint64_t header_length = 0;
  if (size >= 8) {
    for (int i = 0; i < 8; ++i) header_length |= std::uint64_t{data[i]} << (8 * i);
  }
  const bool structured = size >= 8 && header_length <= size - 8 && max_size > 8;
  const unsigned choice = rng() % 4;
  if (!structured || choice == 0) return LLVMFuzzerMutate(data, size, max_size);

  const std::size_t n = static_cast<std::size_t>(header_length);
  std::vector<std::uint8_t> header(data + 8, data + 8 + n);
  std::vector<std::uint8_t> payload(data + 8 + n, data + size);
  if (choice == 3 && !payload.empty()) {
    // The data only (values, and its length against data_offsets).
    payload.resize(payload.size() + 16);
    payload.resize(LLVMFuzzerMutate(payload.data(), payload.size() - 16, payload.size()));
  } else {
    // The header's JSON only; room to grow it by up to 64 bytes.
    const std::size_t room = std::min<std::size_t>(64, max_size - 8 - std::min(max_size - 8, n + payload.size()));
    header.resize(n + room);
    header.resize(LLVMFuzzerMutate(header.data(), n, n + room));
  }
  const std::size_t total = 8 + header.size() + payload.size();
  if (total > max_size) return LLVMFuzzerMutate(data, size, max_size);
  const std::uint64_t length = header.size();
  for (int i = 0; i < 8; ++i) data[i] = static_cast<std::uint8_t>(length >> (8 * i));
  if (!header.empty()) std::memcpy(data + 8, header.data(), header.size());
  if (!payload.empty()) std::memcpy(data + 8 + header.size(), payload.data(), payload.size());
  return total;
}

}  // namespace vknn::fuzz
