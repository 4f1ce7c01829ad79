// TensorBoard: the event encoding byte for byte (protobuf wire format by the
// spec, CRC-32C's check value), and a fit's files: one per writer, records
// whole with valid CRCs, History's values at the epochs' steps. The Python
// tests read the same files with protoc-generated classes and a CRC of
// their own (tests/python/test_tensorboard.py).
#include <gtest/gtest.h>

#include <cstring>
#include <fstream>
#include <iterator>
#include <string_view>

#include "io/event_file.hpp"
#include "model/training_support.hpp"
#include "support/temp_dir.hpp"
#include "vknn/error.hpp"
#include "vknn/model/callbacks.hpp"

namespace {

using namespace vknn;
using vknn_test::on;
using vknn_test::TempDir;
namespace fs = std::filesystem;

using Bytes = std::vector<std::uint8_t>;

Bytes operator+(Bytes a, const Bytes& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

Bytes bytes_of(std::string_view text) { return Bytes(text.begin(), text.end()); }

Bytes read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return Bytes(std::istreambuf_iterator<char>(in), {});
}

// Event field 3, file_version "brain.Event:2".
Bytes file_version_field() { return Bytes{0x1a, 13} + bytes_of("brain.Event:2"); }

TEST(EventFile, Crc32cIsCastagnolis) {
  EXPECT_EQ(io::crc32c(bytes_of("123456789")), 0xe3069283u);  // the standard check value
  EXPECT_EQ(io::crc32c({}), 0u);
  const std::uint32_t crc = io::crc32c(bytes_of("abc"));
  EXPECT_EQ(io::masked_crc32c(bytes_of("abc")), ((crc >> 15) | (crc << 17)) + 0xa282ead8u);
}

TEST(EventFile, ScalarEventIsTheProtobufWireFormat) {
  // Event{wall_time: 1.5, step: 3, summary: {value: [{tag: "a", simple_value: 2}]}}
  const Bytes want = {0x09, 0, 0, 0, 0, 0, 0, 0xf8, 0x3f,  // 1: double 1.5
                      0x10, 0x03,                          // 2: varint 3
                      0x2a, 0x0a,                          // 5: Summary, 10 bytes
                      0x0a, 0x08,                          //   1: Value, 8 bytes
                      0x0a, 0x01, 'a',                     //     1: "a"
                      0x15, 0, 0, 0, 0x40};                //     2: float 2.0
  EXPECT_EQ(io::scalar_event(1.5, 3, {"a", 2.0f}), want);
  // Step 0 is proto3's default, left out; a step past 127 takes two bytes.
  Bytes at_zero = io::scalar_event(1.5, 0, {"a", 2.0f});
  EXPECT_EQ(at_zero, Bytes(want.begin(), want.begin() + 9) + Bytes(want.begin() + 11, want.end()));
  const Bytes at_300 = io::scalar_event(1.5, 300, {"a", 2.0f});
  EXPECT_EQ(Bytes(at_300.begin() + 9, at_300.begin() + 12), (Bytes{0x10, 0xac, 0x02}));
  const Bytes version = io::file_version_event(1.5);
  EXPECT_EQ(Bytes(version.begin() + 9, version.end()), file_version_field());
}

TEST(EventFile, RecordFraming) {
  const Bytes data = bytes_of("hello");
  const Bytes record = io::tfrecord(data);
  ASSERT_EQ(record.size(), 5u + 16u);
  std::uint64_t length = 0;
  std::uint32_t length_crc = 0, data_crc = 0;
  std::memcpy(&length, record.data(), 8);
  std::memcpy(&length_crc, record.data() + 8, 4);
  std::memcpy(&data_crc, record.data() + 17, 4);
  EXPECT_EQ(length, 5u);
  EXPECT_EQ(length_crc, io::masked_crc32c({record.data(), 8}));
  EXPECT_EQ(Bytes(record.begin() + 12, record.begin() + 17), data);
  EXPECT_EQ(data_crc, io::masked_crc32c(data));
}

// The records of a file, framing and CRCs checked.
std::vector<Bytes> records_of(const fs::path& path) {
  const Bytes file = read_file(path);
  std::vector<Bytes> records;
  std::size_t at = 0;
  while (at < file.size()) {
    EXPECT_GE(file.size() - at, 16u) << path << ": a torn record at byte " << at;
    if (file.size() - at < 16) break;
    std::uint64_t length = 0;
    std::uint32_t length_crc = 0, data_crc = 0;
    std::memcpy(&length, file.data() + at, 8);
    std::memcpy(&length_crc, file.data() + at + 8, 4);
    EXPECT_EQ(length_crc, io::masked_crc32c({file.data() + at, 8}));
    EXPECT_LE(at + 16 + length, file.size());
    if (at + 16 + length > file.size()) break;
    const Bytes data(file.begin() + long(at + 12), file.begin() + long(at + 12 + length));
    std::memcpy(&data_crc, file.data() + at + 12 + length, 4);
    EXPECT_EQ(data_crc, io::masked_crc32c(data));
    records.push_back(data);
    at += 16 + length;
  }
  return records;
}

// The only file in a folder.
fs::path only_file(const fs::path& folder) {
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(folder)) files.push_back(entry.path());
  EXPECT_EQ(files.size(), 1u) << folder;
  return files.empty() ? fs::path() : files[0];
}

