"""Every argument error: its exception type and its message.

Rule (python/src/module.cpp): bad arguments raise ValueError, with Keras's
wording where Keras has one (a wrong input shape names the layer and both
shapes); device and file failures raise vknn.Error, a RuntimeError, with the
library's message; training an uncompiled model raises RuntimeError as in
Keras.
"""

import numpy as np
import pytest

import vknn as tf
from vknn import keras

from conftest import small_cnn


@pytest.fixture(scope="module")
def model():
    return small_cnn()


X = np.zeros((4, 28, 28), np.uint8)
Y = np.array([0, 1, 2, 3])


def raises(kind, *fragments):
    """pytest.raises that also checks the message holds every fragment."""
    class Check:
        def __enter__(self):
            self.ctx = pytest.raises(kind)
            self.info = self.ctx.__enter__()
            return self.info

        def __exit__(self, *exc):
            result = self.ctx.__exit__(*exc)
            message = str(self.info.value)
            for fragment in fragments:
                assert fragment in message, f"{fragment!r} not in {message!r}"
            return result
    return Check()


def test_vknn_error_is_a_runtime_error():
    assert issubclass(tf.Error, RuntimeError)


def test_wrong_input_shape_names_the_layer_and_both_shapes(model):
    with raises(ValueError, 'Input 0 of layer "conv2d"', "expected shape=(None, 28, 28, 1)",
                "found shape=(4, 28, 28, 3)"):
        model.fit(np.zeros((4, 28, 28, 3), np.uint8), Y, verbose=0)
    with raises(ValueError, 'layer "conv2d"', "found shape=(2, 32, 32)"):
        model.predict(np.zeros((2, 32, 32), np.uint8), verbose=0)
    with raises(ValueError, "found shape=(784,)"):
        model.evaluate(np.zeros(784, np.uint8), Y, verbose=0)


def test_float_inputs_that_are_not_finite_are_refused_naming_the_index(model):
    # General float values are accepted (tests/python/test_float_inputs.py);
    # NaN and infinities would poison training silently, so they are refused.
    x = X / 255.0
    x[3, 27, 27] = np.nan
    with raises(ValueError, "x: the value nan at index (3, 27, 27) (float64) is not finite",
                "inputs must be finite"):
        model.predict(x, verbose=0)
    x = np.full((4, 28, 28), 0.5, np.float32)  # not k / 255: the float path
    x[1, 2, 3] = -np.inf
    with raises(ValueError, "the value -inf at index (1, 2, 3) (float32) is not finite"):
        model.fit(x, Y, verbose=0)
    with raises(ValueError, "validation_data x: the value", "index (1, 2, 3)"):
        model.fit(X, Y, verbose=0, validation_data=(x, Y))
    x = np.full((4, 28, 28), 0.5)
    x[0, 0, 1] = 1e300  # finite in float64, not in float32
    with raises(ValueError, "the value 1e+300 at index (0, 0, 1) (float64) overflows float32"):
        model.evaluate(x, Y, verbose=0)
    x = np.full((4, 28, 28), 0.5, np.float16)
    x[2, 0, 0] = np.nan
    with raises(ValueError, "index (2, 0, 0) (float16) is not finite"):
        model.evaluate(x, Y, verbose=0)


def test_other_image_dtypes_are_refused(model):
    with raises(ValueError, "dtype int16", "uint8"):
        model.predict(X.astype(np.int16), verbose=0)
    with raises(ValueError, "expected a numpy array"):
        model.predict("images", verbose=0)


def test_labels_are_checked(model):
    with raises(ValueError, "label 10 at index 2", "10 output classes", "0..9"):
        model.fit(X, np.array([0, 1, 10, 3]), verbose=0)
    with raises(ValueError, "label -1 at index 0"):
        model.evaluate(X, np.array([-1, 1, 2, 3]), verbose=0)
    with raises(ValueError, "Data cardinality is ambiguous", "x sizes: 4", "y sizes: 3"):
        model.fit(X, np.array([0, 1, 2]), verbose=0)
    with raises(ValueError, "integer class indices", "0.5", "index 1"):
        model.fit(X, np.array([0, 0.5, 2, 3]), verbose=0)
    with raises(ValueError, "1-D array", "(4, 2)"):
        model.fit(X, np.zeros((4, 2), int), verbose=0)
    with raises(ValueError, "integer class indices", "<U1"):
        model.fit(X, np.array(list("abcd")), verbose=0)


