#!/usr/bin/python3
"""vknn against PyTorch on the same machine: a course model's training step and predict.

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

PyTorch at its best: Debian's python3-torch (apt-get install python3-torch)
with an optimized BLAS behind its Dense layers (apt-get install
libopenblas0-pthread; with Debian's reference libblas3 alone the cats_vs_dogs
step took 1.02 s, and the script refuses to measure),
torch.set_num_threads(all cores), and jemalloc through LD_PRELOAD (Debian's
libjemalloc2, as PyTorch's CPU performance guide recommends): with glibc's
default malloc PyTorch maps and unmaps its large temporaries every step and
its step time varies threefold at random. The script re-executes itself with
jemalloc preloaded and shows that it is mapped; vknn-bench runs without it.
It also sets OMP_WAIT_POLICY=PASSIVE for PyTorch (--omp-wait-policy): on a
shared machine with other work running (load 12 on 2 cores), OpenMP's
spinning threads made PyTorch's batch-32 step 600-980 ms, passive waiting
136-176 ms (one thread: 83-155 ms); on a quiet machine the difference is small.

--model cats_vs_dogs or horses_or_humans: Course 2's cats-vs-dogs model
(150x150x3; Conv2D 16/32/64 3x3 relu each with MaxPool 2, Flatten, Dense 512
relu, Dense 1 sigmoid; 9,494,561 parameters) or Course 1 week 4's
horses-or-humans model (300x300x3; Conv2D 16/32/64/64/64 with pools, Dense 512,
Dense 1 sigmoid; 1,704,097 parameters), both RMSprop(0.001) with binary
cross-entropy on the logit (the sigmoid fused, as in vknn). There is no such
dataset here, so both sides replay the same four batches of synthetic uint8
images of the model's shape (vknn-bench's synthetic step data: pixel i is
(i * 2654435761 mod 2^32) >> 24, labels i % 2). The models are described once,
in MODELS below, as Keras layers; PyTorch's are built from that description
(NCHW: the NHWC uint8 batch is permuted on the gather, as the course model's
(n, 28, 28) images are reshaped to (n, 1, 28, 28)), and the parameter count of
the description is checked against the course's before anything runs.

usage: /usr/bin/python3 bench/compare_pytorch.py [--model course] [--rounds 7] [--steps N]
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


def blas_library():
    """The BLAS library PyTorch's dense layers call (Debian's torch links the
    libblas.so.3 alternative): its path as mapped into this process."""
    import torch
    torch.ones(64, 64) @ torch.ones(64, 64)  # loaded by now
    with open("/proc/self/maps") as maps:
        paths = {line.split()[-1] for line in maps if "blas" in line.split()[-1]}
    real = sorted({os.path.realpath(p) for p in paths})
    return ", ".join(real) if real else "none mapped"


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


# The models both sides run, as Keras layers: ("conv", filters) is Conv2D 3x3
# valid with relu, ("pool",) MaxPooling2D 2, ("flatten",), ("dense", units,
# activation). vknn-bench's own copies are bench/bench_models.hpp (its
# summary test checks the same totals); tests/python/test_compare_pytorch_models.py
# checks these against the totals and against vknn's Keras API.
MODELS = {
    "course": {"input": (28, 28, 1), "bench_name": "course_model", "loss": "sparse_categorical_crossentropy",
               "optimizer": "adam", "params": 243786,
               "layers": [("conv", 64), ("pool",), ("conv", 64), ("pool",), ("flatten",),
                          ("dense", 128, "relu"), ("dense", 10, "softmax")]},
    "cats_vs_dogs": {"input": (150, 150, 3), "bench_name": "cats_vs_dogs", "loss": "binary_crossentropy",
                     "optimizer": "rmsprop", "params": 9494561,
                     "layers": [("conv", 16), ("pool",), ("conv", 32), ("pool",), ("conv", 64), ("pool",),
                                ("flatten",), ("dense", 512, "relu"), ("dense", 1, "sigmoid")]},
    "horses_or_humans": {"input": (300, 300, 3), "bench_name": "horses_or_humans",
                         "loss": "binary_crossentropy", "optimizer": "rmsprop", "params": 1704097,
                         "layers": [("conv", 16), ("pool",), ("conv", 32), ("pool",), ("conv", 64), ("pool",),
                                    ("conv", 64), ("pool",), ("conv", 64), ("pool",), ("flatten",),
                                    ("dense", 512, "relu"), ("dense", 1, "sigmoid")]},
}


def layer_shapes(spec):
    """Each layer's (kind, input shape, output shape, parameters), shapes NHWC
    per sample as Keras's summary shows them (valid 3x3 convolutions, pools
    of 2 rounding down)."""
    shape = tuple(spec["input"])
    rows = []
    for layer in spec["layers"]:
        kind = layer[0]
        if kind == "conv":
            h, w, c = shape
            out = (h - 2, w - 2, layer[1])
            params = 3 * 3 * c * layer[1] + layer[1]
        elif kind == "pool":
            h, w, c = shape
            out, params = (h // 2, w // 2, c), 0
        elif kind == "flatten":
            n = 1
            for d in shape:
                n *= d
            out, params = (n,), 0
        elif kind == "dense":
            out, params = (layer[1],), shape[0] * layer[1] + layer[1]
        else:
            raise ValueError(f"unknown layer {layer!r}")
        rows.append((kind, shape, out, params))
        shape = out
    return rows


def parameter_count(spec):
    return sum(row[3] for row in layer_shapes(spec))


def synthetic_set(spec, count):
    """vknn-bench's synthetic step data for a model: uint8 pixels
    (i * 2654435761 mod 2^32) >> 24 in NHWC order, labels i % classes."""
    import numpy as np
    h, w, c = spec["input"]
    i = np.arange(count * h * w * c, dtype=np.uint64)
    pixels = ((i * 2654435761) % (1 << 32) >> 24).astype(np.uint8).reshape(count, h, w, c)
    classes = 2 if spec["loss"] == "binary_crossentropy" else 10
    labels = (np.arange(count) % classes).astype(np.uint8)
    return pixels, labels


def torch_layers(spec, nn):
    """The model as a PyTorch nn.Sequential (NCHW), without the output
    activation: both losses are computed from the logits, as vknn's."""
    modules = []
    rows = layer_shapes(spec)
    last_dense = max(i for i, row in enumerate(rows) if row[0] == "dense")
    for i, ((kind, in_shape, out_shape, _), layer) in enumerate(zip(rows, spec["layers"])):
        if kind == "conv":
            modules += [nn.Conv2d(in_shape[2], out_shape[2], 3), nn.ReLU()]
        elif kind == "pool":
            modules.append(nn.MaxPool2d(2))
        elif kind == "flatten":
            modules.append(nn.Flatten())
        else:
            modules.append(nn.Linear(in_shape[0], out_shape[0]))
            if i != last_dense:
                if layer[2] != "relu":
                    raise ValueError(f"hidden Dense activation {layer[2]} is not supported here")
                modules.append(nn.ReLU())
    return nn.Sequential(*modules)


