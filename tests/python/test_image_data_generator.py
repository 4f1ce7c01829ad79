"""keras.preprocessing.image.ImageDataGenerator and flow_from_directory as the
course's week 4 uses them (rescale=1/255, class_mode='binary', fit with
steps_per_epoch and validation_steps): Keras's file order and per-class
split, the batches it yields, what fit makes of it, and the errors. The
folders come from the make_image_folders example, as in
test_image_folders.py."""
import os

import numpy as np
import pytest

import vknn as tf
from vknn import keras

from test_image_folders import SIZE, make_folders

ImageDataGenerator = tf.keras.preprocessing.image.ImageDataGenerator


@pytest.fixture(scope="module")
def boots(tmp_path_factory):
    """sneakers vs ankle boots: 40 training and 16 validation pictures per class."""
    return make_folders(tmp_path_factory.mktemp("gen"), "sneakers_vs_boots", 40, 16)


def keras_files(directory, split=0.0, subset=None):
    """DirectoryIterator's file list, written from Keras's
    _list_valid_filenames_in_directory: classes sorted, each class's files
    sorted, and with a validation split the first int(split * n) files of
    each class for 'validation', the rest for 'training'."""
    classes = sorted(d for d in os.listdir(directory) if os.path.isdir(os.path.join(directory, d)))
    files, labels = [], []
    for label, name in enumerate(classes):
        names = sorted(os.listdir(os.path.join(directory, name)))
        if subset:
            cut = int(split * len(names))
            names = names[:cut] if subset == "validation" else names[cut:]
        files += [os.path.join(name, f) for f in names]
        labels += [label] * len(names)
    return files, labels, classes


