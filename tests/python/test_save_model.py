"""model.save('my_model.keras') and tf.keras.models.load_model: the whole
model in Keras v3's .keras format. The file is read back here with zipfile
and h5py, readers independent of vknn's writer, and checked against the
layout Keras 3's saving_lib writes (docs/saving.md); a weights file
rewritten by h5py loads in vknn; the reloaded model predicts bit for bit and
its fit continues exactly as the saved one's would have."""
import json
import os
import zipfile

import numpy as np
import pytest

import vknn
from vknn import keras

h5py = pytest.importorskip("h5py", reason="python3-h5py reads the .keras weights back")


def data(count=96, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 10, count).astype(np.uint8)
    x = rng.integers(0, 60, (count, 28, 28), dtype=np.uint8)
    for i, label in enumerate(y):  # a bright band per class: learnable
        x[i, 2 * label:2 * label + 4, :] += 150
    return x, y


def model_with_dropout(optimizer="adam"):
    m = keras.Sequential([
        keras.layers.Conv2D(4, (3, 3), activation="relu", input_shape=(28, 28, 1)),
        keras.layers.MaxPooling2D(2, 2),
        keras.layers.Flatten(),
        keras.layers.Dropout(0.2),
        keras.layers.Dense(16, activation="relu"),
        keras.layers.Dense(10, activation="softmax"),
    ])
    m.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return m


def test_reloaded_model_predicts_bit_for_bit(tmp_path):
    x, y = data()
    m = model_with_dropout()
    m.fit(x, y, epochs=1, verbose=0)
    path = tmp_path / "my_model.keras"
    m.save(path)
    loaded = keras.models.load_model(path)
    assert isinstance(loaded, keras.Sequential)
    assert np.array_equal(loaded.predict(x, verbose=0).view(np.uint32),
                          m.predict(x, verbose=0).view(np.uint32))
    for a, b in zip(loaded.get_weights(), m.get_weights()):
        assert np.array_equal(a.view(np.uint32), b.view(np.uint32))
    assert loaded.evaluate(x, y, verbose=0) == m.evaluate(x, y, verbose=0)
    assert [layer.name for layer in loaded.layers] == [layer.name for layer in m.layers]
    assert type(loaded.optimizer) is keras.optimizers.Adam
    assert loaded.optimizer.learning_rate == pytest.approx(0.001)
    assert loaded.optimizer.beta_1 == 0.9 and loaded.optimizer.epsilon == 1e-07
    assert loaded.loss == "sparse_categorical_crossentropy"
    assert loaded.count_params() == m.count_params()


@pytest.mark.parametrize("optimizer", ["adam", "sgd_momentum", "rmsprop"])
def test_fit_continues_as_if_never_saved(tmp_path, optimizer):
    make = {"adam": lambda: keras.optimizers.Adam(0.002),
            "sgd_momentum": lambda: keras.optimizers.SGD(0.05, momentum=0.9),
            "rmsprop": lambda: keras.optimizers.RMSprop()}[optimizer]
    x, y = data()
    # The seed decides the initial weights and every epoch's shuffle (by the
    # epoch's number): the user passes the same seed and initial_epoch.
    keras.utils.set_random_seed(3)
    straight = model_with_dropout(make())
    whole = straight.fit(x, y, epochs=2, verbose=0).history

    keras.utils.set_random_seed(3)
    first = model_with_dropout(make())
    first.fit(x, y, epochs=1, verbose=0)
    first.save(tmp_path / "epoch1.keras")
    resumed = keras.models.load_model(tmp_path / "epoch1.keras")
    second = resumed.fit(x, y, epochs=2, initial_epoch=1, verbose=0)
    assert second.epoch == [1]
    assert second.history["loss"] == whole["loss"][1:]
    assert second.history["accuracy"] == whole["accuracy"][1:]
    for a, b in zip(resumed.get_weights(), straight.get_weights()):
        assert np.array_equal(a.view(np.uint32), b.view(np.uint32))