class PyTorchModel:
    """A course model in PyTorch, trained or run over shuffled batches."""

    def __init__(self, spec, images, labels, batch, seed=0):
        import torch
        from torch import nn
        self.torch = torch
        torch.manual_seed(seed)
        self.model = torch_layers(spec, nn)
        count = sum(p.numel() for p in self.model.parameters())
        if count != spec["params"]:
            sys.exit(f"compare_pytorch: the PyTorch model has {count} parameters, Keras's {spec['params']}")
        self.binary = spec["loss"] == "binary_crossentropy"
        if spec["optimizer"] == "adam":  # Keras's Adam: learning rate 1e-3, epsilon 1e-7
            self.optimizer = torch.optim.Adam(self.model.parameters(), lr=1e-3, eps=1e-7)
        else:  # Keras's RMSprop: learning rate 1e-3, rho 0.9, epsilon 1e-7
            self.optimizer = torch.optim.RMSprop(self.model.parameters(), lr=1e-3, alpha=0.9, eps=1e-7)
        # On logits: the softmax or sigmoid is fused into the loss, as in vknn.
        self.loss_fn = nn.BCEWithLogitsLoss() if self.binary else nn.CrossEntropyLoss()
        n = images.shape[0]
        # uint8, like vknn's; NHWC to NCHW once here, so the gather is vknn's.
        self.images = torch.from_numpy(images.copy()).reshape(n, *spec["input"]).permute(0, 3, 1, 2).contiguous()
        self.labels = torch.from_numpy(labels.astype("float32" if self.binary else "int64"))
        self.outputs_per_sample = 1 if self.binary else 10
        self.batch = batch
        self.batches = n // batch
        self.generator = torch.Generator().manual_seed(seed)
        self.order = torch.randperm(n, generator=self.generator)
        self.position = 0
        self.loss_sum = torch.zeros(())
        self.correct = torch.zeros((), dtype=torch.int64)
        self.outputs = torch.empty(n, self.outputs_per_sample)

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
        if self.binary:
            logits = logits.reshape(-1)
        loss = self.loss_fn(logits, y)
        loss.backward()
        self.optimizer.step()
        with self.torch.no_grad():  # metrics, kept where they are made (no sync)
            self.loss_sum += loss.detach() * y.numel()
            predicted = (logits > 0).float() if self.binary else logits.argmax(1)
            self.correct += (predicted == y).sum()

    def predict_step(self):
        index, start = self._next_indices()
        with self.torch.inference_mode():
            x = self.images[index].float().div_(255.0)
            logits = self.model(x)
            self.outputs[start:start + self.batch] = (self.torch.sigmoid(logits) if self.binary
                                                      else self.torch.softmax(logits, dim=1))

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
    spec = MODELS[args.model]
    name = f"{'train_step' if kind == 'train' else 'predict'}/{spec['bench_name']}/{target}/batch:{batch}"
    env = dict(os.environ)
    # jemalloc and the OpenMP policy are for PyTorch; vknn runs as a user runs it.
    for variable in ("LD_PRELOAD", "OMP_WAIT_POLICY", REEXEC_MARK):
        env.pop(variable, None)
    command = [args.bench, "--device", str(args.device), "--model", args.model, "--batch", str(batch),
               "--no-rooflines", "--iterations", str(steps), f"--benchmark_filter=^{name}/",
               "--benchmark_format=json"]
    if args.model == "course":  # the real training images; the others are synthetic on both sides
        command[1:1] = ["--data", args.data]
    result = subprocess.run(command, capture_output=True, text=True, env=env)
    if result.returncode != 0:
        sys.exit(f"compare_pytorch: {' '.join(command)} failed ({result.returncode}):\n{result.stderr}")
    report = json.loads(result.stdout)
    runs = [b for b in report["benchmarks"] if b["name"].startswith(name + "/")]
    if not runs:
        sys.exit(f"compare_pytorch: vknn-bench ran no benchmark named {name}")
    run = runs[0]
    if run.get("error_occurred"):
        sys.exit(f"compare_pytorch: vknn-bench could not run {name}: {run.get('error_message')}")
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
    parser.add_argument("--model", choices=sorted(MODELS), default="course",
                        help="course (Fashion-MNIST, real images), cats_vs_dogs or horses_or_humans "
                             "(synthetic images of their shapes)")
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
    # Debian's reference BLAS (libblas3 alone) makes PyTorch's Dense layers
    # several times slower (cats_vs_dogs' Dense(512) on 18,496 inputs: its
    # step 1.02 s, with OpenBLAS far less): not the peer at its best.
    blas = blas_library()
    if "openblas" not in blas and "mkl" not in blas and "blis" not in blas:
        sys.exit(f"compare_pytorch: PyTorch's BLAS is {blas}, the reference implementation; "
                 f"install an optimized one (apt-get install libopenblas0-pthread) so PyTorch "
                 f"runs at its best")
    allocator += f", BLAS {blas}"
    spec = MODELS[args.model]
    if parameter_count(spec) != spec["params"]:
        sys.exit(f"compare_pytorch: {args.model}: the description has {parameter_count(spec)} parameters, "
                 f"the course's model {spec['params']}")
    if args.model == "course":
        images, labels = load_training_set(args.data)
        data_text = "Fashion-MNIST training images in a shuffled order"
    else:  # as vknn-bench: four synthetic batches of the largest batch, replayed
        # (vknn-bench makes four of each case's batch; the same pixels.)
        images, labels = synthetic_set(spec, 4 * max(batch for _, batch in cases))
        data_text = f"4 batches of synthetic {spec['input']} uint8 images, replayed"
    load_before = os.getloadavg()
    models = {}
    rounds = {case: [] for case in cases}
    device_name = "?"
    for r in range(args.rounds):
        for kind, batch in cases:
            steps = args.steps or DEFAULT_STEPS.get(batch, max(10, 960 // batch))
            wall, device_ms, counters, device_name = time_vknn(args, kind, batch, steps)
            if batch not in models:
                models[batch] = PyTorchModel(spec, images, labels, batch)
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
          f"threads, {allocator}; {args.rounds} interleaved rounds, {args.model}, {data_text}")
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
            json.dump({"model": args.model, "device": device_name, "torch": torch.__version__,
                       "threads": torch.get_num_threads(), "allocator": allocator,
                       "load_before": load_before, "load_after": load_after,
                       "cases": summary}, f, indent=1)
        os.replace(args.json + ".tmp", args.json)


if __name__ == "__main__":
    main()
