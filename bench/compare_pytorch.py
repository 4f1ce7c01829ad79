#!/usr/bin/python3
"""vknn against PyTorch on the same machine: the course model's training step and predict.

Both sides run the course model (Conv2D 64 3x3 relu, MaxPool 2, Conv2D 64 3x3
relu, MaxPool 2, Flatten, Dense 128 relu, Dense 10 softmax; Adam with Keras's
epsilon, sparse categorical cross-entropy) on the real Fashion-MNIST training
images, in a shuffled order, and each step does the same work:

  training step: gather the batch (uint8 images to floats / 255, labels),
                 forward, loss, backward, Adam, metrics (loss sum and correct
                 count accumulated where the step runs, nothing read back)
  predict:       gather, forward, softmax, store the batch's probabilities in
                 an output for the whole dataset (PyTorch: eval mode and
                 torch.inference_mode)

Rounds are interleaved (vknn, PyTorch, vknn, PyTorch, ...) for every case, and
each side times a fixed number of steps after a warm-up in each round. The
machine is shared and noisy, so the report is the median over rounds of the
ratio vknn / PyTorch with its min and max, and each side's median ms/step;
also each side's best round (least disturbed by other work on the machine)
and the ratio of the two bests, the closest this gives to a quiet machine;
and the CPU time per step of each process (all its threads: on lavapipe the
device work runs on vknn's own threads), which other programs on a shared
machine inflate far less than wall time (spin-waiting threads still count).

vknn: build/bench/vknn-bench --data DIR --iterations N, one process per round
and case (JSON out); its ms/step is the host's wall time per step (submit,
device work, wait), with the device time from timestamps alongside.

PyTorch at its best: Debian's python3-torch (apt-get install python3-torch),
torch.set_num_threads(all cores), and jemalloc through LD_PRELOAD (Debian's
libjemalloc2, as PyTorch's CPU performance guide recommends): with glibc's
default malloc PyTorch maps and unmaps its large temporaries every step and
its step time varies threefold at random. The script re-executes itself with
jemalloc preloaded and shows that it is mapped; vknn-bench runs without it.
It also sets OMP_WAIT_POLICY=PASSIVE for PyTorch (--omp-wait-policy): on a
shared machine with other work running (load 12 on 2 cores), OpenMP's
spinning threads made PyTorch's batch-32 step 600-980 ms, passive waiting
136-176 ms (one thread: 83-155 ms); on a quiet machine the difference is small.

usage: /usr/bin/python3 bench/compare_pytorch.py [--rounds 7] [--steps N]
           [--cases train:32,train:256,predict:32,predict:256]
           [--data data/fashion-mnist] [--bench build/bench/vknn-bench] [--device 0]
           [--threads N] [--no-jemalloc] [--omp-wait-policy passive|active|default]
           [--json results.json]
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

JEMALLOC = "/usr/lib/x86_64-linux-gnu/libjemalloc.so.2"
REEXEC_MARK = "VKNN_COMPARE_PYTORCH_REEXEC"
# Steps timed per round when --steps is not given: about 1000 images a round.
DEFAULT_STEPS = {32: 30, 256: 10}
WARMUP_STEPS = 3  # vknn-bench's warm-up for the step benchmarks, used on both sides


def jemalloc_mapped():
    """True when jemalloc is mapped into this process (LD_PRELOAD took)."""
    with open("/proc/self/maps") as maps:
        return any("libjemalloc" in line for line in maps)


def reexec_with_tuning(args):
    """Re-executes this script with jemalloc preloaded and OpenMP's wait policy
    set: both must be in the environment before the libraries load."""
    if os.environ.get(REEXEC_MARK):
        return
    env = dict(os.environ)
    env[REEXEC_MARK] = "1"
    if not args.no_jemalloc and not jemalloc_mapped():
        if not os.path.exists(JEMALLOC):
            sys.exit(f"compare_pytorch: {JEMALLOC} not found (apt-get install libjemalloc2), "
                     "or run with --no-jemalloc to measure PyTorch with glibc's malloc")
        env["LD_PRELOAD"] = (JEMALLOC + " " + env.get("LD_PRELOAD", "")).strip()
    if args.omp_wait_policy != "default":
        env["OMP_WAIT_POLICY"] = args.omp_wait_policy.upper()
    os.execve(sys.executable, [sys.executable] + sys.argv, env)


def read_idx(path, magic, dims):
    """An IDX file of unsigned bytes, strictly: magic, positive dims, exact size."""
    import numpy as np
    with open(path, "rb") as f:
        raw = f.read()
    header = 4 + 4 * dims
    if len(raw) < header:
        sys.exit(f"compare_pytorch: {path}: shorter than an IDX header ({len(raw)} bytes)")
    found = int.from_bytes(raw[0:4], "big")
    if found != magic:
        sys.exit(f"compare_pytorch: {path}: magic {found:#010x}, expected {magic:#010x}")
    shape = tuple(int.from_bytes(raw[4 + 4 * i:8 + 4 * i], "big") for i in range(dims))
    if any(d <= 0 for d in shape):
        sys.exit(f"compare_pytorch: {path}: dimensions {shape} must be positive")
    payload = 1
    for d in shape:
        payload *= d
    if len(raw) != header + payload:
        sys.exit(f"compare_pytorch: {path}: {len(raw)} bytes, expected {header + payload} "
                 f"for dimensions {shape}")
    return np.frombuffer(raw, dtype=np.uint8, offset=header).reshape(shape)


def load_training_set(folder):
    images = read_idx(os.path.join(folder, "train-images-idx3-ubyte"), 0x803, 3)
    labels = read_idx(os.path.join(folder, "train-labels-idx1-ubyte"), 0x801, 1)
    if images.shape[0] != labels.shape[0]:
        sys.exit(f"compare_pytorch: {folder}: {images.shape[0]} images but {labels.shape[0]} labels")
    if labels.max() >= 10:
        sys.exit(f"compare_pytorch: {folder}: label {labels.max()} is not below 10")
    return images, labels


class PyTorchCourseModel:
    """The course model in PyTorch, trained or run over shuffled real batches."""

    def __init__(self, images, labels, batch, filters=64, seed=0):
        import torch
        from torch import nn
        self.torch = torch
        torch.manual_seed(seed)
        self.model = nn.Sequential(
            nn.Conv2d(1, filters, 3), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(filters, filters, 3), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(), nn.Linear(filters * 25, 128), nn.ReLU(), nn.Linear(128, 10))
        # Keras's Adam: learning rate 1e-3, epsilon 1e-7.
        self.optimizer = torch.optim.Adam(self.model.parameters(), lr=1e-3, eps=1e-7)
        self.loss_fn = nn.CrossEntropyLoss()  # on logits: the softmax is fused, as in vknn
        n = images.shape[0]
        self.images = torch.from_numpy(images.copy()).reshape(n, 1, 28, 28)  # uint8, like vknn's
        self.labels = torch.from_numpy(labels.astype("int64"))
        self.batch = batch
        self.batches = n // batch
        self.generator = torch.Generator().manual_seed(seed)
        self.order = torch.randperm(n, generator=self.generator)
        self.position = 0
        self.loss_sum = torch.zeros(())
        self.correct = torch.zeros((), dtype=torch.int64)
        self.outputs = torch.empty(n, 10)

    def _next_indices(self):
        if self.position == self.batches:  # a new epoch, reshuffled as fit does
            self.order = self.torch.randperm(self.order.numel(), generator=self.generator)
            self.position = 0
        start = self.position * self.batch
        self.position += 1
        return self.order[start:start + self.batch], start

    def train_step(self):
        index, _ = self._next_indices()
        x = self.images[index].float().div_(255.0)  # the gather vknn does on the device
        y = self.labels[index]
        self.optimizer.zero_grad(set_to_none=True)
        logits = self.model(x)
        loss = self.loss_fn(logits, y)
        loss.backward()
        self.optimizer.step()
        with self.torch.no_grad():  # metrics, kept where they are made (no sync)
            self.loss_sum += loss.detach() * y.numel()
            self.correct += (logits.argmax(1) == y).sum()

    def predict_step(self):
        index, start = self._next_indices()
        with self.torch.inference_mode():
            x = self.images[index].float().div_(255.0)
            self.outputs[start:start + self.batch] = self.torch.softmax(self.model(x), dim=1)

    def time_steps(self, kind, steps):
        self.model.train(kind == "train")
        step = self.train_step if kind == "train" else self.predict_step
        for _ in range(WARMUP_STEPS):
            step()
        start, cpu_start = time.perf_counter(), time.process_time()
        for _ in range(steps):
            step()
        return (time.perf_counter() - start) / steps, (time.process_time() - cpu_start) / steps


def time_vknn(args, kind, batch, steps):
    """One vknn-bench process; returns (wall ms/step, device ms/step, counters, device name)
    with the process's CPU ms per step among the counters."""
    target = "cpu" if args.device == "cpu" else f"vulkan{args.device}"
    name = f"{'train_step' if kind == 'train' else 'predict'}/course_model/{target}/batch:{batch}"
    env = dict(os.environ)
    # jemalloc and the OpenMP policy are for PyTorch; vknn runs as a user runs it.
    for variable in ("LD_PRELOAD", "OMP_WAIT_POLICY", REEXEC_MARK):
        env.pop(variable, None)
    command = [args.bench, "--device", str(args.device), "--data", args.data, "--no-rooflines",
               "--iterations", str(steps), f"--benchmark_filter=^{name}/", "--benchmark_format=json"]
    result = subprocess.run(command, capture_output=True, text=True, env=env)
    if result.returncode != 0:
        sys.exit(f"compare_pytorch: {' '.join(command)} failed ({result.returncode}):\n{result.stderr}")
    report = json.loads(result.stdout)
    runs = [b for b in report["benchmarks"] if b["name"].startswith(name + "/")]
    if not runs:
        sys.exit(f"compare_pytorch: vknn-bench ran no benchmark named {name}")
    run = runs[0]
    if run.get("time_unit") != "ms":
        sys.exit(f"compare_pytorch: vknn-bench reported {name} in {run.get('time_unit')}, expected ms")
    if run["iterations"] != steps:
        sys.exit(f"compare_pytorch: vknn-bench timed {run['iterations']} steps, asked for {steps}")
    context = report.get("context", {})
    device_name = context.get(f"device{args.device}_name", "CPU reference")
    counters = {k: run[k] for k in ("dispatches", "barriers", "cpu_ms") if k in run}
    return run["wall_ms"], run["real_time"], counters, device_name


