#include "io/event_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <bit>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <system_error>

#include "vknn/error.hpp"

namespace vknn::io {

namespace fs = std::filesystem;

static_assert(std::endian::native == std::endian::little,
              "event files are little endian; this writer copies native integers and floats");

namespace {

constexpr std::array<std::uint32_t, 256> make_crc32c_table() {
  std::array<std::uint32_t, 256> table{};
  for (std::uint32_t i = 0; i < 256; ++i) {
    std::uint32_t crc = i;
    for (int bit = 0; bit < 8; ++bit) crc = (crc >> 1) ^ ((crc & 1u) ? 0x82f63b78u : 0u);
    table[i] = crc;
  }
  return table;
}
constexpr auto kCrc32cTable = make_crc32c_table();

// Protobuf's wire format, the three kinds of field an Event needs.
void put_varint(std::vector<std::uint8_t>& out, std::uint64_t value) {
  while (value >= 0x80) {
    out.push_back(std::uint8_t(value | 0x80));
    value >>= 7;
  }
  out.push_back(std::uint8_t(value));
}

void put_tag(std::vector<std::uint8_t>& out, int field, int wire_type) {
  put_varint(out, std::uint64_t(field) << 3 | std::uint64_t(wire_type));
}

template <class T>
void put_little_endian(std::vector<std::uint8_t>& out, T value) {
  std::uint8_t bytes[sizeof(T)];
  std::memcpy(bytes, &value, sizeof(T));
  out.insert(out.end(), bytes, bytes + sizeof(T));
}

void put_bytes(std::vector<std::uint8_t>& out, int field, std::span<const std::uint8_t> bytes) {
  put_tag(out, field, 2);  // length-delimited
  put_varint(out, bytes.size());
  out.insert(out.end(), bytes.begin(), bytes.end());
}

void put_string(std::vector<std::uint8_t>& out, int field, std::string_view text) {
  put_bytes(out, field,
            {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()});
}

void put_double(std::vector<std::uint8_t>& out, int field, double value) {
  put_tag(out, field, 1);  // 64-bit
  put_little_endian(out, value);
}

void put_float(std::vector<std::uint8_t>& out, int field, float value) {
  put_tag(out, field, 5);  // 32-bit
  put_little_endian(out, value);
}

std::string system_message(int error_number) { return std::strerror(error_number); }

std::string host_name() {
  char name[256] = {};
  if (::gethostname(name, sizeof name - 1) != 0 || name[0] == '\0') return "localhost";
  return name;
}

std::atomic<int> files_opened{0};

}  // namespace

std::uint32_t crc32c(std::span<const std::uint8_t> bytes) {
  std::uint32_t crc = 0xffffffffu;
  for (const std::uint8_t byte : bytes) crc = (crc >> 8) ^ kCrc32cTable[(crc ^ byte) & 0xffu];
  return crc ^ 0xffffffffu;
}

std::uint32_t masked_crc32c(std::span<const std::uint8_t> bytes) {
  const std::uint32_t crc = crc32c(bytes);
  return ((crc >> 15) | (crc << 17)) + 0xa282ead8u;
}

std::vector<std::uint8_t> tfrecord(std::span<const std::uint8_t> data) {
  // Sized first and filled with memcpy (little endian: checked above):
  // GCC 12 warns falsely (-Wstringop-overflow) about inserts after reserve.
  std::vector<std::uint8_t> record(data.size() + 16);
  const std::uint64_t length = data.size();
  std::memcpy(record.data(), &length, 8);
  const std::uint32_t length_crc = masked_crc32c({record.data(), 8});
  std::memcpy(record.data() + 8, &length_crc, 4);
  if (!data.empty()) std::memcpy(record.data() + 12, data.data(), data.size());
  const std::uint32_t data_crc = masked_crc32c(data);
  std::memcpy(record.data() + 12 + data.size(), &data_crc, 4);
  return record;
}

std::vector<std::uint8_t> file_version_event(double wall_time) {
  std::vector<std::uint8_t> event;
  put_double(event, 1, wall_time);
  put_string(event, 3, "brain.Event:2");
  return event;
}

std::vector<std::uint8_t> scalar_event(double wall_time, std::int64_t step, const Scalar& scalar) {
  std::vector<std::uint8_t> value;  // Summary.Value
  put_string(value, 1, scalar.first);
  put_float(value, 2, scalar.second);
  std::vector<std::uint8_t> summary;
  put_bytes(summary, 1, value);
  std::vector<std::uint8_t> event;
  put_double(event, 1, wall_time);
  if (step != 0) {
    put_tag(event, 2, 0);  // varint; a negative int64 is its two's complement
    put_varint(event, std::uint64_t(step));
  }
  put_bytes(event, 5, summary);
  return event;
}

double wall_time_now() {
  using namespace std::chrono;
  return duration<double>(system_clock::now().time_since_epoch()).count();
}

EventFileWriter::EventFileWriter(const fs::path& folder) {
  std::error_code ec;
  fs::create_directories(folder, ec);
  if (ec || !fs::is_directory(folder)) {
    throw Error("TensorBoard: cannot create the log folder '" + folder.string() + "' (" +
                (ec ? ec.message() : std::string("a file of that name is in the way")) +
                "); give a log_dir that can be created and written");
  }
  const double now = wall_time_now();
  char seconds[32];
  std::snprintf(seconds, sizeof seconds, "%010lld", static_cast<long long>(now));
  path_ = folder / ("events.out.tfevents." + std::string(seconds) + "." + host_name() + "." +
                    std::to_string(::getpid()) + "." + std::to_string(files_opened++) + ".v2");
  // O_EXCL: never append to another writer's file; O_APPEND: each write(2)
  // lands whole at the end.
  fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0666);
  if (fd_ < 0) {
    const int err = errno;
    throw Error("TensorBoard: cannot create the event file '" + path_.string() + "' (" +
                system_message(err) + "); give a log_dir that can be written");
  }
  append(tfrecord(file_version_event(now)));
}

EventFileWriter::~EventFileWriter() {
  if (fd_ >= 0) ::close(fd_);
}

void EventFileWriter::write_scalars(std::int64_t step, const std::vector<Scalar>& scalars) {
  const double now = wall_time_now();
  std::vector<std::uint8_t> records;
  for (const Scalar& scalar : scalars) {
    const auto record = tfrecord(scalar_event(now, step, scalar));
    records.insert(records.end(), record.begin(), record.end());
  }
  append(records);
}

void EventFileWriter::append(std::span<const std::uint8_t> bytes) {
  while (!bytes.empty()) {
    const ssize_t n = ::write(fd_, bytes.data(), bytes.size());
    if (n < 0) {
      const int err = errno;
      if (err == EINTR) continue;
      throw Error("TensorBoard: cannot write to the event file '" + path_.string() + "' (" +
                  system_message(err) + ")");
    }
    bytes = bytes.subspan(std::size_t(n));
  }
}

}  // namespace vknn::io
