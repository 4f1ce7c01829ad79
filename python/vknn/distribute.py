"""vknn.distribute (tf.distribute): data-parallel training on MPI ranks.

The course's distributed Keras code runs as written::

    import vknn as tf

    strategy = tf.distribute.MultiWorkerMirroredStrategy()   # or MirroredStrategy()
    with strategy.scope():
        model = tf.keras.models.Sequential([...])
        model.compile(optimizer='adam', loss='sparse_categorical_crossentropy',
                      metrics=['accuracy'])
    model.fit(training_images, training_labels, epochs=5)   # batch_size: the global batch

started as ``mpirun -np N python3 train.py`` (docs/distributed.md, "Python").
Both strategies are the same thing in vknn: one replica per process (MPI
rank), each on its own Vulkan device or sharing one, trained by the C++
library's data parallelism: the global batch is sliced over the ranks, the
gradients are summed in rank order so every rank holds bit-identical
weights, loss and metrics are global, and only rank 0 prints progress and
writes the callbacks' files. Without mpirun the process is one replica and
everything runs as before.

Creating a strategy joins the ranks (vknn::distributed::initialize): from
then on every fit, evaluate and predict of the process is data-parallel,
whether the model was built inside ``strategy.scope()`` or not (the ranks
are a property of the process, not of a model). Create it first, at the top
of the script, as Keras asks for MultiWorkerMirroredStrategy: each rank's
Vulkan device is chosen then.
"""
import contextlib
import os
import sys
import threading
import traceback
import types
import warnings

from . import _vknn


def _world():
    """This process's place among the ranks: a dict with rank, size,
    local_rank, local_size and device (one process before a strategy is
    created, or without mpirun)."""
    return _vknn.distributed_world()


def _is_primary():
    """True on rank 0 (and in one process): the rank that prints and writes files."""
    return _world()["rank"] == 0


_abort_hook_rank = None


def _end_every_rank_on_an_uncaught_exception(rank):
    """With several ranks, an exception that ends this script must end the
    job: the other ranks would otherwise wait for this one in fit's next
    collective forever. The traceback is printed with every line prefixed
    "rank N: ", then vknn::distributed::abort_job ends every rank
    ("rank N: error: <exception>", MPI_Abort), as the C++ example trainers do."""
    global _abort_hook_rank
    if _abort_hook_rank is not None:
        return
    _abort_hook_rank = rank

    def hook(kind, value, tb):
        text = "".join(traceback.format_exception(kind, value, tb)).rstrip("\n")
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except Exception:  # a closed or broken stream must not hide the error
                pass
        try:
            sys.stderr.write("".join(f"rank {rank}: {line}\n" for line in text.split("\n")))
            sys.stderr.flush()
        except Exception:
            pass
        last = "".join(traceback.format_exception_only(kind, value)).strip().split("\n")[-1]
        _vknn.distributed_abort_job(f"{last} (ending all ranks)")

    sys.excepthook = hook


def _join_ranks():
    world = _vknn.distributed_initialize()
    if world["size"] > 1:
        _end_every_rank_on_an_uncaught_exception(world["rank"])
    return world


_scopes = threading.local()


def _current():
    stack = getattr(_scopes, "stack", None)
    return stack[-1] if stack else None


class StrategyExtended:
    """strategy.extended: the few attributes course code reads."""

    def __init__(self, strategy):
        self._strategy = strategy

    @property
    def should_checkpoint(self):
        """Whether this replica should write checkpoints: rank 0 only."""
        return _is_primary()

    @property
    def should_save_summary(self):
        """Whether this replica should write summaries (TensorBoard): rank 0 only."""
        return _is_primary()

    @property
    def should_init(self):
        return True


class Strategy:
    """tf.distribute.Strategy: what vknn's strategies share."""

    def __init__(self):
        self._world = None
        self.extended = StrategyExtended(self)

    @property
    def num_replicas_in_sync(self):
        """The number of replicas training together: the MPI ranks (1 without mpirun)."""
        return self._world["size"] if self._world else 1

    @contextlib.contextmanager
    def scope(self):
        """A context manager that makes this the current strategy
        (get_strategy()). Models built and compiled inside train
        data-parallel, as in Keras; in vknn so do models built outside it,
        once the strategy exists (see the module's doc)."""
        current = _current()
        if current is not None and current is not self and not isinstance(current,
                                                                            _DefaultStrategy):
            raise ValueError(f"Mixing different tf.distribute.Strategy objects: "
                             f"{type(self).__name__} inside the scope of "
                             f"{type(current).__name__}")
        stack = getattr(_scopes, "stack", None)
        if stack is None:
            stack = _scopes.stack = []
        stack.append(self)
        try:
            yield self
        finally:
            stack.pop()

    def __repr__(self):
        return f"<vknn.distribute.{type(self).__name__} num_replicas_in_sync=" \
               f"{self.num_replicas_in_sync}>"


