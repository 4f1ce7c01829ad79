"""`cmake --install --component python` gives a package that works from its
install location alone (not the build tree)."""
import os
import subprocess
import sys
from pathlib import Path

import pytest


def test_cmake_install_of_the_python_component(binary_dir, tmp_path):
    if not (binary_dir / "CMakeCache.txt").exists():
        pytest.skip(f"no CMake build in {binary_dir}")
    prefix = tmp_path / "prefix"
    subprocess.run(["cmake", "--install", str(binary_dir), "--component", "python", "--prefix",
                    str(prefix)], check=True, capture_output=True, timeout=120)
    packages = [p.parent for p in prefix.glob("lib/python3*/*-packages/vknn/__init__.py")]
    assert len(packages) == 1, list(prefix.rglob("*"))
    site = packages[0].parent
    assert list((site / "vknn").glob("_vknn*.so"))
    env = dict(os.environ, PYTHONPATH=str(site))
    script = ("import numpy as np, vknn as tf\n"
              "assert vknn_file.startswith(site), vknn_file\n".replace("vknn_file", "tf.__file__")
              .replace("site", repr(str(site))) +
              "m = tf.keras.Sequential([tf.keras.layers.Flatten(input_shape=(28, 28)),\n"
              "                         tf.keras.layers.Dense(10, activation='softmax')])\n"
              "m.compile(optimizer='adam', loss='sparse_categorical_crossentropy')\n"
              "print(m.predict(np.zeros((2, 28, 28), np.uint8), verbose=0).shape)\n")
    out = subprocess.run([sys.executable, "-c", script], env=env, cwd=tmp_path, check=True,
                         capture_output=True, text=True, timeout=120).stdout
    assert out.strip() == "(2, 10)"