def test_files_classes_and_split_are_keras(boots, capsys):
    train_dir, _ = boots
    gen = ImageDataGenerator(rescale=1 / 255, validation_split=0.25)
    for subset in ("training", "validation"):
        it = gen.flow_from_directory(str(train_dir), target_size=(SIZE, SIZE), batch_size=8,
                                     class_mode="binary", subset=subset, shuffle=False)
        files, labels, classes = keras_files(str(train_dir), 0.25, subset)
        assert it.filenames == files
        np.testing.assert_array_equal(it.classes, labels)
        assert it.class_indices == {name: i for i, name in enumerate(classes)}
        assert it.samples == len(files) == (30 if subset == "training" else 10) * 2
        assert it.image_shape == (SIZE, SIZE, 3)
        assert len(it) == -(-it.samples // 8)
    assert "Found 60 images belonging to 2 classes." in capsys.readouterr().out


def test_batches_are_rescaled_pictures_with_keras_labels(boots):
    train_dir, _ = boots
    raw = ImageDataGenerator().flow_from_directory(
        str(train_dir), target_size=(SIZE, SIZE), batch_size=16, shuffle=False,
        class_mode="sparse")
    scaled = ImageDataGenerator(rescale=1 / 255).flow_from_directory(
        str(train_dir), target_size=(SIZE, SIZE), batch_size=16, shuffle=False,
        class_mode="categorical")
    x_raw, y_raw = raw[1]
    x, y = scaled[1]
    assert x.dtype == np.float32 and x.shape == (16, SIZE, SIZE, 3)
    assert x_raw.max() > 1 and np.all(x_raw == np.rint(x_raw))
    np.testing.assert_array_equal(x, x_raw * np.float32(1 / 255))
    np.testing.assert_array_equal(y, np.eye(2, dtype=np.float32)[y_raw.astype(int)])
    # the same pixels as image_dataset_from_directory with 'nearest'
    ds = keras.utils.image_dataset_from_directory(
        train_dir, image_size=(SIZE, SIZE), batch_size=16, shuffle=False, interpolation="nearest")
    x_ds, _ = list(ds)[1]
    np.testing.assert_array_equal(x_raw, x_ds)
    # the last batch is partial; shuffled iteration visits every picture
    last_x, _ = raw[len(raw) - 1]
    assert last_x.shape[0] == raw.samples - 16 * (len(raw) - 1)
    shuffled = ImageDataGenerator().flow_from_directory(
        str(train_dir), target_size=(SIZE, SIZE), batch_size=16, class_mode="sparse", seed=3)
    seen = np.concatenate([shuffled[i][1] for i in range(len(shuffled))])
    assert sorted(seen.tolist()) == sorted(raw.classes.tolist())
    with pytest.raises(IndexError):
        raw[len(raw)]


def course_model():
    m = keras.Sequential([
        keras.layers.Conv2D(4, (3, 3), activation="relu", input_shape=(SIZE, SIZE, 3)),
        keras.layers.MaxPooling2D(2, 2),
        keras.layers.Flatten(),
        keras.layers.Dense(8, activation="relu"),
        keras.layers.Dense(1, activation="sigmoid"),
    ])
    m.compile(loss="binary_crossentropy", optimizer=keras.optimizers.RMSprop(learning_rate=0.001),
              metrics=["accuracy"])
    return m


def test_fit_with_steps_per_epoch_as_the_course(boots):
    train_dir, validation_dir = boots
    gen = ImageDataGenerator(rescale=1 / 255)
    train = gen.flow_from_directory(str(train_dir), target_size=(SIZE, SIZE), batch_size=16,
                                    class_mode="binary")
    # Unshuffled: its first batches, the pictures fit validates on, are the
    # first files.
    validation = gen.flow_from_directory(str(validation_dir), target_size=(SIZE, SIZE),
                                         batch_size=8, class_mode="binary", shuffle=False)
    assert len(train) == 5  # 80 pictures
    m = course_model()
    h = m.fit(train, steps_per_epoch=4, epochs=2, verbose=0, validation_data=validation,
              validation_steps=2)
    assert h.params["steps"] == 4
    assert len(h.history["loss"]) == 2 and len(h.history["val_accuracy"]) == 2
    # validation_steps=2 of batches of 8 over unshuffled validation pictures:
    # evaluate on the first 16 gives the same figures.
    vx = np.concatenate([validation[i][0] for i in range(2)])
    vy = np.concatenate([validation[i][1] for i in range(2)])
    loss, accuracy = m.evaluate(vx, vy, batch_size=8, verbose=0)
    assert h.history["val_loss"][-1] == pytest.approx(loss, abs=1e-6)
    assert h.history["val_accuracy"][-1] == pytest.approx(accuracy, abs=1e-6)
    # steps_per_epoch trains on fewer samples than a whole epoch would
    whole = course_model()
    h_whole = whole.fit(train, epochs=1, verbose=0)
    part = course_model()
    h_part = part.fit(train, steps_per_epoch=4, epochs=1, verbose=0)
    assert h_whole.params["steps"] == 5
    assert h_part.history["loss"] != h_whole.history["loss"]
    with pytest.raises(ValueError, match="steps_per_epoch 6 is more than the 5 batches of 80 "
                                         "samples at batch_size 16"):
        m.fit(train, steps_per_epoch=6, epochs=1, verbose=0)
    # predict and evaluate take the generator too
    assert m.predict(validation, verbose=0).shape == (validation.samples, 1)
    assert len(m.evaluate(validation, verbose=0)) == 2


def test_validation_steps_take_the_shuffled_iterators_first_batches(boots):
    """A shuffling validation iterator (flow_from_directory's default) is
    validated as Keras's fit takes it: its first validation_steps batches,
    it[0], it[1], ..., of its shuffled order; not the first files, which are
    all of the first class."""
    train_dir, validation_dir = boots
    gen = ImageDataGenerator(rescale=1 / 255)
    train = gen.flow_from_directory(str(train_dir), target_size=(SIZE, SIZE), batch_size=16,
                                    class_mode="binary", seed=1)
    validation = gen.flow_from_directory(str(validation_dir), target_size=(SIZE, SIZE),
                                         batch_size=8, class_mode="binary", seed=3)
    m = course_model()
    h = m.fit(train, epochs=1, verbose=0, validation_data=validation, validation_steps=2)
    vx = np.concatenate([validation[i][0] for i in range(2)])
    vy = np.concatenate([validation[i][1] for i in range(2)])
    assert 0 < vy.mean() < 1  # both classes: the first 16 files are all of one
    loss, accuracy = m.evaluate(vx, vy, batch_size=8, verbose=0)
    assert h.history["val_loss"][-1] == pytest.approx(loss, abs=1e-6)
    assert h.history["val_accuracy"][-1] == pytest.approx(accuracy, abs=1e-6)


def test_arguments_vknn_cannot_honour_are_refused(boots):
    train_dir, _ = boots
    # Augmentation vknn does not do (test_augmentation.py has the rest).
    with pytest.raises(ValueError, match="brightness_range=\\(0.5, 1.5\\) is not supported by vknn"):
        ImageDataGenerator(rescale=1 / 255, brightness_range=(0.5, 1.5))
    with pytest.raises(ValueError, match="featurewise_center=True is not supported by vknn"):
        ImageDataGenerator(featurewise_center=True)
    with pytest.raises(TypeError, match="unexpected argument colour"):
        ImageDataGenerator(colour=1)
    ImageDataGenerator(rotation_range=0, fill_mode="nearest", data_format="channels_last")
    with pytest.raises(ValueError, match="rescale must be a finite nonzero number"):
        ImageDataGenerator(rescale=0)
    gen = ImageDataGenerator()
    with pytest.raises(ValueError, match="Invalid class_mode: multi"):
        gen.flow_from_directory(str(train_dir), class_mode="multi")
    with pytest.raises(ValueError, match="Invalid subset name: test"):
        gen.flow_from_directory(str(train_dir), subset="test")
    with pytest.raises(ValueError, match="save_to_dir is not supported"):
        gen.flow_from_directory(str(train_dir), save_to_dir="/tmp")
    with pytest.raises(tf.Error, match="missing"):
        gen.flow_from_directory(str(train_dir / "missing"))
