// The gradient exchange (src/distributed/rank_order_allreduce.hpp) on MPI,
// for tests/distributed/test_distributed.py and for timing it.
//
// Check (default): for gradient vectors of several lengths (uneven
// segments, fewer values than ranks, the course model's 243,786), every rank
// fills its row from a seed and its rank, runs the exchange, and compares
// the result bit for bit with (a) the rank-order sum of every rank's row,
// which it regenerates itself, and (b) the exchange vknn used before, an
// MPI_Allgather of the whole rows and a rank-order sum. Prints "rank R:
// exchange matches the rank-order sum for L lengths" or names the first
// differing element and exits 1 (ending every rank).
//
// --time ROUNDS: rank 0 prints the time per exchange of the course model's
// gradient, old (allgather) and new (alltoallv, sum, allgatherv)
// interleaved, median (min-max) over the rounds of 50 exchanges each.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "distributed/communicator.hpp"
#include "distributed/rank_order_allreduce.hpp"
#include "distributed/rank_order_sum.hpp"
#include "vknn/distributed.hpp"

namespace {

using vknn::MetricTotals;
using vknn::distributed::Communicator;
using vknn::distributed::RankOrderAllreduce;

// Rank r's gradients: magnitudes 2^-20..2^20, both signs, so that another
// order of the additions would round differently.
std::vector<float> row_of(int rank, std::size_t gradients) {
  std::mt19937 random(unsigned(7919 * rank) + unsigned(gradients));
  std::uniform_real_distribution<float> mantissa(1.0f, 2.0f);
  std::uniform_int_distribution<int> exponent(-20, 20), sign(0, 1);
  std::vector<float> row(gradients);
  for (float& v : row) v = (sign(random) ? -1.0f : 1.0f) * std::ldexp(mantissa(random), exponent(random));
  return row;
}

MetricTotals totals_of(int rank) {
  MetricTotals t;
  t.loss_sum = 1.0f / float(rank + 3);
  t.loss_compensation = 1e-9f * float(rank);
  t.correct = std::uint32_t(rank + 1);
  t.samples = std::uint32_t(10 + rank);
  return t;
}

// The exchange vknn used before: every whole row (gradients, then totals)
// to every rank, then the rank-order sums.
MetricTotals allgather_exchange(Communicator& c, const std::vector<float>& gradients, const MetricTotals& mine,
                                std::vector<float>& gathered, std::vector<float>& sum) {
  const std::size_t n = gradients.size(), width = n + RankOrderAllreduce::kTotalsFloats;
  std::vector<float> row(width);
  std::copy(gradients.begin(), gradients.end(), row.begin());
  std::memcpy(row.data() + n, &mine, sizeof mine);
  gathered.resize(width * std::size_t(c.size()));
  c.allgather(std::as_bytes(std::span(row)), std::as_writable_bytes(std::span(gathered)));
  sum.resize(n);
  vknn::distributed::sum_in_rank_order(gathered.data(), width, c.size(), sum);
  std::vector<MetricTotals> per_rank(std::size_t(c.size()));
  for (std::size_t r = 0; r < per_rank.size(); ++r) {
    std::memcpy(static_cast<void*>(&per_rank[r]), gathered.data() + r * width + n, sizeof(MetricTotals));
  }
  return vknn::distributed::sum_in_rank_order(per_rank);
}

[[noreturn]] void fail(const std::string& message) { vknn::distributed::abort_job(message); }

void compare(const char* what, std::span<const float> got, std::span<const float> expected, std::size_t length) {
  for (std::size_t i = 0; i < expected.size(); ++i) {
    if (std::memcmp(&got[i], &expected[i], sizeof(float)) != 0) {
      char text[160];
      std::snprintf(text, sizeof text, "element %zu is %.9g (%a), %s gives %.9g (%a)", i, double(got[i]),
                    double(got[i]), what, double(expected[i]), double(expected[i]));
      fail("exchange of " + std::to_string(length) + " gradients: " + text);
    }
  }
}

int check(Communicator& c) {
  const std::size_t lengths[] = {0, 1, 2, 5, 1001, 243786};
  for (const std::size_t n : lengths) {
    // (a) The rank-order sum, from every rank's row regenerated here.
    std::vector<float> rows, expected(n);
    std::vector<MetricTotals> all_totals;
    for (int r = 0; r < c.size(); ++r) {
      const std::vector<float> row = row_of(r, n);
      rows.insert(rows.end(), row.begin(), row.end());
      all_totals.push_back(totals_of(r));
    }
    vknn::distributed::sum_in_rank_order(rows.data(), n, c.size(), expected);
    const MetricTotals expected_totals = vknn::distributed::sum_in_rank_order(all_totals);

    const std::vector<float> mine = row_of(c.rank(), n);
    RankOrderAllreduce exchange(c.rank(), c.size(), n);
    std::copy(mine.begin(), mine.end(), exchange.gradients().begin());
    const MetricTotals totals = exchange.run(c, totals_of(c.rank()));
    compare("the rank-order sum of every row", exchange.summed(), expected, n);
    if (std::memcmp(&totals, &expected_totals, sizeof totals) != 0) {
      fail("exchange of " + std::to_string(n) + " gradients: the summed metric totals differ");
    }
    // (b) The allgather exchange it replaced, on MPI too.
    std::vector<float> gathered, old_sum;
    const MetricTotals old_totals = allgather_exchange(c, mine, totals_of(c.rank()), gathered, old_sum);
    compare("the allgather exchange", exchange.summed(), old_sum, n);
    if (std::memcmp(&totals, &old_totals, sizeof totals) != 0) {
      fail("exchange of " + std::to_string(n) + " gradients: the totals differ from the allgather exchange's");
    }
  }
  std::printf("rank %d: exchange matches the rank-order sum for %zu lengths\n", c.rank(), std::size(lengths));
  return 0;
}

std::string median_min_max(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const double median = v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
  char text[96];
  std::snprintf(text, sizeof text, "%.3f (%.3f-%.3f)", median, v.front(), v.back());
  return text;
}

int time_exchanges(Communicator& c, int rounds) {
  using Clock = std::chrono::steady_clock;
  const std::size_t n = 243786;  // the course model's gradients
  const int per_round = 50;
  const std::vector<float> mine = row_of(c.rank(), n);
  RankOrderAllreduce exchange(c.rank(), c.size(), n);
  std::vector<float> gathered, old_sum;
  std::vector<double> old_ms, new_ms, ratio;
  for (int round = 0; round <= rounds; ++round) {  // round 0 warms up
    double took[2] = {0, 0};
    // Alternate which goes first, so that neither always follows the other.
    for (int k = 0; k < 2; ++k) {
      const bool old_first = round % 2 == 0;
      const bool old = (k == 0) == old_first;
      c.allreduce_or(0);  // start together
      const Clock::time_point start = Clock::now();
      for (int i = 0; i < per_round; ++i) {
        if (old) {
          allgather_exchange(c, mine, MetricTotals{}, gathered, old_sum);
        } else {
          std::copy(mine.begin(), mine.end(), exchange.gradients().begin());
          exchange.run(c, MetricTotals{});
        }
      }
      took[old ? 0 : 1] = 1e3 * std::chrono::duration<double>(Clock::now() - start).count() / per_round;
    }
    if (round == 0) continue;
    old_ms.push_back(took[0]);
    new_ms.push_back(took[1]);
    ratio.push_back(took[1] / took[0]);
  }
  if (c.rank() == 0) {
    std::printf("%d ranks, %zu floats, %d rounds of %d exchanges, ms per exchange, median (min-max):\n",
                c.size(), n, rounds, per_round);
    std::printf("  allgather + rank-order sum:             %s\n", median_min_max(old_ms).c_str());
    std::printf("  alltoallv + segment sum + allgatherv:   %s\n", median_min_max(new_ms).c_str());
    std::printf("  ratio new/old:                          %s\n", median_min_max(ratio).c_str());
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    vknn::distributed::initialize();
    Communicator* c = vknn::distributed::communicator();
    if (!c) {
      std::fprintf(stderr, "allreduce_probe: run it under mpirun with 2 or more processes\n");
      return 2;
    }
    if (argc == 3 && std::string(argv[1]) == "--time") return time_exchanges(*c, std::max(1, std::atoi(argv[2])));
    if (argc != 1) {
      std::fprintf(stderr, "usage: allreduce_probe [--time ROUNDS]\n");
      return 2;
    }
    return check(*c);
  } catch (const std::exception& e) {
    vknn::distributed::abort_job(e.what());
  }
}
