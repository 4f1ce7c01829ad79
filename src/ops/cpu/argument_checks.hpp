// Argument checks shared by the CPU reference ops (private to src/ops/cpu).
//
// Geometry is checked by each geometry's validate(); these helpers check
// what a geometry cannot see: buffers, element counts, step numbers. Every
// message names the op, what was wrong and what would be valid, because a
// reference op is often the first place a wrongly wired model is run.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <sstream>
#include <string>

#include "vknn/error.hpp"
#include "vknn/ops/geometry.hpp"

namespace vknn::cpu::detail {

// `what_is_valid` tells the user what to pass instead, e.g. "a buffer of 9 elements".
inline void require_buffer(const char* op, const char* name, const void* pointer,
                           const std::string& what_is_valid) {
  if (pointer == nullptr) {
    std::ostringstream msg;
    msg << op << ": " << name << " is null; pass " << what_is_valid;
    throw Error(msg.str());
  }
}

inline std::string elements(std::int64_t count) {
  return "a buffer of " + std::to_string(count) + " elements";
}

// One of an op's buffers and the elements it must hold.
struct BufferArgument {
  const char* name;
  const void* pointer;
  std::int64_t count;
};

// Each of a geometry op's buffers, in order, after g.validate() (which must
// come first: the sizes are computed from the geometry, and an invalid one
// can divide by zero). The first buffer's message also gives the shapes, so
// a null input says what the op was called with.
template <class Geometry>
void require_buffers(const char* op, const Geometry& g,
                     std::initializer_list<BufferArgument> buffers) {
  bool first = true;
  for (const BufferArgument& b : buffers) {
    require_buffer(op, b.name, b.pointer,
                   first ? elements(b.count) + " (" + g.describe() + ")" : elements(b.count));
    first = false;
  }
}

inline void require_count(const char* op, const char* name, std::int64_t count) {
  if (count < 0) {
    std::ostringstream msg;
    msg << op << ": " << name << " must be >= 0, got " << count;
    throw Error(msg.str());
  }
}

// ClassesGeometry::validate() reports its errors as "softmax", but the losses
// and the accuracy metric share that geometry; check the shape here first so
// the message names the op the user actually called.
inline void validate_classes(const char* op, const ClassesGeometry& g) {
  if (g.batch <= 0 || g.classes <= 0) {
    std::ostringstream msg;
    msg << op << ": batch and classes must be positive, got " << g.describe()
        << " (batch " << g.batch << ", classes " << g.classes << ")";
    throw Error(msg.str());
  }
  g.validate();
}

// Labels index a row's classes; an out-of-range label would read past the
// row, so it is a user error with the offending row and value in the message.
inline void require_labels_in_range(const char* op, const ClassesGeometry& g,
                                    const std::uint32_t* labels) {
  for (int n = 0; n < g.batch; ++n) {
    if (labels[n] >= static_cast<std::uint32_t>(g.classes)) {
      std::ostringstream msg;
      msg << op << ": label " << labels[n] << " at row " << n << " is out of range for "
          << g.classes << " classes (" << g.describe() << "); labels must be in [0, "
          << g.classes << ")";
      throw Error(msg.str());
    }
  }
}

}  // namespace vknn::cpu::detail
