#include "vulkan/fault_injection.hpp"

#include <cstdlib>
#include <mutex>
#include <string>
#include <string_view>

#include "vknn/error.hpp"
#include "vulkan/check.hpp"

namespace vknn::vk {
namespace detail {
std::atomic<bool> g_fault_armed{false};
}  // namespace detail

namespace {

// Armed faults are rare and only in tests: a mutex keeps them simple.
struct ArmedFault {
  FaultPoint point = FaultPoint::queue_submit;
  int remaining = 0;  // calls at `point` until the failing one
  VkResult result = VK_SUCCESS;
  bool fired = false;
};

std::mutex& fault_mutex() {
  static std::mutex m;
  return m;
}

ArmedFault& armed() {
  static ArmedFault fault;
  return fault;
}

}  // namespace

VkResult detail::take_fault(FaultPoint point) noexcept {
  const std::lock_guard lock(fault_mutex());
  ArmedFault& f = armed();
  if (f.remaining <= 0 || f.point != point) return VK_SUCCESS;
  if (--f.remaining > 0) return VK_SUCCESS;
  f.fired = true;
  g_fault_armed.store(false, std::memory_order_relaxed);
  return f.result;
}

void testing::fail_nth(FaultPoint point, int n, VkResult result) {
  const std::lock_guard lock(fault_mutex());
  armed() = {point, n, result, false};
  detail::g_fault_armed.store(n > 0, std::memory_order_relaxed);
}

bool testing::disarm() {
  const std::lock_guard lock(fault_mutex());
  detail::g_fault_armed.store(false, std::memory_order_relaxed);
  const bool fired = armed().fired;
  armed() = {};
  return fired;
}

void arm_fault_from_environment() {
  static std::once_flag once;
  std::call_once(once, [] {
    const char* value = std::getenv("VKNN_TEST_FAULT");
    if (value == nullptr || *value == '\0') return;
    const std::string text = value;
    auto malformed = [&] {
      return Error("VKNN_TEST_FAULT='" + text +
                   "' is not '<submit|wait>:<n >= 1>:<VkResult name>' (a test-only setting)");
    };
    const std::size_t first = text.find(':');
    const std::size_t second = first == std::string::npos ? first : text.find(':', first + 1);
    if (second == std::string::npos) throw malformed();
    const std::string point = text.substr(0, first);
    const std::string count = text.substr(first + 1, second - first - 1);
    const std::string result = text.substr(second + 1);
    if (point != "submit" && point != "wait") throw malformed();
    if (count.empty() || count.size() > 9 || count.find_first_not_of("0123456789") != std::string::npos) {
      throw malformed();
    }
    const int n = std::atoi(count.c_str());
    VkResult code = VK_SUCCESS;
    for (VkResult candidate : {VK_ERROR_DEVICE_LOST, VK_ERROR_OUT_OF_DEVICE_MEMORY,
                               VK_ERROR_OUT_OF_HOST_MEMORY}) {
      if (result == result_name(candidate)) code = candidate;
    }
    if (n < 1 || code == VK_SUCCESS) throw malformed();
    testing::fail_nth(point == "submit" ? FaultPoint::queue_submit : FaultPoint::device_wait, n, code);
  });
}

}  // namespace vknn::vk
