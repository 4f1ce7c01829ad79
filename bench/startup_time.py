#!/usr/bin/python3
"""Start-up time: from process start to the end of the first training step.

Runs build/bench/vknn-startup for each model with an empty tuning cache
(a new VKNN_CACHE_DIR: every kernel variant measured, every pipeline
compiled) and then with that cache warm (the choices read back, and the
pipeline-cache file where the driver keeps one), in interleaved rounds, and
prints a Markdown table of each phase's median (min-max) in seconds. The
times count from just before the process is spawned, so "main" includes
exec and the dynamic loading of libvknn and the Vulkan loader.

    bench/startup_time.py [--build build] [--rounds 3] [--models course,cats_vs_dogs,horses_or_humans]

Phases (vknn-startup marks each as it ends): main (exec, loading, flags),
context (Vulkan instance and device), compile (parameters made), data (the
program's own synthetic batch), fit_prepared (upload and the recording of
the step: pipelines compiled, kernel variants measured on an empty cache),
first_step (the step on the device).
"""
import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

PHASES = ["main", "context", "compile", "data", "fit_prepared", "first_step"]
BATCH = {"course": 32, "cats_vs_dogs": 32, "horses_or_humans": 16}  # 32 is past 128 MiB buffers


def run_once(program, model, cache_dir):
    env = dict(os.environ, VKNN_CACHE_DIR=cache_dir)
    spawned_ns = time.time_ns()
    done = subprocess.run([program, "--model", model, "--batch", str(BATCH[model])], env=env,
                          capture_output=True, text=True, timeout=1800)
    if done.returncode != 0:
        sys.exit(f"startup_time.py: {program} --model {model} failed ({done.returncode}):\n"
                 f"{done.stdout}{done.stderr}")
    marks = {}
    for line in done.stdout.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[0] == "mark":
            marks[parts[1]] = int(parts[2])
    missing = [p for p in PHASES if p not in marks]
    if missing:
        sys.exit(f"startup_time.py: {program} printed no mark for {', '.join(missing)}:\n{done.stdout}")
    seconds, last = {}, spawned_ns
    for phase in PHASES:
        seconds[phase] = (marks[phase] - last) / 1e9
        last = marks[phase]
    seconds["total"] = (last - spawned_ns) / 1e9
    return seconds


def cell(values):
    return f"{statistics.median(values):.2f} ({min(values):.2f}-{max(values):.2f})"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build", default="build")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--models", default="course,cats_vs_dogs,horses_or_humans")
    args = parser.parse_args()
    if args.rounds < 1:
        parser.error("--rounds must be 1 or more")
    models = args.models.split(",")
    for m in models:
        if m not in BATCH:
            parser.error(f"--models: '{m}' is not one of {', '.join(BATCH)}")
    program = os.path.join(args.build, "bench", "vknn-startup")
    if not os.access(program, os.X_OK):
        sys.exit(f"startup_time.py: {program} is not built (cmake --build {args.build})")

    results = {(m, c): [] for m in models for c in ("empty", "warm")}
    for r in range(args.rounds):
        for m in models:  # interleaved: each round runs every model, cold then warm
            cache = tempfile.mkdtemp(prefix="vknn-startup-")
            try:
                results[(m, "empty")].append(run_once(program, m, cache))
                results[(m, "warm")].append(run_once(program, m, cache))
            finally:
                shutil.rmtree(cache, ignore_errors=True)
            print(f"round {r + 1}/{args.rounds}: {m} done", file=sys.stderr)

    print(f"Seconds from spawn to each phase's end, median (min-max) of {args.rounds} rounds; "
          f"load average {os.getloadavg()[0]:.1f}\n")
    print("| model | cache | " + " | ".join(PHASES) + " | total |")
    print("|---" * (len(PHASES) + 3) + "|")
    for m in models:
        for c in ("empty", "warm"):
            runs = results[(m, c)]
            row = [cell([run[p] for run in runs]) for p in PHASES + ["total"]]
            print(f"| {m} (batch {BATCH[m]}) | {c} | " + " | ".join(row) + " |")


if __name__ == "__main__":
    main()
