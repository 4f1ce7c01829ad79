// Listing and splitting a folder of pictures by Keras's rules
// (image_dataset_from_directory); the decoding threads are in
// decode_pictures.cpp.
#include "vknn/data/image_folder.hpp"

#include <algorithm>
#include <cctype>
#include <random>
#include <set>
#include <system_error>

#include "data/decode_pictures.hpp"
#include "data/numpy_shuffle.hpp"
#include "vknn/error.hpp"

namespace vknn::data {

namespace fs = std::filesystem;

const char* to_string(ColorMode mode) {
  switch (mode) {
    case ColorMode::grayscale: return "grayscale";
    case ColorMode::rgb: return "rgb";
    case ColorMode::rgba: return "rgba";
  }
  return "?";
}

const char* to_string(LabelMode mode) {
  switch (mode) {
    case LabelMode::int_labels: return "int";
    case LabelMode::categorical: return "categorical";
    case LabelMode::binary: return "binary";
  }
  return "?";
}

const char* to_string(Interpolation interpolation) {
  switch (interpolation) {
    case Interpolation::bilinear: return "bilinear";
    case Interpolation::nearest: return "nearest";
  }
  return "?";
}

const char* to_string(Subset subset) {
  switch (subset) {
    case Subset::all: return "all";
    case Subset::training: return "training";
    case Subset::validation: return "validation";
  }
  return "?";
}

namespace {

// Keras's ALLOWLIST_FORMATS.
constexpr const char* kExtensions[] = {".bmp", ".gif", ".jpeg", ".jpg", ".png"};
constexpr const char* kExtensionList = ".bmp, .gif, .jpeg, .jpg, .png";

bool is_picture_name(const std::string& name) {
  std::string lower = name;
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char ch) { return char(std::tolower(ch)); });
  for (const char* ext : kExtensions) {
    const std::string e = ext;
    if (lower.size() >= e.size() && lower.compare(lower.size() - e.size(), e.size(), e) == 0) {
      return true;
    }
  }
  return false;
}

std::string quoted(const fs::path& path) {
  // Appended rather than "'" + path + "'", which trips GCC 12's -Wrestrict
  // false positive (GCC bug 105329).
  std::string text = "'";
  text += path.string();
  text += '\'';
  return text;
}

std::string joined(const std::vector<std::string>& names) {
  std::string text = "[";
  for (std::size_t i = 0; i < names.size(); ++i) {
    text += (i ? ", '" : "'") + names[i] + "'";
  }
  return text + "]";
}

void check_options(const fs::path& directory, const ImageFolderOptions& o) {
  const std::string where = "read_image_folder(" + quoted(directory) + "): ";
  if (o.height <= 0 || o.width <= 0 || o.height > 16384 || o.width > 16384) {
    throw Error(where + "image size " + std::to_string(o.height) + "x" + std::to_string(o.width) +
                " is not valid; height and width must be 1..16384");
  }
  if (o.threads < 0) {
    throw Error(where + "threads must be >= 0 (0: one per hardware thread), got " +
                std::to_string(o.threads));
  }
  if (o.max_pixels <= 0) throw Error(where + "max_pixels must be positive");
  if (o.subset == Subset::all) {
    if (o.validation_split != 0.0) {
      throw Error(where + "validation_split " + std::to_string(o.validation_split) +
                  " needs subset training or validation");
    }
    return;
  }
  if (!(o.validation_split > 0.0 && o.validation_split < 1.0)) {
    throw Error(where + "subset " + to_string(o.subset) +
                " needs validation_split in (0, 1), got " + std::to_string(o.validation_split));
  }
  if (o.shuffle && !o.seed) {
    // Keras's rule: without a seed the two subsets' shuffles differ and
    // would overlap.
    throw Error(where + "a validation split of shuffled files needs a seed, so that the "
                "training and validation subsets are made from the same order and do not overlap");
  }
}

std::vector<std::string> class_folders(const fs::path& directory) {
  std::error_code ec;
  if (!fs::exists(directory, ec)) {
    throw Error("read_image_folder: the folder " + quoted(directory) + " does not exist");
  }
  if (!fs::is_directory(directory, ec)) {
    throw Error("read_image_folder: " + quoted(directory) +
                " is not a folder; give the folder that holds one subfolder per class");
  }
  std::vector<std::string> names;
  fs::directory_iterator it(directory, ec);
  if (ec) {
    throw Error("read_image_folder: cannot list " + quoted(directory) + ": " + ec.message());
  }
  for (const auto& entry : it) {
    const std::string name = entry.path().filename().string();
    if (!name.empty() && name[0] != '.' && entry.is_directory(ec)) names.push_back(name);
  }
  std::sort(names.begin(), names.end());
  if (names.empty()) {
    throw Error("read_image_folder: " + quoted(directory) +
                " has no class subfolders; put each class's pictures in a subfolder of its own, "
                "e.g. " + (directory / "horses").string() + "/*.png and " +
                (directory / "humans").string() + "/*.png");
  }
  return names;
}

