"""keras.callbacks: Callback (subclass it in Python), History, EarlyStopping,
TerminateOnNaN, BackupAndRestore, TensorBoard, LambdaCallback, CSVLogger,
LearningRateScheduler, ReduceLROnPlateau, ModelCheckpoint.

How the hooks are called during vknn's fit:

- on_train_begin, on_epoch_begin, on_epoch_end, on_train_end: as in Keras,
  with ``logs`` a dict ('loss', 'accuracy', and 'val_loss', 'val_accuracy'
  at epoch end when validating) and ``self.model`` the model. Setting
  ``self.model.stop_training = True`` ends training after the current epoch
  (or at the next step boundary, when set from a batch hook).
- on_train_batch_end / on_batch_end: as in Keras, after every batch, with
  ``logs`` the epoch's running means so far ({'loss', 'accuracy'}; after the
  last batch they equal the epoch's values in History). Setting
  ``self.model.stop_training = True`` there stops training at that step
  boundary: no further batch runs. This has a cost: reading the running
  metrics means the host waits for the device after every step (vknn
  otherwise keeps several steps in flight), so fit runs slower. It is paid
  only when a callback overrides one of these hooks; a fit without batch
  hooks runs no Python at all between epochs.
- on_train_batch_begin / on_batch_begin and the test/predict hooks are never
  called.
- EarlyStopping, TerminateOnNaN and BackupAndRestore run in C++ inside fit
  (no Python per step); TensorBoard's writing is C++ called at epoch ends.
- What a callback adds to the epoch logs (LearningRateScheduler's and
  ReduceLROnPlateau's 'lr') is seen by the callbacks after it and recorded
  in History, as in Keras, where History runs after the user's callbacks.

CSVLogger, LearningRateScheduler, ReduceLROnPlateau and ModelCheckpoint
follow Keras 2.x's keras/callbacks.py (docs/python.md lists what is matched
and where vknn differs).

Data-parallel (a vknn.distribute strategy under mpirun), every rank runs
the callbacks with the same global logs, but only rank 0 writes their files
(CSVLogger, ModelCheckpoint, TensorBoard; BackupAndRestore in C++) and
prints their messages, as the C++ library's own callbacks do.
"""
import collections.abc
import csv
import inspect
import io
import math
import os
import string
import warnings

import numpy as np

from .. import _vknn
from ..distribute import _is_primary


class Callback:
    """keras.callbacks.Callback: override the hooks you need."""

    def __init__(self):
        self.model = None
        self.params = {}
        self.validation_data = None

    def set_model(self, model):
        self.model = model

    def set_params(self, params):
        self.params = params

    def on_train_begin(self, logs=None):
        pass

    def on_train_end(self, logs=None):
        pass

    def on_epoch_begin(self, epoch, logs=None):
        pass

    def on_epoch_end(self, epoch, logs=None):
        pass

    def on_train_batch_begin(self, batch, logs=None):
        pass

    def on_train_batch_end(self, batch, logs=None):
        # As in Keras, the default forwards to the older name.
        self.on_batch_end(batch, logs=logs)

    def on_batch_begin(self, batch, logs=None):
        pass

    def on_batch_end(self, batch, logs=None):
        pass

    def on_test_begin(self, logs=None):
        pass

    def on_test_end(self, logs=None):
        pass

    def on_predict_begin(self, logs=None):
        pass

    def on_predict_end(self, logs=None):
        pass

    def _wants_batches(self):
        cls = type(self)
        return cls.on_train_batch_end is not Callback.on_train_batch_end or \
            cls.on_batch_end is not Callback.on_batch_end


class History(Callback):
    """What fit returns: .history (metric name -> per-epoch values), .epoch, .params."""

    def __init__(self):
        super().__init__()
        self.history = {}
        self.epoch = []

    def __repr__(self):
        return f"<vknn.keras.callbacks.History epochs={len(self.epoch)} keys={list(self.history)}>"


class _NativeCallback(Callback):
    """A callback that runs inside the C++ fit loop."""

    _native = None


