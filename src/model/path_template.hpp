// A file path with named fields, filled as Python's str.format fills it:
// ModelCheckpoint's "ckpt-{epoch:02d}-{val_loss:.2f}.weights.h5", which
// Keras fills with filepath.format(epoch=epoch + 1, **logs).
//
// The numeric part of Python's format-spec mini-language is honoured,
// [[fill]align][sign][z][#][0][width][grouping][.precision][type], with the
// text Python writes for an int (epoch, batch) and a float (a logged
// metric): repr for a float without a spec ("0.1", "1e-05", "nan"), types
// d n b o x X for ints, e E f F g G n % for both. What a path never needs
// is refused when the template is read, with what would be valid: positional
// fields ({}, {0}), attribute or index access ({loss.real}), conversions
// ({loss!r}), nested fields in a spec, the 'c' type, grouping with zero
// padding.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <variant>
#include <vector>

namespace vknn::model {

// A field's value: an integer (epoch, batch) or a float (a metric).
using TemplateValue = std::variant<std::int64_t, double>;

// Python's format(value, spec); throws vknn::Error with Python's own words
// for a spec the value's type does not take ("Unknown format code 'd' for
// object of type 'float'").
std::string format_value(const TemplateValue& value, const std::string& spec);

class PathTemplate {
 public:
  struct Field {
    std::string name;
    std::string spec;  // after the ':'; empty when none
  };

  // Parses `text`; a malformed template is a vknn::Error naming it, what is
  // wrong (Python's words where Python has them) and how to write braces.
  // `owner` starts the messages ("ModelCheckpoint").
  PathTemplate(std::string text, std::string owner);

  const std::string& text() const { return text_; }
  const std::vector<Field>& fields() const { return fields_; }
  bool names(const std::string& name) const;

  // Checks every field's spec against a value of the type it will get
  // (`integers` name the integer fields; the rest are floats), so a bad
  // spec fails before training rather than at the first save.
  void check_specs(const std::vector<std::string>& integers) const;

  // The path with every field filled. A field missing from `values` is a
  // vknn::Error naming it and the names there are (`where` ends the
  // message: "(ModelCheckpoint, epoch 3)").
  std::string fill(const std::vector<std::pair<std::string, TemplateValue>>& values,
                   const std::string& where) const;

 private:
  struct Piece {
    std::string literal;  // text before the field (braces unescaped)
    int field = -1;       // index into fields_, or -1 for trailing text
  };
  std::string text_;
  std::string owner_;
  std::vector<Field> fields_;
  std::vector<Piece> pieces_;
};

}  // namespace vknn::model
