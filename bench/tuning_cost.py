#!/usr/bin/env python3
"""What autotuning adds to a first fit: train_fashion_mnist with an empty
tuning cache, with a warm one, and with VKNN_AUTOTUNE=0, interleaved
(empty, warm, off, empty, ...), ROUNDS rounds; prints each condition's
median (min-max) wall seconds and CPU seconds of the whole program.

usage: bench/tuning_cost.py [--rounds 3] [--build build] [-- train_fashion_mnist flags]
default flags: --epochs 1 --limit 2048

The empty-cache rounds each get a fresh VKNN_CACHE_DIR; the warm rounds share
one, filled by a run before the first round. Mesa's own shader cache
(~/.cache/mesa_shader_cache) is left as it is in all three.
"""
import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time


def run(program, flags, env):
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run([program, *flags], env=env, capture_output=True, text=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        sys.exit(f"{program} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def spread(values):
    return f"{statistics.median(values):.2f} ({min(values):.2f}-{max(values):.2f})"


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--build", default="build")
    parser.add_argument("flags", nargs="*", default=["--epochs", "1", "--limit", "2048"])
    args = parser.parse_args()
    program = os.path.join(args.build, "examples", "train_fashion_mnist")
    with tempfile.TemporaryDirectory(prefix="vknn-tuning-cost-") as scratch:
        base = {k: v for k, v in os.environ.items() if k not in ("VKNN_AUTOTUNE", "VKNN_VALIDATION")}
        warm = dict(base, VKNN_CACHE_DIR=os.path.join(scratch, "warm"))
        off = dict(base, VKNN_AUTOTUNE="0", VKNN_CACHE_DIR=os.path.join(scratch, "off"))
        run(program, args.flags, warm)  # fills the warm cache
        results = {"empty cache": [], "warm cache": [], "VKNN_AUTOTUNE=0": []}
        print(f"load average at start: {os.getloadavg()}", flush=True)
        for r in range(args.rounds):
            empty = dict(base, VKNN_CACHE_DIR=os.path.join(scratch, f"empty{r}"))
            for name, env in (("empty cache", empty), ("warm cache", warm), ("VKNN_AUTOTUNE=0", off)):
                wall, cpu = run(program, args.flags, env)
                results[name].append((wall, cpu))
                print(f"round {r + 1}, {name}: {wall:.2f} s wall, {cpu:.2f} s CPU", flush=True)
        print(f"load average at end: {os.getloadavg()}")
        print(f"\n{' '.join(args.flags)}, {args.rounds} interleaved rounds, median (min-max):")
        print("| condition | wall s | CPU s |\n|---|---|---|")
        for name, values in results.items():
            print(f"| {name} | {spread([w for w, _ in values])} | {spread([c for _, c in values])} |")


if __name__ == "__main__":
    main()