def test_file_has_the_layout_keras_writes(tmp_path):
    x, y = data()
    m = model_with_dropout()
    m.layers[0].trainable = False  # Keras's optimizer has no slots for a frozen layer
    m.fit(x, y, epochs=1, batch_size=32, verbose=0)
    path = tmp_path / "m.keras"
    m.save(path)

    with zipfile.ZipFile(path) as z:
        assert z.testzip() is None
        assert z.namelist() == ["metadata.json", "config.json", "model.weights.h5"]
        assert all(info.compress_type == zipfile.ZIP_STORED for info in z.infolist())
        config = json.loads(z.read("config.json"))
        metadata = json.loads(z.read("metadata.json"))
        weights = z.read("model.weights.h5")
    assert set(metadata) == {"keras_version", "date_saved"}
    assert metadata["keras_version"].startswith("3.")

    # serialize_keras_object's structure for a Sequential model.
    assert set(config) == {"module", "class_name", "config", "registered_name", "build_config",
                           "compile_config"}
    assert (config["module"], config["class_name"], config["registered_name"]) == \
        ("keras", "Sequential", None)
    assert config["build_config"] == {"input_shape": [None, 28, 28, 1]}
    inner = config["config"]
    assert inner["name"] == m.name and inner["build_input_shape"] == [None, 28, 28, 1]
    assert inner["dtype"]["class_name"] == "DTypePolicy"
    classes = [layer["class_name"] for layer in inner["layers"]]
    assert classes == ["InputLayer", "Conv2D", "MaxPooling2D", "Flatten", "Dropout", "Dense",
                       "Dense"]
    assert inner["layers"][0]["config"]["batch_shape"] == [None, 28, 28, 1]
    conv = inner["layers"][1]
    assert conv["module"] == "keras.layers" and conv["registered_name"] is None
    assert conv["build_config"] == {"input_shape": [None, 28, 28, 1]}
    assert conv["config"]["name"] == m.layers[0].name and conv["config"]["trainable"] is False
    for key, value in {"filters": 4, "kernel_size": [3, 3], "strides": [1, 1],
                       "padding": "valid", "data_format": "channels_last",
                       "dilation_rate": [1, 1], "groups": 1, "activation": "relu",
                       "use_bias": True, "kernel_regularizer": None}.items():
        assert conv["config"][key] == value, key
    assert conv["config"]["kernel_initializer"]["class_name"] == "GlorotUniform"
    pool = inner["layers"][2]["config"]
    assert (pool["pool_size"], pool["strides"], pool["padding"]) == ([2, 2], [2, 2], "valid")
    assert inner["layers"][4]["config"]["rate"] == 0.2
    dense = inner["layers"][6]["config"]
    assert (dense["units"], dense["activation"]) == (10, "softmax")
    compile_config = config["compile_config"]
    assert set(compile_config) == {"optimizer", "loss", "loss_weights", "metrics",
                                   "weighted_metrics", "run_eagerly", "steps_per_execution",
                                   "jit_compile"}
    opt = compile_config["optimizer"]
    assert (opt["module"], opt["class_name"]) == ("keras.optimizers", "Adam")
    assert opt["config"]["learning_rate"] == 0.001 and opt["config"]["beta_2"] == 0.999
    assert compile_config["loss"] == "sparse_categorical_crossentropy"
    assert compile_config["metrics"] == ["accuracy"]

    # model.weights.h5 as saving_lib's H5IOStore writes it.
    (tmp_path / "w.h5").write_bytes(weights)
    names = []
    with h5py.File(tmp_path / "w.h5", "r") as f:
        f.visit(names.append)
        kernel = f["layers/conv2d/vars/0"]
        assert kernel.dtype == np.float32 and kernel.shape == (3, 3, 1, 4)
        assert np.array_equal(kernel[()], m.get_weights()[0])
        assert np.array_equal(f["layers/dense_1/vars/1"][()], m.get_weights()[5])
        iterations = f["optimizer/vars/0"]
        assert iterations.dtype == np.int64 and iterations.shape == () and iterations[()] == 3
        rate = f["optimizer/vars/1"]
        assert rate.dtype == np.float32 and rate.shape == () and rate[()] == np.float32(0.001)
        # Adam's m and v, interleaved per trainable weight: dense kernel, bias, dense_1 ...
        assert f["optimizer/vars/2"].shape == (676, 16) and f["optimizer/vars/3"].shape == (676, 16)
        assert f["optimizer/vars/9"].shape == (10,)
        assert f["layers/flatten/vars"].attrs["name"] == "flatten"
        assert f["optimizer/vars"].attrs["name"] == "adam"
        assert f["vars"].attrs["name"] == m.name
    layer_groups = ["conv2d", "max_pooling2d", "flatten", "dropout", "dense", "dense_1"]
    expected = ["layers"] + sorted(
        [f"layers/{g}" for g in layer_groups] + [f"layers/{g}/vars" for g in layer_groups] +
        ["layers/conv2d/vars/0", "layers/conv2d/vars/1", "layers/dense/vars/0",
         "layers/dense/vars/1", "layers/dense_1/vars/0", "layers/dense_1/vars/1"])
    expected += ["optimizer", "optimizer/vars"] + [f"optimizer/vars/{i}" for i in
                                                  sorted(range(10), key=str)] + ["vars"]
    assert names == expected

    loaded = keras.models.load_model(path)
    assert [layer.trainable for layer in loaded.layers] == [False] + [True] * 5


