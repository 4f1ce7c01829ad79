// IDX reading and writing; see include/vknn/data/idx.hpp for the format and
// the rules.
//
// Reading never trusts the header: the declared dimensions are checked for
// zero and for overflow before anything is allocated, a plain file's size is
// compared with header + payload before the payload is read, and a gzipped
// file's payload buffer grows only as decompressed data actually arrives, so
// a forged header cannot make the reader allocate gigabytes.
#include "vknn/data/idx.hpp"

#include <zlib.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <limits>
#include <memory>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>

#include "vknn/error.hpp"
#include "vknn/io/atomic_file.hpp"

#ifdef _WIN32
#include <fstream>
#else
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#endif

namespace vknn::data {
namespace {

namespace fs = std::filesystem;

constexpr std::uint32_t kImagesMagic = 0x00000803;
constexpr std::uint32_t kLabelsMagic = 0x00000801;
constexpr std::size_t kChunk = std::size_t{1} << 20;  // 1 MiB

[[noreturn]] void fail(const fs::path& path, const std::string& problem) {
  throw Error(path.string() + ": " + problem);
}

std::string hex32(std::uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%08x", static_cast<unsigned>(v));
  return buf;
}

std::string hex8(unsigned v) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "0x%02x", v & 0xffu);
  return buf;
}

std::string bytes(std::uint64_t n) { return std::to_string(n) + (n == 1 ? " byte" : " bytes"); }

std::uint32_t load_be32(const std::uint8_t* p) {
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) |
         std::uint32_t{p[3]};
}

void store_be32(std::uint8_t* p, std::uint32_t v) {
  p[0] = static_cast<std::uint8_t>(v >> 24);
  p[1] = static_cast<std::uint8_t>(v >> 16);
  p[2] = static_cast<std::uint8_t>(v >> 8);
  p[3] = static_cast<std::uint8_t>(v);
}

bool has_gz_suffix(const fs::path& path) {
  std::string ext = path.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](unsigned char c) { return static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c); });
  return ext == ".gz";
}

// a * b, or false when it does not fit in std::uint64_t.
bool mul_u64(std::uint64_t a, std::uint64_t b, std::uint64_t& out) {
  if (a != 0 && b > std::numeric_limits<std::uint64_t>::max() / a) return false;
  out = a * b;
  return true;
}

const char* element_type_name(unsigned type) {
  switch (type) {
    case 0x08: return "unsigned byte";
    case 0x09: return "signed byte";
    case 0x0B: return "int16";
    case 0x0C: return "int32";
    case 0x0D: return "float32";
    case 0x0E: return "float64";
    default: return "unknown";
  }
}

// ---------------------------------------------------------------- files

struct FileCloser {
  void operator()(std::FILE* f) const { std::fclose(f); }
};
using FilePtr = std::unique_ptr<std::FILE, FileCloser>;

FilePtr open_for_reading(const fs::path& path) {
  std::error_code ec;
  const fs::file_status st = fs::status(path, ec);
  if (st.type() == fs::file_type::not_found) fail(path, "file not found");
  if (st.type() == fs::file_type::directory) fail(path, "is a directory, not an IDX file");
  errno = 0;
#ifdef _WIN32
  std::FILE* f = _wfopen(path.c_str(), L"rb");
#else
  std::FILE* f = std::fopen(path.c_str(), "rb");
#endif
  if (f == nullptr) {
    const int err = errno;
    fail(path, std::string("cannot open for reading: ") +
                   (err != 0 ? std::strerror(err) : "unknown error"));
  }
  return FilePtr(f);
}

// Reads up to n bytes; fewer only at the end of the file. Read errors throw.
std::size_t read_some(std::FILE* f, const fs::path& path, std::uint8_t* dst, std::size_t n) {
  std::size_t got = 0;
  while (got < n) {
    const std::size_t r = std::fread(dst + got, 1, n - got, f);
    got += r;
    if (r == 0) {
      if (std::ferror(f)) {
        const int err = errno;
        fail(path, std::string("read error: ") + (err != 0 ? std::strerror(err) : "I/O error"));
      }
      break;
    }
  }
  return got;
}

