// Decoding a list of picture files into one NHWC uint8 array on several host
// threads, each file read, decoded (picture_decoder.hpp) and resized
// (resize.hpp) into its own slot, so the result does not depend on the
// thread count or on timing.
#pragma once

#include <cstdint>
#include <filesystem>
#include <vector>

#include "vknn/data/image_folder.hpp"

namespace vknn::data::detail {

// files.size() x options.height x options.width x channels bytes. Threads:
// options.threads (0: hardware_concurrency), at most one per file. On a bad
// file throws the vknn::Error of the first bad file in list order (the
// threads finish the files before it), whatever the thread count.
std::vector<std::uint8_t> decode_pictures(const std::vector<std::filesystem::path>& files,
                                          const ImageFolderOptions& options, int channels);

// How many threads decode_pictures uses for `files` files.
int decoding_threads(const ImageFolderOptions& options, std::size_t files);

}  // namespace vknn::data::detail
