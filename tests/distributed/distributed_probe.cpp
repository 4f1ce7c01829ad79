// A small data-parallel training run for tests/distributed/test_distributed.py:
// the course's CNN on the first samples of Fashion-MNIST, trained with fit,
// then evaluate and predict, with the library's own output (the progress
// bars) left on, so the tests see what the library prints on each rank.
// Every rank writes what it holds (a hash of its weights and of its
// predictions) to <--hash-dir>/rank<N>.txt; rank 0 prints the figures and
// writes --save. Without mpirun it is the same run in one process.
#include <cinttypes>
#include <cstdio>
#include <fstream>
#include <string>

#include "common/cli.hpp"
#include "common/course_models.hpp"
#include "common/files.hpp"
#include "vknn/data/idx.hpp"
#include "vknn/distributed.hpp"
#include "vknn/model/sequential.hpp"

namespace {

std::uint64_t fnv1a(const void* data, std::size_t bytes, std::uint64_t hash = 14695981039346656037ull) {
  const auto* p = static_cast<const unsigned char*>(data);
  for (std::size_t i = 0; i < bytes; ++i) hash = (hash ^ p[i]) * 1099511628211ull;
  return hash;
}

vknn::Samples prefix(const vknn::data::LabeledImages& set, std::int64_t count) {
  return {std::span(set.images.pixels.data(), std::size_t(count) * set.images.image_size()), count,
          {set.images.rows, set.images.cols, 1}};
}

}  // namespace

int main(int argc, char** argv) {
  using namespace vknn::examples;
  FlagParser flags("distributed_probe", "A small fit/evaluate/predict for the distributed tests.");
  flags.add_int("samples", 320, "training samples", {.min = 1});
  flags.add_int("test-samples", 200, "test samples", {.min = 1});
  flags.add_int("batch-size", 32, "the global batch", {.min = 1});
  flags.add_int("epochs", 1, "epochs", {.min = 0});
  flags.add_int("filters", 16, "filters per Conv2D", {.choices = {16, 32, 64}});
  flags.add_int("seed", 0, "weights and shuffle seed", {.min = 0});
  flags.add_bool("validation", false, "validate on the test samples during fit");
  flags.add_real("dropout", 0.0, "a Dropout layer of this rate before the last Dense", {.min = 0.0, .max = 0.9}, "RATE");
  flags.add_bool("weighted", false,
                 "class_weight {0: 0.5, 9: 3} in fit, and the same weights by label in evaluate and validation");
  flags.add_string("save", "", "rank 0 writes the weights here", {.allow_empty = false}, "PATH");
  flags.add_string("hash-dir", "", "each rank writes rank<N>.txt here", {.allow_empty = false}, "DIR");
  return run_program(flags, argc, argv, [&] {
    const vknn::distributed::World& world = vknn::distributed::initialize();
    try {
      const auto data = vknn::data::load_fashion_mnist(find_dataset_dir("fashion-mnist"));
      const std::int64_t n = flags.get_int("samples"), m = flags.get_int("test-samples");
      const vknn::Samples train = prefix(data.train, n), test = prefix(data.test, m);
      const std::span<const std::uint8_t> train_labels(data.train.labels.data(), std::size_t(n));
      const std::span<const std::uint8_t> test_labels(data.test.labels.data(), std::size_t(m));

      vknn::Sequential model(fashion_cnn(int(flags.get_int("filters")), 2, float(flags.get_real("dropout"))));
      vknn::CompileOptions compile;
      compile.seed = std::uint64_t(flags.get_int("seed"));
      model.compile(vknn::Adam(), compile);
      vknn::FitOptions fit;
      fit.epochs = int(flags.get_int("epochs"));
      fit.batch_size = int(flags.get_int("batch-size"));
      fit.seed = std::uint64_t(flags.get_int("seed"));
      const bool weighted = flags.get_bool("weighted");
      std::vector<float> test_weights;
      if (weighted) {
        fit.class_weight = {{0, 0.5}, {9, 3.0}};
        for (const std::uint8_t label : test_labels) test_weights.push_back(label == 0 ? 0.5f : label == 9 ? 3.0f : 1.0f);
      }
      if (flags.get_bool("validation")) fit.validation_data = vknn::ValidationData{test, test_labels, test_weights};
      const vknn::History history = model.fit(train, train_labels, fit);
      vknn::EvaluateOptions evaluate_options;
      evaluate_options.batch_size = fit.batch_size;
      evaluate_options.sample_weight = test_weights;
      const vknn::Evaluation result = model.evaluate(test, test_labels, evaluate_options);
      vknn::PredictOptions predict_options;
      predict_options.batch_size = fit.batch_size;
      predict_options.verbose = 0;
      const std::vector<float> predictions = model.predict(test, predict_options);

      std::uint64_t weights_hash = fnv1a(nullptr, 0);
      for (const auto& w : model.get_weights()) weights_hash = fnv1a(w.data(), w.size() * sizeof(float), weights_hash);
      const std::uint64_t predictions_hash = fnv1a(predictions.data(), predictions.size() * sizeof(float));
      if (const std::string& dir = flags.get_string("hash-dir"); !dir.empty()) {
        std::ofstream out(dir + "/rank" + std::to_string(world.rank) + ".txt");
        out << "weights " << std::hex << weights_hash << "\npredictions " << predictions_hash << "\n";
        if (!out) throw std::runtime_error("cannot write to " + dir);
      }
      if (vknn::distributed::is_primary()) {
        const auto loss = history.history.find("loss");  // none with --epochs 0
        std::printf("ranks %d\ntrain loss %.9g\ntest loss %.9g\ntest accuracy %.9g\n", world.size,
                    loss == history.history.end() ? 0.0 : loss->second.back(), result.loss, result.accuracy);
        // The first sample's probabilities, to compare with a 1-rank run.
        std::printf("prediction0");
        for (int c = 0; c < 10; ++c) std::printf(" %.9g", predictions[std::size_t(c)]);
        std::printf("\npredictions %zu\n", predictions.size());
        if (const std::string& path = flags.get_string("save"); !path.empty()) model.save_weights(path);
      }
      return 0;
    } catch (const std::exception& e) {
      if (world.size > 1) vknn::distributed::abort_job(e.what());
      throw;
    }
  });
}
