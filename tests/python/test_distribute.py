"""tf.distribute in one process (no mpirun): both strategies are one
replica, their scope is usable and a model trained in it is the model
trained without one, bit for bit; arguments vknn cannot honour are refused
naming the argument. The mpirun runs are tests/distributed/test_python_strategy.py."""
import numpy as np
import pytest

import vknn
import vknn as tf
from vknn import keras

from conftest import small_cnn


def test_the_package_exposes_tf_distribute():
    assert tf.distribute is vknn.distribute
    assert tf.distribute.experimental.MultiWorkerMirroredStrategy is \
        tf.distribute.MultiWorkerMirroredStrategy


@pytest.mark.parametrize("make", [lambda: tf.distribute.MirroredStrategy(),
                                  lambda: tf.distribute.MultiWorkerMirroredStrategy()],
                         ids=["MirroredStrategy", "MultiWorkerMirroredStrategy"])
def test_one_process_is_one_replica(make):
    strategy = make()
    assert strategy.num_replicas_in_sync == 1
    assert isinstance(strategy, tf.distribute.Strategy)
    assert strategy.extended.should_checkpoint and strategy.extended.should_save_summary
    assert not tf.distribute.has_strategy()
    assert tf.distribute.get_strategy().num_replicas_in_sync == 1
    with strategy.scope() as entered:
        assert entered is strategy
        assert tf.distribute.get_strategy() is strategy and tf.distribute.has_strategy()
        with strategy.scope():  # re-entering the same strategy is allowed, as in Keras
            assert tf.distribute.get_strategy() is strategy
    assert tf.distribute.get_strategy() is not strategy
    # In one process no uncaught-exception hook is installed: there are no
    # other ranks to end.
    assert vknn.distribute._abort_hook_rank is None


def test_the_worker_is_task_0():
    resolver = tf.distribute.MultiWorkerMirroredStrategy().cluster_resolver
    assert (resolver.task_type, resolver.task_id) == ("worker", 0)


def test_two_strategies_scopes_do_not_nest():
    a, b = tf.distribute.MirroredStrategy(), tf.distribute.MultiWorkerMirroredStrategy()
    with a.scope():
        with pytest.raises(ValueError, match="Mixing different tf.distribute.Strategy objects"):
            with b.scope():
                pass
    with b.scope():
        pass


def test_a_model_fit_in_the_scope_is_the_model_fit_without_one():
    rng = np.random.default_rng(0)
    x = rng.integers(0, 256, size=(96, 28, 28), dtype=np.uint8)
    y = rng.integers(0, 10, size=96)
    keras.utils.set_random_seed(0)
    plain = small_cnn()
    plain_history = plain.fit(x / 255.0, y, batch_size=32, epochs=2, verbose=0)
    strategy = tf.distribute.MirroredStrategy()
    with strategy.scope():
        keras.utils.set_random_seed(0)
        scoped = small_cnn()
    scoped_history = scoped.fit(x / 255.0, y, batch_size=32 * strategy.num_replicas_in_sync,
                                epochs=2, verbose=0)
    assert scoped_history.history == plain_history.history
    for a, b in zip(plain.get_weights(), scoped.get_weights()):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("make, argument", [
    (lambda: tf.distribute.MirroredStrategy(devices=["/gpu:0", "/gpu:1"]), "devices"),
    (lambda: tf.distribute.MirroredStrategy(["/cpu:0"]), "devices"),
    (lambda: tf.distribute.MirroredStrategy(cross_device_ops=object()), "cross_device_ops"),
    (lambda: tf.distribute.MultiWorkerMirroredStrategy(cluster_resolver=object()),
     "cluster_resolver"),
    (lambda: tf.distribute.MultiWorkerMirroredStrategy(communication_options=object()),
     "communication_options"),
])
def test_arguments_vknn_cannot_honour_are_refused(make, argument):
    with pytest.raises(ValueError, match=f"{argument}=.* is not supported by vknn") as error:
        make()
    assert f"leave {argument} out" in str(error.value)


def test_tf_config_is_ignored_with_a_warning(monkeypatch):
    monkeypatch.setenv("TF_CONFIG", '{"cluster": {"worker": ["host1:12345", "host2:23456"]}}')
    with pytest.warns(UserWarning, match="TF_CONFIG is ignored by vknn.*mpirun"):
        tf.distribute.MultiWorkerMirroredStrategy()
