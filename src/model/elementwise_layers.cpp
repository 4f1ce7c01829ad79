#include "model/elementwise_layers.hpp"

#include <optional>

#include "vknn/error.hpp"

namespace vknn {

Layer elementwise_layer(const std::string& keras_class, const std::map<std::string, float>& settings) {
  std::optional<Layer> made;
  const bool known = model::for_member_named(
      keras_class,
      [&]<class L>(L*) {
        using Entry = model::ElementwiseLayer<L>;
        L layer = Entry::make();
        for (const auto& [key, value] : settings) {
          bool found = false;
          for (const auto& s : Entry::settings) {
            if (key == s.key) {
              layer.*s.member = value;
              found = true;
            }
          }
          if (!found) throw Error(keras_class + ": it has no setting '" + key + "'");
        }
        made = layer;
      },
      model::ElementwiseLayers{});
  if (!known) throw Error("'" + keras_class + "' is not an elementwise layer of vknn");
  return *made;
}

}  // namespace vknn
