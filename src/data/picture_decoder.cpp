// The library's one translation unit with stb_image's implementation.
// STB_IMAGE_STATIC keeps every stb symbol local to this file, so a program
// that links vknn and compiles stb itself (the examples do) has no clash.
#include "data/picture_decoder.hpp"

#include <algorithm>
#include <cstdint>
#include <memory>
#include <vector>

#include "data/jpeg_decoder.hpp"
#include "vknn/error.hpp"

#if defined(__GNUC__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
#pragma GCC diagnostic ignored "-Wsign-compare"
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wunused-parameter"
#pragma GCC diagnostic ignored "-Wimplicit-fallthrough"
#endif
#define STB_IMAGE_STATIC
#define STB_IMAGE_IMPLEMENTATION
// Only the formats the folder reader lists, but for JPEG (libjpeg-turbo's,
// jpeg_decoder.hpp says why); fewer parsers, less to fuzz.
#define STBI_ONLY_PNG
#define STBI_ONLY_BMP
#define STBI_ONLY_GIF
// Files are read by the caller (so an unreadable file has its own message).
#define STBI_NO_STDIO
// stb's longer reasons ("Corrupt PNG" rather than "bad png sig").
#define STBI_FAILURE_USERMSG
#include <stb/stb_image.h>
#if defined(__GNUC__)
#pragma GCC diagnostic pop
#endif

namespace vknn::data::detail {

namespace {

constexpr const char* kFormats = "PNG, JPEG, BMP or GIF";

std::string reason() {
  // stb v2.27 keeps its reason per thread (STBI_THREAD_LOCAL), so the
  // decoding threads do not overwrite each other's.
  const char* text = stbi_failure_reason();
  return text ? text : "unknown reason";
}

constexpr std::uint8_t kPngSignature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};

bool is_png(std::span<const std::uint8_t> bytes) {
  return bytes.size() >= 8 && std::equal(kPngSignature, kPngSignature + 8, bytes.begin());
}

std::uint32_t big_endian_u32(std::span<const std::uint8_t> bytes, std::size_t at) {
  return std::uint32_t(bytes[at]) << 24 | std::uint32_t(bytes[at + 1]) << 16 |
         std::uint32_t(bytes[at + 2]) << 8 | std::uint32_t(bytes[at + 3]);
}

bool chunk_type_is(std::span<const std::uint8_t> bytes, std::size_t at, const char (&type)[5]) {
  return std::equal(bytes.begin() + std::ptrdiff_t(at + 4), bytes.begin() + std::ptrdiff_t(at + 8),
                    type);
}

// Walks a PNG's chunks up to IEND, refusing any that runs past the end of
// the file, and returns the byte offsets of its empty IDAT chunks.
//
// Why each:
// - stb reserves a PNG chunk's declared length before reading it (stb 2.27
//   stbi__parse_png_file), so a 30-byte file declaring a 2 GiB IDAT made it
//   allocate 2 GiB (found by picture_fuzzer). Every chunk must fit in the file.
// - An empty IDAT before any data makes stb memcpy 0 bytes to its still-null
//   buffer (undefined behaviour UBSan reports; found by picture_fuzzer). An
//   empty IDAT holds nothing, so the caller drops them before stb sees them.
std::vector<std::size_t> check_png_chunks(std::span<const std::uint8_t> bytes,
                                          const std::string& name) {
  std::vector<std::size_t> empty_data_chunks;
  std::size_t at = 8;
  while (at + 8 <= bytes.size()) {
    const std::uint32_t length = big_endian_u32(bytes, at);
    // length + type + data + CRC
    if (std::uint64_t(length) + 12 > bytes.size() - at) {
      throw Error("cannot decode picture '" + name + "': its PNG data is truncated or corrupt (a " +
                  std::to_string(length) + "-byte chunk at byte " + std::to_string(at) +
                  " runs past the end of the file)");
    }
    if (chunk_type_is(bytes, at, "IEND")) break;
    if (length == 0 && chunk_type_is(bytes, at, "IDAT")) empty_data_chunks.push_back(at);
    at += std::size_t(length) + 12;
  }
  return empty_data_chunks;
}

// The file without the 12-byte empty chunks at the given offsets.
std::vector<std::uint8_t> without_chunks(std::span<const std::uint8_t> bytes,
                                         const std::vector<std::size_t>& offsets) {
  std::vector<std::uint8_t> kept;
  kept.reserve(bytes.size());
  std::size_t from = 0;
  for (const std::size_t at : offsets) {
    kept.insert(kept.end(), bytes.begin() + std::ptrdiff_t(from), bytes.begin() + std::ptrdiff_t(at));
    from = at + 12;
  }
  kept.insert(kept.end(), bytes.begin() + std::ptrdiff_t(from), bytes.end());
  return kept;
}

}  // namespace

Picture decode_picture(std::span<const std::uint8_t> bytes, int channels, std::int64_t max_pixels,
                       const std::string& name) {
  if (channels != 1 && channels != 3 && channels != 4) {
    throw Error("decode_picture: channels must be 1, 3 or 4, got " + std::to_string(channels));
  }
  if (bytes.empty()) throw Error("cannot decode picture '" + name + "': the file is empty");
  if (looks_like_jpeg(bytes)) return decode_jpeg(bytes, channels, max_pixels, name);
  std::vector<std::uint8_t> cleaned;
  if (is_png(bytes)) {
    const std::vector<std::size_t> empty_data_chunks = check_png_chunks(bytes, name);
    if (!empty_data_chunks.empty()) {
      cleaned = without_chunks(bytes, empty_data_chunks);
      bytes = cleaned;
    }
  }
  // stb takes an int length; a picture file over 2 GiB is not one we take.
  if (bytes.size() > std::size_t(INT32_MAX)) {
    throw Error("cannot decode picture '" + name + "': the file is over 2 GiB");
  }
  const auto* data = reinterpret_cast<const stbi_uc*>(bytes.data());
  const int length = static_cast<int>(bytes.size());
  int width = 0, height = 0, stored_channels = 0;
  if (stbi_info_from_memory(data, length, &width, &height, &stored_channels) == 0) {
    throw Error("cannot decode picture '" + name + "': it is not a " + kFormats +
                " picture stb_image can read (stb_image: " + reason() + ")");
  }
  if (width <= 0 || height <= 0 || std::int64_t(width) * height > max_pixels) {
    throw Error("cannot decode picture '" + name + "': it is " + std::to_string(width) + "x" +
                std::to_string(height) + " pixels, over the limit of " +
                std::to_string(max_pixels) + " pixels (ImageFolderOptions::max_pixels)");
  }
  int w = 0, h = 0, c = 0;
  std::unique_ptr<stbi_uc, void (*)(void*)> decoded(
      stbi_load_from_memory(data, length, &w, &h, &c, channels), stbi_image_free);
  if (!decoded) {
    throw Error("cannot decode picture '" + name + "': its data is truncated or corrupt (stb_image: " +
                reason() + ")");
  }
  // The header said one size; a file whose frames disagree with it is
  // refused rather than trusted.
  if (w != width || h != height) {
    throw Error("cannot decode picture '" + name + "': its header says " + std::to_string(width) +
                "x" + std::to_string(height) + " but it decodes to " + std::to_string(w) + "x" +
                std::to_string(h));
  }
  Picture picture;
  picture.width = w;
  picture.height = h;
  picture.channels = channels;
  picture.pixels.assign(decoded.get(),
                        decoded.get() + std::size_t(w) * std::size_t(h) * std::size_t(channels));
  return picture;
}

}  // namespace vknn::data::detail
