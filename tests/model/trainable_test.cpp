// Frozen layers (Keras's layer.trainable = false), on both backends: fit
// leaves a frozen layer's parameters bit for bit as they were while the
// others train; gradients still flow through a frozen layer to the layers
// before it (after one step they equal an unfrozen run's); summary() counts
// the frozen parameters as non-trainable.
#include <gtest/gtest.h>

#include <string>

#include "model/training_support.hpp"
#include "vknn/error.hpp"

namespace {

using namespace vknn;
using vknn_test::on;

class Trainable : public vknn_test::VulkanTest {};

const vknn_test::SyntheticImages& data() {
  static const auto d = vknn_test::synthetic_images(64, 8, 4, 21);
  return d;
}

// conv2d (kernel, bias), dense (kernel, bias), dense_1 (kernel, bias).
Sequential compiled(BackendKind kind) {
  Sequential model(vknn_test::small_cnn(8, 4));
  model.compile(Adam(0.01f), on(kind));
  return model;
}

TEST_F(Trainable, AFrozenLayerKeepsItsWeightsWhileTheOthersTrainOnEveryBackend) {
  for (const BackendKind kind : {BackendKind::cpu, BackendKind::vulkan}) {
    SCOPED_TRACE(kind == BackendKind::cpu ? "cpu" : "vulkan");
    Sequential model = compiled(kind);
    const FitOptions options{.epochs = 1, .batch_size = 16, .verbose = 0};
    model.fit(data().samples(), data().labels, options);  // Adam's moments are not zero now
    const auto before = model.get_weights();
    model.set_trainable(3, false);  // dense
    model.fit(data().samples(), data().labels, {.epochs = 2, .batch_size = 16, .verbose = 0});
    const auto after = model.get_weights();
    ASSERT_EQ(after.size(), 6u);
    EXPECT_TRUE(after[2] == before[2] && after[3] == before[3]) << "the frozen dense changed";
    for (const int trained : {0, 1, 4, 5}) {
      EXPECT_FALSE(after[trained] == before[trained]) << "weight " << trained << " did not train";
    }
    // Unfrozen, it trains again at the next fit.
    model.set_trainable(3, true);
    model.fit(data().samples(), data().labels, options);
    EXPECT_FALSE(model.get_weights()[2] == after[2]);
  }
}

TEST_F(Trainable, GradientsFlowThroughAFrozenLayer) {
  // One step (one batch of all 64): the update comes after the whole
  // backward pass, so the layers before a frozen one take exactly the step
  // they take when nothing is frozen.
  for (const BackendKind kind : {BackendKind::cpu, BackendKind::vulkan}) {
    SCOPED_TRACE(kind == BackendKind::cpu ? "cpu" : "vulkan");
    const FitOptions one_step{.epochs = 1, .batch_size = 64, .verbose = 0};
    Sequential free_model = compiled(kind);
    const auto initial = free_model.get_weights();
    free_model.fit(data().samples(), data().labels, one_step);
    Sequential frozen_model = compiled(kind);
    frozen_model.set_trainable(4, false);  // dense_1, the output layer
    frozen_model.fit(data().samples(), data().labels, one_step);
    const auto free_weights = free_model.get_weights();
    const auto frozen_weights = frozen_model.get_weights();
    for (const int t : {0, 1, 2, 3}) {
      EXPECT_TRUE(frozen_weights[t] == free_weights[t]) << "weight " << t;
      EXPECT_FALSE(frozen_weights[t] == initial[t]) << "weight " << t << " did not train";
    }
    EXPECT_TRUE(frozen_weights[4] == initial[4] && frozen_weights[5] == initial[5]);
    EXPECT_FALSE(free_weights[4] == initial[4]);
  }
}

TEST(TrainableSummary, CountsFrozenParametersAsNonTrainable) {
  Sequential model(vknn_test::small_cnn(8, 4));
  // conv2d 4*9+4 = 40, dense 36*16+16 = 592, dense_1 16*4+4 = 68.
  EXPECT_NE(model.summary_text().find("Total params: 700\nTrainable params: 700\n"
                                      "Non-trainable params: 0\n"),
            std::string::npos);
  model.set_trainable(0, false);
  model.set_trainable(3, false);
  model.set_trainable(1, false);  // max_pooling2d: no parameters
  EXPECT_NE(model.summary_text().find("Total params: 700\nTrainable params: 68\n"
                                      "Non-trainable params: 632\n"),
            std::string::npos)
      << model.summary_text();
  EXPECT_FALSE(model.layers()[0].trainable);
  EXPECT_TRUE(model.layers()[4].trainable);
  EXPECT_THROW(model.set_trainable(5, false), Error);
}

}  // namespace