// The scalar event a record must hold, wall time aside (bytes 1..8).
void expect_scalar(const Bytes& record, std::int64_t step, const std::string& tag, double value) {
  Bytes want = io::scalar_event(0.0, step, {tag, float(value)});
  ASSERT_EQ(record.size(), want.size()) << tag << " at step " << step;
  std::copy(record.begin() + 1, record.begin() + 9, want.begin() + 1);
  EXPECT_EQ(record, want) << tag << " at step " << step;
}

TEST(TensorBoardFit, WritesHistorysValuesPerEpochUnderTrainAndValidation) {
  TempDir dir;
  const auto train = vknn_test::synthetic_images(64, 8, 4, 3);
  const auto validation = vknn_test::synthetic_images(32, 8, 4, 4);
  Sequential model(vknn_test::small_cnn(8, 4));
  model.compile(Adam(), on(BackendKind::cpu));
  auto board = std::make_shared<TensorBoard>(dir.path() / "logs");
  FitOptions options{.epochs = 2, .batch_size = 16, .verbose = 0};
  options.validation_data = ValidationData{validation.samples(), validation.labels};
  options.callbacks.push_back(board);
  const History h = model.fit(train.samples(), train.labels, options);

  const fs::path train_file = only_file(dir.path() / "logs" / "train");
  EXPECT_EQ(train_file, board->train_file());
  EXPECT_EQ(only_file(dir.path() / "logs" / "validation"), board->validation_file());
  EXPECT_EQ(train_file.filename().string().rfind("events.out.tfevents.", 0), 0u);
  EXPECT_TRUE(train_file.filename().string().ends_with(".v2"));

  for (const bool is_validation : {false, true}) {
    const auto records =
        records_of(is_validation ? board->validation_file() : board->train_file());
    ASSERT_EQ(records.size(), 1u + 2u * 2u);  // file_version, then 2 scalars x 2 epochs
    EXPECT_EQ(Bytes(records[0].begin() + 9, records[0].end()), file_version_field());
    const std::string prefix = is_validation ? "val_" : "";
    for (int epoch = 0; epoch < 2; ++epoch) {
      // Logs are a std::map: accuracy, then loss.
      expect_scalar(records[1 + 2 * epoch], epoch, "epoch_accuracy",
                    h.history.at(prefix + "accuracy")[epoch]);
      expect_scalar(records[2 + 2 * epoch], epoch, "epoch_loss",
                    h.history.at(prefix + "loss")[epoch]);
    }
  }
}

TEST(TensorBoardFit, AnUnwritableLogDirStopsFitBeforeAnyStepNamingIt) {
  TempDir dir;
  const auto train = vknn_test::synthetic_images(32, 8, 4, 3);
  Sequential model(vknn_test::small_cnn(8, 4));
  model.compile(Adam(), on(BackendKind::cpu));
  const auto before = vknn_test::weight_bytes(model);
  { std::ofstream(dir.path() / "a_file") << "not a folder"; }
  const fs::path log_dir = dir.path() / "a_file" / "logs";
  FitOptions options{.epochs = 1, .verbose = 0};
  options.callbacks.push_back(std::make_shared<TensorBoard>(log_dir));
  try {
    model.fit(train.samples(), train.labels, options);
    FAIL() << "fit wrote to " << log_dir;
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find((log_dir / "train").string()), std::string::npos)
        << e.what();
  }
  EXPECT_TRUE(vknn_test::weight_bytes(model) == before);
}

}  // namespace

