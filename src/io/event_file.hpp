// TensorBoard's event files, written by hand: the TFRecord framing and the
// few protobuf fields of tensorflow.Event and tensorflow.Summary a scalar
// needs, so the library depends on no protobuf runtime.
//
// A record (TFRecord, tensorflow/core/lib/io/record_writer.cc):
//   uint64 length (little endian), uint32 masked_crc32c(length's 8 bytes),
//   the data, uint32 masked_crc32c(data),
// where masked_crc32c(x) = ((crc >> 15) | (crc << 17)) + 0xa282ead8 of the
// CRC-32C (Castagnoli) of x. The data is a serialized tensorflow.Event
// (tensorflow/core/util/event.proto):
//   double wall_time = 1; int64 step = 2; string file_version = 3;
//   Summary summary = 5;
// Summary (tensorflow/core/framework/summary.proto): repeated Value value = 1;
// Value: string tag = 1; float simple_value = 2.
// The first record of a file is the Event with file_version "brain.Event:2".
#pragma once

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace vknn::io {

// CRC-32C (Castagnoli, reflected polynomial 0x82f63b78), as TFRecord uses.
std::uint32_t crc32c(std::span<const std::uint8_t> bytes);
// TFRecord's mask over it (a CRC of data that holds CRCs is weak otherwise).
std::uint32_t masked_crc32c(std::span<const std::uint8_t> bytes);

// One record: the framing around `data`.
std::vector<std::uint8_t> tfrecord(std::span<const std::uint8_t> data);

using Scalar = std::pair<std::string, float>;  // (tag, value)

// Serialized tensorflow.Event messages. Fields at proto3's defaults (a step
// of 0) are left out, as protobuf leaves them out.
std::vector<std::uint8_t> file_version_event(double wall_time);
std::vector<std::uint8_t> scalar_event(double wall_time, std::int64_t step, const Scalar& scalar);

// An events.out.tfevents.* file in a folder (created if need be), opened
// for appending with its file_version record written. Each write_scalars
// appends whole records with one write(2), straight to the kernel (no
// buffer in the process), so a process killed at any point leaves only
// whole records; nothing is fsynced (as TensorFlow's writer does not), so
// a machine crash may lose the latest ones. Errors are vknn::Error naming
// the path and the system's reason.
class EventFileWriter {
 public:
  // The name is TensorFlow 2's: events.out.tfevents.<seconds, 10 digits>.
  // <hostname>.<pid>.<n>.v2, with n counting this process's files, so two
  // writers never share a file.
  explicit EventFileWriter(const std::filesystem::path& folder);
  ~EventFileWriter();
  EventFileWriter(const EventFileWriter&) = delete;
  EventFileWriter& operator=(const EventFileWriter&) = delete;

  // One Event per scalar (as tf.summary.scalar writes them), all at `step`.
  void write_scalars(std::int64_t step, const std::vector<Scalar>& scalars);
  const std::filesystem::path& path() const { return path_; }

 private:
  void append(std::span<const std::uint8_t> bytes);
  std::filesystem::path path_;
  int fd_ = -1;
};

// Seconds since the Unix epoch, with the fraction, as Event.wall_time.
double wall_time_now();

}  // namespace vknn::io
