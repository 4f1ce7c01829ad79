#!/usr/bin/env python3
"""Times the course model's training step in vknn and in PyTorch, side by side.

Runs vknn-bench's train_step benchmark (wall time per step, as the host sees
it: submit, device work, wait) and the same model in PyTorch on the CPU
(same batch size, Adam with Keras's epsilon, sparse categorical
cross-entropy), one after the other in one run, and prints the ratio
vknn / PyTorch. PyTorch comes from Debian: apt-get install python3-torch.

usage: bench/compare_pytorch.py [--bench build/bench/vknn-bench] [--device 0]
                                [--batch-size 32] [--steps 30] [--threads N]
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time


def time_pytorch(batch_size, steps, threads, filters=64):
    import torch
    from torch import nn

    torch.set_num_threads(threads)
    torch.manual_seed(0)
    model = nn.Sequential(
        nn.Conv2d(1, filters, 3), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(filters, filters, 3), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(filters * 25, 128), nn.ReLU(), nn.Linear(128, 10))
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3, eps=1e-7)
    loss_fn = nn.CrossEntropyLoss()
    images = torch.randint(0, 256, (batch_size * 4, 1, 28, 28), dtype=torch.uint8)
    labels = torch.randint(0, 10, (batch_size * 4,))

    def step(i):
        j = (i % 4) * batch_size
        x = images[j:j + batch_size].float() / 255.0  # the gather vknn does on the device
        optimizer.zero_grad(set_to_none=True)
        loss = loss_fn(model(x), labels[j:j + batch_size])
        loss.backward()
        optimizer.step()

    for i in range(5):
        step(i)
    times = []
    for i in range(steps):
        start = time.perf_counter()
        step(i)
        times.append(time.perf_counter() - start)
    return statistics.median(times), torch.__version__


def time_vknn(bench, device, batch_size):
    name = f"train_step/course_model/vulkan{device}/batch:{batch_size}" if device != "cpu" \
        else f"train_step/course_model/cpu/batch:{batch_size}"
    result = subprocess.run(
        [bench, "--device", str(device), f"--benchmark_filter=^{name}/",
         "--benchmark_format=json", "--benchmark_min_time=2"],
        check=True, capture_output=True, text=True)
    report = json.loads(result.stdout)
    runs = [b for b in report["benchmarks"] if b["name"].startswith(name)]
    if not runs:
        sys.exit(f"compare_pytorch: vknn-bench ran no benchmark named {name}")
    run = runs[0]
    context = report.get("context", {})
    key = f"device{device}_name"
    return run["wall_ms"] / 1e3, run["real_time"] / 1e3, context.get(key, "CPU reference")


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bench", default=os.path.join(here, "..", "build", "bench", "vknn-bench"))
    parser.add_argument("--device", default="0", help="Vulkan device index, or cpu")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    args = parser.parse_args()
    try:
        import torch  # noqa: F401
    except ImportError:
        sys.exit("compare_pytorch: PyTorch is not installed (Debian: apt-get install python3-torch)")
    if not os.path.exists(args.bench):
        sys.exit(f"compare_pytorch: {args.bench} not found; build first (scripts/setup.sh)")

    vknn_wall, vknn_device, device_name = time_vknn(args.bench, args.device, args.batch_size)
    torch_step, torch_version = time_pytorch(args.batch_size, args.steps, args.threads)
    print(f"course model (64 filters), training step, batch {args.batch_size}")
    print(f"  vknn     {vknn_wall * 1e3:8.2f} ms/step wall ({vknn_device * 1e3:.2f} ms device) on {device_name}")
    print(f"  PyTorch  {torch_step * 1e3:8.2f} ms/step on the CPU, {args.threads} threads (torch {torch_version})")
    print(f"  ratio vknn / PyTorch: {vknn_wall / torch_step:.2f}x")


if __name__ == "__main__":
    main()