class EarlyStopping(_NativeCallback):
    """keras.callbacks.EarlyStopping(monitor='val_loss', min_delta=0, patience=0,
    verbose=0, mode='auto', baseline=None, restore_best_weights=False,
    start_from_epoch=0)."""

    def __init__(self, monitor="val_loss", min_delta=0, patience=0, verbose=0, mode="auto",
                 baseline=None, restore_best_weights=False, start_from_epoch=0):
        super().__init__()
        if not isinstance(monitor, str) or not monitor:
            raise ValueError(f"EarlyStopping: monitor must be a metric name, got {monitor!r}")
        if mode not in ("auto", "min", "max"):
            raise ValueError(f"EarlyStopping: mode must be 'auto', 'min' or 'max', got {mode!r}")
        if isinstance(patience, bool) or not isinstance(patience, int) or patience < 0:
            raise ValueError(f"EarlyStopping: patience must be an integer >= 0, got {patience!r}")
        if isinstance(start_from_epoch, bool) or not isinstance(start_from_epoch, int) or \
                start_from_epoch < 0:
            raise ValueError(
                f"EarlyStopping: start_from_epoch must be an integer >= 0, got {start_from_epoch!r}")
        self.monitor, self.mode, self.patience, self.verbose = monitor, mode, patience, verbose
        self.min_delta = abs(float(min_delta))
        self.baseline = None if baseline is None else float(baseline)
        self.restore_best_weights = bool(restore_best_weights)
        self.start_from_epoch = start_from_epoch
        self._native = _vknn.NativeEarlyStopping(
            monitor=monitor, min_delta=self.min_delta, patience=patience, mode=mode,
            baseline=self.baseline, restore_best_weights=self.restore_best_weights,
            start_from_epoch=start_from_epoch)

    @property
    def stopped_epoch(self):
        """The epoch at which training stopped (0 when it did not), as in Keras."""
        return max(self._native.stopped_epoch, 0)

    @property
    def best_epoch(self):
        return self._native.best_epoch


class TerminateOnNaN(_NativeCallback):
    """keras.callbacks.TerminateOnNaN: stop as soon as the loss is NaN or infinite."""

    def __init__(self):
        super().__init__()
        self._native = _vknn.NativeTerminateOnNaN()


class BackupAndRestore(_NativeCallback):
    """keras.callbacks.BackupAndRestore(backup_dir, save_freq='epoch',
    delete_checkpoint=True): survive an interrupted fit. At fit start a
    backup in backup_dir is restored and training continues where it stood;
    the backup is rewritten at each epoch end (save_freq='epoch') or every N
    training batches (save_freq=N, counted across epochs), and deleted when
    fit completes (also when a callback stops it early), as Keras deletes
    it. Ctrl-C (KeyboardInterrupt) writes the backup at that step boundary,
    mid-epoch if need be; a killed process resumes from the last backup
    written.

    Runs in C++ (vknn's BackupAndRestore): the backup is one file,
    backup_dir/checkpoint.safetensors (docs/checkpoints.md: weights,
    optimizer state, learning rate, position in the epoch, metric totals,
    History), written atomically, not Keras's TensorFlow checkpoint. The
    resumed fit must be given the same data, batch_size, shuffle and seed
    (vknn.keras.utils.set_random_seed) and it then continues bit for bit.
    A corrupt backup, one with a NaN or an infinity, or one of another model
    makes fit raise vknn.Error naming the file and leaves it in place.
    Unlike Keras, the History of a resumed fit also holds the epochs the
    backup had completed (its `epoch` list says which)."""

    def __init__(self, backup_dir, save_freq="epoch", delete_checkpoint=True,
                 save_before_preemption=False):
        super().__init__()
        if backup_dir is None or (isinstance(backup_dir, str) and not backup_dir):
            raise ValueError("Empty `backup_dir` argument passed")
        try:
            self.backup_dir = os.fspath(backup_dir)
        except TypeError:
            raise ValueError(f"BackupAndRestore: backup_dir must be a folder path, got "
                             f"{backup_dir!r}") from None
        if save_freq == "epoch":
            steps = 0
        elif isinstance(save_freq, (bool, np.bool_)) or \
                not isinstance(save_freq, (int, np.integer)) or save_freq < 1:
            raise ValueError(f"Unrecognized save_freq value: {save_freq!r} (BackupAndRestore "
                             f"takes 'epoch' or a number of batches >= 1; Keras's False is not "
                             f"supported)")
        else:
            steps = int(save_freq)
        if not delete_checkpoint:
            raise ValueError("BackupAndRestore: delete_checkpoint=False is not supported by "
                             "vknn (the backup is deleted when fit completes, Keras's default)")
        if save_before_preemption:
            raise ValueError("BackupAndRestore: save_before_preemption is not supported by vknn "
                             "(it has no preemption notices; Ctrl-C writes the backup)")
        self.save_freq = save_freq
        self.delete_checkpoint = True
        self._native = _vknn.NativeBackupAndRestore(backup_dir=self.backup_dir,
                                                    save_freq_steps=steps)

    @property
    def checkpoint_path(self):
        """The backup file: backup_dir/checkpoint.safetensors."""
        return self._native.checkpoint_path

    @property
    def restored(self):
        """Whether the last fit started from a backup."""
        return self._native.restored


