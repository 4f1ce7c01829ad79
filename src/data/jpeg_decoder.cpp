#include "data/jpeg_decoder.hpp"

#include <csetjmp>
#include <cstdio>
#include <cstring>
// jpeglib.h needs FILE and size_t declared first.
#include <jerror.h>
#include <jpeglib.h>

#include "vknn/error.hpp"

namespace vknn::data::detail {

namespace {

// libjpeg reports a fatal error by calling error_exit, which must not return;
// it jumps back to decode_into's setjmp. Everything between the two is C
// (libjpeg's frames) or trivially destructible, so the jump skips no
// destructor.
struct ErrorManager {
  jpeg_error_mgr base;
  std::jmp_buf jump;
  char message[JMSG_LENGTH_MAX];
  bool truncated;
};

void on_error(j_common_ptr info) {
  auto* errors = reinterpret_cast<ErrorManager*>(info->err);
  (*info->err->format_message)(info, errors->message);
  std::longjmp(errors->jump, 1);
}

void on_message(j_common_ptr info, int level) {
  // Warnings (level -1) are not printed; a premature end is remembered.
  if (level < 0 && info->err->msg_code == JWRN_JPEG_EOF) {
    reinterpret_cast<ErrorManager*>(info->err)->truncated = true;
  }
}

enum class Outcome { decoded, failed, too_large };

struct Decoded {
  unsigned width;
  unsigned height;
};

// The setjmp frame: only trivially destructible locals; `out` lives in the
// caller. Returns failed with errors.message set, or too_large with `size`
// the header's size.
Outcome decode_into(std::span<const std::uint8_t> bytes, int channels, std::int64_t max_pixels,
                    std::vector<std::uint8_t>& out, ErrorManager& errors, Decoded& size) {
  jpeg_decompress_struct info;
  info.err = jpeg_std_error(&errors.base);
  errors.base.error_exit = on_error;
  errors.base.emit_message = on_message;
  errors.truncated = false;
  if (setjmp(errors.jump) != 0) {
    jpeg_destroy_decompress(&info);
    return Outcome::failed;
  }
  jpeg_create_decompress(&info);
  jpeg_mem_src(&info, bytes.data(), static_cast<unsigned long>(bytes.size()));
  jpeg_read_header(&info, TRUE);
  size = {info.image_width, info.image_height};
  if (std::int64_t(info.image_width) * std::int64_t(info.image_height) > max_pixels) {
    jpeg_destroy_decompress(&info);
    return Outcome::too_large;
  }
  info.out_color_space = channels == 1 ? JCS_GRAYSCALE : channels == 3 ? JCS_RGB : JCS_EXT_RGBA;
  info.dct_method = JDCT_IFAST;
  info.do_fancy_upsampling = TRUE;
  jpeg_start_decompress(&info);
  size = {info.output_width, info.output_height};
  const std::size_t row_bytes = std::size_t(info.output_width) * std::size_t(channels);
  out.resize(row_bytes * info.output_height);
  while (info.output_scanline < info.output_height) {
    JSAMPROW row = out.data() + std::size_t(info.output_scanline) * row_bytes;
    jpeg_read_scanlines(&info, &row, 1);
  }
  jpeg_finish_decompress(&info);
  jpeg_destroy_decompress(&info);
  return Outcome::decoded;
}

}  // namespace

bool looks_like_jpeg(std::span<const std::uint8_t> bytes) {
  return bytes.size() >= 3 && bytes[0] == 0xff && bytes[1] == 0xd8 && bytes[2] == 0xff;
}

Picture decode_jpeg(std::span<const std::uint8_t> bytes, int channels, std::int64_t max_pixels,
                    const std::string& name) {
  Picture picture;
  ErrorManager errors{};
  Decoded size{};
  switch (decode_into(bytes, channels, max_pixels, picture.pixels, errors, size)) {
    case Outcome::failed:
      throw Error("cannot decode picture '" + name + "': its JPEG data is truncated or corrupt " +
                  "(libjpeg: " + errors.message + ")");
    case Outcome::too_large:
      throw Error("cannot decode picture '" + name + "': it is " + std::to_string(size.width) +
                  "x" + std::to_string(size.height) + " pixels, over the limit of " +
                  std::to_string(max_pixels) + " pixels (ImageFolderOptions::max_pixels)");
    case Outcome::decoded: break;
  }
  if (errors.truncated) {
    throw Error("cannot decode picture '" + name +
                "': its JPEG data is truncated (libjpeg: Premature end of JPEG file)");
  }
  if (size.width == 0 || size.height == 0) {
    throw Error("cannot decode picture '" + name + "': the JPEG has no pixels");
  }
  picture.width = int(size.width);
  picture.height = int(size.height);
  picture.channels = channels;
  return picture;
}

}  // namespace vknn::data::detail
