"""bench/compare_pytorch.py's model descriptions (--model): each is the
course's model, by its parameter count and by vknn's own Keras API built from
the same description. The PyTorch side is checked where torch is installed
(it is not on the development machines: that test skips, saying so)."""
import importlib.util

import pytest

from conftest import REPO


def compare_pytorch():
    spec = importlib.util.spec_from_file_location("compare_pytorch", REPO / "bench" / "compare_pytorch.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


COURSE_TOTALS = {"course": 243786, "cats_vs_dogs": 9494561, "horses_or_humans": 1704097}


def test_descriptions_have_the_courses_parameter_counts():
    cp = compare_pytorch()
    assert sorted(cp.MODELS) == sorted(COURSE_TOTALS)
    for name, total in COURSE_TOTALS.items():
        assert cp.parameter_count(cp.MODELS[name]) == total, name
        assert cp.MODELS[name]["params"] == total, name
    # Course 2's and Course 1 week 4's Flatten widths.
    flat = {name: next(r[2] for r in cp.layer_shapes(cp.MODELS[name]) if r[0] == "flatten")
            for name in COURSE_TOTALS}
    assert flat == {"course": (1600,), "cats_vs_dogs": (18496,), "horses_or_humans": (3136,)}


def test_descriptions_build_the_same_models_in_vknn():
    from vknn import keras
    cp = compare_pytorch()
    for name, spec in cp.MODELS.items():
        layers = []
        for i, layer in enumerate(spec["layers"]):
            extra = {"input_shape": spec["input"]} if i == 0 else {}
            if layer[0] == "conv":
                layers.append(keras.layers.Conv2D(layer[1], (3, 3), activation="relu", **extra))
            elif layer[0] == "pool":
                layers.append(keras.layers.MaxPooling2D(2, 2))
            elif layer[0] == "flatten":
                layers.append(keras.layers.Flatten())
            else:
                layers.append(keras.layers.Dense(layer[1], activation=layer[2]))
        model = keras.Sequential(layers)
        assert model.count_params() == COURSE_TOTALS[name], name


def test_synthetic_set_is_vknn_benchs():
    cp = compare_pytorch()
    pixels, labels = cp.synthetic_set(cp.MODELS["cats_vs_dogs"], 2)
    assert pixels.shape == (2, 150, 150, 3) and pixels.dtype.name == "uint8"
    # bench/vknn_bench.cpp: uint8((i * 2654435761u) >> 24) over the NHWC bytes.
    flat = pixels.reshape(-1)
    for i in (0, 1, 2, 3, 134999):
        assert flat[i] == ((i * 2654435761) >> 24) & 0xFF
    assert list(labels) == [0, 1]


def test_pytorch_models_have_the_same_parameter_counts():
    try:
        import torch  # noqa: F401
        from torch import nn
    except ImportError:
        pytest.skip("PyTorch is not installed (Debian: python3-torch); the description's counts are checked above")
    cp = compare_pytorch()
    for name, spec in cp.MODELS.items():
        model = cp.torch_layers(spec, nn)
        assert sum(p.numel() for p in model.parameters()) == COURSE_TOTALS[name], name
