// What a backup costs: the time to save (and load) a checkpoint of the
// course model, and a fit's steps per second with BackupAndRestore writing
// every N steps against none.
#pragma once

#include <benchmark/benchmark.h>

#include <memory>

#include "vknn/device.hpp"

namespace vknn::bench {

// save_checkpoint of the compiled course model (Adam: weights, m and v), to
// a file in the temporary folder; wall time, fsync included. `context` null:
// the CPU reference.
void bench_checkpoint_save(benchmark::State& state, std::shared_ptr<Context> context, int side,
                           int filters);
void bench_checkpoint_load(benchmark::State& state, std::shared_ptr<Context> context, int side,
                           int filters);

// One fit of `steps` batches of 32 synthetic images, with BackupAndRestore
// every `backup_every` steps (0: no backup); counter steps/s.
void bench_fit_with_backups(benchmark::State& state, std::shared_ptr<Context> context, int side,
                            int filters, int steps, int backup_every);

}  // namespace vknn::bench
