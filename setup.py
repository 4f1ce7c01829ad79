"""pip install for the vknn Python package, with Debian's setuptools:

    /usr/bin/python3 -m venv --system-site-packages /tmp/venv   # numpy from Debian
    /tmp/venv/bin/pip install --no-build-isolation .

(--no-build-isolation: PyPI may be unreachable, and the build needs only
what Debian provides: setuptools, pybind11-dev, python3-dev, numpy, cmake,
ninja and the Vulkan/glslang packages scripts/setup.sh installs.)

The extension is built by CMake (the same python/CMakeLists.txt as a normal
build, with the library linked in statically), in build/pip/ unless
VKNN_PIP_BUILD_DIR says otherwise; the pure-Python files come from python/vknn.
"""
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from setuptools import Extension, find_packages, setup
from setuptools.command.build_ext import build_ext

ROOT = Path(__file__).resolve().parent


def project_version():
    text = (ROOT / "CMakeLists.txt").read_text()
    return re.search(r"project\(vknn VERSION ([0-9.]+)", text).group(1)


class CMakeExtension(Extension):
    def __init__(self, name):
        super().__init__(name, sources=[])


class CMakeBuild(build_ext):
    def build_extension(self, ext):
        build_dir = Path(os.environ.get("VKNN_PIP_BUILD_DIR", ROOT / "build" / "pip"))
        generator = ["-G", "Ninja"] if shutil.which("ninja") else []
        if shutil.which("ccache"):
            generator.append("-DCMAKE_CXX_COMPILER_LAUNCHER=ccache")
        subprocess.run(
            ["cmake", "-S", str(ROOT), "-B", str(build_dir), *generator,
             "-DCMAKE_BUILD_TYPE=Release", f"-DPython3_EXECUTABLE={sys.executable}",
             "-DVKNN_BUILD_PYTHON=ON", "-DVKNN_BUILD_TESTS=OFF", "-DVKNN_BUILD_BENCHMARKS=OFF",
             "-DVKNN_BUILD_EXAMPLES=OFF", "-DVKNN_INSTALL=OFF"],
            check=True)
        subprocess.run(["cmake", "--build", str(build_dir), "--target", "_vknn",
                        "--parallel", str(os.cpu_count() or 2)], check=True)
        built = next((build_dir / "python" / "vknn").glob("_vknn*.so"))
        target = Path(self.get_ext_fullpath(ext.name))
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(built, target)


setup(
    name="vknn",
    version=project_version(),
    description="GPU-first neural networks on Vulkan compute, with a Keras-shaped API",
    python_requires=">=3.9",
    install_requires=["numpy"],
    package_dir={"": "python"},
    packages=find_packages("python"),
    ext_modules=[CMakeExtension("vknn._vknn")],
    cmdclass={"build_ext": CMakeBuild},
    zip_safe=False,
)