// A stream of the file's (decompressed) bytes.
class Source {
 public:
  virtual ~Source() = default;
  // Reads up to n bytes; fewer only at the end of the data.
  virtual std::size_t read(std::uint8_t* dst, std::size_t n) = 0;
  // "file is" or "decompressed data is", for size messages.
  virtual const char* what_is() const = 0;
};

class PlainSource final : public Source {
 public:
  PlainSource(FilePtr file, const fs::path& path) : file_(std::move(file)), path_(path) {}
  std::size_t read(std::uint8_t* dst, std::size_t n) override {
    return read_some(file_.get(), path_, dst, n);
  }
  const char* what_is() const override { return "file is"; }

 private:
  FilePtr file_;
  const fs::path& path_;
};

// gzip (one or more members, as gzip itself writes) through zlib's inflate.
class GzSource final : public Source {
 public:
  GzSource(FilePtr file, const fs::path& path) : file_(std::move(file)), path_(path) {
    in_.resize(256 * 1024);
    std::memset(&zs_, 0, sizeof zs_);
    if (inflateInit2(&zs_, 16 + MAX_WBITS) != Z_OK) fail(path_, "cannot initialise zlib");
  }
  ~GzSource() override { inflateEnd(&zs_); }
  GzSource(const GzSource&) = delete;
  GzSource& operator=(const GzSource&) = delete;

  const char* what_is() const override { return "decompressed data is"; }

  std::size_t read(std::uint8_t* dst, std::size_t n) override {
    std::size_t got = 0;
    while (got < n && !done_) {
      if (member_ended_) {
        // Another gzip member may follow; anything else is an error.
        if (!ensure_input(2)) {
          if (zs_.avail_in == 0) {
            done_ = true;
            break;
          }
          fail(path_, "corrupt gzip data: 1 trailing byte after the end of the gzip stream");
        }
        if (zs_.next_in[0] != 0x1f || zs_.next_in[1] != 0x8b) {
          fail(path_, "corrupt gzip data: trailing bytes after the end of the gzip stream "
                      "that are not another gzip member");
        }
        if (inflateReset(&zs_) != Z_OK) fail(path_, "cannot reset zlib");
        member_ended_ = false;
      }
      if (zs_.avail_in == 0) ensure_input(1);
      const std::size_t want = std::min<std::size_t>(n - got, std::numeric_limits<uInt>::max());
      zs_.next_out = dst + got;
      zs_.avail_out = static_cast<uInt>(want);
      const uInt in_before = zs_.avail_in;
      const int rc = inflate(&zs_, Z_NO_FLUSH);
      const std::size_t produced = want - zs_.avail_out;
      got += produced;
      if (rc == Z_STREAM_END) {
        member_ended_ = true;
      } else if (rc == Z_OK || rc == Z_BUF_ERROR) {
        if (produced == 0 && zs_.avail_in == in_before) {
          // No progress: only possible when the input is exhausted.
          if (zs_.avail_in == 0 && eof_) {
            fail(path_, "corrupt gzip data: the compressed stream is truncated");
          }
          if (zs_.avail_in != 0) fail(path_, "corrupt gzip data: inflate made no progress");
        }
      } else if (rc == Z_MEM_ERROR) {
        fail(path_, "out of memory while decompressing gzip data");
      } else {
        fail(path_, std::string("corrupt gzip data: ") + (zs_.msg != nullptr ? zs_.msg : "inflate failed"));
      }
    }
    return got;
  }

 private:
  // Makes at least `need` bytes of input available if the file has them;
  // false when it has fewer.
  bool ensure_input(std::size_t need) {
    while (zs_.avail_in < need && !eof_) {
      if (zs_.avail_in > 0 && zs_.next_in != in_.data()) {
        std::memmove(in_.data(), zs_.next_in, zs_.avail_in);
      }
      const std::size_t have = zs_.avail_in;
      const std::size_t r = read_some(file_.get(), path_, in_.data() + have, in_.size() - have);
      if (r < in_.size() - have) eof_ = true;
      zs_.next_in = in_.data();
      zs_.avail_in = static_cast<uInt>(have + r);
    }
    return zs_.avail_in >= need;
  }

