// HDF5 files as byte images, through the HDF5 C library's core (memory)
// driver: nothing touches the disk, so a `.keras` zip is built and read in
// memory (see hdf5_image.hpp).
#include "io/hdf5_image.hpp"

#include <hdf5.h>

#include <cstring>
#include <limits>
#include <mutex>

#include "vknn/error.hpp"

namespace vknn::io {

namespace {

// The HDF5 library prints its error stack to stderr on every failed call
// unless told not to; vknn reports failures itself, as vknn::Error.
void silence_hdf5() {
  static std::once_flag once;
  std::call_once(once, [] { H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr); });
}

// An HDF5 identifier closed with its own close function.
class Handle {
 public:
  using Closer = herr_t (*)(hid_t);
  Handle(hid_t id, Closer close) : id_(id), close_(close) {}
  ~Handle() {
    if (id_ >= 0) close_(id_);
  }
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  hid_t get() const { return id_; }
  bool valid() const { return id_ >= 0; }

 private:
  hid_t id_;
  Closer close_;
};

// The name the in-memory file goes by inside the HDF5 library (the core
// driver without a backing store never opens it on disk).
constexpr const char* kImageName = "vknn-in-memory.h5";

std::vector<std::string> path_parts(const std::string& path) {
  std::vector<std::string> parts;
  std::size_t begin = 0;
  while (begin <= path.size()) {
    const std::size_t end = path.find('/', begin);
    const std::string part = path.substr(begin, end == std::string::npos ? std::string::npos : end - begin);
    if (!part.empty()) parts.push_back(part);
    if (end == std::string::npos) break;
    begin = end + 1;
  }
  return parts;
}

// ---- writing -----------------------------------------------------------------

class Writer {
 public:
  explicit Writer(const std::string& source) : source_(source) {}

  [[noreturn]] void fail(const std::string& what) const {
    throw Error(source_ + ": cannot write the HDF5 weights: " + what);
  }

  // Opens (creating what is missing) the group at `path`; "" is the root.
  hid_t group(hid_t file, const std::string& path) {
    hid_t current = H5Gopen2(file, "/", H5P_DEFAULT);
    std::string sofar;
    for (const auto& part : path_parts(path)) {
      sofar += "/" + part;
      const htri_t exists = H5Lexists(current, part.c_str(), H5P_DEFAULT);
      hid_t next = exists > 0 ? H5Gopen2(current, part.c_str(), H5P_DEFAULT)
                              : H5Gcreate2(current, part.c_str(), H5P_DEFAULT, H5P_DEFAULT,
                                           H5P_DEFAULT);
      H5Gclose(current);
      if (next < 0) fail("group " + sofar);
      current = next;
    }
    return current;
  }

  void string_attribute(hid_t group, const std::string& name, const std::string& value) {
    // A variable-length UTF-8 string, as h5py stores a Python str attribute.
    Handle type(H5Tcopy(H5T_C_S1), H5Tclose);
    H5Tset_size(type.get(), H5T_VARIABLE);
    H5Tset_cset(type.get(), H5T_CSET_UTF8);
    Handle space(H5Screate(H5S_SCALAR), H5Sclose);
    Handle attribute(H5Acreate2(group, name.c_str(), type.get(), space.get(), H5P_DEFAULT,
                                H5P_DEFAULT),
                     H5Aclose);
    const char* text = value.c_str();
    if (!attribute.valid() || H5Awrite(attribute.get(), type.get(), &text) < 0) {
      fail("attribute " + name);
    }
  }

