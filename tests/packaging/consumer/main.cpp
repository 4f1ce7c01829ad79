// A program outside the vknn tree that links vknn::vknn: it lists the
// devices, opens a Context, and runs a CPU reference op.
#include <cstdio>
#include <vector>

#include "vknn/cpu/reference_ops.hpp"
#include "vknn/device.hpp"
#include "vknn/version.hpp"

int main() {
  std::printf("vknn %s\n", vknn::version_string());
  vknn::Context context;
  std::printf("device: %s\n", context.device_info().name.c_str());
  std::vector<float> x = {-1.0f, 2.0f}, y(2);
  vknn::cpu::relu_forward<float>(2, x.data(), y.data());
  if (y[0] != 0.0f || y[1] != 2.0f) {
    std::printf("relu gave %f %f\n", y[0], y[1]);
    return 1;
  }
  std::printf("consumer ok\n");
  return 0;
}
