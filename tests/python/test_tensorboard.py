"""keras.callbacks.TensorBoard: the event files vknn writes, read by an
independent reader. The Event and Summary messages (the subset of
TensorFlow's event.proto and summary.proto that scalars use) are compiled by
protoc at test time and parsed by python3-protobuf; every record's framing
and both CRCs are checked here with a CRC-32C of the test's own; the scalars
must equal History's values."""
import importlib
import os
import re
import shutil
import socket
import struct
import subprocess
import sys
import time

import numpy as np
import pytest

import vknn
from vknn import keras

EVENT_PROTO = """
syntax = "proto3";
package tensorflow;
import "summary.proto";
message Event {
  double wall_time = 1;
  int64 step = 2;
  oneof what {
    string file_version = 3;
    bytes graph_def = 4;
    Summary summary = 5;
  }
}
"""
SUMMARY_PROTO = """
syntax = "proto3";
package tensorflow;
message Summary {
  message Value {
    string node_name = 7;
    string tag = 1;
    oneof value {
      float simple_value = 2;
      bytes obsolete_old_style_histogram = 3;
    }
  }
  repeated Value value = 1;
}
"""


@pytest.fixture(scope="module")
def event_pb2(tmp_path_factory):
    protoc = shutil.which("protoc")
    if protoc is None:
        pytest.skip("protoc is missing (Debian: apt-get install protobuf-compiler)")
    try:
        import google.protobuf  # noqa: F401
    except ImportError:
        pytest.skip("the protobuf Python package is missing (Debian: apt-get install "
                    "python3-protobuf)")
    folder = tmp_path_factory.mktemp("proto")
    (folder / "event.proto").write_text(EVENT_PROTO)
    (folder / "summary.proto").write_text(SUMMARY_PROTO)
    subprocess.run([protoc, f"-I{folder}", f"--python_out={folder}", "event.proto",
                    "summary.proto"], cwd=folder, check=True)
    sys.path.insert(0, str(folder))
    try:
        return importlib.import_module("event_pb2")
    finally:
        sys.path.remove(str(folder))


def _crc32c_table():
    table = []
    for i in range(256):
        crc = i
        for _ in range(8):
            crc = (crc >> 1) ^ 0x82F63B78 if crc & 1 else crc >> 1
        table.append(crc)
    return table


CRC32C_TABLE = _crc32c_table()


def crc32c(data):
    crc = 0xFFFFFFFF
    for byte in data:
        crc = CRC32C_TABLE[(crc ^ byte) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def masked(data):
    crc = crc32c(data)
    return ((((crc >> 15) | (crc << 17)) & 0xFFFFFFFF) + 0xA282EAD8) & 0xFFFFFFFF


def test_the_test_crc32c_is_castagnoli():
    assert crc32c(b"123456789") == 0xE3069283  # the CRC-32C check value


def read_events(path, event_pb2):
    """Every record of a TFRecord file, each CRC checked, parsed as an Event."""
    data = path.read_bytes()
    events, at = [], 0
    while at < len(data):
        assert len(data) - at >= 12, f"{path}: a torn record header at byte {at}"
        header = data[at:at + 8]
        (length,) = struct.unpack("<Q", header)
        (length_crc,) = struct.unpack("<I", data[at + 8:at + 12])
        assert length_crc == masked(header), f"{path}: bad length CRC at byte {at}"
        body = data[at + 12:at + 12 + length]
        assert len(body) == length and len(data) >= at + 16 + length, f"{path}: torn record"
        (body_crc,) = struct.unpack("<I", data[at + 12 + length:at + 16 + length])
        assert body_crc == masked(body), f"{path}: bad data CRC at byte {at}"
        event = event_pb2.Event()
        event.ParseFromString(body)
        events.append(event)
        at += 16 + length
    return events


def scalars(events):
    """{tag: {step: value}} of the summary events after the file_version one."""
    out = {}
    for event in events[1:]:
        assert event.WhichOneof("what") == "summary"
        for value in event.summary.value:
            assert value.WhichOneof("value") == "simple_value"
            assert value.tag not in out or event.step not in out[value.tag]
            out.setdefault(value.tag, {})[event.step] = value.simple_value
    return out


def synthetic(count, seed):
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 256, size=(count, 8, 8, 1), dtype=np.uint8)
    y = (x[:, :4].mean(axis=(1, 2, 3)) > x[:, 4:].mean(axis=(1, 2, 3))).astype(np.uint8)
    return x, y


