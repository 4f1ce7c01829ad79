#include "support/vulkan_fixture.hpp"

#include <memory>

namespace vknn_test {

vknn::Context& context() {
  static std::unique_ptr<vknn::Context> instance = [] {
    vknn::ContextOptions options;
    vknn::Validation validation = vknn::validation_from_environment();
    options.validation = validation == vknn::Validation::off ? vknn::Validation::on : validation;
    options.print_validation_messages = true;
    auto context = std::make_unique<vknn::Context>(options);
    const auto& info = context->device_info();
    std::printf("[ vknn    ] device: %s (%s, %s %s)\n", info.name.c_str(),
                vknn::to_string(info.type), info.driver_name.c_str(), info.driver_info.c_str());
    return context;
  }();
  return *instance;
}

void VulkanTest::SetUp() { errors_before_ = context().validation_error_count(); }

void VulkanTest::TearDown() {
  const std::uint64_t errors = context().validation_error_count();
  if (errors > errors_before_) {
    const auto messages = context().validation_error_messages();
    std::string text;
    for (std::size_t i = messages.size() - std::min<std::size_t>(messages.size(), errors - errors_before_);
         i < messages.size(); ++i) {
      text += "\n  " + messages[i];
    }
    ADD_FAILURE() << (errors - errors_before_)
                  << " Vulkan validation error(s) during this test:" << text;
  }
}

}  // namespace vknn_test
