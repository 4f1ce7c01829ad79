// Zip archives through libzip, in memory both ways (see zip_archive.hpp).
#include "io/zip_archive.hpp"

#include <zip.h>

#include <memory>

#include "vknn/error.hpp"

namespace vknn::io {

namespace {

std::string libzip_message(int code) {
  zip_error_t error;
  zip_error_init_with_code(&error, code);
  std::string text = zip_error_strerror(&error);
  zip_error_fini(&error);
  return text;
}

std::string libzip_message(zip_error_t* error) { return zip_error_strerror(error); }

struct ArchiveCloser {
  void operator()(zip_t* archive) const { zip_discard(archive); }
};
using Archive = std::unique_ptr<zip_t, ArchiveCloser>;

struct SourceFreer {
  void operator()(zip_source_t* source) const { zip_source_free(source); }
};
using Source = std::unique_ptr<zip_source_t, SourceFreer>;

struct FileCloser {
  void operator()(zip_file_t* file) const { zip_fclose(file); }
};
using MemberFile = std::unique_ptr<zip_file_t, FileCloser>;

}  // namespace

std::vector<std::uint8_t> encode_zip(const std::vector<ZipMember>& members,
                                     const std::string& source) {
  auto fail = [&](const std::string& problem) -> Error {
    return Error(source + ": cannot build the zip archive: " + problem);
  };
  zip_error_t error;
  zip_error_init(&error);
  // An empty buffer source that libzip writes the archive into; kept alive
  // past zip_close so its bytes can be read back.
  Source buffer(zip_source_buffer_create(nullptr, 0, 0, &error));
  if (!buffer) throw fail(libzip_message(&error));
  zip_t* raw = zip_open_from_source(buffer.get(), ZIP_TRUNCATE, &error);
  if (!raw) throw fail(libzip_message(&error));
  zip_source_keep(buffer.get());  // the archive takes a reference; we keep ours
  Archive archive(raw);
  for (const auto& member : members) {
    zip_source_t* data = zip_source_buffer(archive.get(), member.bytes.data(), member.bytes.size(), 0);
    if (!data) throw fail(member.name + ": " + zip_strerror(archive.get()));
    const zip_int64_t index =
        zip_file_add(archive.get(), member.name.c_str(), data, ZIP_FL_ENC_UTF_8);
    if (index < 0) {
      zip_source_free(data);
      throw fail(member.name + ": " + zip_strerror(archive.get()));
    }
    // Stored, as Keras writes its members (Python's zipfile default).
    if (zip_set_file_compression(archive.get(), zip_uint64_t(index), ZIP_CM_STORE, 0) != 0) {
      throw fail(member.name + ": " + zip_strerror(archive.get()));
    }
  }
  if (zip_close(archive.get()) != 0) throw fail(zip_strerror(archive.get()));
  archive.release();  // zip_close freed it

  zip_stat_t stat;
  if (zip_source_stat(buffer.get(), &stat) != 0 || !(stat.valid & ZIP_STAT_SIZE)) {
    throw fail("cannot size the written archive");
  }
  std::vector<std::uint8_t> bytes(stat.size);
  if (zip_source_open(buffer.get()) != 0) throw fail("cannot read the written archive back");
  const zip_int64_t got = zip_source_read(buffer.get(), bytes.data(), bytes.size());
  zip_source_close(buffer.get());
  if (got != zip_int64_t(bytes.size())) throw fail("short read of the written archive");
  return bytes;
}

std::map<std::string, std::vector<std::uint8_t>> decode_zip(std::span<const std::uint8_t> bytes,
                                                            const std::string& source) {
  auto fail = [&](const std::string& problem) -> Error {
    return Error(source + ": " + problem);
  };
  zip_error_t error;
  zip_error_init(&error);
  Source buffer(zip_source_buffer_create(bytes.data(), bytes.size(), 0, &error));
  if (!buffer) throw fail("cannot read it as a zip archive: " + libzip_message(&error));
  zip_t* raw = zip_open_from_source(buffer.get(), ZIP_RDONLY | ZIP_CHECKCONS, &error);
  if (!raw) {
    const int code = zip_error_code_zip(&error);
    if (code == ZIP_ER_NOZIP) {
      throw fail("is not a zip archive (a .keras file is a zip of config.json, metadata.json "
                 "and model.weights.h5)");
    }
    throw fail("is a damaged zip archive: " + libzip_message(code));
  }
  zip_source_keep(buffer.get());
  Archive archive(raw);

  std::map<std::string, std::vector<std::uint8_t>> members;
  std::uint64_t total = 0;
  const zip_int64_t count = zip_get_num_entries(archive.get(), 0);
  for (zip_int64_t i = 0; i < count; ++i) {
    zip_stat_t stat;
    if (zip_stat_index(archive.get(), zip_uint64_t(i), 0, &stat) != 0 ||
        !(stat.valid & ZIP_STAT_NAME) || !(stat.valid & ZIP_STAT_SIZE)) {
      throw fail("entry " + std::to_string(i) + " of the zip archive cannot be read: " +
                 zip_strerror(archive.get()));
    }
    const std::string name = stat.name;
    if (stat.size > kMaxZipMemberBytes) {
      throw fail("zip member '" + name + "' declares " + std::to_string(stat.size) +
                 " bytes, above vknn's limit of " + std::to_string(kMaxZipMemberBytes) +
                 " bytes for one member");
    }
    // Keras's own guard against decompression bombs: a large member that
    // expands far beyond what is stored (Keras stores its members).
    if ((stat.valid & ZIP_STAT_COMP_SIZE) && stat.size > (std::uint64_t(1) << 20) &&
        stat.size / 1000 > stat.comp_size) {
      throw fail("zip member '" + name + "' declares " + std::to_string(stat.size) +
                 " bytes but stores " + std::to_string(stat.comp_size) +
                 "; refusing a possible decompression bomb");
    }
    total += stat.size;
    if (total > kMaxZipMemberBytes) {
      throw fail("the zip archive's members declare more than " +
                 std::to_string(kMaxZipMemberBytes) + " bytes in all, beyond vknn's limit");
    }
    if (members.count(name)) throw fail("the zip archive holds '" + name + "' twice");
    MemberFile file(zip_fopen_index(archive.get(), zip_uint64_t(i), 0));
    if (!file) {
      throw fail("zip member '" + name + "' cannot be opened: " + zip_strerror(archive.get()));
    }
    std::vector<std::uint8_t> data(stat.size);
    const zip_int64_t got = data.empty() ? 0 : zip_fread(file.get(), data.data(), data.size());
    // One byte more must not be there, and the CRC is checked at the end.
    std::uint8_t extra;
    if (got != zip_int64_t(data.size()) || zip_fread(file.get(), &extra, 1) != 0) {
      throw fail("zip member '" + name + "' is damaged (" +
                 zip_file_strerror(file.get()) + ")");
    }
    members.emplace(name, std::move(data));
  }
  return members;
}

}  // namespace vknn::io
