#!/usr/bin/env python3
"""Data-parallel training under mpirun (docs/distributed.md), on lavapipe.

Each case starts 1, 2 or 3 processes of distributed_probe (a small fit,
evaluate and predict) or of the example trainer. CTest runs one case per
test (tests/distributed/CMakeLists.txt) and passes the programs' paths in
VKNN_MPIEXEC, VKNN_PROBE and VKNN_TRAINER.

Why the 1-rank comparisons have a tolerance: N ranks compute the same
global-batch gradient as one rank, but add its per-sample terms in another
order (each rank sums its slice, then the slices are added in rank order),
and float addition is not associative. The gradients differ in their last
bits, Adam turns that into update differences of up to a few ulps of the
learning rate where a gradient is near zero, and 10 steps compound it. The
bounds below were measured with margin (docs/distributed.md has the figures);
a wrong gradient scale (say, each rank dividing by its own slice) or a
wrong slice moves the weights by orders of magnitude more.
"""
import json
import os
import re
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time
import unittest
from array import array

MPIEXEC = os.environ.get("VKNN_MPIEXEC", "mpirun")
PROBE = os.environ.get("VKNN_PROBE", "")
TRAINER = os.environ.get("VKNN_TRAINER", "")
ALLREDUCE_PROBE = os.environ.get("VKNN_ALLREDUCE_PROBE", "")

# Weights after 10-11 Adam steps (lr 0.001): largest absolute difference
# from the 1-rank run (measured: 1.9e-7 with 2 ranks, 2.3e-7 with 3).
WEIGHT_TOLERANCE = 1e-5
# Train and test loss after training (measured: within 4e-8).
LOSS_TOLERANCE = 1e-5
ACCURACY_TOLERANCE = 0.011  # two of the 200 test samples may flip

# Small runs, every rank on one lavapipe thread (2 cores shared by the
# ranks), kernel variants from the device profile (separate processes tuning
# the same shapes could pick different kernels, and so other bits), and the
# Khronos validation layer on.
ENV = dict(os.environ,
           OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1",
           LP_NUM_THREADS="1", VKNN_AUTOTUNE="0", VKNN_VALIDATION="1")
FORWARDED = ["LP_NUM_THREADS", "VKNN_AUTOTUNE", "VKNN_VALIDATION", "VKNN_CACHE_DIR"]


def mpirun_prefix(ranks):
    # --oversubscribe: more ranks than cores; --bind-to none: the ranks and
    # lavapipe's threads float over the cores; self,vader: shared memory only.
    cmd = [MPIEXEC, "-np", str(ranks), "--oversubscribe", "--bind-to", "none",
           "--mca", "btl", "self,vader"]
    for name in FORWARDED:
        if name in ENV:
            cmd += ["-x", name]
    return cmd


def two_ranks_apart(program, common, rank0, rank1):
    """An mpirun command line that starts program on two ranks with the flags
    common + rank0 on rank 0 and common + rank1 on rank 1 (MPMD)."""
    return mpirun_prefix(1) + [program] + common + rank0 + [":", "-np", "1", program] + common + rank1


def run(cmd, expect_ok=True, timeout=150):
    result = subprocess.run(cmd, env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, timeout=timeout)
    if expect_ok and result.returncode != 0:
        raise AssertionError("%s\nexited %d\nstdout:\n%s\nstderr:\n%s" %
                             (" ".join(cmd), result.returncode, result.stdout, result.stderr))
    return result


def rank_pids(marker):
    """{rank: pid} of the running processes whose command line holds `marker`
    and which OpenMPI started as a rank (OMPI_COMM_WORLD_RANK)."""
    pids = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open("/proc/%s/cmdline" % entry, "rb") as f:
                cmdline = f.read().decode(errors="replace")
            if marker not in cmdline or "mpirun" in cmdline.split("\0")[0]:
                continue
            with open("/proc/%s/environ" % entry, "rb") as f:
                environ = f.read().decode(errors="replace").split("\0")
        except OSError:
            continue
        for item in environ:
            if item.startswith("OMPI_COMM_WORLD_RANK="):
                pids[int(item.split("=", 1)[1])] = int(entry)
    return pids


def read_safetensors(path):
    with open(path, "rb") as f:
        blob = f.read()
    (length,) = struct.unpack_from("<Q", blob, 0)
    header = json.loads(blob[8:8 + length])
    tensors = {}
    for name, spec in header.items():
        if name == "__metadata__":
            continue
        begin, end = spec["data_offsets"]
        tensors[name] = array("f", blob[8 + length + begin:8 + length + end])
    return tensors


