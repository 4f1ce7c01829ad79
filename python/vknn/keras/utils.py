"""keras.utils: set_random_seed, the seed of weight initialisation and
shuffles; image_dataset_from_directory (vknn.keras._image_dataset).

vknn is deterministic: with the same seed, data and order, training gives the
same weights and History on every run (and the same as the C++ API's fit with
CompileOptions::seed and FitOptions::seed set to it). The default seed is 0.
"""

_seed = 0


def set_random_seed(seed):
    """Seeds the next models' weight initialisation (at compile) and fit's shuffles."""
    global _seed
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ValueError(f"set_random_seed: seed must be an integer >= 0, got {seed!r}")
    _seed = seed


def random_seed():
    return _seed


from ._image_dataset import image_dataset_from_directory  # noqa: E402