def tiny_model():
    m = keras.Sequential([
        keras.layers.Conv2D(2, (3, 3), activation="relu", input_shape=(8, 8, 1)),
        keras.layers.Flatten(),
        keras.layers.Dense(2, activation="softmax"),
    ])
    m.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return m


def the_file(folder):
    files = os.listdir(folder)
    assert len(files) == 1, files
    name = files[0]
    # TensorFlow 2's name: events.out.tfevents.<10-digit seconds>.<host>.<pid>.<n>.v2
    match = re.fullmatch(r"events\.out\.tfevents\.(\d{10})\.(.+)\.(\d+)\.(\d+)\.v2", name)
    assert match, name
    assert match.group(2) == socket.gethostname() and int(match.group(3)) == os.getpid()
    assert abs(int(match.group(1)) - time.time()) < 600
    return folder / name


def test_event_files_hold_historys_values(event_pb2, tmp_path):
    x, y = synthetic(64, 1)
    vx, vy = synthetic(32, 2)
    model = tiny_model()
    log_dir = tmp_path / "logs"
    schedule = keras.callbacks.LearningRateScheduler(lambda epoch, lr: 0.01 / (epoch + 1))
    started = time.time()
    history = model.fit(x / 255.0, y, epochs=3, batch_size=16, verbose=0,
                        validation_data=(vx / 255.0, vy),
                        callbacks=[schedule, keras.callbacks.TensorBoard(log_dir=str(log_dir))])
    h = history.history
    assert sorted(os.listdir(log_dir)) == ["train", "validation"]

    train = read_events(the_file(log_dir / "train"), event_pb2)
    validation = read_events(the_file(log_dir / "validation"), event_pb2)
    for events in (train, validation):
        assert events[0].file_version == "brain.Event:2"
        assert all(started - 1 <= e.wall_time <= time.time() + 1 for e in events)
    f32 = lambda values: {step: float(np.float32(v)) for step, v in enumerate(values)}  # noqa
    assert scalars(train) == {"epoch_loss": f32(h["loss"]), "epoch_accuracy": f32(h["accuracy"]),
                              "epoch_lr": f32(h["lr"])}
    assert scalars(validation) == {"epoch_loss": f32(h["val_loss"]),
                                   "epoch_accuracy": f32(h["val_accuracy"])}
    assert f32(h["lr"]) == f32([0.01, 0.005, 0.01 / 3])


def test_each_fit_writes_new_files(event_pb2, tmp_path):
    x, y = synthetic(32, 3)
    model = tiny_model()
    board = keras.callbacks.TensorBoard(log_dir=tmp_path)
    first = model.fit(x / 255.0, y, epochs=1, verbose=0, callbacks=[board])
    second = model.fit(x / 255.0, y, epochs=2, initial_epoch=1, verbose=0, callbacks=[board])
    files = sorted(os.listdir(tmp_path / "train"))
    assert len(files) == 2 and not (tmp_path / "validation").exists()
    values = [scalars(read_events(tmp_path / "train" / f, event_pb2))["epoch_loss"]
              for f in files]
    assert sorted(values, key=sorted) == [
        {0: float(np.float32(first.history["loss"][0]))},
        {1: float(np.float32(second.history["loss"][0]))}]


def test_an_unwritable_log_dir_is_an_error_naming_it(tmp_path):
    x, y = synthetic(32, 4)
    model = tiny_model()
    model.fit(x / 255.0, y, epochs=1, verbose=0)
    before = model.get_weights()
    blocker = tmp_path / "a_file"
    blocker.write_text("not a folder")
    log_dir = blocker / "logs"
    with pytest.raises(vknn.Error, match=re.escape(str(log_dir / "train"))):
        model.fit(x / 255.0, y, epochs=1, verbose=0,
                  callbacks=[keras.callbacks.TensorBoard(log_dir=str(log_dir))])
    assert all(np.array_equal(a, b) for a, b in zip(before, model.get_weights())), \
        "no step may run when the log folder cannot be written"


def test_what_vknn_does_not_write_is_refused():
    for arguments in ({"histogram_freq": 1}, {"write_images": True}, {"update_freq": "batch"},
                      {"profile_batch": 2}, {"embeddings_freq": 1}):
        with pytest.raises(ValueError, match=list(arguments)[0]):
            keras.callbacks.TensorBoard("logs", **arguments)
    keras.callbacks.TensorBoard("logs", write_graph=False)  # accepted, nothing to write