def test_fit_arguments_are_checked(model):
    with raises(ValueError, "fit: batch_size must be an integer >= 1, got 0"):
        model.fit(X, Y, batch_size=0, verbose=0)
    with raises(ValueError, "fit: batch_size must be an integer >= 1, got 2.5"):
        model.fit(X, Y, batch_size=2.5, verbose=0)
    with raises(ValueError, "fit: epochs must be an integer >= 0, got -1"):
        model.fit(X, Y, epochs=-1, verbose=0)
    with raises(ValueError, "fit: verbose must be 'auto', 0, 1 or 2, got 3"):
        model.fit(X, Y, verbose=3)
    with raises(ValueError, "fit: shuffle must be True or False"):
        model.fit(X, Y, shuffle="yes", verbose=0)
    with raises(ValueError, "fit: validation_data must be a tuple (x_val, y_val)"):
        model.fit(X, Y, validation_data=X, verbose=0)
    with raises(ValueError, "fit: validation_split must be a number in [0, 1)"):
        model.fit(X, Y, validation_split=1.5, verbose=0)
    with raises(ValueError, "fit: class_weight names class 10, but the labels are 0..9"):
        model.fit(X, Y, class_weight={10: 1.0}, verbose=0)
    with raises(ValueError, "fit: class_weight[0] is -1.0; class weights must be finite"):
        model.fit(X, Y, class_weight={0: -1.0}, verbose=0)
    with raises(ValueError, "fit: class_weight keys must be integer class indices, got 'a'"):
        model.fit(X, Y, class_weight={"a": 1.0}, verbose=0)
    with raises(ValueError, "fit: class_weight must be a dict"):
        model.fit(X, Y, class_weight=[1.0, 2.0], verbose=0)
    with raises(ValueError, f"fit: sample_weight: has 3 weights but there are {len(X)} samples"):
        model.fit(X, Y, sample_weight=[1.0, 2.0, 3.0], verbose=0)
    with raises(ValueError, "fit: sample_weight: weight nan at index 1 is not a finite number"):
        model.fit(X, Y, sample_weight=[1.0, float("nan")] + [1.0] * (len(X) - 2), verbose=0)
    with raises(ValueError, "evaluate: sample_weight: must be a 1-D array"):
        model.evaluate(X, Y, sample_weight=[[1.0, 2.0]] * len(X), verbose=0)
    with raises(ValueError, "fit: argument workers=4 is not supported by vknn"):
        model.fit(X, Y, workers=4, verbose=0)
    with raises(ValueError, "fit: callbacks must be vknn.keras.callbacks.Callback objects"):
        model.fit(X, Y, callbacks=[print], verbose=0)
    with raises(ValueError, "evaluate: batch_size must be an integer >= 1, got -2"):
        model.evaluate(X, Y, batch_size=-2, verbose=0)
    with raises(ValueError, "predict: batch_size must be an integer >= 1, got 0"):
        model.predict(X, batch_size=0, verbose=0)


def test_compile_arguments_are_checked():
    m = keras.Sequential([keras.layers.Flatten(input_shape=(28, 28)),
                          keras.layers.Dense(10, activation="softmax")])
    # compile()'s default optimizer is Keras's, 'rmsprop'; an unknown one is refused.
    m.compile(loss="sparse_categorical_crossentropy")
    assert isinstance(m.optimizer, keras.optimizers.RMSprop)
    with raises(ValueError, "optimizer 'adagrad' is not supported", "'rmsprop'", "'adam'"):
        m.compile(optimizer="adagrad", loss="sparse_categorical_crossentropy")
    with raises(ValueError, "loss 'mse' is not supported", "sparse_categorical_crossentropy"):
        m.compile(optimizer="adam", loss="mse")
    with raises(ValueError, "metric 'mae' is not supported"):
        m.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["mae"])
    with raises(ValueError, "Adam: learning_rate must be a finite number >= 0, got -1"):
        keras.optimizers.Adam(learning_rate=-1)
    with raises(ValueError, "Adam: beta_1 must be in [0, 1), got 1.0"):
        keras.optimizers.Adam(beta_1=1.0)
    with raises(ValueError, "SGD: momentum must be in [0, 1], got 2"):
        keras.optimizers.SGD(momentum=2)
    with raises(ValueError, "from_logits=True) is not supported"):
        keras.losses.SparseCategoricalCrossentropy(from_logits=True)


