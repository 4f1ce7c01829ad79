#!/usr/bin/env python3
"""tf.distribute's strategies under mpirun (docs/distributed.md, "Python").

Each case runs strategy_course.py, the course's Keras code with a strategy
added, as `mpirun -np N python3 strategy_course.py` and alone, and checks
what the C++ cases in test_distributed.py check of the C++ API: every rank
ends with bit-identical weights and predictions; N ranks with global batch
B match one process with batch B within the same tolerances (summation
order; test_distributed.py's docstring says why, docs/distributed.md has
the measurements); only rank 0 prints progress and writes the callbacks'
files; a failure on one rank ends the job naming the rank.

CTest runs one case per test (python/CMakeLists.txt, where the extension's
target is known) and passes VKNN_MPIEXEC and PYTHONPATH (the build tree's
package).
"""
import os
import shutil
import sys
import tempfile
import unittest

import numpy as np

from test_distributed import (WEIGHT_TOLERANCE, assert_within_summation_order, bars, mpirun_prefix,
                              run)

HERE = os.path.dirname(os.path.abspath(__file__))
SCRIPT = os.path.join(HERE, "strategy_course.py")
PYTHON = sys.executable  # ctest's: the interpreter the extension was built for


def figures(stdout):
    values = {}
    for line in stdout.splitlines():
        name, _, rest = line.rpartition(" ")
        if line.startswith("prediction0 "):
            values["prediction0"] = [float(v) for v in line.split()[1:]]
        elif name in ("replicas", "train loss", "test loss", "test accuracy", "moved"):
            values[name] = float(rest)
    return values


def rank_file(folder, rank):
    with open(os.path.join(folder, "rank%d.txt" % rank)) as f:
        return dict(line.partition(" ")[::2] for line in f.read().splitlines())


class PythonStrategyTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="vknn-python-strategy-")

    def tearDown(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def course(self, ranks, name, args=(), expect_ok=True):
        """Runs strategy_course.py on `ranks` ranks (1: alone, no mpirun);
        returns the result and its output folder."""
        out = os.path.join(self.dir, name)
        os.mkdir(out)
        cmd = [PYTHON, SCRIPT, "--out", out] + list(args)
        if ranks > 1:
            cmd = mpirun_prefix(ranks) + ["-x", "PYTHONPATH", "-x", "PYTHONDONTWRITEBYTECODE"] + cmd
        return run(cmd, expect_ok), out

    def assert_ranks_identical(self, out, ranks):
        first = rank_file(out, 0)
        for r in range(1, ranks):
            held = rank_file(out, r)
            self.assertEqual(held["weights"], first["weights"], "rank %d holds other weights" % r)
            self.assertEqual(held["predictions"], first["predictions"],
                             "rank %d holds other predictions" % r)

    def assert_matches_one_process(self, ranks, args):
        one, one_out = self.course(1, "one", args)
        many, many_out = self.course(ranks, "many", args)
        self.assert_ranks_identical(many_out, ranks)
        a, b = figures(one.stdout), figures(many.stdout)
        self.assertEqual(a["replicas"], 1)
        self.assertEqual(b["replicas"], ranks)
        w1 = np.load(os.path.join(one_out, "weights.npz"))
        w2 = np.load(os.path.join(many_out, "weights.npz"))
        self.assertEqual(w1.files, w2.files)
        worst = max(float(np.max(np.abs(w1[k] - w2[k]))) for k in w1.files)
        assert_within_summation_order(self, ranks, worst, a, b)
        # Training moved the weights (a run that skipped its updates would
        # "match" an untrained one).
        self.assertGreater(b["moved"], 50 * WEIGHT_TOLERANCE)
        return one, many, many_out

    def assert_only_rank_0_prints_and_writes(self, one, many, out, ranks):
        # The progress bars (fit's and evaluate's), the epoch header and
        # model.summary() once, as in one process.
        self.assertGreater(bars(one.stdout), 0)
        self.assertEqual(bars(many.stdout), bars(one.stdout), many.stdout)
        self.assertEqual(many.stdout.count("Epoch 1/"), 1, many.stdout)
        self.assertEqual(many.stdout.count("Model: "), 1, many.stdout)
        self.assertEqual(many.stdout.count("Total params"), 1, many.stdout)
        # CSVLogger's and ModelCheckpoint's files are written by rank 0 only;
        # TensorBoard's event file too (its name holds the writer's pid).
        self.assertEqual(rank_file(out, 0)["writes"].split(),
                         ["checkpoint-1.weights", "history.csv"])
        for r in range(1, ranks):
            self.assertEqual(rank_file(out, r)["writes"], "", "rank %d wrote files" % r)
        self.assertEqual(len(os.listdir(os.path.join(out, "logs", "train"))), 1)
        with open(os.path.join(out, "history.csv")) as f:
            self.assertEqual(len(f.read().splitlines()), 2)  # the header and epoch 0
        self.assertNotIn("rank 1", many.stdout + many.stderr)

    def test_two_ranks_match_one_process(self):
        # MultiWorkerMirroredStrategy, the model built in its scope: 320
        # samples in global batches of 32, 16 per rank per step.
        one, many, out = self.assert_matches_one_process(2, ["--samples", "320"])
        self.assert_only_rank_0_prints_and_writes(one, many, out, 2)

    def test_three_ranks_uneven_batch_match_one_process(self):
        # MirroredStrategy; batch 32 on 3 ranks: 11, 11, 10; 330 samples end
        # with a batch of 10: 4, 3, 3 (the test set's 200 = 6 x 32 + 8: 3, 3, 2).
        one, many, out = self.assert_matches_one_process(
            3, ["--strategy", "mirrored", "--samples", "330"])
        self.assert_only_rank_0_prints_and_writes(one, many, out, 3)

    def test_a_model_built_outside_the_scope_trains_data_parallel(self):
        # The ranks belong to the process once a strategy exists (docs/python.md):
        # the same fit as inside the scope, bit for bit, and still one bar.
        _, inside = self.course(2, "inside", ["--samples", "96", "--test-samples", "64"])
        outside, outside_out = self.course(2, "outside", ["--samples", "96", "--test-samples", "64",
                                                          "--outside-scope"])
        self.assert_ranks_identical(outside_out, 2)
        self.assertEqual(rank_file(outside_out, 0)["weights"], rank_file(inside, 0)["weights"])
        self.assertEqual(outside.stdout.count("Epoch 1/1"), 1, outside.stdout)

    def test_a_failure_on_rank_1_ends_every_rank_and_names_it(self):
        # Rank 1's callback raises at its first epoch end while rank 0 goes
        # on into evaluate, a collective: the job must end, not hang, and say
        # which rank failed and why.
        result, _ = self.course(2, "failing", ["--samples", "64", "--test-samples", "32",
                                               "--fail-on-rank", "1"], expect_ok=False)
        text = result.stdout + result.stderr
        self.assertNotEqual(result.returncode, 0, text)
        self.assertIn("rank 1: Traceback (most recent call last):", result.stderr)
        self.assertIn("rank 1: error: RuntimeError: a deliberate failure in a callback on this "
                      "rank (ending all ranks)", result.stderr)
        self.assertNotIn("rank 0: error", text)


if __name__ == "__main__":
    if not os.environ.get("VKNN_MPIEXEC"):
        sys.exit("run through ctest (it sets VKNN_MPIEXEC and PYTHONPATH)")
    unittest.main(verbosity=2)
