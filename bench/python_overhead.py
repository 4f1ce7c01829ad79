#!/usr/bin/env python3
"""What fit costs through Python, against the C++ API's fit, side by side.

C++: the example trainer build/examples/train_fashion_mnist (the course
model, 64 filters, C++ API fit) on a prefix of Fashion-MNIST. Its fit time is
the wall time of a run with --epochs 1 minus that of the same run with
--epochs 0 (which loads the data, compiles and evaluates just the same).
Python: vknn.keras fit of the same model on the same prefix, timed around
model.fit, once with the uint8 images, once with images / 255.0 as the
course passes them (that includes the lossless float check: the uint8 path),
and once with standardised images (x - mean) / std (the float32 path: a
float dataset on the device, 4x the bytes, gathered without scaling).

Rounds are interleaved (C++, Python, C++, Python, ...) because the machine
is shared and noisy; the report is the median ratio with its min and max.

    PYTHONPATH=build/python /usr/bin/python3 bench/python_overhead.py \
        [--steps 600] [--rounds 3] [--build-dir build]
"""
import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def cpp_run(trainer, count, epochs, data_dir):
    start = time.perf_counter()
    subprocess.run([str(trainer), "--filters", "64", "--limit", str(count), "--test-limit", "32",
                    "--epochs", str(epochs), "--verbose", "0", "--data-dir", str(data_dir)],
                   check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def python_fit(tf, images, labels):
    model = tf.keras.models.Sequential([
        tf.keras.layers.Conv2D(64, (3, 3), activation='relu', input_shape=(28, 28, 1)),
        tf.keras.layers.MaxPooling2D(2, 2),
        tf.keras.layers.Conv2D(64, (3, 3), activation='relu'),
        tf.keras.layers.MaxPooling2D(2, 2),
        tf.keras.layers.Flatten(),
        tf.keras.layers.Dense(128, activation='relu'),
        tf.keras.layers.Dense(10, activation='softmax'),
    ])
    model.compile(optimizer='adam', loss='sparse_categorical_crossentropy', metrics=['accuracy'])
    start = time.perf_counter()
    model.fit(images, labels, epochs=1, verbose=0)
    return time.perf_counter() - start


def summary(name, ratios):
    return (f"{name}: median {statistics.median(ratios):.3f}, min {min(ratios):.3f}, "
            f"max {max(ratios):.3f} over {len(ratios)} rounds")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--steps", type=int, default=600, help="batch-32 steps per fit")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--build-dir", default=str(ROOT / "build"))
    args = parser.parse_args()

    import vknn as tf
    trainer = Path(args.build_dir) / "examples" / "train_fashion_mnist"
    if not trainer.exists():
        sys.exit(f"{trainer} is not built: cmake --build {args.build_dir} --target train_fashion_mnist")
    data_dir = Path(os.environ.get("VKNN_DATA_DIR", ROOT / "data")) / "fashion-mnist"
    (x, y), _ = tf.keras.datasets.fashion_mnist.load_data()
    count = min(args.steps * 32, x.shape[0])
    x, y = x[:count], y[:count]
    x_float = x / 255.0
    x_standardised = (x_float - x_float.mean()) / x_float.std()

    print(f"vknn {tf.__version__}; course model (64 filters), {count} images = "
          f"{-(-count // 32)} steps of batch 32, {args.rounds} interleaved rounds")
    bytes_ratios, float_ratios, standardised_ratios = [], [], []
    for r in range(args.rounds):
        cpp = cpp_run(trainer, count, 1, data_dir) - cpp_run(trainer, count, 0, data_dir)
        py_bytes = python_fit(tf, x, y)
        py_float = python_fit(tf, x_float, y)
        py_standardised = python_fit(tf, x_standardised, y)
        bytes_ratios.append(py_bytes / cpp)
        float_ratios.append(py_float / cpp)
        standardised_ratios.append(py_standardised / cpp)
        print(f"round {r + 1}: C++ fit {cpp:.2f} s, Python fit uint8 {py_bytes:.2f} s "
              f"({py_bytes / cpp:.3f}x), Python fit x/255.0 {py_float:.2f} s "
              f"({py_float / cpp:.3f}x), Python fit (x-mean)/std {py_standardised:.2f} s "
              f"({py_standardised / cpp:.3f}x)", flush=True)
    print(summary("Python (uint8) / C++", bytes_ratios))
    print(summary("Python (x/255.0) / C++", float_ratios))
    print(summary("Python ((x-mean)/std, float32 on the device) / C++", standardised_ratios))


if __name__ == "__main__":
    main()