def test_uncompiled_model_raises_runtime_error_as_keras():
    m = keras.Sequential([keras.layers.Flatten(input_shape=(28, 28)),
                          keras.layers.Dense(10, activation="softmax")])
    with raises(RuntimeError, "You must compile your model before training/testing"):
        m.fit(X, Y)
    with raises(RuntimeError, "You must compile your model"):
        m.predict(X)


def test_layer_arguments_are_checked():
    with raises(ValueError, "Conv2D: unknown activation 'tanh'", "'relu', 'softmax'"):
        keras.layers.Conv2D(8, (3, 3), activation="tanh")
    with raises(ValueError, "Dense: activation", "is not supported", "vknn.nn.relu"):
        keras.layers.Dense(8, activation=np.tanh)
    with raises(ValueError, "Conv2D: filters must be a positive integer, got 0"):
        keras.layers.Conv2D(0, (3, 3))
    with raises(ValueError, "Conv2D: kernel_size must be an integer or a tuple of 2 integers"):
        keras.layers.Conv2D(8, (3, 3, 3))
    with raises(ValueError, "MaxPooling2D: padding must be 'valid' or 'same', got 'full'"):
        keras.layers.MaxPooling2D(2, padding="full")
    with raises(ValueError, "Dense: units must be a positive integer, got -3"):
        keras.layers.Dense(-3)
    with raises(ValueError, "input_shape must be a tuple of positive integers", "(28, 0, 1)"):
        keras.layers.Conv2D(8, 3, input_shape=(28, 0, 1))
    with raises(ValueError, "Conv2D: dilation_rate=2 is not supported by vknn"):
        keras.layers.Conv2D(8, 3, dilation_rate=2)


def test_model_structure_errors_come_from_the_library_as_value_error():
    with raises(ValueError, "conv2d", "does not fit", "28x28"):
        keras.Sequential([keras.layers.Conv2D(4, (30, 30), input_shape=(28, 28, 1))])
    with raises(ValueError, "layer dense (Dense): activation 'softmax' is supported only on the last layer"):
        keras.Sequential([keras.layers.Flatten(input_shape=(28, 28)),
                          keras.layers.Dense(16, activation="softmax"),
                          keras.layers.Dense(10, activation="softmax")])
    with raises(ValueError, "Sequential.add: expected a vknn.keras.layers layer"):
        keras.Sequential(["conv"])
    with raises(ValueError, "This model has not yet been built"):
        keras.Sequential([keras.layers.Flatten(), keras.layers.Dense(10)]).summary()


def test_weights_errors(model, tmp_path):
    weights = model.get_weights()
    with raises(ValueError, "set_weights: the model has 4 weight arrays but 3 were given"):
        model.set_weights(weights[:3])
    bad = list(weights)
    bad[0] = np.zeros((3, 3, 1, 5), np.float32)
    with raises(ValueError, "weight 0 (conv2d/kernel) has shape (3, 3, 1, 4)", "(3, 3, 1, 5)"):
        model.set_weights(bad)
    missing = tmp_path / "nothing.safetensors"
    with raises(tf.Error, str(missing)):
        model.load_weights(missing)
    (tmp_path / "junk.safetensors").write_bytes(b"not a weights file")
    with raises(tf.Error, "junk.safetensors"):
        model.load_weights(tmp_path / "junk.safetensors")
    with raises(tf.Error, "no_such_folder"):
        model.save_weights(tmp_path / "no_such_folder" / "w.safetensors")


def test_missing_dataset_says_how_to_fetch_it(tmp_path, monkeypatch):
    monkeypatch.setenv("VKNN_DATA_DIR", str(tmp_path))
    with raises(tf.Error, "VKNN_DATA_DIR is", "no fashion-mnist/ folder", "scripts/get_data.sh"):
        keras.datasets.fashion_mnist.load_data()
    with raises(tf.Error, "no mnist/ folder", "scripts/get_data.sh"):
        keras.datasets.mnist.load_data()
    with raises(tf.Error, "no folder", "nowhere"):
        keras.datasets.mnist.load_data(path=tmp_path / "nowhere")
    (tmp_path / "mnist").mkdir()
    with raises(tf.Error, "MNIST", "scripts/get_data.sh"):
        keras.datasets.mnist.load_data()


