"""vknn.nn: the activations the course passes as ``activation=tf.nn.relu`` (and
``tf.nn.sigmoid``).

Each is a plain numpy function (so calling one works as in TensorFlow on
arrays), and vknn.keras.layers recognises them by identity and runs the
fused activation on the device.
"""
import numpy as np


def relu(features):
    """max(features, 0), elementwise."""
    return np.maximum(np.asarray(features, dtype=np.float32), 0)


def softmax(logits, axis=-1):
    """exp(logits) / sum(exp(logits)) along axis, computed stably."""
    x = np.asarray(logits, dtype=np.float32)
    e = np.exp(x - np.max(x, axis=axis, keepdims=True))
    return e / np.sum(e, axis=axis, keepdims=True)


def sigmoid(x):
    """1 / (1 + exp(-x)), elementwise, computed stably."""
    x = np.asarray(x, dtype=np.float32)
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e)).astype(np.float32)


__all__ = ["relu", "softmax", "sigmoid"]
