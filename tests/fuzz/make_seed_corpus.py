#!/usr/bin/python3
"""Writes the fuzzers' seed corpus, tests/fuzz/corpus/<target>/, from scratch.

Small valid files and near-valid ones (one thing wrong each), so that every
fuzzer starts past its format's first checks. Deterministic: running it again
gives the same bytes. Usage: tests/fuzz/make_seed_corpus.py
"""
import gzip
import json
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.join(HERE, "corpus")


def write(target, name, data):
    folder = os.path.join(CORPUS, target)
    os.makedirs(folder, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(folder, name), "wb") as f:
        f.write(data)


# ---- safetensors ---------------------------------------------------------------

def floats(values):
    return struct.pack("<%df" % len(values), *values)


def safetensors(header, data, length=None, pad=True):
    """8-byte little-endian length, the header (a str), the data."""
    h = header.encode()
    if pad:
        h += b" " * ((8 - (8 + len(h)) % 8) % 8)
    n = len(h) if length is None else length
    return struct.pack("<Q", n) + h + data


def entries(tensors, metadata=None, compact=True):
    """The header of a vknn-style file: tensors (name, shape, count) in order."""
    obj = {}
    offset = 0
    for name, shape in tensors:
        count = 1
        for d in shape:
            count *= d
        obj[name] = {"dtype": "F32", "shape": shape, "data_offsets": [offset, offset + 4 * count]}
        offset += 4 * count
    obj["__metadata__"] = metadata if metadata is not None else {"format": "vknn"}
    sep = (",", ":") if compact else (", ", ": ")
    return json.dumps(obj, separators=sep), offset


def values(n, start=0.0):
    return [start + 0.25 * i for i in range(n)]