def test_loads_weights_written_by_h5py(tmp_path):
    """A model.weights.h5 written by h5py (as Keras writes it) loads: vknn's
    reader is not tied to its own writer."""
    x, y = data()
    m = model_with_dropout("sgd")
    m.fit(x, y, epochs=1, verbose=0)
    m.save(tmp_path / "a.keras")
    with zipfile.ZipFile(tmp_path / "a.keras") as z:
        members = {name: z.read(name) for name in z.namelist()}
    (tmp_path / "in.h5").write_bytes(members["model.weights.h5"])
    with h5py.File(tmp_path / "in.h5", "r") as src, h5py.File(tmp_path / "out.h5", "w") as dst:
        def copy(name, obj):
            if isinstance(obj, h5py.Dataset):
                dst[name] = obj[()]
            else:
                group = dst.require_group(name)
                for k, v in obj.attrs.items():
                    group.attrs[k] = v
        src.visititems(copy)
    members["model.weights.h5"] = (tmp_path / "out.h5").read_bytes()
    with zipfile.ZipFile(tmp_path / "b.keras", "w") as z:
        for name, content in members.items():
            z.writestr(name, content)
    loaded = keras.models.load_model(tmp_path / "b.keras")
    assert type(loaded.optimizer) is keras.optimizers.SGD
    assert np.array_equal(loaded.predict(x, verbose=0), m.predict(x, verbose=0))


def rewrite(path, out, config=None, weights=None):
    """A copy of the .keras file at `path` with config.json edited by
    `config(dict)` or the weights by `weights(h5py.File)`."""
    with zipfile.ZipFile(path) as z:
        members = {name: z.read(name) for name in z.namelist()}
    if config is not None:
        c = json.loads(members["config.json"])
        config(c)
        members["config.json"] = json.dumps(c).encode()
    if weights is not None:
        h5 = out.with_suffix(".h5")
        h5.write_bytes(members["model.weights.h5"])
        with h5py.File(h5, "r+") as f:
            weights(f)
        members["model.weights.h5"] = h5.read_bytes()
    with zipfile.ZipFile(out, "w") as z:
        for name, content in members.items():
            z.writestr(name, content)
    return out