class TensorBoard(Callback):
    """keras.callbacks.TensorBoard(log_dir='logs', histogram_freq=0,
    write_graph=True, write_images=False, write_steps_per_second=False,
    update_freq='epoch', profile_batch=0, embeddings_freq=0,
    embeddings_metadata=None): the epoch scalars, as Keras 2.x writes them:
    at each epoch end, every training log as 'epoch_<name>' under
    log_dir/train ('epoch_loss', 'epoch_accuracy', 'epoch_lr' from a
    scheduler before it) and every 'val_<name>' as 'epoch_<name>' under
    log_dir/validation, at step = epoch (0-based), in an
    events.out.tfevents.* file per fit that TensorBoard reads. The writing
    is vknn's C++ TensorBoard (the same files from C++ and Python).

    Not written: the graph (write_graph is accepted and ignored: vknn has no
    TensorFlow graph to show), histograms, images, embeddings, per-batch
    scalars and profiles, which are errors when asked for. Values are
    written as a Summary.Value's simple_value (float), which TensorBoard
    reads as a scalar; TensorFlow 2 writes a scalar tensor with the scalars
    plugin's metadata instead (docs/python.md)."""

    def __init__(self, log_dir="logs", histogram_freq=0, write_graph=True, write_images=False,
                 write_steps_per_second=False, update_freq="epoch", profile_batch=0,
                 embeddings_freq=0, embeddings_metadata=None, **kwargs):
        super().__init__()
        if kwargs:
            raise ValueError(f"Unrecognized arguments in `TensorBoard` Callback: "
                             f"{sorted(kwargs)}")
        try:
            self.log_dir = os.fspath(log_dir)
        except TypeError:
            raise ValueError(f"TensorBoard: log_dir must be a folder path, got {log_dir!r}") \
                from None
        for name, value, default in (("histogram_freq", histogram_freq, 0),
                                     ("write_images", write_images, False),
                                     ("write_steps_per_second", write_steps_per_second, False),
                                     ("update_freq", update_freq, "epoch"),
                                     ("profile_batch", profile_batch, 0),
                                     ("embeddings_freq", embeddings_freq, 0),
                                     ("embeddings_metadata", embeddings_metadata, None)):
            if not (value is default or (type(value) is type(default) and value == default)):
                raise ValueError(f"TensorBoard: {name}={value!r} is not supported by vknn, "
                                 f"which writes the epoch scalars only (leave {name} at "
                                 f"{default!r})")
        self.write_graph = write_graph
        self.update_freq = update_freq
        self._native = _vknn.NativeTensorBoard(log_dir=self.log_dir)

    def on_train_begin(self, logs=None):
        if _is_primary():  # data-parallel, rank 0 writes: every rank has the same logs
            self._native.begin()

    def on_epoch_end(self, epoch, logs=None):
        values = {}
        for key, value in (logs or {}).items():
            try:
                values[key] = float(value)
            except (TypeError, ValueError):
                raise ValueError(f"TensorBoard: the log {key!r} of epoch {epoch} is {value!r}, "
                                 f"not a number; only scalars can be written") from None
        if _is_primary():
            self._native.write_epoch(epoch, values)

    def on_train_end(self, logs=None):
        if _is_primary():
            self._native.end()


class LambdaCallback(Callback):
    """keras.callbacks.LambdaCallback(on_epoch_begin=None, on_epoch_end=None,
    on_batch_begin=None, on_batch_end=None, on_train_begin=None, on_train_end=None)."""

    def __init__(self, on_epoch_begin=None, on_epoch_end=None, on_batch_begin=None,
                 on_batch_end=None, on_train_begin=None, on_train_end=None, **kwargs):
        super().__init__()
        if kwargs:
            raise TypeError(f"LambdaCallback: unsupported arguments {sorted(kwargs)}")
        if on_batch_begin is not None:
            raise ValueError("LambdaCallback: on_batch_begin is never called by vknn's fit")
        noop = lambda *args, **kw: None  # noqa: E731
        self.on_epoch_begin = on_epoch_begin or noop
        self.on_epoch_end = on_epoch_end or noop
        self.on_train_begin = on_train_begin or noop
        self.on_train_end = on_train_end or noop
        self._batch_end = on_batch_end
        if on_batch_end is not None:
            self.on_batch_end = on_batch_end

    def _wants_batches(self):
        return self._batch_end is not None