  void dataset(hid_t file, const std::string& path, const H5Dataset& d) {
    const std::size_t slash = path.rfind('/');
    const std::string parent = slash == std::string::npos ? "" : path.substr(0, slash);
    const std::string name = slash == std::string::npos ? path : path.substr(slash + 1);
    Handle group(this->group(file, parent), H5Gclose);
    std::vector<hsize_t> dims(d.shape.begin(), d.shape.end());
    Handle space(dims.empty() ? H5Screate(H5S_SCALAR)
                              : H5Screate_simple(int(dims.size()), dims.data(), nullptr),
                 H5Sclose);
    const bool floats = d.type == H5Dataset::Type::f32;
    Handle set(H5Dcreate2(group.get(), name.c_str(), floats ? H5T_IEEE_F32LE : H5T_STD_I64LE,
                          space.get(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
               H5Dclose);
    if (!set.valid()) fail("dataset " + path);
    const void* data = floats ? static_cast<const void*>(d.floats.data()) : d.ints.data();
    const std::size_t count = floats ? d.floats.size() : d.ints.size();
    if (count > 0 && H5Dwrite(set.get(), floats ? H5T_NATIVE_FLOAT : H5T_NATIVE_INT64, H5S_ALL,
                              H5S_ALL, H5P_DEFAULT, data) < 0) {
      fail("dataset " + path);
    }
  }

 private:
  std::string source_;
};

// ---- reading -------------------------------------------------------------------

struct Visit {
  std::string source;
  H5Tree tree;
  std::string error;  // set by a callback that stops the walk
};

constexpr std::uint64_t kMaxDatasetBytes = std::uint64_t(1) << 30;

herr_t read_attribute(hid_t location, const char* name, const H5A_info_t*, void* data) {
  auto* attributes = static_cast<std::map<std::string, std::string>*>(data);
  Handle attribute(H5Aopen(location, name, H5P_DEFAULT), H5Aclose);
  if (!attribute.valid()) return 0;
  Handle type(H5Aget_type(attribute.get()), H5Tclose);
  if (H5Tget_class(type.get()) != H5T_STRING) return 0;  // only string attributes matter
  Handle space(H5Aget_space(attribute.get()), H5Sclose);
  if (H5Sget_simple_extent_type(space.get()) != H5S_SCALAR) return 0;
  if (H5Tis_variable_str(type.get()) > 0) {
    Handle memory(H5Tcopy(H5T_C_S1), H5Tclose);
    H5Tset_size(memory.get(), H5T_VARIABLE);
    H5Tset_cset(memory.get(), H5Tget_cset(type.get()));
    char* text = nullptr;
    if (H5Aread(attribute.get(), memory.get(), &text) >= 0 && text) {
      (*attributes)[name] = text;
      H5free_memory(text);
    }
    return 0;
  }
  const std::size_t size = H5Tget_size(type.get());
  if (size == 0 || size > (1u << 20)) return 0;
  std::string text(size, '\0');
  if (H5Aread(attribute.get(), type.get(), text.data()) >= 0) {
    text.resize(std::strlen(text.c_str()));
    (*attributes)[name] = text;
  }
  return 0;
}

// Reads one dataset, or says why not.
std::string read_dataset(hid_t set, const std::string& path, H5Dataset& out) {
  Handle plist(H5Dget_create_plist(set), H5Pclose);
  if (plist.valid()) {
    if (H5Pget_external_count(plist.get()) > 0) {
      return "dataset '" + path + "' keeps its data in an external file, which vknn does not "
             "follow (nor does Keras)";
    }
    if (H5Pget_layout(plist.get()) == H5D_VIRTUAL) {
      return "dataset '" + path + "' is a virtual dataset, which vknn does not read (nor does Keras)";
    }
  }
  Handle type(H5Dget_type(set), H5Tclose);
  const H5T_class_t type_class = H5Tget_class(type.get());
  if (type_class == H5T_FLOAT) {
    out.type = H5Dataset::Type::f32;
  } else if (type_class == H5T_INTEGER) {
    out.type = H5Dataset::Type::i64;
  } else {
    return "dataset '" + path + "' is not numeric (HDF5 type class " +
           std::to_string(int(type_class)) + "); Keras weights are float or integer arrays";
  }
  Handle space(H5Dget_space(set), H5Sclose);
  const H5S_class_t space_class = H5Sget_simple_extent_type(space.get());
  std::uint64_t count = 1;
  if (space_class == H5S_SIMPLE) {
    const int rank = H5Sget_simple_extent_ndims(space.get());
    if (rank < 0 || rank > 32) return "dataset '" + path + "' has an unreadable shape";
    std::vector<hsize_t> dims(std::size_t(rank), 0);
    H5Sget_simple_extent_dims(space.get(), dims.data(), nullptr);
    for (hsize_t d : dims) {
      if (d > kMaxDatasetBytes || (d != 0 && count > kMaxDatasetBytes / d)) {
        return "dataset '" + path + "' declares a shape beyond vknn's limit of " +
               std::to_string(kMaxDatasetBytes) + " bytes";
      }
      count *= d;
      out.shape.push_back(std::int64_t(d));
    }
  } else if (space_class != H5S_SCALAR) {
    return "dataset '" + path + "' has no data (an empty dataspace)";
  }
  const std::uint64_t element_bytes = out.type == H5Dataset::Type::f32 ? 4 : 8;
  const std::uint64_t declared = count * element_bytes;
  if (declared > kMaxDatasetBytes) {
    return "dataset '" + path + "' declares " + std::to_string(declared) +
           " bytes, beyond vknn's limit of " + std::to_string(kMaxDatasetBytes);
  }
  // Keras's guard against "shape bombs": a huge declared shape over almost
  // nothing stored (chunked and compressed, or only a fill value).
  const std::uint64_t stored = H5Dget_storage_size(set);
  if (declared > (std::uint64_t(1) << 20) && declared > 1000 * stored) {
    return "dataset '" + path + "' declares " + std::to_string(declared) + " bytes but stores " +
           std::to_string(stored) + "; refusing a possible decompression or shape bomb";
  }
  herr_t status = 0;
  if (out.type == H5Dataset::Type::f32) {
    out.floats.resize(count);
    if (count) status = H5Dread(set, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, out.floats.data());
  } else {
    out.ints.resize(count);
    if (count) status = H5Dread(set, H5T_NATIVE_INT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, out.ints.data());
  }
  if (status < 0) return "dataset '" + path + "' cannot be read (damaged data?)";
  return {};
}

herr_t visit_link(hid_t group, const char* name, const H5L_info_t* info, void* data) {
  auto* visit = static_cast<Visit*>(data);
  const std::string path = name;
  if (info->type != H5L_TYPE_HARD) {
    visit->error = "'" + path + "' is a " + (info->type == H5L_TYPE_SOFT ? "soft" : "external") +
                   " link; vknn reads plain groups and datasets only (Keras refuses links too)";
    return -1;
  }
  Handle object(H5Oopen(group, name, H5P_DEFAULT), H5Oclose);
  if (!object.valid()) {
    visit->error = "object '" + path + "' cannot be opened (damaged file?)";
    return -1;
  }
  const H5I_type_t type = H5Iget_type(object.get());
  if (type == H5I_GROUP) {
    auto& attributes = visit->tree.groups[path];
    hsize_t index = 0;
    H5Aiterate2(object.get(), H5_INDEX_NAME, H5_ITER_INC, &index, read_attribute, &attributes);
  } else if (type == H5I_DATASET) {
    H5Dataset dataset;
    visit->error = read_dataset(object.get(), path, dataset);
    if (!visit->error.empty()) return -1;
    visit->tree.datasets.emplace(path, std::move(dataset));
  } else {
    visit->error = "object '" + path + "' is neither a group nor a dataset";
    return -1;
  }
  return 0;
}

}  // namespace

std::vector<std::uint8_t> encode_hdf5(const H5Tree& tree, const std::string& source) {
  silence_hdf5();
  Writer writer(source);
  Handle access(H5Pcreate(H5P_FILE_ACCESS), H5Pclose);
  // The core driver keeps the whole file in memory; no backing store.
  if (!access.valid() || H5Pset_fapl_core(access.get(), 1 << 16, false) < 0) {
    writer.fail("the HDF5 library cannot make an in-memory file");
  }
  Handle file(H5Fcreate(kImageName, H5F_ACC_TRUNC, H5P_DEFAULT, access.get()), H5Fclose);
  if (!file.valid()) writer.fail("the HDF5 library cannot create an in-memory file");
  for (const auto& [path, attributes] : tree.groups) {
    Handle group(writer.group(file.get(), path), H5Gclose);
    for (const auto& [name, value] : attributes) writer.string_attribute(group.get(), name, value);
  }
  for (const auto& [path, dataset] : tree.datasets) writer.dataset(file.get(), path, dataset);
  if (H5Fflush(file.get(), H5F_SCOPE_GLOBAL) < 0) writer.fail("flushing the in-memory file");
  const ssize_t size = H5Fget_file_image(file.get(), nullptr, 0);
  if (size <= 0) writer.fail("reading the in-memory file's image");
  std::vector<std::uint8_t> bytes(static_cast<std::size_t>(size));
  if (H5Fget_file_image(file.get(), bytes.data(), bytes.size()) != size) {
    writer.fail("reading the in-memory file's image");
  }
  return bytes;
}

H5Tree decode_hdf5(std::span<const std::uint8_t> bytes, const std::string& source) {
  silence_hdf5();
  static constexpr std::uint8_t kSignature[8] = {0x89, 'H', 'D', 'F', '\r', '\n', 0x1a, '\n'};
  // Keras (h5py) writes the superblock at offset 0; vknn looks only there.
  if (bytes.size() < sizeof kSignature || std::memcmp(bytes.data(), kSignature, sizeof kSignature) != 0) {
    throw Error(source + ": is not an HDF5 file (no HDF5 signature at its start)");
  }
  Handle access(H5Pcreate(H5P_FILE_ACCESS), H5Pclose);
  if (!access.valid() || H5Pset_fapl_core(access.get(), 1 << 16, false) < 0 ||
      H5Pset_file_image(access.get(), const_cast<std::uint8_t*>(bytes.data()), bytes.size()) < 0) {
    throw Error(source + ": the HDF5 library cannot open an in-memory file");
  }
  Handle file(H5Fopen(kImageName, H5F_ACC_RDONLY, access.get()), H5Fclose);
  if (!file.valid()) throw Error(source + ": is a damaged HDF5 file (the HDF5 library cannot open it)");
  Visit visit{source, {}, {}};
  const herr_t status = H5Lvisit(file.get(), H5_INDEX_NAME, H5_ITER_INC, visit_link, &visit);
  if (!visit.error.empty()) throw Error(source + ": " + visit.error);
  if (status < 0) throw Error(source + ": is a damaged HDF5 file (its groups cannot be listed)");
  return std::move(visit.tree);
}

}  // namespace vknn::io