  FilePtr file_;
  const fs::path& path_;
  z_stream zs_;
  std::vector<std::uint8_t> in_;
  bool eof_ = false;
  bool member_ended_ = false;
  bool done_ = false;
};

// ---------------------------------------------------------------- reading

struct IdxFile {
  std::vector<std::uint32_t> dims;
  std::vector<std::uint8_t> payload;
};

// Reads an IDX file of unsigned bytes with `ndims` dimensions. `describe`
// turns the dimensions into words for messages ("60000 images of 28x28").
template <typename Describe>
IdxFile read_idx(const fs::path& path, unsigned ndims, const char* kind_name,
                 const char* dim_names[], Describe describe) {
  const std::uint32_t expected_magic = 0x00000800u | ndims;
  const std::string expected_magic_text =
      hex32(expected_magic) + " (" + kind_name + ": unsigned bytes, " + std::to_string(ndims) +
      (ndims == 1 ? " dimension)" : " dimensions)");

  FilePtr file = open_for_reading(path);
  std::error_code ec;
  const std::uintmax_t file_size = fs::file_size(path, ec);
  const bool size_known = !ec;
  if (size_known && file_size == 0) fail(path, "file is empty (0 bytes)");

  std::array<std::uint8_t, 2> lead{};
  const std::size_t lead_got = read_some(file.get(), path, lead.data(), lead.size());
  if (lead_got == 0) fail(path, "file is empty (0 bytes)");
  const bool gz = lead_got == 2 && lead[0] == 0x1f && lead[1] == 0x8b;
  if (!gz && has_gz_suffix(path)) {
    fail(path, "has a .gz suffix but is not gzip data (it does not start with the gzip magic 1f 8b)");
  }
  if (std::fseek(file.get(), 0, SEEK_SET) != 0) fail(path, "cannot seek to the start of the file");

  std::unique_ptr<Source> src;
  if (gz) {
    src = std::make_unique<GzSource>(std::move(file), path);
  } else {
    src = std::make_unique<PlainSource>(std::move(file), path);
  }

  const std::size_t header_size = 4 + 4 * std::size_t{ndims};
  std::vector<std::uint8_t> header(header_size);
  const std::size_t magic_got = src->read(header.data(), 4);
  if (magic_got < 4) {
    fail(path, std::string(src->what_is()) + " " + bytes(magic_got) + ", too short for an IDX header (" + std::to_string(header_size) +
                   " bytes for " + kind_name + ")");
  }
  const std::uint32_t magic = load_be32(header.data());
  if (magic != expected_magic) {
    std::string problem = "wrong magic number " + hex32(magic) + ", expected " + expected_magic_text;
    if (header[0] != 0 || header[1] != 0) {
      problem += "; this is not an IDX file";
    } else if (header[2] != 0x08) {
      problem += "; element type " + hex8(header[2]) + " (" + element_type_name(header[2]) +
                 ") is not supported, only unsigned bytes (0x08)";
    } else {
      problem += "; the file has " + std::to_string(header[3]) +
                 (header[3] == 1 ? " dimension" : " dimensions") + ", expected " +
                 std::to_string(ndims);
      if (header[3] == 1) problem += " (is this a label file?)";
      if (header[3] == 3) problem += " (is this an image file?)";
    }
    fail(path, problem);
  }
  const std::size_t dims_got = src->read(header.data() + 4, header_size - 4);
  if (dims_got < header_size - 4) {
    fail(path, std::string(src->what_is()) + " " + bytes(4 + dims_got) + ", too short for the " + std::to_string(header_size) + "-byte IDX header of " +
                   kind_name);
  }

  IdxFile out;
  out.dims.resize(ndims);
  for (unsigned d = 0; d < ndims; ++d) out.dims[d] = load_be32(header.data() + 4 + 4 * d);
  std::uint64_t payload = 1;
  for (unsigned d = 0; d < ndims; ++d) {
    const std::uint32_t v = out.dims[d];
    if (v == 0) {
      fail(path, "header (" + describe(out.dims) + ") declares 0 " + dim_names[d] +
                     "; every dimension must be positive");
    }
    // The count (dimension 0) may use all 32 bits; rows and columns are ints.
    if (d > 0 && v > static_cast<std::uint32_t>(std::numeric_limits<std::int32_t>::max())) {
      fail(path, "header (" + describe(out.dims) + ") declares " + std::to_string(v) + " " +
                     dim_names[d] + ", more than the supported maximum of 2147483647");
    }
    if (!mul_u64(payload, v, payload)) {
      fail(path, "header dimensions (" + describe(out.dims) + ") overflow a 64-bit size");
    }
  }
  if (payload > std::numeric_limits<std::uint64_t>::max() - header_size) {
    fail(path, "header dimensions (" + describe(out.dims) + ") overflow a 64-bit size");
  }
  const std::uint64_t total = payload + header_size;
  const std::string needs =
      "the header (" + describe(out.dims) + ") needs " + std::to_string(total) + " bytes";
  if (payload > std::numeric_limits<std::size_t>::max() ||
      payload > out.payload.max_size()) {
    fail(path, needs + ", more than this machine can address");
  }

  if (!gz && size_known) {
    if (file_size != total) {
      std::string problem = "file is " + std::to_string(file_size) + " bytes but " + needs;
      if (file_size < total) {
        problem += " (truncated: " + bytes(total - file_size) + " missing)";
      } else {
        problem += " (" + bytes(file_size - total) + " of extra trailing data)";
      }
      fail(path, problem);
    }
    out.payload.resize(static_cast<std::size_t>(payload));
    const std::size_t got = src->read(out.payload.data(), out.payload.size());
    if (got != out.payload.size()) {
      fail(path, "file is " + std::to_string(header_size + got) + " bytes but " + needs +
                     " (it shrank while being read)");
    }
    std::uint8_t extra = 0;
    if (src->read(&extra, 1) != 0) fail(path, "file grew while being read; " + needs);
    return out;
  }

  // Gzipped (or of unknown size): grow the buffer only as data arrives.
  std::size_t have = 0;
  const std::size_t want = static_cast<std::size_t>(payload);
  while (have < want) {
    const std::size_t next = std::min(want, std::max(have * 2, have + kChunk));
    out.payload.resize(next);
    const std::size_t got = src->read(out.payload.data() + have, next - have);
    have += got;
    if (have < next) {
      fail(path, std::string(src->what_is()) + " " + std::to_string(header_size + have) + " bytes but " +
                     needs + " (truncated: " + bytes(want - have) + " missing)");
    }
  }
  std::uint8_t extra = 0;
  if (src->read(&extra, 1) != 0) {
    fail(path, std::string(src->what_is()) + " longer than the " + std::to_string(total) +
                   " bytes that the header (" + describe(out.dims) + ") needs (extra trailing data)");
  }
  return out;
}

