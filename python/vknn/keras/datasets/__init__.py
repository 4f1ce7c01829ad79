"""keras.datasets: fashion_mnist and mnist, from the IDX files the project fetches."""
from . import fashion_mnist, mnist

__all__ = ["fashion_mnist", "mnist"]