def figures(stdout):
    values = {}
    for line in stdout.splitlines():
        m = re.match(r"^(ranks|train loss|test loss|test accuracy) (\S+)$", line)
        if m:
            values[m.group(1)] = float(m.group(2))
        if line.startswith("prediction0 "):
            values["prediction0"] = [float(v) for v in line.split()[1:]]
    return values


def assert_within_summation_order(test, ranks, worst, one, many):
    """The figures of a run on `ranks` ranks (`many`: train loss, test loss,
    test accuracy, prediction0) against one process's (`one`), with `worst`
    the largest weight difference between them: the bounds above."""
    print("%d ranks vs 1: largest weight difference %.3g, test loss %.9g vs %.9g, "
          "accuracy %.4f vs %.4f" % (ranks, worst, many["test loss"], one["test loss"],
                                     many["test accuracy"], one["test accuracy"]))
    test.assertLess(worst, WEIGHT_TOLERANCE)
    test.assertAlmostEqual(many["train loss"], one["train loss"], delta=LOSS_TOLERANCE)
    test.assertAlmostEqual(many["test loss"], one["test loss"], delta=LOSS_TOLERANCE)
    test.assertAlmostEqual(many["test accuracy"], one["test accuracy"], delta=ACCURACY_TOLERANCE)
    for x, y in zip(one["prediction0"], many["prediction0"]):
        test.assertAlmostEqual(x, y, delta=1e-3)


def bars(text):
    """The finished progress bars ("10/10 [===...] - 1s 52ms/step - loss: ...")
    as a terminal shows them: mpirun gives rank 0 a pseudo-terminal, so its
    bars redraw in place (carriage returns); only each line's last drawing stays on screen."""
    shown = [line.split("\r")[-1] for line in text.split("\n")]
    return sum(1 for line in shown if "/step" in line)


def rank_hashes(folder, ranks):
    hashes = []
    for r in range(ranks):
        with open(os.path.join(folder, "rank%d.txt" % r)) as f:
            hashes.append(f.read())
    return hashes


class DistributedTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="vknn-distributed-")

    def tearDown(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def refused(self, cmd):
        """Runs cmd, which must fail, and returns its result and its stdout and
        stderr together (where the refusal's reasons are)."""
        result = run(cmd, expect_ok=False)
        text = result.stdout + result.stderr
        self.assertNotEqual(result.returncode, 0, text)
        return result, text

    def path(self, name):
        return os.path.join(self.dir, name)

    def probe(self, ranks, name, args=(), expect_ok=True):
        """Runs the probe on `ranks` ranks (1: no mpirun); returns the result,
        the weights file and the per-rank hash folder."""
        weights, hashes = self.path(name + ".safetensors"), self.path(name)
        os.mkdir(hashes)
        cmd = [PROBE, "--save", weights, "--hash-dir", hashes] + list(args)
        if ranks > 1:
            cmd = mpirun_prefix(ranks) + cmd
        return run(cmd, expect_ok), weights, hashes

    def assert_ranks_identical(self, hashes, ranks):
        held = rank_hashes(hashes, ranks)
        for r in range(1, ranks):
            self.assertEqual(held[r], held[0], "rank %d holds other weights or predictions than rank 0" % r)

    def assert_matches_one_rank(self, ranks, args):
        one, one_weights, _ = self.probe(1, "one", args)
        many, many_weights, many_hashes = self.probe(ranks, "many", args)
        self.assert_ranks_identical(many_hashes, ranks)
        a, b = figures(one.stdout), figures(many.stdout)
        self.assertEqual(b["ranks"], ranks)
        w1, w2 = read_safetensors(one_weights), read_safetensors(many_weights)
        self.assertEqual(sorted(w1), sorted(w2))
        worst = max(abs(x - y) for name in w1 for x, y in zip(w1[name], w2[name]))
        assert_within_summation_order(self, ranks, worst, a, b)
        # The training actually moved the weights (a run that skipped its
        # updates would "match" an untrained one).
        untrained, untrained_weights, _ = self.probe(1, "untrained", list(args) + ["--epochs", "0"])
        w0 = read_safetensors(untrained_weights)
        moved = max(abs(x - y) for name in w0 for x, y in zip(w0[name], w2[name]))
        self.assertGreater(moved, 50 * WEIGHT_TOLERANCE)

    def test_two_ranks_match_one_rank(self):
        # 320 samples in batches of 32: 16 per rank per step; validation on.
        self.assert_matches_one_rank(2, ["--samples", "320", "--validation"])

    def test_three_ranks_uneven_split_match_one_rank(self):
        # Batch 32 on 3 ranks: 11, 11, 10; 330 samples end with a batch of
        # 10: 4, 3, 3 (and the test set's 200 = 6 x 32 + 8: 3, 3, 2).
        self.assert_matches_one_rank(3, ["--samples", "330"])

    def test_dropout_on_three_ranks_draws_one_ranks_masks(self):
        # Each rank's Dropout counters start at its slice's first element of
        # the global batch (DropoutConfig::first_element), so 3 ranks drop
        # what 1 rank drops: the same tolerance as without Dropout (masks
        # drawn per rank instead would move the weights by far more).
        self.assert_matches_one_rank(3, ["--samples", "330", "--dropout", "0.5"])

    def test_class_weight_on_three_ranks_matches_one_rank(self):
        # The sample weights live beside each rank's copy of the dataset and
        # are picked through its slice of the order; the weighted accuracy's
        # sums are reduced over the ranks like the loss.
        args = ["--samples", "330", "--weighted", "--validation"]
        self.assert_matches_one_rank(3, args)
        weighted, _, _ = self.probe(1, "weighted", args)
        plain, _, _ = self.probe(1, "plain", ["--samples", "330", "--validation"])
        self.assertNotEqual(figures(weighted.stdout)["test loss"], figures(plain.stdout)["test loss"])

    def test_a_rank_without_samples_in_evaluate_and_predict(self):
        # 2 test samples on 3 ranks: evaluate and predict give ranks 0 and 1
        # one each and rank 2 none; every rank still returns all 2 rows.
        self.assert_matches_one_rank(3, ["--samples", "64", "--test-samples", "2"])

    def test_same_command_gives_the_same_weights_file(self):
        args = ["--samples", "320"]
        _, first, first_hashes = self.probe(2, "first", args)
        _, second, second_hashes = self.probe(2, "second", args)
        with open(first, "rb") as a, open(second, "rb") as b:
            self.assertEqual(a.read(), b.read(), "two runs of one command wrote different weights")
        self.assertEqual(rank_hashes(first_hashes, 2), rank_hashes(second_hashes, 2))

    def test_only_rank_0_prints(self):
        one, _, _ = self.probe(1, "one", ["--samples", "320"])
        two, _, _ = self.probe(2, "two", ["--samples", "320"])

        self.assertEqual(two.stdout.count("Epoch 1/1"), 1, two.stdout)
        self.assertGreater(bars(one.stdout), 0)
        self.assertEqual(bars(two.stdout), bars(one.stdout), two.stdout)
        self.assertNotIn("rank 1", two.stdout + two.stderr)

    def test_the_example_trainer_trains_on_two_ranks(self):
        args = ["--limit", "320", "--test-limit", "200", "--epochs", "1", "--filters", "16"]

        def train(name):
            weights, history = self.path(name + ".safetensors"), self.path(name + ".csv")
            result = run(mpirun_prefix(2) + [TRAINER] + args + ["--save", weights, "--history", history])
            return result, weights, history

        first, weights, history = train("first")
        out = first.stdout
        self.assertIn("Data-parallel training on 2 ranks", out)
        self.assertEqual(out.count("Epoch 1/1"), 1, out)
        self.assertEqual(out.count("Test loss:"), 1, out)
        self.assertEqual(out.count("Model: "), 1, out)
        self.assertTrue(os.path.exists(history))
        second, weights2, _ = train("second")
        with open(weights, "rb") as a, open(weights2, "rb") as b:
            self.assertEqual(a.read(), b.read())

    def test_a_killed_rank_ends_the_job_and_the_same_command_resumes(self):
        """kill -9 of rank 1 mid-fit ends the whole job within seconds, naming
        the rank; running the same command again resumes from the backup
        (rank 0 wrote it, every rank reads it) and ends with the weights of an
        uninterrupted 2-rank run, bit for bit."""
        args = ["--limit", "320", "--test-limit", "64", "--epochs", "3", "--filters", "16",
                "--backup-every", "3"]
        backup = self.path("backup")
        killed_cmd = mpirun_prefix(2) + [TRAINER] + args + [
            "--backup-dir", backup, "--save", self.path("resumed.safetensors")]
        # Each backup write is held 0.5 s, so the run is still going when the
        # kill lands after the first backup.
        env = dict(ENV, VKNN_TEST_CHECKPOINT_WRITE_DELAY_MS="500")
        job = subprocess.Popen(killed_cmd, env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
        try:
            deadline = time.time() + 120
            while not os.path.exists(os.path.join(backup, "checkpoint.safetensors")):
                self.assertIsNone(job.poll(), "the job ended before its first backup")
                self.assertLess(time.time(), deadline, "no backup within 120 s")
                time.sleep(0.05)
            rank1 = rank_pids(backup).get(1)
            self.assertIsNotNone(rank1, "rank 1's process not found")
            os.kill(rank1, signal.SIGKILL)
            killed_at = time.time()
            out, err = job.communicate(timeout=60)
        finally:
            if job.poll() is None:
                job.kill()
                job.communicate()
        ended_after = time.time() - killed_at
        self.assertNotEqual(job.returncode, 0, out + err)
        self.assertLess(ended_after, 30, "the job took %.1f s to end after the kill" % ended_after)
        self.assertRegex(out + err, r"rank 1\b", out + err)
        self.assertTrue(os.path.exists(os.path.join(backup, "checkpoint.safetensors")))

        resumed = run(killed_cmd)
        self.assertIn("Resuming from the backup", resumed.stdout)
        self.assertEqual(resumed.stdout.count("Resuming from the backup"), 1, resumed.stdout)
        straight_cmd = mpirun_prefix(2) + [TRAINER] + args + [
            "--backup-dir", self.path("other-backup"), "--save", self.path("straight.safetensors")]
        run(straight_cmd)
        with open(self.path("resumed.safetensors"), "rb") as a, \
                open(self.path("straight.safetensors"), "rb") as b:
            self.assertEqual(a.read(), b.read(), "the resumed run ended with other weights")

    def test_ranks_with_different_models_are_refused(self):
        common = ["--limit", "64", "--test-limit", "32", "--epochs", "1"]
        result, text = self.refused(two_ranks_apart(TRAINER, common, ["--filters", "16"], ["--filters", "32"]))
        self.assertIn("were not started alike", text)
        self.assertIn("model differs", text)
        self.assertRegex(text, r"rank 0: input \(28, 28, 1\); conv2d Conv2D \(26, 26, 16\)")
        self.assertRegex(text, r"rank 1: input \(28, 28, 1\); conv2d Conv2D \(26, 26, 32\)")
        self.assertNotIn("Epoch 1/1\n", result.stdout)

    def test_ranks_with_different_seeds_are_refused(self):
        common = ["--samples", "64", "--test-samples", "32"]
        _, text = self.refused(two_ranks_apart(PROBE, common, ["--seed", "0"], ["--seed", "1"]))
        self.assertIn("weights and optimizer state differs", text)
        self.assertIn("fit options differs", text)
        self.assertRegex(text, r"rank 1: batch_size 32, epochs 1, initial_epoch 0, shuffle on, seed 1")

    def test_more_ranks_than_samples_in_a_batch_is_refused(self):
        _, text = self.refused(mpirun_prefix(3) + [PROBE, "--samples", "64", "--test-samples", "32",
                                                   "--batch-size", "2"])
        self.assertIn("more ranks than samples in a batch: the global batch of 2 samples cannot give "
                      "each of the 3 ranks one", text)

    def test_the_exchange_gives_the_rank_order_sums_bits_on_two_and_three_ranks(self):
        # The gradient exchange (alltoallv, each rank's segment summed in
        # rank order, allgatherv) on MPI against the rank-order sum of every
        # whole row and against the allgather exchange it replaced, bit for
        # bit, for lengths that leave uneven segments (allreduce_probe.cpp).
        for ranks in (2, 3):
            result = run(mpirun_prefix(ranks) + [ALLREDUCE_PROBE])
            for r in range(ranks):
                self.assertIn("rank %d: exchange matches the rank-order sum for 6 lengths" % r, result.stdout)

    def test_validation_and_a_batch_callback_free_fit_agree_across_ranks(self):
        # Two epochs with validation on 3 ranks: every rank ends with the
        # same weights and predictions, and the figures are rank 0's.
        result, _, hashes = self.probe(3, "three", ["--samples", "200", "--test-samples", "100",
                                                    "--epochs", "2", "--validation"])
        self.assert_ranks_identical(hashes, 3)
        self.assertEqual(result.stdout.count("Epoch 2/2"), 1, result.stdout)
        self.assertIn("val_loss", result.stdout)


if __name__ == "__main__":
    if not PROBE or not TRAINER:
        sys.exit("run through ctest (it sets VKNN_PROBE and VKNN_TRAINER)")
    unittest.main(verbosity=2)