def _is_number(value):
    return not isinstance(value, (bool, np.bool_)) and isinstance(value, (int, float, np.integer,
                                                                          np.floating))


def _non_negative_int(owner, name, value):
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)) or value < 0:
        raise ValueError(f"{owner}: {name} must be an integer >= 0, got {value!r}")
    return int(value)


def _optimizer_of(model, owner):
    optimizer = getattr(model, "optimizer", None)
    if optimizer is None or not hasattr(optimizer, "lr"):
        raise ValueError(f'{owner}: Optimizer must have a "lr" attribute (compile the model '
                         f'first).')
    return optimizer


class CSVLogger(Callback):
    """keras.callbacks.CSVLogger(filename, separator=',', append=False): one row
    per epoch, as Keras writes it: the columns 'epoch' (0-based, as the epoch
    index fit passes callbacks) then the log keys sorted, fixed at the first
    epoch end; values as Python's csv module writes them (str of the float);
    'NA' for a key missing from the epoch that stopped training; Excel's
    dialect with `separator` (lines end in \r\n). append=True keeps what the
    file holds and writes the header only when it is empty.

    Unlike Keras, which keeps the file open and flushes it each epoch, vknn
    rewrites the whole file atomically at each epoch end (the library's
    atomic writer): a crash leaves the previous epoch's complete file, never
    half a row."""

    def __init__(self, filename, separator=",", append=False):
        super().__init__()
        if not isinstance(separator, str) or len(separator) != 1:
            raise ValueError(f"CSVLogger: separator must be a single character, got {separator!r}")
        self.sep = separator
        self.filename = os.fspath(filename)
        self.append = bool(append)
        self.keys = None
        self.append_header = True
        self._content = b""
        self._header_written = False

    def on_train_begin(self, logs=None):
        self._content = b""
        if self.append:
            if os.path.exists(self.filename):
                with open(self.filename, "rb") as f:
                    self._content = f.read()
                self.append_header = not self._content  # Keras: not len(f.readline())
        self._header_written = False
        # Keras opens (and, without append, truncates) the file here.
        self._write()

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}

        def handle_value(k):
            is_zero_dim_ndarray = isinstance(k, np.ndarray) and k.ndim == 0
            if isinstance(k, str):
                return k
            if isinstance(k, collections.abc.Iterable) and not is_zero_dim_ndarray:
                return '"[%s]"' % (", ".join(map(str, k)))
            return k

        if self.keys is None:
            self.keys = sorted(logs.keys())
        if self.model is not None and self.model.stop_training:
            # As Keras: NA, so that csv parsers do not fail for this last epoch.
            logs = dict((k, logs[k]) if k in logs else (k, "NA") for k in self.keys)
        missing = [k for k in self.keys if k not in logs]
        if missing:
            raise KeyError(f"CSVLogger: the logs of epoch {epoch + 1} have no {missing[0]!r}, "
                           f"a column of {self.filename} (columns: {['epoch'] + self.keys}; "
                           f"this epoch's keys: {list(logs)})")

        class CustomDialect(csv.excel):
            delimiter = self.sep

        text = io.StringIO()
        writer = csv.DictWriter(text, fieldnames=["epoch"] + self.keys, dialect=CustomDialect)
        if not self._header_written:
            if self.append_header:
                writer.writeheader()
            self._header_written = True
        row = {"epoch": epoch}
        row.update((key, handle_value(logs[key])) for key in self.keys)
        writer.writerow(row)
        self._content += text.getvalue().encode("utf-8")
        self._write()

    def _write(self):
        if _is_primary():  # data-parallel, one file per job, written by rank 0
            _vknn.write_file_atomically(self.filename, self._content)

    def on_train_end(self, logs=None):
        self._header_written = False


