#include "model/batch_programs.hpp"

#include <algorithm>

#include "model/sample_weights.hpp"

namespace vknn::model {

MetricTotals run_evaluation(Trainer& trainer, BatchPrograms& programs, bool weighted,
                            ProgressBar* bar, std::int64_t* steps_done, std::int64_t steps,
                            const std::function<void(std::int64_t)>& before_step) {
  auto& backend = trainer.backend();
  backend.synchronize();
  StepState state;
  backend.write_state(trainer.eval_state(), state);
  backend.zero(trainer.eval_totals());
  const std::int64_t last = steps > 0 ? std::min(steps, programs.steps) : programs.steps;
  for (std::int64_t step = 0; step < last; ++step) {
    if (before_step) before_step(step);
    programs.at(step).launch(step + 1 == last);
    if (steps_done) *steps_done = step + 1;
    if (bar && bar->wants_refresh()) {
      backend.synchronize();
      bar->update(long(step + 1), metric_values(backend.read_totals(trainer.eval_totals()), weighted));
    }
  }
  backend.synchronize();
  return backend.read_totals(trainer.eval_totals());
}

}  // namespace vknn::model
