#!/usr/bin/python3
"""Interleaved A/B of two vknn-bench builds: the performance protocol's way of
saying whether a change moved the training step or predict.

    bench/ab_steps.py BEFORE/vknn-bench AFTER/vknn-bench [--rounds 5] [--iterations 30]
                      [--filter REGEX] [--cache-dir DIR] [--model NAMES] [--batch N[,N]]
                      [--before-env KEY=VALUE ...]

Each round runs both binaries, one fresh process each, alternating which goes
first (a host that drifts favours neither), with one shared tuning cache so
both use the same kernel choices. Per benchmark it prints each round's ratio
after / before of the reported time (device time for the step benchmarks)
and the median (min-max) over the rounds, and each side's times in ms.
docs/performance.md section 13 used it for issue 20, section 14 with
--model for the bigger models. --before-env sets environment variables for
the before side only, so one build can be its own baseline under a test hook
(section 15: VKNN_TEST_MAX_TENSOR_BYTES forcing the old micro-batches).
"""
import argparse
import json
import os
import statistics
import subprocess
import sys


def run(binary, args, env):
    extra = []
    if args.model:
        extra += ["--model", args.model]
    if args.batch:
        extra += ["--batch", args.batch]
    out = subprocess.run([binary, "--device", "0", "--no-rooflines", "--iterations",
                          str(args.iterations), f"--benchmark_filter={args.filter}",
                          "--benchmark_format=json"] + extra,
                         capture_output=True, text=True, env=env)
    if out.returncode != 0:
        sys.exit(f"ab_steps.py: {binary} failed (status {out.returncode}):\n{out.stderr[-2000:]}")
    benchmarks = json.loads(out.stdout)["benchmarks"]
    if not benchmarks:
        sys.exit(f"ab_steps.py: no benchmark of {binary} matches --filter {args.filter!r}")
    return {b["name"]: b["real_time"] for b in benchmarks}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("before")
    parser.add_argument("after")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--iterations", type=int, default=30)
    parser.add_argument("--filter", default="(train_step|predict)/course_model/vulkan0/batch:(32|256)/")
    parser.add_argument("--model", default=None,
                        help="vknn-bench --model (course, cats_vs_dogs, horses_or_humans, a list)")
    parser.add_argument("--batch", default=None, help="vknn-bench --batch (default 32,256)")
    parser.add_argument("--before-env", action="append", default=[], metavar="KEY=VALUE",
                        help="an environment variable for the before side only (repeatable)")
    parser.add_argument("--cache-dir", default=None,
                        help="tuning cache shared by both (default: VKNN_CACHE_DIR or vknn's)")
    args = parser.parse_args()
    if args.rounds < 1 or args.iterations < 1:
        parser.error("--rounds and --iterations must be at least 1")
    for binary in (args.before, args.after):
        if not os.access(binary, os.X_OK):
            parser.error(f"{binary} is not an executable (a vknn-bench build)")
    env = dict(os.environ)
    if args.cache_dir:
        env["VKNN_CACHE_DIR"] = args.cache_dir
    before_env = dict(env)
    for item in args.before_env:
        key, sep, value = item.partition("=")
        if not sep or not key:
            parser.error(f"--before-env takes KEY=VALUE, got {item!r}")
        before_env[key] = value
    ratios = {}
    ms = {"before": {}, "after": {}}
    for r in range(args.rounds):
        order = [("before", args.before), ("after", args.after)]
        if r % 2:
            order.reverse()
        times = {side: run(binary, args, before_env if side == "before" else env)
                 for side, binary in order}
        for side, by_name in times.items():
            for name, t in by_name.items():
                ms[side].setdefault(name, []).append(t)
        for name, before in times["before"].items():
            ratios.setdefault(name, []).append(times["after"][name] / before)
        print(f"round {r + 1}: " + "  ".join(f"{name} {v[-1]:.2f}" for name, v in ratios.items()),
              flush=True)
    for name, values in ratios.items():
        print(f"{name}: after/before {statistics.median(values):.2f} "
              f"({min(values):.2f}-{max(values):.2f}) over {len(values)} rounds; ms before "
              f"{' '.join(f'{t:.1f}' for t in ms['before'][name])}, after "
              f"{' '.join(f'{t:.1f}' for t in ms['after'][name])}")


if __name__ == "__main__":
    main()