class _DefaultStrategy(Strategy):
    """What get_strategy() returns outside any scope: one replica, as Keras's
    default strategy. (Fits are still data-parallel once a strategy has been
    created under mpirun: that is a property of the process.)"""

    @property
    def num_replicas_in_sync(self):
        return 1


_default = _DefaultStrategy()


def _refuse(owner, name, value, why):
    if value is not None:
        raise ValueError(f"{owner}: {name}={value!r} is not supported by vknn: {why}; "
                         f"leave {name} out")


_ONE_REPLICA_PER_RANK = ("vknn runs one replica per process, started by "
                         "`mpirun -np N python3 script.py`, and each process takes the Vulkan "
                         "device of its local rank (or VKNN_DEVICE)")


def _warn_about_tf_config(owner):
    if os.environ.get("TF_CONFIG"):
        warnings.warn(f"{owner}: TF_CONFIG is ignored by vknn; the workers are the processes "
                      f"mpirun starts (`mpirun -np N python3 script.py`, or a hostfile across "
                      f"machines)", stacklevel=3)


class MirroredStrategy(Strategy):
    """tf.distribute.MirroredStrategy(devices=None, cross_device_ops=None):
    synchronous data parallelism, one replica per MPI rank (in vknn the
    same as MultiWorkerMirroredStrategy). `devices` and `cross_device_ops`
    are ValueErrors when given: the devices are the ranks' (one per process,
    by local rank or VKNN_DEVICE), and vknn sums the gradients itself, in
    rank order, so that every rank holds the same weights bit for bit."""

    def __init__(self, devices=None, cross_device_ops=None):
        super().__init__()
        _refuse("MirroredStrategy", "devices", devices, _ONE_REPLICA_PER_RANK)
        _refuse("MirroredStrategy", "cross_device_ops", cross_device_ops,
                "vknn gathers the gradients over MPI and sums them in rank order itself")
        _warn_about_tf_config("MirroredStrategy")
        self._world = _join_ranks()


class _MPIClusterResolver:
    """strategy.cluster_resolver of a MultiWorkerMirroredStrategy: this
    process as a worker of the MPI job (task_id = rank), so Keras's
    "is chief" test (task_type 'worker' and task_id 0) picks rank 0."""

    task_type = "worker"
    rpc_layer = None
    environment = ""

    def __init__(self, world):
        self.task_id = world["rank"]
        self._size = world["size"]

    def __repr__(self):
        return f"<vknn.distribute cluster_resolver worker {self.task_id} of {self._size}>"


class MultiWorkerMirroredStrategy(Strategy):
    """tf.distribute.MultiWorkerMirroredStrategy(cluster_resolver=None,
    communication_options=None): synchronous data parallelism over the
    processes mpirun starts, on one machine or several (a hostfile).
    `cluster_resolver` and `communication_options` are ValueErrors when given
    (the cluster is mpirun's; vknn's collectives are OpenMPI's), and
    TF_CONFIG is ignored with a warning. `cluster_resolver` then reads
    task_type 'worker' and task_id = this process's rank."""

    def __init__(self, cluster_resolver=None, communication_options=None):
        super().__init__()
        _refuse("MultiWorkerMirroredStrategy", "cluster_resolver", cluster_resolver,
                "the workers are the processes mpirun starts")
        _refuse("MultiWorkerMirroredStrategy", "communication_options", communication_options,
                "vknn's collectives are OpenMPI's, chosen by mpirun")
        _warn_about_tf_config("MultiWorkerMirroredStrategy")
        self._world = _join_ranks()
        self.cluster_resolver = _MPIClusterResolver(self._world)


def get_strategy():
    """The strategy whose scope is entered, or the default one-replica strategy."""
    return _current() or _default


def has_strategy():
    """Whether a strategy's scope is entered."""
    return _current() is not None


# TensorFlow 2.0-2.3 spelt it tf.distribute.experimental.MultiWorkerMirroredStrategy.
experimental = types.SimpleNamespace(MultiWorkerMirroredStrategy=MultiWorkerMirroredStrategy)

__all__ = ["Strategy", "MirroredStrategy", "MultiWorkerMirroredStrategy", "get_strategy",
           "has_strategy", "experimental"]
