#!/usr/bin/env python3
"""A model of data-parallel step time for 1-64 devices (docs/distributed.md).

From one device's measured (or assumed) training step and the model's
parameter count, it predicts the step time and the scaling efficiency of
synchronous data parallelism on N = 1, 2, 4, ..., 64 devices joined by
10, 25 and 100 Gb/s links, where the gradient is summed by a ring all-reduce:

    t_allreduce(N, bytes) = 2 (N - 1) / N * bytes / bandwidth + 2 (N - 1) * latency

(each rank sends and receives 2 (N - 1) / N of the gradient, in 2 (N - 1)
steps of one latency each). vknn's exchange moves the same bytes
(src/distributed/rank_order_allreduce.hpp) in two collectives; over a
network the ring formula is the usual bound and is what this uses. Before
and after the exchange a GPU's gradients cross PCIe to the host and back
(vknn sums on the host): 2 * bytes / pcie, unless --pcie-gbs 0.

Without overlap the exchange follows the backward: t_step = t_compute +
t_exchange. With overlap (gradient buckets, as PyTorch's DDP does) the
gradient is cut into k equal buckets that become ready at even intervals
over the backward, the last at its end, and go over the link one after
another as they are ready; only what is still running when the backward
ends is added. Each bucket pays the ring's latency again, so more buckets
are not always better: the model takes the best k from 1 to --buckets (k = 1
is no overlap), as one would tune DDP's bucket size. Even readiness is an
assumption; in the three models here most of the gradient is the Dense
kernels (84% of the course model's, 99.7% of cats-vs-dogs'), whose
gradients are ready early in the backward, which would hide more. The
backward's share of the compute (--backward-share)
is 2/3 by default: the course model's forward is 10.1 MFLOP per image and
forward plus backward 29.6 (docs/architecture.md's FLOP counts), so the
backward is 66% of the work; a backward costs about two forwards in most
CNNs (one product for the input gradient, one for the kernel gradient).

Weak scaling: every device keeps the measured per-device batch (the global
batch grows with N); efficiency = t_compute / t_step(N). Strong scaling: the
global batch is fixed (--global-batch); each device computes ceil(B / N)
samples (the slowest rank decides), in --fixed-ms plus the rest of the
step scaled by the samples (with --fixed-ms 0, optimistic for small
per-device batches, which use a GPU poorly); efficiency = t_step(1) / (N * t_step(N)). N above B is impossible
(vknn refuses more ranks than samples in a batch) and shows as "-".

usage: bench/step_time_model.py --params 243786 --batch 32 --step-ms 22
       bench/step_time_model.py --docs     (the tables of docs/distributed.md)
Only the Python standard library is used.
"""
import argparse
import math
import sys

RANKS = (1, 2, 4, 8, 16, 32, 64)
LINKS_GBPS = (10, 25, 100)


def allreduce_seconds(ranks, nbytes, gbps, latency_s):
    """A ring all-reduce of nbytes over ranks, each link gbps Gbit/s."""
    if ranks == 1:
        return 0.0
    return 2.0 * (ranks - 1) / ranks * nbytes * 8.0 / (gbps * 1e9) + 2.0 * (ranks - 1) * latency_s


def exchange_seconds(ranks, nbytes, gbps, latency_s, pcie_gbs):
    """The whole exchange without overlap: device to host, all-reduce, back."""
    if ranks == 1:
        return 0.0
    copies = 2.0 * nbytes / (pcie_gbs * 1e9) if pcie_gbs > 0 else 0.0
    return copies + allreduce_seconds(ranks, nbytes, gbps, latency_s)


def exposed_seconds(ranks, nbytes, gbps, latency_s, pcie_gbs, backward_s, buckets):
    """What the exchange adds to the step when `buckets` equal buckets are
    exchanged as they become ready, at even intervals over the backward."""
    if ranks == 1:
        return 0.0
    link_free = 0.0
    for i in range(buckets):
        ready = backward_s * (i + 1) / buckets
        start = max(ready, link_free)
        link_free = start + exchange_seconds(ranks, nbytes / buckets, gbps, latency_s, pcie_gbs)
    return max(0.0, link_free - backward_s)


def best_exposed_seconds(ranks, nbytes, gbps, latency_s, pcie_gbs, backward_s, max_buckets):
    """The least exposed exchange over 1..max_buckets buckets."""
    return min(exposed_seconds(ranks, nbytes, gbps, latency_s, pcie_gbs, backward_s, k)
               for k in range(1, max_buckets + 1))


