// Makes folders of coloured pictures from Fashion-MNIST for
// train_from_directory, image_dataset_from_directory and the tests (no
// horses or humans can be fetched here; docs/image-folders.md):
//
//   make_image_folders --out /tmp/pictures --set sneakers_vs_boots --size 150
//
// writes /tmp/pictures/train/<class>/... from the training split and
// /tmp/pictures/validation/<class>/... from the test split. The same flags
// give the same files, byte for byte.
#include <cstdio>

#include "common/cli.hpp"
#include "common/fashion_folders.hpp"
#include "common/files.hpp"

int main(int argc, char** argv) {
  using namespace vknn;
  using namespace vknn::examples;
  FlagParser flags("make_image_folders",
                   "Writes folders of coloured, upscaled Fashion-MNIST pictures (PNG and JPEG), one\n"
                   "subfolder per class: OUT/train from the training split, OUT/validation from\n"
                   "the test split.");
  flags.add_string("out", "", "the folder to write into", {.allow_empty = false}, "PATH");
  flags.add_string("set", "sneakers_vs_boots", "which classes",
                   {.choices = {"sneakers_vs_boots", "three_classes"}}, "NAME");
  flags.add_int("size", 150, "pictures are SIZE x SIZE RGB", {.min = 8, .max = 1024}, "SIZE");
  flags.add_int("per-class", 500, "training pictures per class", {.min = 1, .max = 6000});
  flags.add_int("validation-per-class", 100, "validation pictures per class (0: none)",
                {.min = 0, .max = 1000});
  flags.add_string("format", "mixed", "file format (mixed: PNG and JPEG alternately)",
                   {.choices = {"png", "jpeg", "mixed"}}, "FORMAT");
  flags.add_int("seed", 0, "seed of the colours", {.min = 0});
  flags.add_string("data-dir", "", "Fashion-MNIST's folder (default: data/fashion-mnist, else "
                   "Debian's dataset-fashion-mnist)", {}, "PATH");
  return run_program(flags, argc, argv, [&] {
    if (!flags.given("out")) throw UsageError("out", "is required");
    const std::filesystem::path data_dir = flags.given("data-dir")
                                               ? std::filesystem::path(flags.get_string("data-dir"))
                                               : find_dataset_dir("fashion-mnist");
    const auto fashion = data::load_fashion_mnist(data_dir);
    FashionFolderSpec spec;
    spec.classes = fashion_class_set(flags.get_string("set"));
    spec.size = int(flags.get_int("size"));
    spec.seed = std::uint64_t(flags.get_int("seed"));
    const auto& format = flags.get_string("format");
    spec.format = format == "png" ? PictureFormat::png : format == "jpeg" ? PictureFormat::jpeg
                                                                          : PictureFormat::mixed;
    const std::filesystem::path out = flags.get_string("out");
    spec.per_class = int(flags.get_int("per-class"));
    const auto train = write_fashion_folder(out / "train", fashion.train, spec);
    std::printf("Wrote %lld pictures to %s\n", static_cast<long long>(train),
                (out / "train").string().c_str());
    if (const auto per_class = flags.get_int("validation-per-class"); per_class > 0) {
      spec.per_class = int(per_class);
      // Other colours than the training pictures': the validation set should
      // not share them.
      spec.seed += 1000003;
      const auto validation = write_fashion_folder(out / "validation", fashion.test, spec);
      std::printf("Wrote %lld pictures to %s\n", static_cast<long long>(validation),
                  (out / "validation").string().c_str());
    }
    return 0;
  });
}
