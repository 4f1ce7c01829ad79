// A C FILE* that writes into Python's sys.stdout, so that the library's
// progress bars (which take a std::FILE*) show up where print() output goes:
// a notebook cell, pytest's capture, a redirected sys.stdout.
//
// Linux/glibc only: it is built on fopencookie(3). Each write the stdio
// buffer hands over acquires the GIL (the device work runs with the GIL
// released) and calls sys.stdout.write() then .flush(). A failing
// sys.stdout is reported as unraisable and the text dropped: a progress bar
// must never abort a training run.
//
// When sys.stdout is the terminal on fd 1 the stream is C's stdout itself,
// so that the bars are live (redrawn with an ETA) as in Keras; closing it
// then only flushes.
#pragma once

#include <cstdio>
#include <memory>

namespace vknn::python {

struct FileCloser {
  void operator()(std::FILE* file) const;
};
using PythonStdout = std::unique_ptr<std::FILE, FileCloser>;

// Opens a stream onto sys.stdout (looked up at each write, so a later
// redirection is followed). Call with the GIL held or not; closing flushes.
PythonStdout open_python_stdout();

}  // namespace vknn::python
