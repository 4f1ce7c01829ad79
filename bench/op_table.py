#!/usr/bin/python3
"""Per-op times and roofline fractions at the course model's shapes, and where the step's time goes.

Runs vknn-bench several times over (each pass runs every op of the course
model, the training step and predict at one batch size, and the two
rooflines, fma_peak and bandwidth_peak), so that on a shared, noisy machine
every op is measured at several moments, not once; then prints Markdown
tables of each benchmark's median over the passes, with min and max:

  - the rooflines (fma_peak GFLOP/s, bandwidth_peak GB/s at each copy size);
  - per op: device time, GFLOP/s, GB/s, fraction of fma_peak and of
    bandwidth_peak, fraction of the roofline at its arithmetic intensity;
  - the step: ms, dispatches and barriers, and each op's share of the step's
    device time (the op timed alone, against the step, both their best pass:
    the least disturbed by other work on the machine).

An op timed alone carries its program's fixed costs (the barrier every
program starts with, the timestamps); the step's time minus the sum of its
ops' times is shown as the remainder.

usage: /usr/bin/python3 bench/op_table.py [--passes 5] [--batch 32] [--min-time 0.2]
           [--bench build/bench/vknn-bench] [--device 0] [--data data/fashion-mnist]
           [--json results.json]
"""
import argparse
import json
import os
import statistics
import subprocess
import sys

# The ops of the course model's training step, as vknn-bench names its
# cases, and how many times the step runs each. Adam: the step runs it once
# per parameter tensor (8 dispatches over 8 tensors); the case runs it once
# over all parameters, the same elements and bytes. Not in the step:
# conv1's input gradient (nothing below conv1 learns), conv1-sized relu
# backward (fused into the pooling backward), and conv1 forward, pool1
# forward, pool1's backward and conv1's kernel and bias gradients, which the
# step runs fused as conv2d_relu_maxpool2d_forward and
# conv2d_relu_maxpool2d_backward_params.
TRAIN_STEP_OPS = [
    "gather_batch/input",
    "conv2d_relu_maxpool2d_forward/conv1_pool1", "conv2d_forward/conv2",
    "maxpool2d_forward/pool2", "dense_forward/dense1", "dense_forward/dense2",
    "softmax_cross_entropy/output", "count_correct/output", "accumulate_metrics/output",
    "dense_backward_kernel/dense2", "dense_backward_bias/dense2", "dense_backward_input/dense2",
    "relu_backward/dense1",
    "dense_backward_kernel/dense1", "dense_backward_bias/dense1", "dense_backward_input/dense1",
    "maxpool2d_backward/pool2",
    "conv2d_backward_kernel/conv2", "conv2d_backward_bias/conv2", "conv2d_backward_input/conv2",
    "conv2d_relu_maxpool2d_backward_params/conv1_pool1",
    "adam_update/all_parameters",
]


def run_pass(args):
    target = f"vulkan{args.device}"
    pattern = f"(^[a-z0-9_]+/[a-z0-9_]+/{target}/batch:{args.batch}/|^[a-z_]+_peak/{target}(/|$))"
    command = [args.bench, "--device", str(args.device), f"--benchmark_filter={pattern}",
               f"--benchmark_min_time={args.min_time}", "--benchmark_format=json"]
    if args.data:
        command += ["--data", args.data]
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"op_table: {' '.join(command)} failed ({result.returncode}):\n{result.stderr}")
    report = json.loads(result.stdout)
    out = {}
    for b in report["benchmarks"]:
        # "conv2d_forward/conv1/vulkan0/batch:32/manual_time" -> "conv2d_forward/conv1"
        parts = b["name"].split("/")
        key = "/".join(parts[:2]) if parts[2] == target else parts[0] + "/" + parts[-2]
        if parts[0] == "fma_peak":
            key = "fma_peak"
        scale = {"ns": 1e-6, "us": 1e-3, "ms": 1.0, "s": 1e3}[b["time_unit"]]
        out[key] = {"ms": b["real_time"] * scale, "wall_ms": b.get("wall_ms", 0.0),
                    "cpu_ms": b.get("cpu_ms", 0.0),
                    "GFLOP/s": b.get("FLOP/s", 0.0) * 1e-9, "GB/s": b.get("bytes/s", 0.0) * 1e-9,
                    "of_fma_peak": b.get("of_fma_peak"), "of_bandwidth_peak": b.get("of_bandwidth_peak"),
                    "of_roofline": b.get("of_roofline"), "dispatches": b.get("dispatches"),
                    "barriers": b.get("barriers")}
    return report.get("context", {}), out


