// Zip archives in memory, through libzip: what a Keras `.keras` file is
// (config.json, metadata.json and model.weights.h5 side by side).
//
// Writing stores every member uncompressed, as Python's zipfile does by
// default and so as Keras's saving_lib writes them. Reading accepts stored
// and deflated members, checks the archive's consistency (libzip's
// ZIP_CHECKCONS) and every member's CRC, and refuses members whose declared
// sizes add up to more than `kMaxZipMemberBytes`, or a member over 1 MiB
// that expands more than 1000 times (Keras's guard against decompression
// bombs), before reading them, so a forged header cannot make it allocate
// gigabytes. Errors are vknn::Error naming the
// source and, where there is one, the member.
#pragma once

#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <vector>

namespace vknn::io {

// 1 GiB: far above any model vknn can train on one device's storage
// buffers (maxStorageBufferRange is 128 MiB on lavapipe).
inline constexpr std::uint64_t kMaxZipMemberBytes = std::uint64_t(1) << 30;

struct ZipMember {
  std::string name;
  std::vector<std::uint8_t> bytes;
};

// The bytes of a zip archive holding the members in the order given.
std::vector<std::uint8_t> encode_zip(const std::vector<ZipMember>& members,
                                     const std::string& source);

// Every member of the archive, by name. Throws vknn::Error naming `source`
// for bytes that are not a zip archive, an inconsistent or truncated one, a
// member that fails its CRC, duplicate names, or members over the limits.
std::map<std::string, std::vector<std::uint8_t>> decode_zip(std::span<const std::uint8_t> bytes,
                                                            const std::string& source);

}  // namespace vknn::io
