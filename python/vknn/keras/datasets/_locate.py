"""Where the IDX datasets are.

vknn does not download anything: scripts/get_data.sh (in the vknn source
tree) puts both datasets, verified, into data/fashion-mnist (Zalando's
official files from Debian's package dataset-fashion-mnist) and data/mnist.
load_data() looks, in order, in:

1. the ``path`` argument: a folder holding the four IDX files;
2. $VKNN_DATA_DIR/<name> when VKNN_DATA_DIR is set (a folder holding
   fashion-mnist/ and mnist/);
3. data/<name> in the current folder or any folder above it;
4. data/<name> above the vknn package itself (a build tree inside the
   source tree finds the source tree's data/);
5. Fashion-MNIST only: /usr/share/datasets/fashion-mnist, where Debian's
   package dataset-fashion-mnist installs the official .gz files, read as
   they are.
"""
import os
from pathlib import Path

from ... import _vknn

_FILES = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte",
          "t10k-labels-idx1-ubyte")

# name -> (folder, Debian package that fills it): the last place looked in.
_SYSTEM_FOLDERS = {
    "fashion-mnist": (Path(_vknn.DEBIAN_FASHION_MNIST_DIR), "dataset-fashion-mnist"),
}


def _has_dataset(folder):
    return folder.is_dir() and all((folder / f).is_file() or (folder / (f + ".gz")).is_file()
                                   for f in _FILES)


def _upwards(start, folder_name):
    for base in [start, *start.parents]:
        candidate = base / "data" / folder_name
        if candidate.is_dir():
            return candidate
    return None


def find(folder_name, title, path=None):
    """The folder holding the dataset; vknn.Error saying how to get it if none."""
    if path is not None:
        folder = Path(os.fspath(path))
        if not folder.is_dir():
            raise _vknn.Error(f"{title}: no folder {folder} (give the folder that holds the IDX "
                              f"files {', '.join(_FILES)})")
        return folder
    looked = []
    env = os.environ.get("VKNN_DATA_DIR")
    if env:
        folder = Path(env) / folder_name
        if folder.is_dir():
            return folder
        raise _vknn.Error(
            f"{title}: VKNN_DATA_DIR is {env}, but it has no {folder_name}/ folder. Fetch the "
            f"datasets with scripts/get_data.sh from the vknn source tree (it writes "
            f"data/fashion-mnist and data/mnist), then point VKNN_DATA_DIR at that data/ folder")
    for start in (Path.cwd(), Path(__file__).resolve().parent):
        folder = _upwards(start, folder_name)
        if folder is not None:
            return folder
        looked.append(str(start))
    where = f"there is no data/{folder_name} in or above {' or '.join(looked)}"
    system = _SYSTEM_FOLDERS.get(folder_name)
    if system is not None:
        folder, package = system
        if _has_dataset(folder):
            return folder
        raise _vknn.Error(
            f"{title}: the dataset was not found: VKNN_DATA_DIR is not set, {where}, and "
            f"{folder} does not hold the official files ({', '.join(f + '.gz' for f in _FILES)}). "
            f"Install Debian's package {package} (sudo apt-get install {package}), which puts "
            f"them in {folder}; scripts/get_data.sh in the vknn source tree then also unpacks "
            f"them into data/{folder_name}")
    raise _vknn.Error(
        f"{title}: the dataset was not found: VKNN_DATA_DIR is not set and {where}. vknn does "
        f"not download datasets: fetch them with scripts/get_data.sh from the vknn source tree "
        f"(it writes data/fashion-mnist and data/mnist), then run from inside that tree or set "
        f"VKNN_DATA_DIR to its data/ folder")


def load(folder_name, title, path=None):
    folder = find(folder_name, title, path)
    (x_train, y_train), (x_test, y_test) = _vknn.load_idx_dataset(str(folder), 10, title)
    return (x_train, y_train), (x_test, y_test)