def cpu_rate(entry, unit):
    """GFLOP or GB per second of this process's CPU time (unit 'GFLOP/s' or 'GB/s')."""
    return entry[unit] * entry["ms"] / entry["cpu_ms"] if entry.get("cpu_ms") else None


def stats(values):
    values = [v for v in values if v is not None]
    if not values:
        return None
    return statistics.median(values), min(values), max(values)


def fmt(s, digits=2, percent=False):
    if s is None:
        return "-"
    if percent:
        return f"{s[0] * 100:.{digits}f}% ({s[1] * 100:.{digits}f}-{s[2] * 100:.{digits}f})"
    return f"{s[0]:.{digits}f} ({s[1]:.{digits}f}-{s[2]:.{digits}f})"


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    root = os.path.join(here, "..")
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bench", default=os.path.join(root, "build", "bench", "vknn-bench"))
    parser.add_argument("--device", default="0")
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--passes", type=int, default=5)
    parser.add_argument("--min-time", type=float, default=0.2)
    parser.add_argument("--data", default=os.path.join(root, "data", "fashion-mnist"),
                        help="Fashion-MNIST folder for the step benchmarks ('' for synthetic batches)")
    parser.add_argument("--json", help="also write every pass's numbers here")
    parser.add_argument("--from-json", help="print the tables from a file --json wrote, running nothing")
    args = parser.parse_args()
    if args.passes < 1 or args.batch < 1 or args.min_time <= 0:
        sys.exit("op_table: --passes and --batch must be at least 1, --min-time positive")
    passes = []
    context = {}
    load_before = os.getloadavg()
    if args.from_json:
        with open(args.from_json) as f:
            saved = json.load(f)
        context, passes = saved["context"], saved["passes"]
        load_before = saved.get("load_before", [float("nan")] * 3)
        args.passes = len(passes)
    for p in range(0 if args.from_json else args.passes):
        context, results = run_pass(args)
        passes.append(results)
        print(f"pass {p + 1}/{args.passes}: {len(results)} benchmarks", file=sys.stderr, flush=True)

    load_after = saved.get("load_after", [float("nan")] * 3) if args.from_json else os.getloadavg()
    names = list(passes[0].keys())
    table = {n: {k: stats([p[n][k] for p in passes if n in p])
                 for k in passes[0][n].keys()} for n in names}
    key = f"device{args.device}"
    print(f"Device: {context.get(key + '_name', '?')} ({context.get(key + '_driver', '?')}); "
          f"{args.passes} passes, median (min-max) over passes; batch {args.batch}; load average "
          f"(1 min) {load_before[0]:.2f} before, {load_after[0]:.2f} after, on {os.cpu_count()} cores.")
    print()
    print("| roofline | ms | GFLOP/s | GB/s | CPU ms | per CPU-second |")
    print("|---|---|---|---|---|---|")
    for n in names:
        if "peak" in n:
            r = table[n]
            unit = "GFLOP/s" if n == "fma_peak" else "GB/s"
            per_cpu = stats([cpu_rate(p[n], unit) for p in passes if n in p])
            print(f"| {n} | {fmt(r['ms'], 2)} | {fmt(r['GFLOP/s'], 1)} | {fmt(r['GB/s'], 2)} | "
                  f"{fmt(r['cpu_ms'], 2)} | {fmt(per_cpu, 2)} {unit.split('/')[0]} |")
    print()
    # Best (least disturbed) numbers: each op's fastest pass against the
    # best roofline of all passes; the closest this gives to a quiet machine.
    best_fma = max(p["fma_peak"]["GFLOP/s"] for p in passes if "fma_peak" in p) if "fma_peak" in table else 0
    best_bw = max((p[n]["GB/s"] for p in passes for n in p if n.startswith("bandwidth_peak")), default=0)
    print(f"Best rooflines over the passes: fma_peak {best_fma:.1f} GFLOP/s, "
          f"bandwidth_peak {best_bw:.2f} GB/s.")
    print()
    # Per CPU-second rates: work done per second of this process's CPU time,
    # against the peak kernels' in the same pass. Other programs on the
    # machine take wall time away but hardly change these; an op that keeps
    # only one of lavapipe's threads busy looks better here than in wall time.
    def cpu_fractions(n):
        fma, bw = [], []
        for p in passes:
            if n not in p or "fma_peak" not in p:
                continue
            peak_flops = cpu_rate(p["fma_peak"], "GFLOP/s")
            peak_bytes = max((cpu_rate(p[k], "GB/s") or 0) for k in p if k.startswith("bandwidth_peak"))
            op_flops, op_bytes = cpu_rate(p[n], "GFLOP/s"), cpu_rate(p[n], "GB/s")
            if peak_flops and peak_bytes and op_flops is not None:
                fma.append(op_flops / peak_flops)
                bw.append(op_bytes / peak_bytes)
        return stats(fma), stats(bw)

    print("| op | in step | device ms, median (min-max) | of roofline, median (min-max) | "
          "best: GFLOP/s | GB/s | of fma_peak | of bandwidth_peak | share of step | "
          "CPU ms, median | share of step's CPU time | per CPU-second: of fma_peak | "
          "of bandwidth_peak |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    step = table.get("train_step/course_model")
    step_best = step["ms"][1] if step else None
    step_cpu = step["cpu_ms"][0] if step else None
    shares, cpu_shares = [], []
    for n in names:
        if "peak" in n or n.startswith(("train_step", "predict")):
            continue
        r = table[n]
        fastest = min((p[n] for p in passes if n in p), key=lambda x: x["ms"])
        in_step = n in TRAIN_STEP_OPS
        share = r["ms"][1] / step_best if in_step and step_best else None
        if share is not None:
            shares.append((share, n, r["ms"][1]))
        cpu_share = r["cpu_ms"][0] / step_cpu if in_step and step_cpu else None
        if cpu_share is not None:
            cpu_shares.append((cpu_share, n, r["cpu_ms"][0]))
        of_fma = fastest["GFLOP/s"] / best_fma if best_fma else None
        of_bw = fastest["GB/s"] / best_bw if best_bw else None
        print(f"| {n} | {'yes' if in_step else 'no'} | {fmt(r['ms'], 3)} | "
              f"{fmt(r['of_roofline'], 1, True)} | {fastest['GFLOP/s']:.2f} | {fastest['GB/s']:.2f} | "
              f"{'-' if of_fma is None else f'{of_fma * 100:.1f}%'} | "
              f"{'-' if of_bw is None else f'{of_bw * 100:.1f}%'} | "
              f"{'-' if share is None else f'{share * 100:.1f}%'} | {r['cpu_ms'][0]:.3f} | "
              f"{'-' if cpu_share is None else f'{cpu_share * 100:.1f}%'} | "
              f"{fmt(cpu_fractions(n)[0], 1, True)} | {fmt(cpu_fractions(n)[1], 1, True)} |")
    print()
    print("| program | device ms | wall ms | CPU ms | GFLOP/s | of fma_peak | dispatches | barriers |")
    print("|---|---|---|---|---|---|---|---|")
    for n in ("train_step/course_model", "predict/course_model"):
        if n in table:
            r = table[n]
            print(f"| {n} | {fmt(r['ms'], 2)} | {fmt(r['wall_ms'], 2)} | {fmt(r['cpu_ms'], 2)} | "
                  f"{fmt(r['GFLOP/s'], 1)} | "
                  f"{fmt(r['of_fma_peak'], 1, True)} | {r['dispatches'][0]:.0f} | {r['barriers'][0]:.0f} |")
    if step_best:
        print()
        total = sum(s for s, _, _ in shares)
        print(f"Best step {step_best:.2f} ms: its ops timed alone (each its best pass) sum to "
              f"{total * step_best:.2f} ms ({total * 100:.1f}%); remainder {step_best * (1 - total):.2f} ms.")
        print()
        print("| rank | op | ms | share of step |")
        print("|---|---|---|---|")
        for i, (share, n, ms) in enumerate(sorted(shares, reverse=True)[:10], 1):
            print(f"| {i} | {n} | {ms:.3f} | {share * 100:.1f}% |")
    if step_cpu:
        print()
        total = sum(s for s, _, _ in cpu_shares)
        print(f"By CPU time (median over passes; on lavapipe the device's work is this process's "
              f"threads' work): step {step_cpu:.2f} ms, its ops alone sum to "
              f"{total * step_cpu:.2f} ms ({total * 100:.1f}%).")
        print()
        print("| rank | op | CPU ms | share of step's CPU time |")
        print("|---|---|---|---|")
        for i, (share, n, ms) in enumerate(sorted(cpu_shares, reverse=True)[:10], 1):
            print(f"| {i} | {n} | {ms:.3f} | {share * 100:.1f}% |")
    if args.json:
        with open(args.json + ".tmp", "w") as f:
            json.dump({"context": context, "passes": passes, "load_before": load_before,
                       "load_after": load_after}, f, indent=1)
        os.replace(args.json + ".tmp", args.json)


if __name__ == "__main__":
    main()