def test_week4_layer_arguments_are_checked():
    for rate in (1.0, 1, -0.1, 2.5, float("nan")):
        with raises(ValueError, "Dropout: rate must be a number in [0, 1)", repr(rate)):
            keras.layers.Dropout(rate)
    for rate in ("0.5", None, True):
        with raises(ValueError, "Dropout: rate must be a number in [0, 1)"):
            keras.layers.Dropout(rate)
    with raises(ValueError, "Dropout: noise_shape=(None, 1) is not supported by vknn"):
        keras.layers.Dropout(0.2, noise_shape=(None, 1))
    for seed in (-1, 1.5, "7", 2 ** 64):
        with raises(ValueError, "Dropout: seed must be None or an integer in [0, 2**64)",
                    repr(seed)):
            keras.layers.Dropout(0.2, seed=seed)
    with raises(ValueError, "AveragePooling2D: padding must be 'valid' or 'same', got 'full'"):
        keras.layers.AveragePooling2D(2, padding="full")
    with raises(ValueError, "AveragePooling2D: pool_size must be positive, got (0, 0)"):
        keras.layers.AveragePooling2D(0)
    with raises(ValueError, "AveragePooling2D: strides must be an integer or a tuple of 2"):
        keras.layers.AvgPool2D(2, strides=(1, 2, 3))
    with raises(ValueError, "AveragePooling2D: data_format='channels_first' is not supported"):
        keras.layers.AveragePooling2D(data_format="channels_first")
    with raises(ValueError, "GlobalAveragePooling2D: keepdims=True is not supported by vknn"):
        keras.layers.GlobalAveragePooling2D(keepdims=True)
    with raises(ValueError, "GlobalAveragePooling2D: data_format='channels_first' is not"):
        keras.layers.GlobalAvgPool2D(data_format="channels_first")
    with raises(ValueError, "Dense: unknown activation 'tanh'", "'sigmoid'", "vknn.nn.sigmoid"):
        keras.layers.Dense(1, activation="tanh")


def test_week4_structure_errors_come_from_the_library_as_value_error():
    # Sigmoid, like softmax, only on the final Dense layer (the library's check).
    with raises(ValueError, "layer dense (Dense): activation 'sigmoid' is supported only on the "
                            "last layer"):
        keras.Sequential([keras.layers.Flatten(input_shape=(28, 28)),
                          keras.layers.Dense(16, activation=tf.nn.sigmoid),
                          keras.layers.Dense(1, activation="sigmoid")])
    with raises(ValueError, "conv2d", "'sigmoid' is not supported on this layer type"):
        keras.Sequential([keras.layers.Conv2D(4, 3, activation="sigmoid",
                                              input_shape=(28, 28, 1))])
    with raises(ValueError, "average_pooling2d", "does not fit", "28x28"):
        keras.Sequential([keras.layers.AveragePooling2D(30, input_shape=(28, 28, 1))])
    # The loss must fit the last layer (the library's check, at compile).
    ten = keras.Sequential([keras.layers.Flatten(input_shape=(28, 28)),
                            keras.layers.Dense(10, activation="softmax")])
    with raises(ValueError, "compile: the last layer is dense", "output shape (10)",
                "binary cross-entropy needs a last layer Dense(1, activation='sigmoid')"):
        ten.compile(optimizer="rmsprop", loss="binary_crossentropy")
    one = keras.Sequential([keras.layers.Flatten(input_shape=(28, 28)),
                            keras.layers.Dense(1, activation="sigmoid")])
    with raises(ValueError, "a sigmoid output goes with loss 'binary_crossentropy'"):
        one.compile(optimizer="rmsprop", loss="sparse_categorical_crossentropy")