def safetensors_seeds(target):
    two = [("a", [2, 2]), ("b", [3])]
    h, size = entries(two)
    good = floats(values(size // 4))
    write(target, "valid-two-tensors", safetensors(h, good))
    h2, _ = entries(two, compact=False, metadata={"format": "pt", "note": "caf\u00e9"})
    write(target, "valid-spaced-metadata", safetensors(h2, good))
    write(target, "valid-empty", safetensors("{}", b""))
    write(target, "valid-keys-reordered", safetensors(
        '{"__metadata__":{"format":"pt"},"b\\u00e9\\/\\ud83d\\ude00":{"data_offsets":[8,20],'
        '"shape":[3],"dtype":"F32"},"a":{"shape":[2],"dtype":"F32","data_offsets":[0,8]}}',
        floats(values(5))))
    hs, s = entries([("scalar", []), ("empty", [0, 4]), ("conv2d/kernel", [3, 3, 1, 2])])
    write(target, "valid-scalar-empty-conv", safetensors(hs, floats(values(s // 4))))
    # Near-valid: one thing wrong each.
    write(target, "bad-dtype", safetensors(h.replace('"F32"', '"F16"', 1), good))
    write(target, "bad-truncated", safetensors(h, good[:-4]))
    write(target, "bad-trailing", safetensors(h, good + b"\0"))
    write(target, "bad-gap", safetensors(h.replace("[16,28]", "[20,32]"), good + b"\0" * 4))
    write(target, "bad-overlap", safetensors(h.replace("[16,28]", "[12,24]"), good[:24]))
    write(target, "bad-duplicate", safetensors(h.replace('"b":', '"a":'), good))
    write(target, "bad-shape", safetensors(h.replace('"shape":[3]', '"shape":[4]'), good))
    write(target, "bad-length", safetensors(h, good, length=10_000))
    write(target, "bad-nested", safetensors('{"a":{"x":{"y":{}}}}', b""))
    write(target, "bad-metadata", safetensors('{"__metadata__":{"format":[1]}}', b""))
    write(target, "bad-float", safetensors('{"a":{"dtype":"F32","shape":[1.5],"data_offsets":[0,4]}}',
                                           floats([1])))


# The load_weights fuzzer's model: Conv2D(2, 3x3, 6x6x1) -> MaxPooling2D(2) ->
# Flatten -> Dense(3).
MODEL = [("conv2d/kernel", [3, 3, 1, 2]), ("conv2d/bias", [2]),
         ("dense/kernel", [8, 3]), ("dense/bias", [3])]


def load_weights_seeds(target):
    meta = {"format": "vknn", "model": "sequential", "library": "vknn"}
    h, size = entries(MODEL, meta)
    good = values(size // 4, -2.0)
    write(target, "valid-model", safetensors(h, floats(good)))
    reordered = [MODEL[3], MODEL[1], MODEL[0], MODEL[2]]
    hr, _ = entries(reordered, meta)
    write(target, "valid-model-reordered", safetensors(hr, floats(good)))
    nan = list(good)
    nan[5] = float("nan")
    write(target, "bad-nan", safetensors(h, floats(nan)))
    inf = list(good)
    inf[-1] = float("inf")
    write(target, "bad-inf", safetensors(h, floats(inf)))
    hw, sw = entries([MODEL[0], MODEL[1], ("dense/kernel", [6, 4]), MODEL[3]], meta)
    write(target, "bad-shape", safetensors(hw, floats(values(sw // 4))))
    hm, sm = entries(MODEL[:3], meta)
    write(target, "bad-missing", safetensors(hm, floats(values(sm // 4))))
    he, se = entries(MODEL + [("dense_1/bias", [3])], meta)
    write(target, "bad-extra", safetensors(he, floats(values(se // 4))))
    write(target, "bad-header", safetensors(h.replace(":", ";", 1), floats(good)))


# ---- IDX -----------------------------------------------------------------------

def idx_images(count, rows, cols, fill=7):
    return struct.pack(">IIII", 0x803, count, rows, cols) + bytes(
        (fill + i) % 256 for i in range(count * rows * cols))


def idx_labels(labels):
    return struct.pack(">II", 0x801, len(labels)) + bytes(labels)


def idx_contents():
    """Uncompressed IDX files: valid and near-valid."""
    return {
        "valid-images": idx_images(2, 3, 4),
        "valid-labels": idx_labels([0, 9, 3, 3, 1]),
        "valid-one-pixel": idx_images(1, 1, 1),
        "bad-truncated": idx_images(2, 3, 4)[:-1],
        "bad-trailing": idx_images(2, 3, 4) + b"\0",
        "bad-zero-rows": struct.pack(">IIII", 0x803, 2, 0, 4),
        "bad-magic-float": struct.pack(">IIII", 0xD03, 1, 1, 1) + b"\0",
        "bad-label-range": idx_labels([0, 10]),
        "bad-huge-count": struct.pack(">IIII", 0x803, 0xFFFFFFFF, 0x7FFFFFFF, 0x7FFFFFFF),
        "bad-short-header": struct.pack(">II", 0x803, 1),
    }


def idx_seeds(target):
    for name, data in idx_contents().items():
        write(target, name, data)
    # gzip streams for the raw target (mtime 0: deterministic bytes).
    write(target, "valid-images-gz", gzip.compress(idx_images(2, 3, 4), mtime=0))
    write(target, "valid-labels-gz", gzip.compress(idx_labels([1, 2, 3]), mtime=0))
    two_members = gzip.compress(idx_labels([1, 2])[:5], mtime=0) + gzip.compress(
        idx_labels([1, 2])[5:], mtime=0)
    write(target, "valid-labels-two-members-gz", two_members)
    write(target, "bad-gz-truncated", gzip.compress(idx_images(2, 3, 4), mtime=0)[:-6])
    write(target, "bad-gz-trailing", gzip.compress(idx_labels([1]), mtime=0) + b"x")


def idx_gzip_seeds(target):
    for name, data in idx_contents().items():
        write(target, name, data)


# ---- Flags ---------------------------------------------------------------------

def cli_seeds(target):
    lists = {
        "valid-epochs": ["--epochs", "5"],
        "valid-equals": ["--filters=32", "--conv-layers=1", "--validation"],
        "valid-real": ["--learning-rate", "1e-3", "--target-accuracy=0.95"],
        "valid-paths": ["--save", "w.safetensors", "--history=h.csv", "--data-dir", "data"],
        "valid-bool-explicit": ["--validation=off", "--verbose", "2", "--device", "cpu"],
        "valid-help": ["--help"],
        "valid-checkpoint": ["--checkpoint", "w-{epoch:02d}-{val_loss:.2f}.safetensors",
                             "--checkpoint-best", "--validation"],
        "bad-choice": ["--filters", "48"],
        "bad-integer": ["--epochs", "abc"],
        "bad-unknown": ["--filter", "32"],
        "bad-missing-value": ["--batch-size"],
        "bad-range": ["--learning-rate=0"],
        "bad-bool": ["--validation=maybe"],
        "bad-positional": ["train", "--seed=-1"],
        "lists": ["0,23,28", "0,1,0,1,-4,1,0,1,0", "1,,2"],
    }
    for name, args in lists.items():
        write(target, name, "\0".join(args))


# ---- Kernel caches ---------------------------------------------------------------

# The identity and device tuning_cache_fuzzer.cpp reads for.
TUNING_UUID = "00112233445566778899aabbccddeeff"
TUNING_DRIVER = "92274694"
TUNING_VKNN = "0.1.0"
PIPELINE_VENDOR = 0x10005
PIPELINE_DEVICE = 0
PIPELINE_UUID = bytes(range(0xA0, 0xB0))


def tuning_text(choices, uuid=TUNING_UUID, driver=TUNING_DRIVER, vknn=TUNING_VKNN, end=None):
    lines = ["vknn-tuning 1", "device " + uuid, "driver " + driver, "vknn " + vknn]
    lines += ["choice %s %s %s" % c for c in choices]
    lines.append("end %d" % (len(choices) if end is None else end))
    return "".join(line + "\n" for line in lines)


def pipeline_cache(vendor=PIPELINE_VENDOR, device=PIPELINE_DEVICE, uuid=PIPELINE_UUID,
                   header_size=32, version=1, payload=b"\x01\x02\x03\x04"):
    return struct.pack("<IIII", header_size, version, vendor, device) + uuid + payload


def tuning_cache_seeds(target):
    # Real choices, as the autotuner writes them on lavapipe.
    conv = "input_32x28x28x1_kernel_3x3x1x64_stride_1x1_padding_valid"
    choices = [("conv2d_backward_bias", conv, "register_blocked"),
               ("conv2d_forward", conv + "_relu", "shared_tiled"),
               ("dense_forward", "input_32x1600_units_128_relu", "register_blocked")]
    good = tuning_text(choices)
    write(target, "valid-three-choices", good)
    write(target, "valid-no-choices", tuning_text([]))
    write(target, "valid-duplicate-choice", tuning_text(choices[:1] + choices[:1]))
    write(target, "bad-foreign-device", tuning_text(choices, uuid="ffeeddccbbaa99887766554433221100"))
    write(target, "bad-foreign-driver", tuning_text(choices, driver="92274695"))
    write(target, "bad-foreign-vknn", tuning_text(choices, vknn="0.2.0"))
    write(target, "bad-truncated-mid-line", good[:-7])
    write(target, "bad-truncated-before-end", good[:good.index("end ")])
    write(target, "bad-end-count", tuning_text(choices, end=2))
    write(target, "bad-end-missing", good.replace("end 3\n", ""))
    write(target, "bad-magic", good.replace("vknn-tuning 1", "vknn-tuning 2"))
    write(target, "bad-field-order", good.replace("device ", "vknn  ", 1))
    write(target, "bad-choice-fields", good.replace("shared_tiled", "shared tiled"))
    write(target, "bad-choice-keyword", good.replace("choice dense_forward", "chose dense_forward"))
    write(target, "bad-nul", good.replace("register_blocked", "register\0blocked", 1))
    write(target, "bad-crlf", good.replace("\n", "\r\n"))
    # conv2d tile names, as the cache stores <op>_tiles choices and
    # VKNN_CONV2D_TILES carries them (the fuzzer's fifth reading).
    write(target, "tiles-default", "m64n64k16t4x4")
    write(target, "tiles-split", "m128n64k16t8x4s8")
    write(target, "bad-tiles-not-power-of-two", "m48n64k16t4x4")
    write(target, "pipeline-valid", pipeline_cache())
    write(target, "pipeline-valid-long-header", pipeline_cache(header_size=36))
    write(target, "pipeline-foreign-vendor", pipeline_cache(vendor=0x10DE))
    write(target, "pipeline-foreign-uuid", pipeline_cache(uuid=bytes(16)))
    write(target, "pipeline-bad-version", pipeline_cache(version=2))
    write(target, "pipeline-bad-header-size", pipeline_cache(header_size=1 << 20))
    write(target, "pipeline-truncated", pipeline_cache()[:20])


# ---- keras config.json ------------------------------------------------------------

def keras_layer(cls, config, shape=None):
    layer = {"module": "keras.layers", "class_name": cls, "config": config,
             "registered_name": None}
    if shape:
        layer["build_config"] = {"input_shape": shape}
    return layer


def keras_config(layers, optimizer=None, loss="sparse_categorical_crossentropy"):
    opt = optimizer or {"module": "keras.optimizers", "class_name": "Adam",
                        "config": {"name": "adam", "learning_rate": 0.001, "beta_1": 0.9,
                                   "beta_2": 0.999, "epsilon": 1e-07, "amsgrad": False},
                        "registered_name": None}
    return json.dumps({"module": "keras", "class_name": "Sequential",
                       "config": {"name": "sequential", "trainable": True, "layers": layers,
                                  "build_input_shape": [None, 6, 6, 1]},
                       "registered_name": None,
                       "build_config": {"input_shape": [None, 6, 6, 1]},
                       "compile_config": {"optimizer": opt, "loss": loss,
                                          "metrics": ["accuracy"]}}, separators=(",", ":"))


def keras_config_seeds(target):
    """config.json as Keras 3 writes a Sequential model (trimmed to the keys
    that matter), and near-valid ones."""
    dtype = {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"},
             "registered_name": None}
    inp = keras_layer("InputLayer", {"batch_shape": [None, 6, 6, 1], "dtype": "float32",
                                     "sparse": False, "ragged": False, "name": "input_layer"})
    conv = keras_layer("Conv2D", {"name": "conv2d", "trainable": True, "dtype": dtype,
                                  "filters": 2, "kernel_size": [3, 3], "strides": [1, 1],
                                  "padding": "valid", "data_format": "channels_last",
                                  "dilation_rate": [1, 1], "groups": 1, "activation": "relu",
                                  "use_bias": True}, [None, 6, 6, 1])
    pool = keras_layer("MaxPooling2D", {"name": "max_pooling2d", "pool_size": [2, 2],
                                        "strides": [2, 2], "padding": "valid"})
    flat = keras_layer("Flatten", {"name": "flatten"})
    drop = keras_layer("Dropout", {"name": "dropout", "rate": 0.25, "seed": 3,
                                   "noise_shape": None})
    dense = keras_layer("Dense", {"name": "dense", "units": 3, "activation": "softmax",
                                  "trainable": False})
    write(target, "valid-model", keras_config([inp, conv, pool, flat, drop, dense]))
    write(target, "valid-sgd-binary", keras_config(
        [inp, keras_layer("AveragePooling2D", {"pool_size": 2}),
         keras_layer("GlobalAveragePooling2D", {"keepdims": False}),
         keras_layer("Dense", {"units": 1, "activation": "sigmoid"})],
        optimizer="sgd", loss="binary_crossentropy"))
    write(target, "bad-layer", keras_config([inp, keras_layer("LSTM", {"units": 2})]))
    write(target, "bad-setting", keras_config([inp, keras_layer("Dense", {"units": 2,
                                                                         "use_bias": False})]))
    write(target, "bad-json", keras_config([inp, conv])[:-7])


def path_template_seeds(target):
    """Mode byte 0 (even): a template; 1, 3, 5, 7 (odd): a spec for a float
    (0.1, 0.0 / NaN / huge by bits 2-3) or, with bit 1, an integer."""
    templates = {
        "keras-weights": "ckpt-{epoch:02d}-{val_loss:.2f}.weights.h5",
        "whole-model": "model-{epoch}.keras",
        "every-spec-part": "{loss:*^+#012,.3e}-{batch:_x}-{accuracy:%}",
        "escaped-braces": "a{{b}}c-{{epoch}}",
        "positional": "{}-{0}",
        "conversion": "{loss!r}",
        "nested": "{epoch:{width}}",
        "unknown-field": "{lr:.1f}",
        "unclosed": "ckpt-{epoch",
    }
    for name, text in templates.items():
        write(target, "template-" + name, b"\x00" + text.encode())
    for mode, name, spec in [(1, "float-fixed", ".2f"), (9, "nan-general", "g"),
                             (13, "huge-percent", ".1%"), (3, "int-hex", "#_x"),
                             (3, "int-float-type", "+010.3e"), (1, "float-int-type", "d")]:
        write(target, "spec-" + name, bytes([mode]) + spec.encode())


def main():
    # Regenerate the written seeds; crash-* files are regression inputs
    # copied in by hand (README), kept.
    for folder, _, files in os.walk(CORPUS):
        for name in files:
            if not name.startswith("crash-"):
                os.remove(os.path.join(folder, name))
    safetensors_seeds("safetensors_fuzzer")
    load_weights_seeds("load_weights_fuzzer")
    idx_seeds("idx_fuzzer")
    idx_gzip_seeds("idx_gzip_fuzzer")
    cli_seeds("cli_fuzzer")
    tuning_cache_seeds("tuning_cache_fuzzer")
    keras_config_seeds("keras_config_fuzzer")
    path_template_seeds("path_template_fuzzer")
    total = sum(os.path.getsize(os.path.join(d, f))
                for d, _, files in os.walk(CORPUS) for f in files)
    print("wrote the seed corpus:", total, "bytes")


if __name__ == "__main__":
    main()
