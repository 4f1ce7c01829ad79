#!/usr/bin/python3
"""The layers' walls, checked: which folder's files may include which.

docs/architecture.md draws the layers; this keeps the drawing true. Every
`#include "..."` of every C++ file under the checked folders is matched
against its folder's rule, and each breach is printed as
`file:line: includes "x", but <folder> may include only ...`. Exit 1 on any.

    tests/check_include_walls.py [repository root]
"""
import pathlib
import re
import sys

# What the tools (bench/) may use besides the public headers: the internals
# they time or drive directly, declared here once (docs/architecture.md).
TOOLS_INTERNAL = {
    "backend/backend.hpp",           # records single ops on a backend (per-op benchmarks)
    "model/trainer.hpp",             # a model's step and predict programs (--profile)
    "model/architecture.hpp",        # the course model's ops and shapes
    "vulkan/context_access.hpp",     # the Vulkan device behind a vknn::Context
    "vulkan/device.hpp",
    "vulkan/command.hpp",            # the rooflines' own recordings
    "vulkan/buffer.hpp",
    "vulkan/pipeline.hpp",
    "ops/vulkan/fma_peak_shader.hpp",
    "vulkan/tuning/autotuner.hpp",   # --tune's report of the tuner's decisions
}

PUBLIC = re.compile(r"^vknn/")


def rule_for(path):
    """(description, predicate) for a file, by folder; None: unchecked."""
    p = path.as_posix()
    if p.startswith("include/vknn/"):
        return "only public headers (vknn/...)", lambda inc: bool(PUBLIC.match(inc))
    if p.startswith("src/io/"):
        return "no model/ header (io is below the model)", lambda inc: not inc.startswith("model/")
    if p.startswith("src/vulkan/"):
        return ("no ops/, model/ or backend/ header (the Vulkan runtime is below the ops that "
                "run on it)"), lambda inc: not inc.startswith(("ops/", "model/", "backend/"))
    if p.startswith("src/ops/vulkan/"):
        return ("no model/ or backend/ header, nor the CPU reference's internals (the Vulkan "
                "ops sit on the runtime, below the backends)"), \
            lambda inc: not inc.startswith(("model/", "backend/", "ops/cpu/"))
    if p.startswith("src/ops/cpu/"):
        return "no vulkan/, model/ or backend/ header (the reference ops stand alone)", \
            lambda inc: not inc.startswith(("vulkan/", "ops/vulkan/", "model/", "backend/"))
    if p.startswith("src/ops/"):
        return ("no vulkan/, model/ or backend/ header (the op contracts both halves share)",
                lambda inc: not inc.startswith(("vulkan/", "ops/vulkan/", "ops/cpu/", "model/",
                                                "backend/")))
    if p.startswith("examples/"):
        return "only public headers and examples/common", \
            lambda inc: bool(PUBLIC.match(inc)) or inc.startswith("common/") or "/" not in inc
    if p.startswith("bench/"):
        return ("only public headers, bench's own and the declared internal set "
                "(tests/check_include_walls.py, TOOLS_INTERNAL)"), \
            lambda inc: bool(PUBLIC.match(inc)) or "/" not in inc or inc in TOOLS_INTERNAL
    return None


def main():
    root = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else ".").resolve()
    include = re.compile(r'^\s*#\s*include\s+"([^"]+)"')
    breaches, files = [], 0
    for folder in ("include", "src", "examples", "bench"):
        for path in sorted((root / folder).rglob("*")):
            if path.suffix not in (".hpp", ".cpp", ".h") or not path.is_file():
                continue
            relative = path.relative_to(root)
            rule = rule_for(relative)
            if rule is None:
                continue
            files += 1
            description, allowed = rule
            for number, line in enumerate(path.read_text(errors="replace").splitlines(), 1):
                m = include.match(line)
                if m and not allowed(m.group(1)):
                    breaches.append(f"{relative}:{number}: includes \"{m.group(1)}\", but "
                                    f"{relative.parts[0]}/{relative.parts[1] + '/' if len(relative.parts) > 2 else ''} "
                                    f"may include {description}")
    for b in breaches:
        print(b)
    print(f"{files} files checked, {len(breaches)} include(s) across a wall")
    return 1 if breaches else 0


if __name__ == "__main__":
    sys.exit(main())
