// Test-only fault injection: make a chosen queue submission or device wait
// fail with a chosen VkResult (VK_ERROR_DEVICE_LOST, ...), so the tests
// can check what fit does when a device is lost or out of memory without
// losing a real one. Not for users; docs/reliability.md says so.
//
// Two ways to arm it, both counting from the moment they are armed:
// - in-process (tests/model): vknn::vk::testing::fail_nth(point, n, result);
// - in a child process (tests/examples, the trainers): the environment
//   variable VKNN_TEST_FAULT="<submit|wait>:<n>:<VkResult name>", read once
//   when the first Device is made.
// The n-th call at that point fails without reaching the driver (the work
// is not queued, nothing is waited for), once; later calls run normally.
//
// Unarmed it costs each submit and wait one relaxed atomic load.
#pragma once

#include <vulkan/vulkan.h>

#include <atomic>

namespace vknn::vk {

enum class FaultPoint {
  queue_submit,  // vkQueueSubmit (fenced or not)
  device_wait,   // vkWaitForFences of a Submission, vkDeviceWaitIdle
};

namespace detail {
extern std::atomic<bool> g_fault_armed;
VkResult take_fault(FaultPoint point) noexcept;
}  // namespace detail

// VK_SUCCESS, or the injected result when this call is the armed one. The
// runtime calls it right before the real Vulkan call at `point`.
inline VkResult injected_fault(FaultPoint point) noexcept {
  if (!detail::g_fault_armed.load(std::memory_order_relaxed)) [[likely]] return VK_SUCCESS;
  return detail::take_fault(point);
}

// Reads VKNN_TEST_FAULT (once per process; later calls do nothing).
// Throws vknn::Error naming the variable when it is malformed.
void arm_fault_from_environment();

namespace testing {

// The `n`-th call (1: the next) at `point` from now fails with `result`.
// Replaces any armed fault.
void fail_nth(FaultPoint point, int n, VkResult result);
// Disarms; returns whether the armed fault had fired.
bool disarm();

}  // namespace testing
}  // namespace vknn::vk
