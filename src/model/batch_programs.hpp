// A dataset stepped through in batches by recorded programs: fit's training
// and validation, evaluate and predict each record a full-batch program and,
// when the count is not a multiple of the batch size, a partial one for the
// last batch, and then only launch them.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>

#include "model/progress_bar.hpp"
#include "model/trainer.hpp"
#include "ops/metric_totals.hpp"

namespace vknn::model {

// Steps over a dataset in batches; replays the full-batch program and, if
// the count is not a multiple of the batch size, the partial one last.
struct BatchPrograms {
  std::unique_ptr<Program> full, partial;
  std::int64_t steps = 0;
  Program& at(std::int64_t step) { return (step + 1 == steps && partial) ? *partial : *full; }
};

// Callers clamp batch_size to count, so there is at least one full batch.
template <class Record>
BatchPrograms record_batches(std::int64_t count, int batch_size, Record&& record) {
  BatchPrograms p;
  p.steps = (count + batch_size - 1) / batch_size;
  p.full = record(batch_size);
  if (const int remainder = int(count % batch_size); remainder != 0) p.partial = record(remainder);
  return p;
}

// Runs recorded evaluation steps, returning their totals; shows a bar when
// `bar` is given.
// `steps`: the first that many (all of them when 0). `before_step`, when
// given, runs before each step is launched (a streamed dataset's upload).
MetricTotals run_evaluation(Trainer& trainer, BatchPrograms& programs, bool weighted,
                            ProgressBar* bar, std::int64_t* steps_done = nullptr,
                            std::int64_t steps = 0,
                            const std::function<void(std::int64_t)>& before_step = {});

}  // namespace vknn::model
