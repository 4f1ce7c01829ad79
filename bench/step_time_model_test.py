#!/usr/bin/env python3
"""Checks bench/step_time_model.py against figures worked out by hand, so
that a change to its formulas or its tables cannot pass unnoticed
(ctest bench.step_time_model)."""
import os
import subprocess
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import step_time_model as m  # noqa: E402

COURSE_BYTES = 4 * 243786  # the course model's float32 gradient


def run(*args):
    return subprocess.run([sys.executable, os.path.join(HERE, "step_time_model.py")] + list(args),
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def row(text, ranks):
    """The cells of table row N = ranks."""
    for line in text.splitlines():
        if line.startswith("| %d |" % ranks):
            return [cell.strip() for cell in line.strip("|").split("|")][1:]
    raise AssertionError("no row for N = %d in:\n%s" % (ranks, text))


class StepTimeModelTest(unittest.TestCase):
    def test_ring_allreduce_time(self):
        # 2 ranks, 10 Gb/s, 20 us: (2 * 1 / 2) * 975,144 B * 8 / 1e10 = 0.780115 ms,
        # plus 2 * 1 latencies = 0.04 ms.
        self.assertAlmostEqual(1e3 * m.allreduce_seconds(2, COURSE_BYTES, 10, 20e-6), 0.820115, places=6)
        # 64 ranks, 100 Gb/s: 2 * 63 / 64 * 975,144 * 8 / 1e11 = 0.153585 ms + 126 * 20 us.
        self.assertAlmostEqual(1e3 * m.allreduce_seconds(64, COURSE_BYTES, 100, 20e-6), 2.673585, places=6)
        self.assertEqual(m.allreduce_seconds(1, COURSE_BYTES, 10, 20e-6), 0.0)

    def test_overlap_hides_all_but_the_last_bucket(self):
        # No latency, no copies: the whole exchange takes 8 ms at 1 Gb/s for
        # 1 MB; the backward 10 ms. One bucket: all 8 ms exposed. Two: the
        # first (4 ms) runs from 5 to 9 ms, the second from 10 to 14: 4 ms.
        nbytes = 1e6
        self.assertAlmostEqual(m.exposed_seconds(2, nbytes, 1, 0.0, 0.0, 10e-3, 1), 8e-3)
        self.assertAlmostEqual(m.exposed_seconds(2, nbytes, 1, 0.0, 0.0, 10e-3, 2), 4e-3)
        self.assertAlmostEqual(m.best_exposed_seconds(2, nbytes, 1, 0.0, 0.0, 10e-3, 2), 4e-3)
        # With a large latency per bucket, one bucket is best.
        self.assertAlmostEqual(m.best_exposed_seconds(2, nbytes, 1, 5e-3, 0.0, 10e-3, 8),
                               m.exposed_seconds(2, nbytes, 1, 5e-3, 0.0, 10e-3, 1))

    def test_the_printed_table(self):
        result = run("--params", "243786", "--batch", "32", "--step-ms", "22")
        self.assertEqual(result.returncode, 0, result.stderr)
        two = row(result.stdout, 2)
        self.assertEqual(two[0], "0.820")  # exchange ms at 10 Gb/s
        # Weak scaling at 10 Gb/s without overlap: 22 / (22 + 0.820115) = 96.4%.
        self.assertTrue(two[3].startswith("96% / "), two[3])
        self.assertEqual(row(result.stdout, 64)[2], "2.674")  # 100 Gb/s
        self.assertEqual(row(result.stdout, 1)[3], "100% / 100%")

    def test_strong_scaling_refuses_more_ranks_than_samples(self):
        result = run("--params", "1000", "--batch", "8", "--step-ms", "5", "--global-batch", "16")
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(row(result.stdout, 32)[-1], "- / -")
        self.assertNotEqual(row(result.stdout, 16)[-1], "- / -")
        # Strong scaling, 16 ranks of 1 sample each, no fixed cost, 100 Gb/s:
        # one rank's 16 samples take 10 ms; each of 16 ranks 0.625 ms plus
        # the exchange of 4,000 B (2 * 15 / 16 * 32,000 bits / 1e11 s + 30 * 20 us).
        exchange = 2 * 15 / 16 * 4000 * 8 / 1e11 + 30 * 20e-6
        expected = 10e-3 / (16 * (0.625e-3 + exchange))
        self.assertEqual(row(result.stdout, 16)[-1].split(" / ")[0], "%.0f%%" % (100 * expected))

    def test_the_docs_tables_print(self):
        result = run("--docs")
        self.assertEqual(result.returncode, 0, result.stderr)
        for name in ("course: 243,786 parameters", "horses_or_humans: 1,704,097 parameters",
                     "cats_vs_dogs: 9,494,561 parameters"):
            self.assertEqual(result.stdout.count(name), 2, name)  # lavapipe and the assumed GPU

    def test_bad_input_is_refused_with_a_message(self):
        result = run("--params", "10")
        self.assertEqual(result.returncode, 2)
        self.assertIn("give --batch, --step-ms", result.stderr)
        result = run("--params", "10", "--batch", "4", "--step-ms", "5", "--backward-share", "1.5")
        self.assertEqual(result.returncode, 2)
        self.assertIn("--backward-share must be in [0, 1]", result.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
