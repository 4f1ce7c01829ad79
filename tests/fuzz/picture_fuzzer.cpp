// Fuzzes the picture decoder behind data::read_image_folder
// (data::detail::decode_picture: stb_image's PNG, JPEG, BMP and GIF readers
// after the header's size check) and the resize after it. The first byte
// picks the channels asked for (1, 3 or 4); the rest is the file. A picture
// is accepted with exactly width x height x channels bytes within the pixel
// limit, or refused with a vknn::Error.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <span>

#include "data/picture_decoder.hpp"
#include "data/resize.hpp"
#include "fuzz_support.hpp"
#include "vknn/error.hpp"

namespace {

// Small enough that a header claiming a big picture is refused before stb
// allocates for it, so the fuzzer explores parsers, not the allocator.
constexpr std::int64_t kMaxPixels = 1 << 20;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const int channels = data[0] % 3 == 0 ? 1 : data[0] % 3 == 1 ? 3 : 4;
  const std::span<const std::uint8_t> bytes(data + 1, size - 1);
  const char* stage = "refused";
  try {
    const auto picture = vknn::data::detail::decode_picture(bytes, channels, kMaxPixels, "input");
    if (picture.width <= 0 || picture.height <= 0 ||
        std::int64_t(picture.width) * picture.height > kMaxPixels || picture.channels != channels ||
        picture.pixels.size() != std::size_t(picture.width) * std::size_t(picture.height) *
                                     std::size_t(channels)) {
      std::abort();  // an accepted picture must be what it says
    }
    std::uint8_t out[7 * 5 * 4];
    vknn::data::detail::resize_picture(picture.pixels, picture.height, picture.width, channels,
                                       std::span(out, std::size_t(7 * 5 * channels)), 7, 5,
                                       data[0] & 0x80 ? vknn::data::Interpolation::nearest
                                                      : vknn::data::Interpolation::bilinear);
    stage = "decoded";
  } catch (const vknn::Error&) {
  }
  if (vknn::fuzz::census_requested()) std::fprintf(stderr, "census: %s\n", stage);
  return 0;
}
