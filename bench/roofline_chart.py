#!/usr/bin/python3
"""Roofline charts and a Markdown table from vknn-bench's JSON output.

    build/bench/vknn-bench --benchmark_out=run.json --benchmark_out_format=json
    bench/roofline_chart.py run.json [other-machine.json ...] --out report/

For each Vulkan device in each file (vknn-bench names its benchmarks
<op>/<shape>/<target>/..., the target vulkanN or cpu, and stores each
device's measured fma_peak and bandwidth_peak in the JSON's context) it
draws one chart, report/roofline-<host>-<target>.png: every op as a point at
its arithmetic intensity (FLOP per byte moved) and its achieved FLOP/s,
under the device's two roofs (the bandwidth slope and the FMA ceiling);
the whole training step and predict as larger marks. report/rooflines.md
puts every op of every device in one table (device time, GFLOP/s, GB/s,
share of the roofline that bounds it), so runs on several vendors' devices,
from several machines, sit side by side.

The CPU reference targets have no measured peaks and are left out of the
charts. Debian's python3-matplotlib, Agg backend (no display needed).
"""
import argparse
import json
import math
import os
import sys

PEAK_BENCHMARKS = ("fma_peak", "bandwidth_peak")
WHOLE_PROGRAMS = ("train_step", "predict")


def load_devices(path):
    """{target: {"name", "host", "fma", "bandwidth", "ops": [...]}} for one JSON file."""
    try:
        with open(path) as f:
            run = json.load(f)
    except (OSError, json.JSONDecodeError) as e:
        sys.exit(f"roofline_chart.py: cannot read {path}: {e}")
    if not isinstance(run, dict) or "context" not in run or "benchmarks" not in run:
        sys.exit(f"roofline_chart.py: {path} is not Google Benchmark JSON (no context/benchmarks)")
    context = run["context"]
    host = context.get("host_name", os.path.basename(path))
    devices = {}
    for bench in run["benchmarks"]:
        parts = bench.get("name", "").split("/")
        if len(parts) < 3 or bench.get("run_type", "iteration") != "iteration":
            continue
        if bench.get("error_occurred"):
            # A case the device refused (a buffer over its range, say):
            # nothing was timed, so no point to draw.
            print(f"roofline_chart.py: {path}: {bench['name']} was not timed: "
                  f"{bench.get('error_message', 'error')}", file=sys.stderr)
            continue
        op, shape = parts[0], parts[1]
        target = parts[1] if op in PEAK_BENCHMARKS else parts[2]
        if not target.startswith("vulkan") or op in PEAK_BENCHMARKS:
            continue
        index = target[len("vulkan"):]
        fma = context.get(f"device{index}_fma_peak_GFLOPs")
        bandwidth = context.get(f"device{index}_bandwidth_peak_GBs")
        if fma is None or bandwidth is None:
            continue  # run with --no-rooflines: no roofs to draw
        device = devices.setdefault(target, {
            "name": context.get(f"device{index}_name", target), "host": host,
            "fma": float(fma) * 1e9, "bandwidth": float(bandwidth) * 1e9, "ops": []})
        flops, bytes_per_s = bench.get("FLOP/s", 0.0), bench.get("bytes/s", 0.0)
        batch = next((p.split(":")[1] for p in parts if p.startswith("batch:")), "")
        device["ops"].append({
            "op": op, "shape": shape, "batch": batch, "flops": flops, "bytes": bytes_per_s,
            "time": bench.get("real_time", 0.0), "unit": bench.get("time_unit", "ns"),
            "of_roofline": bench.get("of_roofline")})
    return devices


def intensity(op):
    return op["flops"] / op["bytes"] if op["bytes"] > 0 else math.inf


def draw(device, target, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fma, bandwidth = device["fma"], device["bandwidth"]
    points = [op for op in device["ops"] if op["flops"] > 0 and op["bytes"] > 0]
    if not points:
        return False
    lo = min(min(intensity(op) for op in points), fma / bandwidth) / 4
    hi = max(max(intensity(op) for op in points), fma / bandwidth) * 4
    xs = [lo * (hi / lo) ** (i / 200) for i in range(201)]
    fig, ax = plt.subplots(figsize=(9, 6))
    ax.plot(xs, [min(fma, x * bandwidth) for x in xs], color="black", linewidth=1.5,
            label=f"roofline: {fma / 1e9:.1f} GFLOP/s, {bandwidth / 1e9:.1f} GB/s")
    for op in points:
        whole = op["op"] in WHOLE_PROGRAMS
        ax.scatter(intensity(op), op["flops"], s=80 if whole else 24,
                   marker="*" if whole else "o", zorder=3)
        ax.annotate(f"{op['op']} {op['shape']}" + (f" b{op['batch']}" if op["batch"] else ""),
                    (intensity(op), op["flops"]), fontsize=6, xytext=(3, 2),
                    textcoords="offset points")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("arithmetic intensity (FLOP per byte)")
    ax.set_ylabel("achieved FLOP/s")
    ax.set_title(f"{device['name']} ({device['host']}, {target})", fontsize=10)
    ax.grid(True, which="both", linewidth=0.3)
    ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return True


def safe(text):
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in text)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("json", nargs="+", help="vknn-bench --benchmark_out files")
    parser.add_argument("--out", required=True, help="folder for the charts and rooflines.md")
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)

    rows, charts = [], []
    for path in args.json:
        devices = load_devices(path)
        if not devices:
            print(f"roofline_chart.py: {path} has no Vulkan device with measured peaks "
                  "(was it run with --device cpu or --no-rooflines?)", file=sys.stderr)
        for target, device in sorted(devices.items()):
            chart = f"roofline-{safe(device['host'])}-{target}.png"
            if draw(device, target, os.path.join(args.out, chart)):
                charts.append((device, target, chart))
            for op in device["ops"]:
                share = op["of_roofline"]
                rows.append(f"| {device['name']} ({device['host']}) | {op['op']} | {op['shape']} | "
                            f"{op['batch']} | {op['time']:.3g} {op['unit']} | "
                            f"{op['flops'] / 1e9:.3g} | {op['bytes'] / 1e9:.3g} | "
                            + (f"{100 * share:.1f}%" if share is not None else "-") + " |")
    with open(os.path.join(args.out, "rooflines.md"), "w") as f:
        f.write("# Rooflines\n\n")
        for device, target, chart in charts:
            f.write(f"- {device['name']} ({device['host']}, {target}): fma_peak "
                    f"{device['fma'] / 1e9:.1f} GFLOP/s, bandwidth_peak "
                    f"{device['bandwidth'] / 1e9:.1f} GB/s: ![{target}]({chart})\n")
        f.write("\n| device | op | shape | batch | device time | GFLOP/s | GB/s | of its roofline |\n"
                "|---|---|---|---|---|---|---|---|\n")
        f.write("\n".join(rows) + "\n")
    print(f"{len(charts)} chart(s) and rooflines.md ({len(rows)} rows) in {args.out}")
    return 0 if charts else 1


if __name__ == "__main__":
    sys.exit(main())
