"""keras.preprocessing: the course's ImageDataGenerator (preprocessing.image)."""
from . import image  # noqa: F401

__all__ = ["image"]