std::string describe_images(const std::vector<std::uint32_t>& d) {
  return std::to_string(d[0]) + (d[0] == 1 ? " image" : " images") + " of " + std::to_string(d[1]) +
         "x" + std::to_string(d[2]);
}

std::string describe_labels(const std::vector<std::uint32_t>& d) {
  return std::to_string(d[0]) + (d[0] == 1 ? " label" : " labels");
}

void check_num_classes(const char* who, int num_classes) {
  if (num_classes < 1 || num_classes > 256) {
    throw Error(std::string(who) + ": num_classes must be in 1..256 (labels are bytes), got " +
                std::to_string(num_classes));
  }
}

// ---------------------------------------------------------------- writing

// Writes header + payload to path atomically, gzip-compressed for ".gz".
void write_idx_file_unprefixed(const fs::path& path, const std::uint8_t* header,
                               std::size_t header_size, const std::uint8_t* payload,
                               std::size_t payload_size) {
  io::AtomicFileWriter out(path);
  if (!has_gz_suffix(path)) {
    out.write(header, header_size);
    out.write(payload, payload_size);
    out.commit();
    return;
  }
  z_stream zs;
  std::memset(&zs, 0, sizeof zs);
  if (deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) !=
      Z_OK) {
    throw Error(path.string() + ": cannot initialise zlib");
  }
  struct End {
    z_stream* zs;
    ~End() { deflateEnd(zs); }
  } end{&zs};
  std::vector<std::uint8_t> buf(kChunk);
  auto pump = [&](const std::uint8_t* data, std::size_t n, bool last) {
    do {
      const std::size_t take = std::min<std::size_t>(n, std::size_t{1} << 30);
      zs.next_in = const_cast<Bytef*>(data);
      zs.avail_in = static_cast<uInt>(take);
      data += take;
      n -= take;
      const int flush = (last && n == 0) ? Z_FINISH : Z_NO_FLUSH;
      do {
        zs.next_out = buf.data();
        zs.avail_out = static_cast<uInt>(buf.size());
        if (deflate(&zs, flush) == Z_STREAM_ERROR) {
          throw Error(path.string() + ": gzip compression failed");
        }
        out.write(buf.data(), buf.size() - zs.avail_out);
      } while (zs.avail_out == 0);
    } while (n > 0);
  };
  pump(header, header_size, false);
  pump(payload, payload_size, true);
  out.commit();
}

