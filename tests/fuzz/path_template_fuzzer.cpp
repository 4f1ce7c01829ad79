// Fuzzes ModelCheckpoint's filepath templates (model::PathTemplate, Python's
// str.format over named fields) and Python's format-spec mini-language
// (model::format_value). The first byte picks the mode:
// - even: the rest is a template. Parsed, its specs checked (epoch and batch
//   integer fields, the rest floats) and filled with epoch, batch and four
//   metrics (one NaN, one infinite), as a fit's save would fill it. A
//   template without fields must fill to its text with '{{' and '}}' made
//   single braces.
// - odd: the rest is a spec, formatted for an integer (the byte's bit 1
//   set) or a float value (picked by its bits 2-3: an ordinary value, 0,
//   NaN, a huge value), as format(value, spec) in Python.
// Anything may be refused with a vknn::Error; any other exception escapes
// (fuzz_support.hpp).
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <string>

#include "fuzz_support.hpp"
#include "model/path_template.hpp"
#include "vknn/error.hpp"

namespace {

using namespace vknn;

std::string unescaped(const std::string& text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    out += text[i];
    if ((text[i] == '{' || text[i] == '}') && i + 1 < text.size() && text[i + 1] == text[i]) ++i;
  }
  return out;
}

void template_mode(const std::string& text) {
  const model::PathTemplate path(text, "ModelCheckpoint");
  path.check_specs({"epoch", "batch"});
  const std::string filled =
      path.fill({{"epoch", std::int64_t(3)},
                 {"batch", std::int64_t(120)},
                 {"loss", 0.28125},
                 {"val_loss", std::numeric_limits<double>::quiet_NaN()},
                 {"accuracy", 1e-5},
                 {"val_accuracy", std::numeric_limits<double>::infinity()}},
                "(fuzz, epoch 3)");
  if (path.fields().empty() && filled != unescaped(text)) std::abort();
}

void spec_mode(std::uint8_t selector, const std::string& spec) {
  model::TemplateValue value;
  if (selector & 2) {
    value = std::int64_t(-1234567);
  } else {
    const double floats[] = {0.1, 0.0, std::numeric_limits<double>::quiet_NaN(), 1.5e300};
    value = floats[(selector >> 2) & 3];
  }
  model::format_value(value, spec);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  const bool template_input = data[0] % 2 == 0;
  const char* stage = template_input ? "template-filled" : "spec-formatted";
  try {
    if (template_input) {
      template_mode(rest);
    } else {
      spec_mode(data[0], rest);
    }
  } catch (const Error&) {
    // Refused with a message: what bad input should get.
    stage = template_input ? "template-refused" : "spec-refused";
  }
  if (fuzz::census_requested()) std::fprintf(stderr, "census: %s\n", stage);
  return 0;
}