class LearningRateScheduler(Callback):
    """keras.callbacks.LearningRateScheduler(schedule, verbose=0): before each
    epoch, sets the optimizer's learning rate to schedule(epoch, lr) (the
    current rate as a float), or schedule(epoch) for a schedule that takes
    one argument; epochs are 0-based. Adds 'lr' (the rate, float32) to the
    epoch's logs, hence to History. Like Keras, a schedule must return a
    float (an int is an error); unlike Keras, a NaN, infinite or negative
    rate is an error naming the epoch and the value (Keras would train on
    with it)."""

    def __init__(self, schedule, verbose=0):
        super().__init__()
        if not callable(schedule):
            raise ValueError(f"LearningRateScheduler: schedule must be a function of (epoch) or "
                             f"(epoch, lr), got {schedule!r}")
        self.schedule = schedule
        self.verbose = verbose
        try:
            signature = inspect.signature(schedule)
        except (TypeError, ValueError):
            signature = None
        self._signature = signature

    def _call_schedule(self, epoch, lr):
        if self._signature is None:  # as Keras: try the two-argument form first
            try:
                return self.schedule(epoch, lr)
            except TypeError:
                return self.schedule(epoch)
        try:
            self._signature.bind(epoch, lr)
        except TypeError:
            return self.schedule(epoch)
        return self.schedule(epoch, lr)

    def on_epoch_begin(self, epoch, logs=None):
        optimizer = _optimizer_of(self.model, "LearningRateScheduler")
        lr = self._call_schedule(epoch, float(optimizer.learning_rate))
        if isinstance(lr, (bool, np.bool_)) or not isinstance(lr, (float, np.floating)):
            raise ValueError(f'The output of the "schedule" function should be float. Got: '
                             f'{lr!r} (LearningRateScheduler, epoch {epoch}; return e.g. '
                             f'{float(lr) if _is_number(lr) else 0.001!r})')
        if not math.isfinite(lr) or lr < 0:
            raise ValueError(f"LearningRateScheduler: the schedule returned the learning rate "
                             f"{lr!r} for epoch {epoch} (0-based); a learning rate must be a "
                             f"finite number >= 0")
        optimizer.learning_rate = float(lr)
        if self.verbose > 0 and _is_primary():
            print(f"\nEpoch {epoch + 1}: LearningRateScheduler setting learning rate to {lr}.")

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs["lr"] = np.float32(self.model.optimizer.learning_rate)


