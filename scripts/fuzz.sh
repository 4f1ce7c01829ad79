#!/usr/bin/env bash
# Builds the libFuzzer targets (tests/fuzz) in build-fuzz with clang-14 and
# runs each for SECONDS (default 60) from its seed corpus and dictionary.
# Prints, per target, libFuzzer's final figures (executions, coverage:
# cov = edges, ft = features, corpus size) and how far the corpus inputs get
# (the targets' "census" stages). Exits 1 if any target crashed (a crash, a
# sanitizer report, a leak, a timeout or an out-of-memory), 0 otherwise.
#
# usage: scripts/fuzz.sh [SECONDS] [TARGET...]
#   TARGET: safetensors_fuzzer load_weights_fuzzer idx_fuzzer idx_gzip_fuzzer
#           cli_fuzzer tuning_cache_fuzzer picture_fuzzer keras_config_fuzzer
#           path_template_fuzzer (default: all,
#           one after the other)
# env:    VKNN_FUZZ_BUILD_DIR (default build-fuzz), VKNN_FUZZ_JOBS (build
#         parallelism, default 2)
#
# New inputs go to BUILD/fuzz-corpus/<target> (never into the tree; the
# seed corpus tests/fuzz/corpus/<target> is only read). A crashing input is
# written to BUILD/fuzz-artifacts/<target>/; add it to the seed corpus (or a
# gtest case) once fixed, so it stays fixed.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${VKNN_FUZZ_BUILD_DIR:-$repo/build-fuzz}"
jobs="${VKNN_FUZZ_JOBS:-2}"
seconds=60
if [[ $# -gt 0 && "$1" =~ ^[0-9]+$ ]]; then
  seconds="$1"
  shift
fi
all_targets=(safetensors_fuzzer load_weights_fuzzer idx_fuzzer idx_gzip_fuzzer cli_fuzzer
             tuning_cache_fuzzer picture_fuzzer keras_config_fuzzer path_template_fuzzer)
targets=("$@")
[[ ${#targets[@]} -gt 0 ]] || targets=("${all_targets[@]}")

fail() { printf 'fuzz.sh: error: %s\n' "$*" >&2; exit 2; }

# Per target: dictionary and the largest input worth trying.
dict_of() {
  case "$1" in
    safetensors_fuzzer) echo safetensors ;;
    load_weights_fuzzer) echo load_weights ;;
    idx_fuzzer) echo idx ;;
    idx_gzip_fuzzer) echo idx_gzip ;;
    cli_fuzzer) echo cli ;;
    tuning_cache_fuzzer) echo tuning_cache ;;
    picture_fuzzer) echo picture ;;
    keras_config_fuzzer) echo keras_config ;;
    path_template_fuzzer) echo path_template ;;
    *) fail "unknown target '$1' (known: ${all_targets[*]})" ;;
  esac
}
max_len_of() { [[ "$1" == cli_fuzzer || "$1" == path_template_fuzzer ]] && echo 512 || echo 4096; }
for t in "${targets[@]}"; do dict_of "$t" >/dev/null; done

command -v clang++-14 >/dev/null 2>&1 ||
  fail "clang++-14 not found: apt-get install clang-14 libclang-rt-14-dev (scripts/setup.sh does)"

if [[ ! -f "$build/build.ninja" ]]; then
  echo "==> Configuring the fuzz build in $build"
  launcher=()
  command -v ccache >/dev/null 2>&1 && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
  CC=clang-14 CXX=clang++-14 cmake -S "$repo" -B "$build" -G Ninja \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo "${launcher[@]}" -DVKNN_BUILD_FUZZERS=ON \
    -DVKNN_BUILD_TESTS=OFF -DVKNN_BUILD_BENCHMARKS=OFF -DVKNN_INSTALL=OFF \
    -DVKNN_BUILD_EXAMPLES=ON >/dev/null || fail "configuring $build failed"