def summarize(values):
    return statistics.median(values), min(values), max(values)


def parse_cases(text):
    cases = []
    for item in text.split(","):
        kind, _, batch = item.partition(":")
        if kind not in ("train", "predict") or not batch.isdigit() or int(batch) <= 0:
            sys.exit(f"compare_pytorch: --cases item '{item}' is not train:BATCH or predict:BATCH")
        cases.append((kind, int(batch)))
    return cases


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    root = os.path.join(here, "..")
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bench", default=os.path.join(root, "build", "bench", "vknn-bench"))
    parser.add_argument("--data", default=os.path.join(root, "data", "fashion-mnist"),
                        help="folder with the Fashion-MNIST IDX files (scripts/get_data.sh)")
    parser.add_argument("--device", default="0", help="Vulkan device index, or cpu")
    parser.add_argument("--cases", default="train:32,train:256,predict:32,predict:256")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--steps", type=int, default=0,
                        help="steps timed per round and side (default: 30 at batch 32, 10 at 256)")
    parser.add_argument("--threads", type=int, default=len(os.sched_getaffinity(0)),
                        help="PyTorch threads (default: every core this process may use)")
    parser.add_argument("--no-jemalloc", action="store_true",
                        help="run PyTorch with glibc's malloc (unstable; for comparison only)")
    parser.add_argument("--omp-wait-policy", choices=("passive", "active", "default"), default="passive",
                        help="OMP_WAIT_POLICY for PyTorch's OpenMP threads (default passive: on a "
                             "shared, loaded machine spinning threads made its step 4-7x slower)")
    parser.add_argument("--json", help="also write every round's numbers here")
    args = parser.parse_args()
    if args.rounds < 1 or args.steps < 0 or args.threads < 1:
        sys.exit("compare_pytorch: --rounds and --threads must be at least 1, --steps not negative")
    reexec_with_tuning(args)
    cases = parse_cases(args.cases)
    try:
        import torch
    except ImportError:
        sys.exit("compare_pytorch: PyTorch is not installed (Debian: apt-get install python3-torch)")
    if not os.path.exists(args.bench):
        sys.exit(f"compare_pytorch: {args.bench} not found; build it first "
                 "(cmake --build build --target vknn-bench)")
    torch.set_num_threads(args.threads)
    allocator = "jemalloc (LD_PRELOAD, mapped)" if jemalloc_mapped() else "glibc malloc"
    allocator += f", OMP_WAIT_POLICY={os.environ.get('OMP_WAIT_POLICY', 'unset')}"
    if not args.no_jemalloc and not jemalloc_mapped():
        sys.exit("compare_pytorch: jemalloc was preloaded but is not mapped; not measuring")
    images, labels = load_training_set(args.data)
    load_before = os.getloadavg()
    models = {}
    rounds = {case: [] for case in cases}
    device_name = "?"
    for r in range(args.rounds):
        for kind, batch in cases:
            steps = args.steps or DEFAULT_STEPS.get(batch, max(10, 960 // batch))
            wall, device_ms, counters, device_name = time_vknn(args, kind, batch, steps)
            if batch not in models:
                models[batch] = PyTorchCourseModel(images, labels, batch)
            torch_seconds, torch_cpu_seconds = models[batch].time_steps(kind, steps)
            torch_ms, torch_cpu_ms = torch_seconds * 1e3, torch_cpu_seconds * 1e3
            vknn_cpu_ms = counters.pop("cpu_ms")
            rounds[(kind, batch)].append({"vknn_wall_ms": wall, "vknn_device_ms": device_ms,
                                          "pytorch_ms": torch_ms, "ratio": wall / torch_ms,
                                          "vknn_cpu_ms": vknn_cpu_ms, "pytorch_cpu_ms": torch_cpu_ms,
                                          "cpu_ratio": vknn_cpu_ms / torch_cpu_ms,
                                          "steps": steps, **counters})
            print(f"round {r + 1}/{args.rounds} {kind:7s} batch {batch:3d}: vknn {wall:7.2f} ms "
                  f"(device {device_ms:7.2f}, CPU {vknn_cpu_ms:7.2f}), PyTorch {torch_ms:7.2f} ms "
                  f"(CPU {torch_cpu_ms:7.2f}), ratio {wall / torch_ms:.2f}x (CPU time "
                  f"{vknn_cpu_ms / torch_cpu_ms:.2f}x)", flush=True)

    load_after = os.getloadavg()
    print()
    print(f"load average (1, 5, 15 min) before {load_before[0]:.2f} {load_before[1]:.2f} "
          f"{load_before[2]:.2f}, after {load_after[0]:.2f} {load_after[1]:.2f} {load_after[2]:.2f} "
          f"on {os.cpu_count()} cores")
    print(f"vknn: {device_name}; PyTorch {torch.__version__} on the CPU, {torch.get_num_threads()} "
          f"threads, {allocator}; {args.rounds} interleaved rounds, Fashion-MNIST training images "
          f"in a shuffled order")
    print(f"{'case':16s} {'vknn ms/step':>20s} {'PyTorch ms/step':>18s} {'ratio vknn/PyTorch':>28s}"
          f" {'best vknn, PyTorch, ratio':>30s}")
    summary = {}
    for (kind, batch), values in rounds.items():
        v = summarize([x["vknn_wall_ms"] for x in values])
        d = summarize([x["vknn_device_ms"] for x in values])
        t = summarize([x["pytorch_ms"] for x in values])
        q = summarize([x["ratio"] for x in values])
        c = summarize([x["cpu_ratio"] for x in values])
        vc = summarize([x["vknn_cpu_ms"] for x in values])
        tc = summarize([x["pytorch_cpu_ms"] for x in values])
        label = f"{kind} batch {batch}"
        print(f"{label:16s} {v[0]:9.2f} (dev {d[0]:6.2f}) {t[0]:18.2f} "
              f"{q[0]:10.2f}x (min {q[1]:.2f}, max {q[2]:.2f}) "
              f"{v[1]:9.2f} {t[1]:9.2f} {v[1] / t[1]:6.2f}x")
        summary[label] = {"vknn_wall_ms": v, "vknn_device_ms": d, "pytorch_ms": t, "ratio": q,
                          "ratio_of_best": v[1] / t[1], "vknn_cpu_ms": vc, "pytorch_cpu_ms": tc,
                          "cpu_ratio": c, "rounds": values}
    print()
    print("CPU time per step (both processes, every thread), median over rounds:")
    print(f"{'case':16s} {'vknn CPU ms':>12s} {'PyTorch CPU ms':>15s} {'ratio (min, max)':>28s}")
    for label, x in summary.items():
        print(f"{label:16s} {x['vknn_cpu_ms'][0]:12.2f} {x['pytorch_cpu_ms'][0]:15.2f} "
              f"{x['cpu_ratio'][0]:10.2f}x (min {x['cpu_ratio'][1]:.2f}, max {x['cpu_ratio'][2]:.2f})")
    if args.json:
        with open(args.json + ".tmp", "w") as f:
            json.dump({"device": device_name, "torch": torch.__version__,
                       "threads": torch.get_num_threads(), "allocator": allocator,
                       "load_before": load_before, "load_after": load_after,
                       "cases": summary}, f, indent=1)
        os.replace(args.json + ".tmp", args.json)


if __name__ == "__main__":
    main()