class ReduceLROnPlateau(Callback):
    """keras.callbacks.ReduceLROnPlateau(monitor='val_loss', factor=0.1,
    patience=10, verbose=0, mode='auto', min_delta=1e-4, cooldown=0,
    min_lr=0), Keras's rules: an epoch improves when the monitored value is
    below best - min_delta ('min', and 'auto' unless the name contains
    'acc') or above best + min_delta ('max'); after `patience` epochs
    without improvement (outside a cooldown) the rate becomes
    max(lr * factor, min_lr) if lr > min_lr, then `cooldown` epochs pass
    before waiting counts again. Adds 'lr' (the rate the epoch trained with,
    float32) to the epoch's logs. A monitor missing from the logs is a
    warning naming the available keys, as in Keras."""

    def __init__(self, monitor="val_loss", factor=0.1, patience=10, verbose=0, mode="auto",
                 min_delta=1e-4, cooldown=0, min_lr=0, **kwargs):
        super().__init__()
        if "epsilon" in kwargs:
            min_delta = kwargs.pop("epsilon")
            warnings.warn("`epsilon` argument is deprecated and will be removed, use "
                          "`min_delta` instead.", stacklevel=2)
        if kwargs:
            raise TypeError(f"ReduceLROnPlateau: unsupported arguments {sorted(kwargs)}")
        if not isinstance(monitor, str) or not monitor:
            raise ValueError(f"ReduceLROnPlateau: monitor must be a metric name, got {monitor!r}")
        if not _is_number(factor) or not math.isfinite(factor):
            raise ValueError(f"ReduceLROnPlateau: factor must be a number, got {factor!r}")
        if factor >= 1.0:
            raise ValueError(f"ReduceLROnPlateau does not support a factor >= 1.0. Got {factor}")
        if not _is_number(min_lr) or not math.isfinite(min_lr) or min_lr < 0:
            raise ValueError(f"ReduceLROnPlateau: min_lr must be a finite number >= 0, got "
                             f"{min_lr!r}")
        if not _is_number(min_delta) or not math.isfinite(min_delta):
            raise ValueError(f"ReduceLROnPlateau: min_delta must be a number, got {min_delta!r}")
        self.monitor = monitor
        self.factor = float(factor)
        self.min_lr = float(min_lr)
        self.min_delta = float(min_delta)
        self.patience = _non_negative_int("ReduceLROnPlateau", "patience", patience)
        self.verbose = verbose
        self.cooldown = _non_negative_int("ReduceLROnPlateau", "cooldown", cooldown)
        self.cooldown_counter = 0
        self.wait = 0
        self.best = 0
        self.mode = mode
        self.monitor_op = None
        self._reset()

    def _reset(self):
        if self.mode not in ["auto", "min", "max"]:
            warnings.warn(f"Learning rate reduction mode {self.mode} is unknown, fallback to "
                          f"auto mode.")
            self.mode = "auto"
        if self.mode == "min" or (self.mode == "auto" and "acc" not in self.monitor):
            self.monitor_op = lambda a, b: np.less(a, b - self.min_delta)
            self.best = np.inf
        else:
            self.monitor_op = lambda a, b: np.greater(a, b + self.min_delta)
            self.best = -np.inf
        self.cooldown_counter = 0
        self.wait = 0

    def on_train_begin(self, logs=None):
        self._reset()

    def in_cooldown(self):
        return self.cooldown_counter > 0

    def on_epoch_end(self, epoch, logs=None):
        logs = logs if logs is not None else {}
        optimizer = _optimizer_of(self.model, "ReduceLROnPlateau")
        logs["lr"] = np.float32(optimizer.learning_rate)
        current = logs.get(self.monitor)
        if current is None:
            warnings.warn(f"Learning rate reduction is conditioned on metric `{self.monitor}` "
                          f"which is not available. Available metrics are: "
                          f"{','.join(list(logs.keys()))}")
            return
        if self.in_cooldown():
            self.cooldown_counter -= 1
            self.wait = 0
        if self.monitor_op(current, self.best):
            self.best = current
            self.wait = 0
        elif not self.in_cooldown():
            self.wait += 1
            if self.wait >= self.patience:
                old_lr = np.float32(optimizer.learning_rate)
                if old_lr > np.float32(self.min_lr):
                    new_lr = max(float(old_lr) * self.factor, self.min_lr)
                    optimizer.learning_rate = new_lr
                    if self.verbose > 0 and _is_primary():
                        print(f"\nEpoch {epoch + 1}: ReduceLROnPlateau reducing learning rate "
                              f"to {new_lr}.")
                    self.cooldown_counter = self.cooldown
                    self.wait = 0


