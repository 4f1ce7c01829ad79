#include "data/decode_pictures.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <fstream>
#include <limits>
#include <mutex>
#include <thread>

#include "data/picture_decoder.hpp"
#include "data/resize.hpp"
#include "vknn/error.hpp"

namespace vknn::data::detail {

namespace fs = std::filesystem;

namespace {

// Below this many files the progress line would only flicker.
constexpr std::size_t kProgressFromFiles = 1000;

std::vector<std::uint8_t> read_bytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) {
    throw Error("cannot read picture '" + path.string() +
                "': the file cannot be opened (missing, or no permission to read it)");
  }
  const std::streamoff size = in.tellg();
  if (size < 0) throw Error("cannot read picture '" + path.string() + "': cannot tell its size");
  std::vector<std::uint8_t> bytes(static_cast<std::size_t>(size));
  in.seekg(0);
  if (size > 0 && !in.read(reinterpret_cast<char*>(bytes.data()), size)) {
    throw Error("cannot read picture '" + path.string() + "': reading it failed");
  }
  return bytes;
}

// The first failure in file order, kept while threads run.
class FirstError {
 public:
  void offer(std::size_t index, std::string message) {
    std::lock_guard lock(mutex_);
    if (index < index_.load()) {
      index_.store(index);
      message_ = std::move(message);
    }
  }
  // Files after this one need not be decoded.
  std::size_t index() const { return index_.load(); }
  void rethrow() const {
    if (index_.load() != kNone) throw Error(message_);
  }

 private:
  static constexpr std::size_t kNone = std::numeric_limits<std::size_t>::max();
  std::mutex mutex_;
  std::atomic<std::size_t> index_{kNone};
  std::string message_;
};

}  // namespace

int decoding_threads(const ImageFolderOptions& options, std::size_t files) {
  const unsigned hardware = std::max(1u, std::thread::hardware_concurrency());
  const std::size_t wanted = options.threads > 0 ? std::size_t(options.threads) : hardware;
  return int(std::max<std::size_t>(1, std::min(wanted, files)));
}

std::vector<std::uint8_t> decode_pictures(const std::vector<fs::path>& files,
                                          const ImageFolderOptions& options, int channels) {
  const std::size_t picture_bytes =
      std::size_t(options.height) * std::size_t(options.width) * std::size_t(channels);
  std::vector<std::uint8_t> pixels(files.size() * picture_bytes);
  std::atomic<std::size_t> next{0};
  std::atomic<std::size_t> done{0};
  FirstError first_error;

  const auto work = [&] {
    for (;;) {
      // Files are taken in increasing order, so once one fails every file
      // before it has been taken and will finish: the error kept is the
      // first bad file's, as with one thread.
      const std::size_t i = next.fetch_add(1);
      if (i >= files.size() || i > first_error.index()) return;
      try {
        const auto bytes = read_bytes(files[i]);
        const auto picture = decode_picture(bytes, channels, options.max_pixels, files[i].string());
        resize_picture(picture.pixels, picture.height, picture.width, channels,
                       std::span(pixels.data() + i * picture_bytes, picture_bytes), options.height,
                       options.width, options.interpolation);
      } catch (const Error& e) {
        first_error.offer(i, e.what());
      } catch (const std::bad_alloc&) {
        first_error.offer(i, "cannot decode picture '" + files[i].string() +
                                 "': out of host memory");
      }
      done.fetch_add(1);
    }
  };

  const int thread_count = decoding_threads(options, files.size());
  const bool progress = options.verbose > 0 && options.output && files.size() >= kProgressFromFiles;
  std::vector<std::jthread> threads;
  threads.reserve(std::size_t(thread_count));
  for (int t = 0; t < thread_count; ++t) threads.emplace_back(work);
  if (progress) {
    // The caller's thread only reports; a line every half second.
    const auto start = std::chrono::steady_clock::now();
    for (;;) {
      const std::size_t finished = done.load();
      const double seconds =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      std::fprintf(options.output, "\rDecoding pictures: %zu/%zu (%d threads, %.0f/s)", finished,
                   files.size(), thread_count, seconds > 0 ? double(finished) / seconds : 0.0);
      std::fflush(options.output);
      if (finished >= files.size() || first_error.index() < files.size()) {
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(500));
    }
    std::fputc('\n', options.output);
  }
  threads.clear();  // joins
  first_error.rethrow();
  return pixels;
}

}  // namespace vknn::data::detail

namespace vknn::data {

Picture read_picture(const std::filesystem::path& file, int channels, std::int64_t max_pixels) {
  if (channels != 1 && channels != 3 && channels != 4) {
    throw Error("read_picture: channels must be 1, 3 or 4, got " + std::to_string(channels));
  }
  detail::Picture decoded =
      detail::decode_picture(detail::read_bytes(file), channels, max_pixels, file.string());
  return {decoded.width, decoded.height, decoded.channels, std::move(decoded.pixels)};
}

}  // namespace vknn::data
