#!/usr/bin/env bash
# Measures data-parallel training on this machine (docs/distributed.md): the
# course model (64 filters, 243,786 parameters) trained for one epoch by the
# example trainer, interleaved rounds of
#   1 rank  with LP_NUM_THREADS=2 (lavapipe's threads on both cores), and
#   N ranks with LP_NUM_THREADS=1 each (mpirun),
# after one warm-up round of each (kernel tuning, pipeline caches), reporting
# each round's ms per step (the trainer's progress bar) and, for the N-rank
# runs, where rank 0's step time went (VKNN_DISTRIBUTED_TIMING: the time
# spent waiting for the slowest rank's backward, and the gradient exchange
# proper = reading the gradients, MPI_Alltoallv, the rank-order sum of the
# rank's segment, MPI_Allgatherv, writing them back), with the median
# (min-max) of each.
#
# usage: scripts/bench_distributed.sh [BUILD_DIR] (env: RANKS=2 ROUNDS=3 LIMIT=3200 BATCH=32)
set -euo pipefail
build="${1:-build}"
ranks="${RANKS:-2}"; rounds="${ROUNDS:-3}"; limit="${LIMIT:-3200}"; batch="${BATCH:-32}"
trainer="$build/examples/train_fashion_mnist"
[[ -x "$trainer" ]] || { echo "bench_distributed.sh: no $trainer (build first)" >&2; exit 2; }
# As root (CI, these machines) OpenMPI needs these; harmless otherwise.
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
args=(--limit "$limit" --test-limit 32 --epochs 1 --batch-size "$batch")

ms_per_step() { grep -o '[0-9.]*ms/step' | head -1 | sed 's|ms/step||'; }
median() { sort -g | awk '{a[NR]=$1} END {m=(NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2; printf "%.3g (%.3g-%.3g)", m, a[1], a[NR]}'; }

one=(); many=(); exchange=(); share=(); scatter=(); segsum=(); gather=(); wait=()
for ((round = 0; round <= rounds; ++round)); do
  out=$(LP_NUM_THREADS=2 "$trainer" "${args[@]}" 2>&1)
  one+=("$(ms_per_step <<<"$out")")
  out=$(VKNN_DISTRIBUTED_TIMING=1 mpirun -np "$ranks" --oversubscribe --bind-to none \
          -x LP_NUM_THREADS=1 -x VKNN_DISTRIBUTED_TIMING "$trainer" "${args[@]}" 2>&1)
  many+=("$(ms_per_step <<<"$out")")
  timing=$(grep 'vknn distributed timing' <<<"$out") || { echo "$out" >&2; exit 1; }
  if ((round == 0)); then one=(); many=(); echo "warm-up round done"; continue; fi
  wait+=("$(sed -E 's/.*waiting for the other ranks ([0-9.]+) ms.*/\1/' <<<"$timing")")
  exchange+=("$(sed -E 's/.*gradient exchange ([0-9.]+) ms.*/\1/' <<<"$timing")")
  share+=("$(sed -E 's/.*\(([0-9.]+)% of the step\).*/\1/' <<<"$timing")")
  scatter+=("$(sed -E 's/.*MPI_Alltoallv ([0-9.]+) ms.*/\1/' <<<"$timing")")
  segsum+=("$(sed -E 's/.*rank-order sum ([0-9.]+) ms.*/\1/' <<<"$timing")")
  gather+=("$(sed -E 's/.*MPI_Allgatherv ([0-9.]+) ms.*/\1/' <<<"$timing")")
  echo "round $round: 1 rank ${one[-1]} ms/step; $ranks ranks ${many[-1]} ms/step, waiting ${wait[-1]} ms," \
       "exchange ${exchange[-1]} ms (${share[-1]}% of the step): MPI_Alltoallv ${scatter[-1]} ms," \
       "sum ${segsum[-1]} ms, MPI_Allgatherv ${gather[-1]} ms"
done
echo
echo "course model, batch $batch, $limit samples, $rounds rounds, median (min-max):"
echo "  1 rank, LP_NUM_THREADS=2:        $(printf '%s\n' "${one[@]}" | median) ms/step"
echo "  $ranks ranks, LP_NUM_THREADS=1:       $(printf '%s\n' "${many[@]}" | median) ms/step"
echo "  waiting for the slowest rank:    $(printf '%s\n' "${wait[@]}" | median) ms per step"
echo "  gradient exchange per step:      $(printf '%s\n' "${exchange[@]}" | median) ms," \
     "$(printf '%s\n' "${share[@]}" | median)% of the step"
echo "    of which MPI_Alltoallv:        $(printf '%s\n' "${scatter[@]}" | median) ms"
echo "    rank-order sum of the segment: $(printf '%s\n' "${segsum[@]}" | median) ms"
echo "    MPI_Allgatherv of the sums:    $(printf '%s\n' "${gather[@]}" | median) ms"