class ModelCheckpoint(Callback):
    """keras.callbacks.ModelCheckpoint(filepath, monitor='val_loss', verbose=0,
    save_best_only=False, save_weights_only=False, mode='auto',
    save_freq='epoch', options=None, initial_value_threshold=None).

    filepath may be a template: filepath.format(epoch=epoch + 1, **logs)
    (epoch 1-based, as Keras names files; with an integer save_freq also
    batch=batch + 1), e.g. 'ckpt-{epoch:02d}-{val_loss:.2f}.weights'. A key
    the logs lack is a KeyError naming it and the keys there are.
    save_best_only: save only when the monitored value improves on the best
    so far (np.less for 'min', and for 'auto' unless the monitor's name
    contains 'acc'; np.greater otherwise); with a fixed filepath the file
    then always holds the best model. save_freq: 'epoch', or an integer N
    to save after every N training batches (the running logs of the epoch so
    far; batch hooks make fit wait for the device after every step).

    save_weights_only=True writes model.save_weights(filepath) (safetensors,
    whatever the extension, written atomically). save_weights_only=False
    writes the whole model with model.save(filepath): Keras v3's '.keras'
    format (layers, weights, optimizer state; load it with
    keras.models.load_model), so the filepath must end in '.keras', as Keras 3
    requires; another ending is a ValueError here, before training."""

    def __init__(self, filepath, monitor="val_loss", verbose=0, save_best_only=False,
                 save_weights_only=False, mode="auto", save_freq="epoch", options=None,
                 initial_value_threshold=None, **kwargs):
        super().__init__()
        if kwargs:
            raise TypeError(f"ModelCheckpoint: unsupported arguments {sorted(kwargs)}")
        if options is not None:
            raise ValueError("ModelCheckpoint: options is not supported by vknn (leave it None)")
        try:
            self.filepath = os.fspath(filepath)
        except TypeError:
            raise ValueError(f"ModelCheckpoint: filepath must be a path, got {filepath!r}") from None
        try:
            fields = [f for _, f, _, _ in string.Formatter().parse(self.filepath) if f is not None]
        except ValueError as e:
            raise ValueError(f'ModelCheckpoint: filepath "{self.filepath}" is not a valid '
                             f'template ({e}); write braces as {{{{ and }}}}') from None
        if any(f == "" or f.isdigit() for f in fields):
            raise ValueError(f'ModelCheckpoint: filepath "{self.filepath}" has a positional '
                             f'field {{}}; name a key, e.g. {{epoch:02d}} or {{val_loss:.2f}}')
        if not isinstance(monitor, str) or not monitor:
            raise ValueError(f"ModelCheckpoint: monitor must be a metric name, got {monitor!r}")
        if save_freq != "epoch" and (isinstance(save_freq, (bool, np.bool_)) or
                                     not isinstance(save_freq, (int, np.integer)) or
                                     save_freq < 1):
            raise ValueError(f"Unrecognized save_freq: {save_freq!r} (ModelCheckpoint takes "
                             f"'epoch' or a number of batches >= 1)")
        if not save_weights_only and not self.filepath.endswith(".keras"):
            raise ValueError(
                f"The filepath provided must end in `.keras` (Keras model format) when "
                f"save_weights_only=False: ModelCheckpoint saves the whole model with "
                f"model.save(). Received: filepath={self.filepath} (pass save_weights_only=True "
                f"to save the weights alone)")
        self.monitor = monitor
        self.verbose = verbose
        self.save_best_only = bool(save_best_only)
        self.save_weights_only = bool(save_weights_only)
        self.save_freq = save_freq if save_freq == "epoch" else int(save_freq)
        self.epochs_since_last_save = 0
        self._batches_seen_since_last_saving = 0
        self._last_batch_seen = 0
        self._current_epoch = 0
        self.best = initial_value_threshold
        if mode not in ["auto", "min", "max"]:
            warnings.warn(f"ModelCheckpoint mode {mode} is unknown, fallback to auto mode.")
            mode = "auto"
        if mode == "min" or (mode == "auto" and not ("acc" in self.monitor or
                                                     self.monitor.startswith("fmeasure"))):
            self.monitor_op = np.less
            if self.best is None:
                self.best = np.inf
        else:
            self.monitor_op = np.greater
            if self.best is None:
                self.best = -np.inf

    def set_model(self, model):
        if not self.save_weights_only and not callable(getattr(model, "save", None)):
            raise ValueError(
                f"ModelCheckpoint(save_weights_only=False) saves the whole model with "
                f"model.save(), which a {type(model).__name__} does not have; pass "
                f"save_weights_only=True, or use it with a Sequential model")
        super().set_model(model)

    def _wants_batches(self):
        return self.save_freq != "epoch"

    def on_epoch_begin(self, epoch, logs=None):
        self._current_epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        if self._should_save_on_batch(batch):
            self._save_model(epoch=self._current_epoch, batch=batch, logs=logs)

    def on_epoch_end(self, epoch, logs=None):
        self.epochs_since_last_save += 1
        if self.save_freq == "epoch":
            self._save_model(epoch=epoch, batch=None, logs=logs)

    def _should_save_on_batch(self, batch):
        if self.save_freq == "epoch":
            return False
        if batch <= self._last_batch_seen:  # a new epoch
            add_batches = batch + 1
        else:
            add_batches = batch - self._last_batch_seen
        self._batches_seen_since_last_saving += add_batches
        self._last_batch_seen = batch
        if self._batches_seen_since_last_saving >= self.save_freq:
            self._batches_seen_since_last_saving = 0
            return True
        return False

    def _save_model(self, epoch, batch, logs):
        logs = logs or {}
        if not (isinstance(self.save_freq, int) or self.epochs_since_last_save >= 1):
            return
        self.epochs_since_last_save = 0
        filepath = self._get_file_path(epoch, batch, logs)
        if os.path.isdir(filepath):
            raise IOError(f"Please specify a non-directory filepath for ModelCheckpoint. "
                          f"Filepath used is an existing directory: {filepath}")
        # Data-parallel, every rank decides alike (the same logs) but only
        # rank 0 writes and prints: the ranks hold the same weights.
        primary = _is_primary()
        if self.save_best_only:
            current = logs.get(self.monitor)
            if current is None:
                warnings.warn(f"Can save best model only with {self.monitor} available, skipping "
                              f"(available: {', '.join(logs)}).")
                return
            if self.monitor_op(current, self.best):
                if self.verbose > 0 and primary:
                    print(f"\nEpoch {epoch + 1}: {self.monitor} improved from {self.best:.5f} to "
                          f"{current:.5f}, saving model to {filepath}")
                self.best = current
                self._write(filepath)
            elif self.verbose > 0 and primary:
                print(f"\nEpoch {epoch + 1}: {self.monitor} did not improve from {self.best:.5f}")
        else:
            if self.verbose > 0 and primary:
                print(f"\nEpoch {epoch + 1}: saving model to {filepath}")
            self._write(filepath)

    def _write(self, filepath):
        if not _is_primary():
            return
        if self.save_weights_only:
            self.model.save_weights(filepath, overwrite=True)
        else:
            self.model.save(filepath, overwrite=True)

    def _get_file_path(self, epoch, batch, logs):
        names = {"epoch": epoch + 1}
        if batch is not None and "batch" not in logs:
            names["batch"] = batch + 1
        try:
            return self.filepath.format(**names, **logs)
        except KeyError as e:
            raise KeyError(
                f'Failed to format this callback filepath: "{self.filepath}". Reason: the logs '
                f'have no {e.args[0]!r}; available keys: {", ".join(list(names) + list(logs))}'
                f' (ModelCheckpoint, epoch {epoch + 1})') from None