def test_week4_compile_and_label_errors():
    m = keras.Sequential([keras.layers.Flatten(input_shape=(28, 28)),
                          keras.layers.Dense(1, activation="sigmoid")])
    with raises(ValueError, "loss 'hinge' is not supported", "'binary_crossentropy'"):
        m.compile(loss="hinge")
    with raises(ValueError, "metric 'sparse_categorical_accuracy' does not fit loss "
                            "'binary_crossentropy'", "'accuracy'"):
        m.compile(loss="binary_crossentropy", metrics=["sparse_categorical_accuracy"])
    with raises(ValueError, "metric 'binary_accuracy' does not fit loss "
                            "'sparse_categorical_crossentropy'"):
        m.compile(loss="sparse_categorical_crossentropy", metrics=["binary_accuracy"])
    with raises(ValueError, "BinaryCrossentropy(from_logits=True) is not supported",
                "activation='sigmoid'"):
        keras.losses.BinaryCrossentropy(from_logits=True)
    with raises(ValueError, "BinaryCrossentropy: label_smoothing=0.1 is not supported"):
        keras.losses.BinaryCrossentropy(label_smoothing=0.1)
    m.compile(loss="binary_crossentropy", metrics=["accuracy"])
    x = np.zeros((4, 28, 28), np.uint8)
    with raises(ValueError, "y: label 2 at index 3 is not a binary label", "labels 0 or 1"):
        m.fit(x, np.array([0, 1, 1, 2]), verbose=0)
    with raises(ValueError, "y: label -1 at index 0 is not a binary label"):
        m.evaluate(x, np.array([-1, 0, 1, 0]), verbose=0)
    with raises(ValueError, "labels must be integer class indices; found 0.5 at index 1"):
        m.fit(x, np.array([0.0, 0.5, 1.0, 1.0]), verbose=0)
    with raises(ValueError, "validation_data y: label 3 at index 0 is not a binary label"):
        m.fit(x, np.array([0, 1, 1, 0]), validation_data=(x, np.array([3, 0, 0, 0])), verbose=0)


def test_rmsprop_arguments_are_checked():
    with raises(ValueError, "RMSprop: learning_rate must be a finite number >= 0, got -1"):
        keras.optimizers.RMSprop(learning_rate=-1)
    with raises(ValueError, "RMSprop: rho must be in [0, 1), got 1.0"):
        keras.optimizers.RMSprop(rho=1.0)
    with raises(ValueError, "RMSprop: momentum must be in [0, 1), got -0.5"):
        keras.optimizers.RMSprop(momentum=-0.5)
    with raises(ValueError, "RMSprop: epsilon must be a finite number > 0, got 0"):
        keras.optimizers.RMSprop(epsilon=0)
    with raises(ValueError, "RMSprop: centered=True is not supported by vknn (only False)"):
        keras.optimizers.RMSprop(centered=True)
    with raises(ValueError, "RMSprop: clipnorm=1.0 is not supported by vknn (only None)"):
        keras.optimizers.RMSprop(clipnorm=1.0)
    with raises(TypeError, "RMSprop: unsupported arguments ['decay']"):
        keras.optimizers.RMSprop(decay=0.1)
    # Keras's other arguments at their defaults are accepted.
    keras.optimizers.RMSprop(centered=False, clipnorm=None, use_ema=False, jit_compile=True)


def test_a_lost_device_during_fit_is_a_vknn_error_saying_whether_it_can_resume():
    """A lost device (made in a child process by the runtime's test-only
    VKNN_TEST_FAULT: its 3rd queue submission fails) surfaces as vknn.Error
    with the library's message: what failed, where, and what can be resumed."""
    import os
    import subprocess
    import sys
    script = (
        "import numpy as np, vknn\n"
        "from vknn import keras\n"
        "m = keras.Sequential([keras.layers.Flatten(input_shape=(4, 4)),\n"
        "                      keras.layers.Dense(3, activation='softmax')])\n"
        "m.compile(optimizer='adam', loss='sparse_categorical_crossentropy')\n"
        "try:\n"
        "    m.fit(np.zeros((16, 4, 4), np.uint8), np.zeros(16, np.int64), epochs=2,\n"
        "          batch_size=4, verbose=0)\n"
        "except vknn.Error as e:\n"
        "    print('caught vknn.Error:', e)\n")
    # The fault is armed by count: the autotuner's measurement submissions
    # (for shapes not cached yet) would move it, so the device profile is used.
    env = dict(os.environ, VKNN_TEST_FAULT="submit:3:VK_ERROR_DEVICE_LOST", VKNN_AUTOTUNE="0",
               PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
    out = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True,
                         text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    for fragment in ["caught vknn.Error: fit: the device was lost (VK_ERROR_DEVICE_LOST) in "
                     "epoch 1/2, after 2 of 4 steps had been queued",
                     "Nothing was kept to resume from", "BackupAndRestore"]:
        assert fragment in out.stdout, f"{fragment!r} not in {out.stdout!r} (stderr {out.stderr!r})"