class Model:
    def __init__(self, params, batch, step_s, backward_share, latency_s, pcie_gbs, buckets, fixed_s=0.0):
        self.nbytes = 4.0 * params  # float32 gradients
        self.batch = batch
        self.step_s = step_s  # one device, `batch` samples
        self.fixed_s = fixed_s  # of which this much does not shrink with the samples
        self.backward_share = backward_share
        self.latency_s = latency_s
        self.pcie_gbs = pcie_gbs
        self.buckets = buckets

    def compute_s(self, samples):
        return self.fixed_s + (self.step_s - self.fixed_s) * samples / self.batch

    def step_s_on(self, ranks, samples, gbps, overlap):
        compute = self.compute_s(samples)
        if overlap:
            extra = best_exposed_seconds(ranks, self.nbytes, gbps, self.latency_s, self.pcie_gbs,
                                         self.backward_share * compute, self.buckets)
        else:
            extra = exchange_seconds(ranks, self.nbytes, gbps, self.latency_s, self.pcie_gbs)
        return compute + extra

    def weak(self, ranks, gbps, overlap):
        return self.compute_s(self.batch) / self.step_s_on(ranks, self.batch, gbps, overlap)

    def strong(self, ranks, global_batch, gbps, overlap):
        if ranks > global_batch:
            return None
        one = self.step_s_on(1, global_batch, gbps, overlap)
        return one / (ranks * self.step_s_on(ranks, math.ceil(global_batch / ranks), gbps, overlap))


def percent(value):
    return "-" if value is None else "%.0f%%" % (100.0 * value)


def tables(model, global_batch, title):
    """Markdown tables: the exchange's time, then weak and strong scaling."""
    out = []
    out.append("%s: %s parameters (%.2f MB of gradient), step %.3g ms at batch %d on one device"
               % (title, format(int(model.nbytes / 4), ","), model.nbytes / 1e6, 1e3 * model.step_s,
                  model.batch))
    out.append("")
    out.append("| N | " + " | ".join("exchange ms, %d Gb/s" % g for g in LINKS_GBPS) + " | "
               + " | ".join("weak, %d Gb/s" % g for g in LINKS_GBPS) + " | "
               + " | ".join("strong B=%d, %d Gb/s" % (global_batch, g) for g in LINKS_GBPS) + " |")
    out.append("|---" * (1 + 3 * len(LINKS_GBPS)) + "|")
    for n in RANKS:
        cells = ["%.3f" % (1e3 * exchange_seconds(n, model.nbytes, g, model.latency_s, model.pcie_gbs))
                 for g in LINKS_GBPS]
        cells += ["%s / %s" % (percent(model.weak(n, g, False)), percent(model.weak(n, g, True)))
                  for g in LINKS_GBPS]
        cells += ["%s / %s" % (percent(model.strong(n, global_batch, g, False)),
                               percent(model.strong(n, global_batch, g, True))) for g in LINKS_GBPS]
        out.append("| %d | " % n + " | ".join(cells) + " |")
    out.append("")
    return "\n".join(out)


# The three models of the docs: parameters (summary() totals, tested in
# bench_models_test and summary_test), the batch of their lavapipe
# measurement and the step measured there (the quietest rounds in this
# repository's records), and GFLOP per sample of a training step
# (vknn-bench's counter).
MODELS = {
    # docs/architecture.md: 21-23 ms at batch 32 on a quiet host,
    # 2026-12-07; 0.95 GFLOP per batch-32 step.
    "course": dict(params=243786, batch=32, lavapipe_ms=22.0, gflop_per_sample=0.95 / 32),
    # docs/performance.md section 10: quietest round 1597 ms at batch 23
    # (batch 32 is refused on lavapipe), 38.6 GFLOP per batch-23 step.
    "horses_or_humans": dict(params=1704097, batch=23, lavapipe_ms=1597.0, gflop_per_sample=38.6 / 23),
    # docs/performance.md section 10: quietest round 742 ms at batch 32,
    # 12.3 GFLOP per step.
    "cats_vs_dogs": dict(params=9494561, batch=32, lavapipe_ms=742.0, gflop_per_sample=12.3 / 32),
}
GPU_BATCH = 32  # the assumed GPU runs every model at the courses' batch