class _Dispatcher:
    """The Python side of the C++ CallbackBridge: turns fit's hooks into
    Keras's calls on the user's callbacks."""

    _FIT_KEYS = ("loss", "accuracy", "val_loss", "val_accuracy")

    def __init__(self, callbacks, model, epochs, steps, keep_accuracy, initial_epoch=0,
                 start_epoch=None):
        self.callbacks = callbacks
        self.model = model
        self.epochs = epochs
        self.steps = steps
        self.keep_accuracy = keep_accuracy
        self.initial_epoch = initial_epoch
        # The epoch fit starts at, asked once the native callbacks' train
        # begin has run: a restored backup moves it (BackupAndRestore).
        self.start_epoch = start_epoch or (lambda: initial_epoch)
        self.last_logs = {}
        self.last_batch = -1
        # Keys the callbacks added to the epoch logs, per epoch in order,
        # for History (Keras's History runs after the user's callbacks).
        self.added_logs = {}

    def wants_batches(self):
        return any(cb._wants_batches() for cb in self.callbacks)

    def _logs(self, logs):
        logs = {k: logs[k] for k in self._FIT_KEYS if k in logs}
        if not self.keep_accuracy:
            logs.pop("accuracy", None)
            logs.pop("val_accuracy", None)
        return logs

    def _on_train_begin(self):
        for cb in self.callbacks:
            cb.on_train_begin(logs={})
        first = self.start_epoch()
        if first < self.epochs and not self.model.stop_training:
            for cb in self.callbacks:
                cb.on_epoch_begin(first, logs={})

    def _on_epoch_end(self, epoch, logs):
        # The library calls the batch hook after every step when asked
        # (CallbackBridge::wants_batch_logs), so the epoch's last batch has
        # had one; this is a safety net that keeps Keras's guarantee of a
        # hook for the last batch, with the epoch's training metrics.
        if self.last_batch != self.steps - 1 and not self.model.stop_training and \
                self.wants_batches():
            self._on_batch_end(self.steps - 1, {k: v for k, v in logs.items()
                                                if not k.startswith("val_")})
        self.last_batch = -1
        logs = self._logs(logs)
        self.last_logs = logs
        for cb in self.callbacks:
            cb.on_epoch_end(epoch, logs=logs)
        for key, value in logs.items():
            if key not in self._FIT_KEYS:
                self.added_logs.setdefault(key, []).append(value)
        if epoch + 1 < self.epochs and not self.model.stop_training:
            for cb in self.callbacks:
                cb.on_epoch_begin(epoch + 1, logs={})

    def _on_batch_end(self, batch, logs):
        self.last_batch = batch
        logs = self._logs(logs)
        for cb in self.callbacks:
            if cb._wants_batches():
                cb.on_train_batch_end(batch, logs=logs)

    def _on_train_end(self):
        for cb in self.callbacks:
            cb.on_train_end(logs=dict(self.last_logs))


__all__ = ["Callback", "History", "EarlyStopping", "TerminateOnNaN", "BackupAndRestore",
           "TensorBoard", "LambdaCallback", "CSVLogger", "LearningRateScheduler",
           "ReduceLROnPlateau", "ModelCheckpoint"]
