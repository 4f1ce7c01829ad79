#include "python_stream.hpp"

#include <pybind11/pybind11.h>

#include <stdexcept>

namespace py = pybind11;

namespace vknn::python {
namespace {

ssize_t write_to_sys_stdout(void* /*cookie*/, const char* buffer, std::size_t size) {
  py::gil_scoped_acquire gil;
  try {
    py::object out = py::module_::import("sys").attr("stdout");
    if (!out.is_none()) {
      // The bars are ASCII; "replace" keeps a stray byte from raising.
      py::object text = py::reinterpret_steal<py::object>(
          PyUnicode_DecodeUTF8(buffer, static_cast<Py_ssize_t>(size), "replace"));
      if (!text) throw py::error_already_set();
      out.attr("write")(text);
      if (py::hasattr(out, "flush")) out.attr("flush")();
    }
  } catch (py::error_already_set& e) {
    e.discard_as_unraisable("vknn: writing progress output to sys.stdout");
  }
  return static_cast<ssize_t>(size);  // consumed either way
}

}  // namespace

void FileCloser::operator()(std::FILE* file) const {
  if (file == stdout) {
    std::fflush(file);
  } else if (file) {
    std::fclose(file);
  }
}

namespace {

// sys.stdout is the process's terminal (fd 1): then C's stdout is the same
// place, and writing there lets the bars redraw in place with an ETA, as
// Keras's do in a terminal (the library draws live bars only on a tty).
bool python_stdout_is_the_terminal() {
  py::gil_scoped_acquire gil;
  try {
    py::object out = py::module_::import("sys").attr("stdout");
    if (out.is_none() || !out.attr("isatty")().cast<bool>()) return false;
    if (out.attr("fileno")().cast<int>() != 1) return false;
    out.attr("flush")();  // what print() buffered comes before the bars
    return true;
  } catch (py::error_already_set&) {
    return false;  // no fileno (a notebook, a StringIO): use the cookie stream
  }
}

}  // namespace

PythonStdout open_python_stdout() {
  if (python_stdout_is_the_terminal()) return PythonStdout(stdout);
  cookie_io_functions_t functions{};
  functions.write = write_to_sys_stdout;
  std::FILE* file = fopencookie(nullptr, "w", functions);
  if (!file) throw std::runtime_error("vknn: fopencookie failed to open a stream onto sys.stdout");
  // Fully buffered: the bars flush after each line, so Python sees whole
  // lines and is called a few times per epoch, not per character.
  std::setvbuf(file, nullptr, _IOFBF, 1 << 14);
  return PythonStdout(file);
}

}  // namespace vknn::python
