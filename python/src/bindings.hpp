// The parts of vknn._vknn, one file each.
#pragma once

#include <pybind11/pybind11.h>

#include "vknn/data/augmentation.hpp"

namespace vknn::python {

void bind_layers(pybind11::module_& m);     // layer_bindings.cpp
void bind_callbacks(pybind11::module_& m);  // callback_bindings.cpp
void bind_model(pybind11::module_& m);      // model_bindings.cpp
void bind_datasets(pybind11::module_& m);   // dataset_bindings.cpp
void bind_image_folders(pybind11::module_& m);  // image_folder_bindings.cpp
void bind_distributed(pybind11::module_& m);    // distributed_bindings.cpp
void bind_augmentation(pybind11::module_& m);   // augmentation_bindings.cpp

// fit's augmentation settings from the dict the Python layer builds
// (augmentation_bindings.cpp).
Augmentation augmentation_of(const pybind11::dict& settings);

}  // namespace vknn::python
