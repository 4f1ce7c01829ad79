#!/usr/bin/env bash
# One prepared check for a machine with a GPU (issue 22): runs vknn's
# already-built programs there and writes a report folder. Each part runs
# under `timeout`, its output in REPORT/<part>.log; REPORT/summary.md lists
# what passed or failed and the seconds each took, and a table of the step
# and predict times. The whole run is sized to finish in under 8 minutes on a
# GPU (the parts' timeouts add up to 430 s); --quick shrinks every part so it
# finishes in about 2 minutes on lavapipe (2 shared cores), to test the script.
#
# usage: scripts/gpu_check.sh REPORT_DIR [--quick] [--build DIR] [--data DIR] [--debs DIR]
#   REPORT_DIR  created if missing; it gets 15 files (logs, JSON,
#               summary.md). The device machine returns at most 8 files from
#               $OUT: there, write the report elsewhere and copy summary.md and
#               a tarball of the folder into $OUT
#   --build     the build folder holding the programs (default: build)
#   --data      Fashion-MNIST IDX folder for the course epoch (default:
#               data/fashion-mnist; the epoch is reported as skipped without it)
#   --debs      .deb files to unpack into / first (dpkg -x, then ldconfig):
#               the runtime libraries the machine lacks, see below
#
# Parts: environment; vknn-info; the op table against the CPU reference with
# texel reads (the default build) and with storage-buffer reads
# (VKNN_TEXEL_READS=0, as ctest's ops.op_table_with_storage_buffer_reads);
# vknn-bench --tune; fma_peak and bandwidth_peak; train_step and predict of
# the course model, cats_vs_dogs and horses_or_humans at batch 32 and 256 on
# every Vulkan device (a batch a device cannot hold is reported with
# vknn's message, not as a failed script); one course epoch with
# build/examples/train_fashion_mnist --epochs 1.
#
# What the machine needs (nothing is built there: build here, carry `build`):
# - the programs vknn-info, bench/vknn-bench, tests/vknn_crosscheck_tests,
#   examples/train_fashion_mnist of a Release build (vknn itself is linked
#   statically, its shaders embedded);
# - their shared libraries: the Vulkan loader libvulkan.so.1 (Debian
#   libvulkan1) and Google Benchmark's libbenchmark.so.1 (Debian
#   libbenchmark1debian), plus libc, libstdc++, libz, libpng16 as `ldd`
#   lists them; environment.log holds `ldd` of each program and a missing
#   one fails the environment part by name. On a machine without network
#   carry their .debs and pass --debs (the device README's recipe:
#   apt-get download libvulkan1 libbenchmark1debian);
# - a Vulkan driver for the GPU: NVIDIA's ICD JSON is looked for in the usual
#   places and at /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json, which
#   is exported as VK_DRIVER_FILES when no other ICD is registered;
# - python3 (any; standard library only) for the summary's step table.
set -uo pipefail

usage() { sed -n '10,19p' "$0" >&2; exit 2; }
[[ $# -ge 1 && $1 != -* ]] || usage
report="$1"; shift
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="$repo/build"
data="$repo/data/fashion-mnist"
debs=""
quick=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    --quick) quick=1 ;;
    --build) build="$(cd "$2" && pwd)"; shift ;;
    --data) data="$2"; shift ;;
    --debs) debs="$2"; shift ;;
    *) echo "gpu_check.sh: unknown argument '$1'" >&2; usage ;;
  esac
  shift
done
mkdir -p "$report" || exit 2
report="$(cd "$report" && pwd)"
results="$report/results.tsv"   # part, status, seconds, note
: > "$results"
started=$(date +%s)