// The same, with errors naming the writing function (write_idx_images, ...).
void write_idx_file(const fs::path& path, const char* who, const std::uint8_t* header,
                    std::size_t header_size, const std::uint8_t* payload, std::size_t payload_size) {
  try {
    write_idx_file_unprefixed(path, header, header_size, payload, payload_size);
  } catch (const Error& e) {
    throw Error(std::string(who) + ": " + e.what());
  }
}

fs::path find_dataset_file(const fs::path& dir, const char* name, const char* dataset_name) {
  std::error_code ec;
  const fs::path plain = dir / name;
  if (fs::exists(plain, ec)) return plain;
  fs::path gz = dir / (std::string(name) + ".gz");
  if (fs::exists(gz, ec)) return gz;
  throw Error(std::string(dataset_name) + ": " + plain.string() +
              " not found (nor with .gz appended); run scripts/get_data.sh to download the datasets");
}

}  // namespace

// ---------------------------------------------------------------- public

ImageSet read_idx_images(const fs::path& path) {
  static const char* names[] = {"images", "rows", "columns"};
  IdxFile f = read_idx(path, 3, "IDX images", names, describe_images);
  ImageSet out;
  out.count = f.dims[0];
  out.rows = static_cast<int>(f.dims[1]);
  out.cols = static_cast<int>(f.dims[2]);
  out.pixels = std::move(f.payload);
  return out;
}

std::vector<std::uint8_t> read_idx_labels(const fs::path& path, int num_classes) {
  check_num_classes("read_idx_labels", num_classes);
  static const char* names[] = {"labels"};
  IdxFile f = read_idx(path, 1, "IDX labels", names, describe_labels);
  for (std::size_t i = 0; i < f.payload.size(); ++i) {
    if (f.payload[i] >= num_classes) {
      fail(path, "label " + std::to_string(f.payload[i]) + " at index " + std::to_string(i) +
                     " is out of range for " + std::to_string(num_classes) + " classes (expected 0.." +
                     std::to_string(num_classes - 1) + ")");
    }
  }
  return std::move(f.payload);
}

LabeledImages load_idx_pair(const fs::path& images_path, const fs::path& labels_path,
                            int num_classes) {
  check_num_classes("load_idx_pair", num_classes);
  LabeledImages out;
  out.images = read_idx_images(images_path);
  out.labels = read_idx_labels(labels_path, num_classes);
  out.num_classes = num_classes;
  if (static_cast<std::uint64_t>(out.images.count) != out.labels.size()) {
    throw Error(images_path.string() + " holds " + std::to_string(out.images.count) + " images but " +
                labels_path.string() + " holds " + std::to_string(out.labels.size()) +
                " labels; an image file and its label file must have the same count");
  }
  return out;
}

