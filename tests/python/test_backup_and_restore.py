"""keras.callbacks.BackupAndRestore in Python: a training process killed with
SIGKILL after a backup was written resumes, when the same script runs again,
to weights identical bit for bit to an uninterrupted run's, and the backup is
deleted when the fit completes. A tiny model on synthetic data; each run is
its own process (a second or two each)."""
import json
import os
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest

from vknn import keras

# The training script. With KILL_ME set, its callback stalls at the end of
# epoch 1 (after BackupAndRestore, which runs in C++ before Python
# callbacks, has written that epoch's backup) until the test kills it.
SCRIPT = textwrap.dedent("""
    import json, os, sys, time
    import numpy as np
    import vknn as tf

    backup_dir, out = sys.argv[1], sys.argv[2]
    rng = np.random.default_rng(7)
    x = rng.integers(0, 256, size=(96, 8, 8, 1), dtype=np.uint8)
    y = (x[:, :4].mean(axis=(1, 2, 3)) > x[:, 4:].mean(axis=(1, 2, 3))).astype(np.uint8)
    tf.keras.utils.set_random_seed(3)
    model = tf.keras.Sequential([
        tf.keras.layers.Conv2D(2, (3, 3), activation="relu", input_shape=(8, 8, 1)),
        tf.keras.layers.Flatten(),
        tf.keras.layers.Dense(2, activation="softmax"),
    ])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    begun = []

    class Stall(tf.keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            begun.append(epoch)

        def on_epoch_end(self, epoch, logs=None):
            if epoch == 1 and os.environ.get("KILL_ME"):
                open(out + ".ready", "w").close()
                time.sleep(120)

    backup = tf.keras.callbacks.BackupAndRestore(backup_dir)
    history = model.fit(x / 255.0, y, epochs=4, batch_size=16, verbose=0,
                        callbacks=[backup, Stall()])
    np.savez(out + ".npz", *model.get_weights())
    with open(out + ".json", "w") as f:
        json.dump({"restored": backup.restored, "begun": begun, "epoch": history.epoch,
                   "loss": history.history["loss"]}, f)
""")


def run(script, backup_dir, out, kill=False):
    # Kernel variants from the device profile, not the autotuner: the runs
    # are separate processes, and tests in other processes tune the same
    # shapes into the same cache at once, so two runs could use different
    # winners and end a few bits apart.
    env = dict(os.environ, VKNN_AUTOTUNE="0")
    if kill:
        env["KILL_ME"] = "1"
    return subprocess.Popen([sys.executable, str(script), str(backup_dir), str(out)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def finish(process):
    stdout, stderr = process.communicate(timeout=120)
    assert process.returncode == 0, f"exit {process.returncode}\n{stdout}\n{stderr}"


def weights(out):
    with np.load(str(out) + ".npz") as f:
        return [f[k] for k in sorted(f.files, key=lambda k: int(k.split("_")[1]))]


def test_killed_fit_resumes_bit_for_bit_and_the_backup_is_deleted(tmp_path):
    script = tmp_path / "train.py"
    script.write_text(SCRIPT)

    # The reference: the same fit, never interrupted.
    finish(run(script, tmp_path / "reference_backup", tmp_path / "reference"))
    reference = json.loads((tmp_path / "reference.json").read_text())
    assert reference["restored"] is False and reference["begun"] == [0, 1, 2, 3]

    backup_dir = tmp_path / "backup"
    backup_file = backup_dir / "checkpoint.safetensors"
    out = tmp_path / "resumed"
    process = run(script, backup_dir, out, kill=True)
    try:
        deadline = time.monotonic() + 120
        while not os.path.exists(str(out) + ".ready"):
            assert process.poll() is None, f"the run ended before it was killed: " \
                                           f"{process.communicate()}"
            assert time.monotonic() < deadline, "epoch 1 did not end in 120 s"
            time.sleep(0.05)
        # BackupAndRestore runs before Python callbacks: epoch 1's backup is there.
        assert backup_file.exists(), "no backup after epoch 1"
    finally:
        process.send_signal(signal.SIGKILL)
        process.communicate(timeout=60)
    assert process.returncode == -signal.SIGKILL
    assert backup_file.exists() and not os.path.exists(str(out) + ".json")

    # The same script again: it resumes after epoch 1 and ends where the
    # uninterrupted run ended.
    finish(run(script, backup_dir, out))
    resumed = json.loads((tmp_path / "resumed.json").read_text())
    assert resumed["restored"] is True
    assert resumed["begun"] == [2, 3], "the resumed fit must run only epochs 2 and 3"
    # vknn's History carries the backup's epochs on (docs/python.md).
    assert resumed["epoch"] == [0, 1, 2, 3]
    assert resumed["loss"] == reference["loss"]
    want, got = weights(tmp_path / "reference"), weights(out)
    assert len(got) == len(want) == 4
    for a, b in zip(got, want):
        assert a.dtype == b.dtype == np.float32 and a.tobytes() == b.tobytes()

    # As Keras: a completed fit deletes its backup (and the folder vknn made).
    assert not backup_file.exists()
    assert not backup_dir.exists()
    assert not (tmp_path / "reference_backup").exists()


def test_arguments_keras_has_and_vknn_does_not():
    with pytest.raises(ValueError, match="Empty `backup_dir`"):
        keras.callbacks.BackupAndRestore("")
    with pytest.raises(ValueError, match="save_freq"):
        keras.callbacks.BackupAndRestore("b", save_freq=0)
    with pytest.raises(ValueError, match="delete_checkpoint=False"):
        keras.callbacks.BackupAndRestore("b", delete_checkpoint=False)
    assert keras.callbacks.BackupAndRestore("b", save_freq=5).checkpoint_path == \
        os.path.join("b", "checkpoint.safetensors")