// Keras's iter_valid_files: every folder under root (root included), in byte
// order of their paths, each one's files sorted.
void list_class_files(const fs::path& root, bool follow_links, std::vector<fs::path>& files,
                      std::int64_t& skipped) {
  std::vector<std::pair<std::string, std::vector<std::string>>> folders;
  std::error_code ec;
  const auto add_folder = [&](const fs::path& folder) {
    std::vector<std::string> names;
    fs::directory_iterator it(folder, ec);
    if (ec) throw Error("read_image_folder: cannot list " + quoted(folder) + ": " + ec.message());
    for (const auto& entry : it) {
      // A link to a folder is a folder (os.walk lists it with the folders,
      // descending into it only with follow_links).
      if (!entry.is_directory(ec)) names.push_back(entry.path().filename().string());
    }
    std::sort(names.begin(), names.end());
    folders.emplace_back(folder.string(), std::move(names));
  };
  add_folder(root);
  const auto walk_options = follow_links ? fs::directory_options::follow_directory_symlink
                                         : fs::directory_options::none;
  fs::recursive_directory_iterator it(root, walk_options, ec);
  if (ec) throw Error("read_image_folder: cannot list " + quoted(root) + ": " + ec.message());
  for (const auto& entry : it) {
    if (entry.is_directory(ec) && (follow_links || !entry.is_symlink(ec))) add_folder(entry.path());
  }
  std::sort(folders.begin(), folders.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  for (const auto& [folder, names] : folders) {
    for (const auto& name : names) {
      if (is_picture_name(name)) {
        files.push_back(fs::path(folder) / name);
      } else {
        ++skipped;
      }
    }
  }
}

}  // namespace

std::vector<float> ImageFolderData::one_hot() const {
  const std::size_t classes = class_names.size();
  std::vector<float> out(labels.size() * classes, 0.0f);
  for (std::size_t i = 0; i < labels.size(); ++i) out[i * classes + labels[i]] = 1.0f;
  return out;
}

ImageFolderIndex index_image_folder(const fs::path& directory, const ImageFolderOptions& options) {
  check_options(directory, options);
  const auto found = class_folders(directory);
  ImageFolderIndex index;
  if (options.class_names.empty()) {
    index.class_names = found;
  } else {
    const std::set<std::string> given(options.class_names.begin(), options.class_names.end());
    if (given != std::set<std::string>(found.begin(), found.end()) ||
        given.size() != options.class_names.size()) {
      throw Error("read_image_folder(" + quoted(directory) + "): class_names " +
                  joined(options.class_names) + " must name each subfolder once; the subfolders " +
                  "are " + joined(found));
    }
    index.class_names = options.class_names;
  }
  if (index.class_names.size() > 256) {
    throw Error("read_image_folder(" + quoted(directory) + "): " +
                std::to_string(index.class_names.size()) +
                " class subfolders; vknn's labels are bytes, so at most 256 classes");
  }
  if (options.label_mode == LabelMode::binary && index.class_names.size() != 2) {
    throw Error("read_image_folder(" + quoted(directory) + "): label_mode binary needs exactly 2 "
                "classes; the class subfolders are " + joined(index.class_names));
  }
  for (std::size_t c = 0; c < index.class_names.size(); ++c) {
    const std::size_t before = index.files.size();
    list_class_files(directory / index.class_names[c], options.follow_links, index.files,
                     index.skipped_files);
    index.labels.insert(index.labels.end(), index.files.size() - before, std::uint8_t(c));
  }
  index.files_found = std::int64_t(index.files.size());
  if (index.files.empty()) {
    throw Error("read_image_folder: no pictures in the class subfolders of " + quoted(directory) +
                " " + joined(index.class_names) + " (file names must end in " + kExtensionList +
                "; " + std::to_string(index.skipped_files) + " other files were skipped)");
  }
  if (options.shuffle) {
    const std::uint32_t seed = options.seed ? *options.seed : std::random_device{}();
    const auto order = detail::numpy_shuffled_order(index.files.size(), seed);
    std::vector<fs::path> files(order.size());
    std::vector<std::uint8_t> labels(order.size());
    for (std::size_t i = 0; i < order.size(); ++i) {
      files[i] = std::move(index.files[order[i]]);
      labels[i] = index.labels[order[i]];
    }
    index.files = std::move(files);
    index.labels = std::move(labels);
  }
  if (options.subset != Subset::all) {
    const auto total = index.files.size();
    const auto validation = std::size_t(options.validation_split * double(total));
    if (validation == 0 || validation == total) {
      throw Error("read_image_folder(" + quoted(directory) + "): validation_split " +
                  std::to_string(options.validation_split) + " of " + std::to_string(total) +
                  " files leaves " + (validation == 0 ? "no validation" : "no training") + " files");
    }
    const std::size_t begin = options.subset == Subset::training ? 0 : total - validation;
    const std::size_t end = options.subset == Subset::training ? total - validation : total;
    index.files = {index.files.begin() + std::ptrdiff_t(begin), index.files.begin() + std::ptrdiff_t(end)};
    index.labels = {index.labels.begin() + std::ptrdiff_t(begin), index.labels.begin() + std::ptrdiff_t(end)};
  }
  return index;
}

ImageFolderData read_image_folder(const fs::path& directory, const ImageFolderOptions& options) {
  auto index = index_image_folder(directory, options);
  if (options.verbose > 0 && options.output) {
    std::fprintf(options.output, "Found %lld files belonging to %zu classes.\n",
                 static_cast<long long>(index.files_found), index.class_names.size());
    if (options.subset != Subset::all) {
      std::fprintf(options.output, "Using %zu files for %s.\n", index.files.size(),
                   to_string(options.subset));
    }
    std::fflush(options.output);
  }
  ImageFolderData data;
  data.count = std::int64_t(index.files.size());
  data.height = options.height;
  data.width = options.width;
  data.channels = options.color_mode == ColorMode::grayscale ? 1
                  : options.color_mode == ColorMode::rgb     ? 3
                                                             : 4;
  data.pixels = detail::decode_pictures(index.files, options, data.channels);
  data.labels = std::move(index.labels);
  data.class_names = std::move(index.class_names);
  data.label_mode = options.label_mode;
  data.files = std::move(index.files);
  data.skipped_files = index.skipped_files;
  return data;
}

}  // namespace vknn::data
