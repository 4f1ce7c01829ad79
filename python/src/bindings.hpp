// The parts of vknn._vknn, one file each.
#pragma once

#include <pybind11/pybind11.h>

namespace vknn::python {

void bind_layers(pybind11::module_& m);     // layer_bindings.cpp
void bind_callbacks(pybind11::module_& m);  // callback_bindings.cpp
void bind_model(pybind11::module_& m);      // model_bindings.cpp
void bind_datasets(pybind11::module_& m);   // dataset_bindings.cpp
void bind_image_folders(pybind11::module_& m);  // image_folder_bindings.cpp
void bind_distributed(pybind11::module_& m);    // distributed_bindings.cpp

}  // namespace vknn::python