def test_bad_paths_and_files_are_clear_errors(tmp_path):
    x, y = data(32)
    m = model_with_dropout()
    m.fit(x, y, epochs=1, verbose=0)
    with pytest.raises(ValueError, match="legacy Keras HDF5"):
        m.save(tmp_path / "model.h5")
    with pytest.raises(ValueError, match="SavedModel"):
        m.save(tmp_path / "saved_model")
    with pytest.raises(ValueError, match="SavedModel"):
        keras.models.load_model(tmp_path)
    assert os.listdir(tmp_path) == []
    with pytest.raises(RuntimeError, match="compile"):
        keras.Sequential([keras.layers.Dense(2, input_shape=(4,))]).save(tmp_path / "u.keras")

    good = tmp_path / "good.keras"
    m.save(good)
    with pytest.raises(vknn.Error, match="no such file"):
        keras.models.load_model(tmp_path / "missing.keras")
    (tmp_path / "text.keras").write_text("not a zip")
    with pytest.raises(vknn.Error, match="text.keras: is not a zip archive"):
        keras.models.load_model(tmp_path / "text.keras")
    with zipfile.ZipFile(tmp_path / "noconfig.keras", "w") as z:
        z.writestr("metadata.json", "{}")
    with pytest.raises(vknn.Error, match="noconfig.keras: the zip holds no config.json"):
        keras.models.load_model(tmp_path / "noconfig.keras")

    bad = tmp_path / "json.keras"
    with zipfile.ZipFile(good) as z:
        members = {name: z.read(name) for name in z.namelist()}
    members["config.json"] = b'{"class_name": "Sequential", "config": {'
    with zipfile.ZipFile(bad, "w") as z:
        for name, content in members.items():
            z.writestr(name, content)
    with pytest.raises(vknn.Error, match=r"json.keras \(config.json\): is not valid JSON"):
        keras.models.load_model(bad)

    def lstm(c):
        c["config"]["layers"][5]["class_name"] = "LSTM"
    with pytest.raises(vknn.Error, match="LSTM layer, which vknn does not have"):
        keras.models.load_model(rewrite(good, tmp_path / "lstm.keras", config=lstm))

    def reshaped(f):
        del f["layers/dense/vars/0"]
        f["layers/dense/vars/0"] = np.zeros((676, 17), np.float32)
    with pytest.raises(vknn.Error, match=r"'layers/dense/vars/0' \(dense/kernel\) has shape "
                                         r"\(676, 17\), the model expects \(676, 16\)"):
        keras.models.load_model(rewrite(good, tmp_path / "shape.keras", weights=reshaped))

    def nan(f):
        f["optimizer/vars/3"][0, 0, 0, 1] = np.nan
    with pytest.raises(vknn.Error, match=r"nan.keras \(model.weights.h5\).*optimizer/vars/3.*NaN"):
        keras.models.load_model(rewrite(good, tmp_path / "nan.keras", weights=nan))

    # 64 MiB of zeros deflate about 1029 times: beyond the 1000x guard.
    with zipfile.ZipFile(tmp_path / "bomb.keras", "w", compression=zipfile.ZIP_DEFLATED,
                         compresslevel=9) as z:
        z.writestr("config.json", members["config.json"])
        z.writestr("model.weights.h5", bytes(64 << 20))
    with pytest.raises(vknn.Error, match="model.weights.h5' declares 67108864 bytes but stores "
                                         r"\d+; refusing a possible decompression bomb"):
        keras.models.load_model(tmp_path / "bomb.keras")

    def soft_link(f):
        f["layers/extra"] = h5py.SoftLink("/layers/conv2d")
    with pytest.raises(vknn.Error, match="soft link"):
        keras.models.load_model(rewrite(good, tmp_path / "link.keras", weights=soft_link))


def test_model_checkpoint_saves_whole_models(tmp_path):
    x, y = data()
    m = model_with_dropout()
    cb = keras.callbacks.ModelCheckpoint(str(tmp_path / "m-{epoch:02d}.keras"), monitor="loss",
                                         save_best_only=False)
    m.fit(x, y, epochs=2, verbose=0, callbacks=[cb])
    assert sorted(os.listdir(tmp_path)) == ["m-01.keras", "m-02.keras"]
    last = keras.models.load_model(tmp_path / "m-02.keras")
    assert np.array_equal(last.predict(x, verbose=0), m.predict(x, verbose=0))
    with pytest.raises(ValueError, match="must end in `.keras`"):
        keras.callbacks.ModelCheckpoint(str(tmp_path / "m.h5"))
