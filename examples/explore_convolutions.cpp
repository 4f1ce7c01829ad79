// The TensorFlow course's "exploring convolutions" lab (Course 1, week 3,
// lab 2): pass a 3x3 filter over a grayscale picture and see which features
// it emphasises, then max-pool the result 2x2 and see that they survive.
//
// The notebook loops over scipy's "ascent" picture in Python; here the
// filter runs as vknn's conv2d op and the pool as its maxpool2d op, on a
// Vulkan device or the CPU reference (--device). Without --image a built-in
// 512x512 picture of stairs, lines and circles stands in for "ascent".
#include <cstdio>
#include <filesystem>
#include <system_error>

#include "common/cli.hpp"
#include "common/convolution_lab.hpp"
#include "common/device_flag.hpp"
#include "common/image_io.hpp"

namespace {

using namespace vknn::examples;
namespace fs = std::filesystem;

std::string filter_text(const Filter3x3& f) {
  std::string text = "[";
  for (int row = 0; row < 3; ++row) {
    text += row ? ", [" : "[";
    for (int col = 0; col < 3; ++col) {
      char number[32];
      std::snprintf(number, sizeof number, "%g", double(f[std::size_t(row * 3 + col)]));
      text += (col ? ", " : "") + std::string(number);
    }
    text += "]";
  }
  return text + "]";
}

int explore(const FlagParser& flags) {
  // Everything the command line can get wrong is checked before any work.
  if (flags.given("filter") && flags.given("filter-name")) {
    throw UsageError("give either --filter or --filter-name, not both");
  }
  std::string filter_name = flags.get_string("filter-name");
  Filter3x3 filter{};
  if (flags.given("filter")) {
    filter = parse_filter("filter", flags.get_string("filter"));
    filter_name = "custom";
  } else {
    filter = *builtin_filter(filter_name);  // the flag's choices are the built-ins
  }
  const float weight = float(flags.get_real("weight"));
  const fs::path out_dir = flags.get_string("out-dir");
  std::error_code ec;
  if (fs::exists(out_dir, ec) && !fs::is_directory(out_dir, ec)) {
    throw UsageError("out-dir", "'" + out_dir.string() + "' exists and is not a folder");
  }

  GrayImage picture;
  std::string source;
  if (flags.given("image")) {
    const auto image = read_image(flags.get_string("image"));
    picture = to_grayscale(image);
    source = flags.get_string("image") + (image.channels >= 3 ? " (converted to grayscale)" : "");
  } else {
    picture = synthetic_test_picture(512);
    source = "built-in test picture (stairs, lines and circles; a stand-in for scipy's ascent)";
  }

  const Target target = open_target(flags);
  std::printf("Device: %s\n", target.description().c_str());
  std::printf("Picture: %s, %dx%d\n", source.c_str(), picture.width, picture.height);
  std::printf("Filter: %s %s, weight %g\n", filter_name.c_str(), filter_text(filter).c_str(),
              double(weight));

  fs::create_directories(out_dir, ec);
  if (ec) throw std::runtime_error("cannot create the folder '" + out_dir.string() + "': " + ec.message());
  const FilteredAndPooled result = filter_and_pool(picture, filter, weight, target.op_target());

  const fs::path grayscale_path = out_dir / "grayscale.png";
  const fs::path filtered_path = out_dir / "filtered.png";
  const fs::path pooled_path = out_dir / "pooled.png";
  write_png(grayscale_path, to_image8(picture));
  write_png(filtered_path, to_image8(result.filtered));
  write_png(pooled_path, to_image8(result.pooled));
  std::printf("Wrote %s: %dx%d, the picture as filtered\n", grayscale_path.string().c_str(),
              picture.width, picture.height);
  std::printf("Wrote %s: %dx%d (2 pixels smaller each way: a 3x3 filter needs all 8 neighbours,\n"
              "  so the 1-pixel border is left out), values clipped to 0..255\n",
              filtered_path.string().c_str(), result.filtered.width, result.filtered.height);
  std::printf("Wrote %s: %dx%d (2x2 max pooling keeps the largest of every 4 pixels,\n"
              "  halving each side, rounding down)\n",
              pooled_path.string().c_str(), result.pooled.width, result.pooled.height);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  FlagParser flags("explore_convolutions",
                   "The course's \"exploring convolutions\" lab: a 3x3 filter over a grayscale picture,\n"
                   "then a 2x2 max pool. Writes grayscale.png, filtered.png and pooled.png.\n"
                   "Exit status: 0 done, 1 failed, 2 bad flags.");
  flags.add_string("image", "",
                   "picture to filter (PNG, JPEG, binary PGM/PPM, BMP, ...; color is converted to\n"
                   "grayscale); without it, a built-in 512x512 test picture",
                   {.allow_empty = false}, "PATH");
  flags.add_string("filter-name", "laplacian", "which of the notebook's filters",
                   {.choices = builtin_filter_names()}, "NAME");
  flags.add_string("filter", "",
                   "your own filter: 9 numbers, row by row, as \"-1,-1,-1,-1,8,-1,-1,-1,-1\"",
                   {.allow_empty = false},
                   "A,B,...,I");
  flags.add_real("weight", 1.0,
                 "multiplies every filtered value (the notebook's weight; 0.1 for a filter\n"
                 "summing to 10)",
                 {.min = -1e6, .max = 1e6});
  add_device_flag(flags);
  flags.add_string("out-dir", ".", "folder for the pictures (created if missing)", {.allow_empty = false},
                   "DIR");
  return run_program(flags, argc, argv, [&] { return explore(flags); });
}
