"""keras.callbacks: Callback (subclass it in Python), History, EarlyStopping,
TerminateOnNaN, LambdaCallback.

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
- EarlyStopping and TerminateOnNaN run in C++ inside fit (no Python per step).
"""
from .. import _vknn


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


class _Dispatcher:
    """The Python side of the C++ CallbackBridge: turns fit's hooks into
    Keras's calls on the user's callbacks."""

    def __init__(self, callbacks, model, epochs, steps, keep_accuracy, initial_epoch=0):
        self.callbacks = callbacks
        self.model = model
        self.epochs = epochs
        self.steps = steps
        self.keep_accuracy = keep_accuracy
        self.initial_epoch = initial_epoch
        self.last_logs = {}
        self.last_batch = -1

    def wants_batches(self):
        return any(cb._wants_batches() for cb in self.callbacks)

    def _logs(self, logs):
        order = ["loss", "accuracy", "val_loss", "val_accuracy"]
        logs = {k: logs[k] for k in order if k in logs}
        if not self.keep_accuracy:
            logs.pop("accuracy", None)
            logs.pop("val_accuracy", None)
        return logs

    def _on_train_begin(self):
        for cb in self.callbacks:
            cb.on_train_begin(logs={})
        if self.initial_epoch < self.epochs and not self.model.stop_training:
            for cb in self.callbacks:
                cb.on_epoch_begin(self.initial_epoch, logs={})

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


__all__ = ["Callback", "History", "EarlyStopping", "TerminateOnNaN", "LambdaCallback"]