fi
echo "==> Building the fuzzers"
cmake --build "$build" --parallel "$jobs" --target "${targets[@]}" >/dev/null ||
  { cmake --build "$build" --parallel 1 --target "${targets[@]}" || true; fail "the build failed (see above)"; }

# vknn's caches (autotuner choices, the kept pipeline cache) stay in the
# build folder, never in ~/.cache: the fuzzers use no Vulkan device today,
# but one that did would tune on first use.
export VKNN_CACHE_DIR="$build/cache"

crashed=()
summary=()
for t in "${targets[@]}"; do
  work="$build/fuzz-corpus/$t"
  artifacts="$build/fuzz-artifacts/$t"
  seeds="$repo/tests/fuzz/corpus/$t"
  log="$build/fuzz-logs/$t.log"
  mkdir -p "$work" "$artifacts" "$(dirname "$log")"
  echo "==> $t: ${seconds}s"
  status=0
  scratch="$build/fuzz-scratch/$t"
  [[ -d /dev/shm ]] && scratch="/dev/shm/vknn-fuzz-$$-$t"
  export VKNN_FUZZ_SCRATCH="$scratch"
  "$build/tests/fuzz/$t" -max_total_time="$seconds" -print_final_stats=1 \
    -dict="$repo/tests/fuzz/dict/$(dict_of "$t").dict" -max_len="$(max_len_of "$t")" \
    -timeout=10 -rss_limit_mb=2048 -artifact_prefix="$artifacts/" \
    "$work" "$seeds" >"$log" 2>&1 || status=$?
  # libFuzzer's last status line: "#N DONE cov: C ft: F corp: K/S ... exec/s: E ...".
  last=$(grep -E '^#[0-9]+' "$log" | tail -1 || true)
  runs=$(grep -oE 'stat::number_of_executed_units: *[0-9]+' "$log" | grep -oE '[0-9]+$' || echo "?")
  cov=$(grep -oE 'cov: [0-9]+' <<<"$last" | grep -oE '[0-9]+' || echo "?")
  ft=$(grep -oE 'ft: [0-9]+' <<<"$last" | grep -oE '[0-9]+' || echo "?")
  corp=$(grep -oE 'corp: [0-9]+' <<<"$last" | grep -oE '[0-9]+' || echo "?")
  eps=$(grep -oE 'exec/s: [0-9]+' <<<"$last" | grep -oE '[0-9]+' || echo "?")
  if [[ $status -ne 0 ]]; then
    rm -rf "$scratch"
    crashed+=("$t")
    echo "fuzz.sh: $t FAILED (exit $status); the log's end ($log):" >&2
    tail -40 "$log" >&2
    summary+=("$(printf '%-20s CRASHED  executions %s  cov %s  ft %s  (inputs in %s)' "$t" "$runs" "$cov" "$ft" "$artifacts")")
    continue
  fi
  # How far the corpus gets: each input once, with the target's census on
  # (a target that prints none gets an empty census, not a silent exit
  # under pipefail).
  census=$(VKNN_FUZZ_CENSUS=1 "$build/tests/fuzz/$t" -runs=0 -max_len="$(max_len_of "$t")" \
             -artifact_prefix="$artifacts/" \
             "$work" "$seeds" 2>&1 | { grep '^census: ' || true; } | sed 's/^census: //' | sort | uniq -c |
             awk '{c=$1; $1=""; printf "%s%s:%s", (n++ ? ", " : ""), substr($0,2), c}')
  rm -rf "$scratch"
  echo "    $last"
  summary+=("$(printf '%-20s executions %-9s cov %-5s ft %-6s corpus %-5s exec/s %-6s | %s' \
                 "$t" "$runs" "$cov" "$ft" "$corp" "$eps" "$census")")
done

echo
echo "==> Fuzzing summary (${seconds}s per target)"
printf '%s\n' "${summary[@]}"
if [[ ${#crashed[@]} -gt 0 ]]; then
  echo "fuzz.sh: crashes in: ${crashed[*]}" >&2
  exit 1
fi