DatasetSplits load_idx_dataset(const fs::path& dir, int num_classes, const char* dataset_name) {
  check_num_classes("load_idx_dataset", num_classes);
  std::error_code ec;
  const fs::file_status st = fs::status(dir, ec);
  if (st.type() == fs::file_type::not_found) {
    throw Error(std::string(dataset_name) + ": folder " + dir.string() +
                " does not exist; run scripts/get_data.sh to download the datasets "
                "(it writes <repo>/data/fashion-mnist and <repo>/data/mnist)");
  }
  if (st.type() != fs::file_type::directory) {
    throw Error(std::string(dataset_name) + ": " + dir.string() +
                " is not a folder; expected the folder that scripts/get_data.sh writes");
  }
  DatasetSplits out;
  out.train = load_idx_pair(find_dataset_file(dir, "train-images-idx3-ubyte", dataset_name),
                            find_dataset_file(dir, "train-labels-idx1-ubyte", dataset_name),
                            num_classes);
  out.test = load_idx_pair(find_dataset_file(dir, "t10k-images-idx3-ubyte", dataset_name),
                           find_dataset_file(dir, "t10k-labels-idx1-ubyte", dataset_name),
                           num_classes);
  if (out.train.images.rows != out.test.images.rows || out.train.images.cols != out.test.images.cols) {
    throw Error(std::string(dataset_name) + ": " + dir.string() + ": test images are " +
                std::to_string(out.test.images.rows) + "x" + std::to_string(out.test.images.cols) +
                " but training images are " + std::to_string(out.train.images.rows) + "x" +
                std::to_string(out.train.images.cols));
  }
  return out;
}

DatasetSplits load_fashion_mnist(const fs::path& dir) {
  return load_idx_dataset(dir, 10, "Fashion-MNIST");
}

DatasetSplits load_mnist(const fs::path& dir) { return load_idx_dataset(dir, 10, "MNIST"); }

void write_idx_images(const fs::path& path, const ImageSet& images) {
  const char* who = "write_idx_images";
  auto bad = [&](const std::string& problem) -> Error {
    return Error(std::string(who) + ": " + path.string() + ": " + problem);
  };
  if (images.count < 1 || images.rows < 1 || images.cols < 1) {
    throw bad("dimensions must be positive, got " + std::to_string(images.count) + " images of " +
              std::to_string(images.rows) + "x" + std::to_string(images.cols));
  }
  if (static_cast<std::uint64_t>(images.count) > std::numeric_limits<std::uint32_t>::max()) {
    throw bad(std::to_string(images.count) + " images do not fit the 32-bit IDX header");
  }
  std::uint64_t expected = 0;
  if (!mul_u64(static_cast<std::uint64_t>(images.count), static_cast<std::uint64_t>(images.rows),
               expected) ||
      !mul_u64(expected, static_cast<std::uint64_t>(images.cols), expected) ||
      expected != images.pixels.size()) {
    throw bad("pixels holds " + std::to_string(images.pixels.size()) + " bytes, expected " +
              std::to_string(images.count) + "*" + std::to_string(images.rows) + "*" +
              std::to_string(images.cols));
  }
  std::array<std::uint8_t, 16> header{};
  store_be32(header.data(), kImagesMagic);
  store_be32(header.data() + 4, static_cast<std::uint32_t>(images.count));
  store_be32(header.data() + 8, static_cast<std::uint32_t>(images.rows));
  store_be32(header.data() + 12, static_cast<std::uint32_t>(images.cols));
  write_idx_file(path, who, header.data(), header.size(), images.pixels.data(), images.pixels.size());
}

void write_idx_labels(const fs::path& path, std::span<const std::uint8_t> labels) {
  const char* who = "write_idx_labels";
  if (labels.empty()) {
    throw Error(std::string(who) + ": " + path.string() + ": no labels (IDX dimensions must be positive)");
  }
  if (labels.size() > std::numeric_limits<std::uint32_t>::max()) {
    throw Error(std::string(who) + ": " + path.string() + ": " + std::to_string(labels.size()) +
                " labels do not fit the 32-bit IDX header");
  }
  std::array<std::uint8_t, 8> header{};
  store_be32(header.data(), kLabelsMagic);
  store_be32(header.data() + 4, static_cast<std::uint32_t>(labels.size()));
  write_idx_file(path, who, header.data(), header.size(), labels.data(), labels.size());
}

}  // namespace vknn::data