if [[ -n $debs ]]; then
  for f in "$debs"/*.deb; do dpkg -x "$f" / || echo "gpu_check.sh: could not unpack $f" >&2; done
  ldconfig
fi
# NVIDIA's ICD where the device machines keep it, when the loader would find none.
nvidia_icd=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
if [[ -z ${VK_DRIVER_FILES:-} && -f $nvidia_icd ]] && \
   ! ls /usr/share/vulkan/icd.d/*.json /etc/vulkan/icd.d/*.json >/dev/null 2>&1; then
  export VK_DRIVER_FILES=$nvidia_icd
  export __EGL_VENDOR_LIBRARY_FILENAMES=/usr/local/nvidia/share/glvnd/egl_vendor.d/10_nvidia.json
fi
# A fresh tuning cache: --tune measures, and the step runs after it reuse its choices.
export VKNN_CACHE_DIR="$(mktemp -d)"
trap 'rm -rf "$VKNN_CACHE_DIR"' EXIT

bench="$build/bench/vknn-bench"
info="$build/src/vknn-info"
[[ -x $info ]] || info="$build/vknn-info"
crosscheck="$build/tests/vknn_crosscheck_tests"
epoch_program="$build/examples/train_fashion_mnist"

# run_part NAME TIMEOUT_S COMMAND...: output to NAME.log, status and seconds to results.
run_part() {
  local name="$1" limit="$2"; shift 2
  local log="$report/$name.log" t0 t1 rc status
  t0=$(date +%s%N)
  { echo "\$ $*"; echo; } > "$log"
  timeout --kill-after=10 "$limit" "$@" >> "$log" 2>&1
  rc=$?
  t1=$(date +%s%N)
  case $rc in
    0) status=passed ;;
    124|137) status="timed out (${limit} s)" ;;
    *) status="failed (exit $rc)" ;;
  esac
  local tenths=$(( (t1 - t0) / 100000000 ))
  printf '%s\t%s\t%d.%d\t%s\n' "$name" "$status" $((tenths / 10)) $((tenths % 10)) "${PART_NOTE:-}" >> "$results"
  echo "gpu_check: $name: $status"
  return 0
}

skip_part() {
  printf '%s\tskipped\t0\t%s\n' "$1" "$2" >> "$results"
  echo "gpu_check: $1: skipped ($2)"
}

environment() {
  echo "date: $(date -u)"; echo "host: $(uname -a)"; echo "cores: $(nproc)"
  echo "load average: $(cat /proc/loadavg)"
  echo "quick: $quick; build: $build; VK_DRIVER_FILES=${VK_DRIVER_FILES:-unset}"
  command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv
  command -v vulkaninfo >/dev/null && vulkaninfo --summary 2>&1 | head -40
  local missing=0
  for p in "$info" "$bench" "$crosscheck" "$epoch_program"; do
    if [[ ! -x $p ]]; then echo "MISSING PROGRAM: $p"; missing=1; continue; fi
    echo "ldd $p:"; ldd "$p" | sed 's/^/  /'
    if ldd "$p" | grep -q "not found"; then echo "MISSING LIBRARY for $p"; missing=1; fi
  done
  return $missing
}
export -f environment
export info bench crosscheck epoch_program quick build

if [[ $quick == 1 ]]; then
  batches=4; big_batches=2; iterations=2; op_filter='OpTable/Crosscheck.MatchesTheCpuBackend/*conv2d_forward*'
  epoch_args=(--epochs 1 --limit 640 --test-limit 320 --verbose 2)
  limits=(env 30 info 30 ops 60 tune 90 roof 30 steps 120 epoch 60)
else
  batches=32,256; big_batches=32,256; iterations=20; op_filter='OpTable/Crosscheck.MatchesTheCpuBackend/*'
  epoch_args=(--epochs 1 --verbose 2)
  limits=(env 20 info 20 ops 50 tune 60 roof 20 steps 50 epoch 60)  # 430 s at most
fi
declare -A limit; for ((i = 0; i < ${#limits[@]}; i += 2)); do limit[${limits[i]}]=${limits[i+1]}; done

run_part environment "${limit[env]}" bash -c environment
run_part vknn-info "${limit[info]}" "$info"
run_part op_table_texel_reads "${limit[ops]}" "$crosscheck" "--gtest_filter=$op_filter" --gtest_brief=1
PART_NOTE="VKNN_TEXEL_READS=0" \
  run_part op_table_storage_buffer_reads "${limit[ops]}" env VKNN_TEXEL_READS=0 "$crosscheck" \
  "--gtest_filter=$op_filter" --gtest_brief=1
quick_flag=(); [[ $quick == 1 ]] && quick_flag=(--quick)
run_part tune "${limit[tune]}" "$bench" --tune "${quick_flag[@]}"
run_part rooflines "${limit[roof]}" "$bench" "${quick_flag[@]}" '--benchmark_filter=^(fma_peak|bandwidth_peak)/' \
  --benchmark_min_time=0.05
# Steps: each model in its own process (a model refused at a batch is an
# error of that benchmark in the JSON, the others still run).
for model in course cats_vs_dogs horses_or_humans; do
  if [[ $model == course ]]; then b=$batches; m_flags=("${quick_flag[@]}"); else b=$big_batches; m_flags=(); fi
  name=$([[ $model == course ]] && echo course_model || echo "$model")
  PART_NOTE="batch $b, $iterations steps" \
    run_part "steps_$model" "${limit[steps]}" "$bench" "${m_flags[@]}" --model "$model" --batch "$b" \
    --no-rooflines --iterations "$iterations" "--benchmark_filter=^(train_step|predict)/$name/vulkan" \
    --benchmark_out="$report/steps_$model.json" --benchmark_out_format=json
done
if [[ -f $data/train-images-idx3-ubyte || -f $data/train-images-idx3-ubyte.gz ]]; then
  run_part course_epoch "${limit[epoch]}" "$epoch_program" --data-dir "$data" "${epoch_args[@]}"
else
  skip_part course_epoch "no Fashion-MNIST files in $data (--data DIR)"
fi

# summary.md: the parts, then the step table from the JSON files.
total=$(( $(date +%s) - started ))
python3 - "$report" "$total" "$quick" <<'EOF' > "$report/summary.md"
import json, os, sys
report, total, quick = sys.argv[1], sys.argv[2], sys.argv[3] == "1"
print(f"# vknn GPU check{' (--quick)' if quick else ''}\n")
with open(os.path.join(report, "environment.log")) as f:
    env = f.read().splitlines()
for line in env:
    if line.startswith(("date:", "host:", "cores:", "load average:")):
        print(f"- {line}")
print(f"- total: {total} s\n")
print("| part | result | seconds | note |\n|---|---|---|---|")
with open(os.path.join(report, "results.tsv")) as f:
    for line in f:
        name, status, seconds, note = (line.rstrip("\n").split("\t") + [""])[:4]
        print(f"| {name} | {status} | {seconds} | {note} |")
print("\n## Steps (vknn-bench, Vulkan devices)\n")
print("| benchmark | device ms/step | wall ms/step | images/s | result |\n|---|---|---|---|---|")
devices = {}
for model in ("course", "cats_vs_dogs", "horses_or_humans"):
    path = os.path.join(report, f"steps_{model}.json")
    if not os.path.exists(path):
        print(f"| {model} | | | | no JSON (see steps_{model}.log) |")
        continue
    try:
        with open(path) as f:
            data = json.load(f)
    except ValueError as e:
        print(f"| {model} | | | | unreadable JSON: {e} |")
        continue
    devices.update({k: v for k, v in data.get("context", {}).items() if k.endswith("_name")})
    for b in data.get("benchmarks", []):
        if b.get("error_occurred"):
            print(f"| {b['name']} | | | | refused: {b.get('error_message', '').replace('|', '/')} |")
        else:
            print(f"| {b['name']} | {b['real_time']:.2f} | {b.get('wall_ms', 0):.2f} | "
                  f"{b.get('images/s', 0):.0f} | ran {b['iterations']} steps |")
if devices:
    print("\nDevices: " + "; ".join(f"{k[:-5]}: {v}" for k, v in sorted(devices.items())))
EOF
cat "$report/summary.md"