def docs(args):
    out = []
    out.append("Assumptions: link latency %g us per ring step; backward %.0f%% of the compute; overlap in "
               "the best of 1-%d buckets. Cells: efficiency without / with overlap." % (
                   args.latency_us, 100 * args.backward_share, args.buckets))
    out.append("")
    out.append("### Measured step: lavapipe on 2 CPU cores (no PCIe copy)")
    out.append("")
    for name, m in MODELS.items():
        model = Model(m["params"], m["batch"], m["lavapipe_ms"] / 1e3, args.backward_share,
                      args.latency_us * 1e-6, 0.0, args.buckets)
        out.append(tables(model, args.global_batch, name))
    out.append("### Assumed GPU step: %g TFLOP/s sustained + %g ms of launches per step, batch %d; "
               "PCIe %g GB/s each way" % (args.tflops, args.overhead_ms, GPU_BATCH, args.gpu_pcie_gbs))
    out.append("")
    for name, m in MODELS.items():
        step_s = m["gflop_per_sample"] * GPU_BATCH / (args.tflops * 1e3) + args.overhead_ms / 1e3
        model = Model(m["params"], GPU_BATCH, step_s, args.backward_share, args.latency_us * 1e-6,
                      args.gpu_pcie_gbs, args.buckets, fixed_s=args.overhead_ms / 1e3)
        out.append(tables(model, args.global_batch, name))
    return "\n".join(out)


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--params", type=int, help="the model's parameter count")
    parser.add_argument("--batch", type=int, help="the per-device batch of the measured step")
    parser.add_argument("--step-ms", type=float, help="one device's training step at --batch, ms")
    parser.add_argument("--global-batch", type=int, default=256,
                        help="strong scaling's fixed global batch (default 256)")
    parser.add_argument("--latency-us", type=float, default=20.0,
                        help="one ring step's latency, us (default 20: MPI over TCP/Ethernet; "
                             "RDMA is nearer 2)")
    parser.add_argument("--pcie-gbs", type=float, default=0.0,
                        help="device-host copy bandwidth, GB/s each way; 0: no copy (default; "
                             "lavapipe's memory is the host's)")
    parser.add_argument("--backward-share", type=float, default=2.0 / 3.0,
                        help="the backward's share of the compute (default 2/3)")
    parser.add_argument("--fixed-ms", type=float, default=0.0,
                        help="the part of --step-ms that does not shrink with the batch (strong "
                             "scaling), ms (default 0)")
    parser.add_argument("--buckets", type=int, default=8,
                        help="with overlap, the most gradient buckets tried (default 8)")
    parser.add_argument("--docs", action="store_true",
                        help="print docs/distributed.md's tables (the three models, lavapipe and "
                             "an assumed GPU)")
    parser.add_argument("--tflops", type=float, default=10.0,
                        help="--docs: the assumed GPU's sustained TFLOP/s (default 10)")
    parser.add_argument("--overhead-ms", type=float, default=0.3,
                        help="--docs: the assumed GPU step's fixed launch cost, ms (default 0.3)")
    parser.add_argument("--gpu-pcie-gbs", type=float, default=25.0,
                        help="--docs: the assumed GPU's device-host copies, GB/s each way (default 25)")
    args = parser.parse_args(argv)
    if not 0.0 <= args.backward_share <= 1.0:
        parser.error("--backward-share must be in [0, 1], got %g" % args.backward_share)
    if args.buckets < 1 or args.global_batch < 1 or args.latency_us < 0 or args.pcie_gbs < 0:
        parser.error("--buckets and --global-batch must be positive, --latency-us and --pcie-gbs not negative")
    if args.docs:
        if args.tflops <= 0:
            parser.error("--tflops must be positive")
        print(docs(args))
        return 0
    missing = [flag for flag, value in (("--params", args.params), ("--batch", args.batch),
                                        ("--step-ms", args.step_ms)) if value is None]
    if missing:
        parser.error("give %s (or --docs)" % ", ".join(missing))
    if args.params < 1 or args.batch < 1 or args.step_ms <= 0:
        parser.error("--params, --batch and --step-ms must be positive")
    if not 0.0 <= args.fixed_ms < args.step_ms:
        parser.error("--fixed-ms must be at least 0 and less than --step-ms")
    model = Model(args.params, args.batch, args.step_ms / 1e3, args.backward_share,
                  args.latency_us * 1e-6, args.pcie_gbs, args.buckets, fixed_s=args.fixed_ms / 1e3)
    print("Cells: efficiency without / with overlap (best of 1-%d buckets, backward %.0f%% of the compute); "
          "latency %g us; PCIe %s." % (args.buckets, 100 * args.backward_share, args.latency_us,
                                       "%g GB/s" % args.pcie_gbs if args.pcie_gbs else "none"))
    print()
    print(tables(model, args.global_batch, "model"))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
