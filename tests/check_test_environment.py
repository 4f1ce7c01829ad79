"""Fails naming every CTest test whose ENVIRONMENT lacks a given entry.

usage: check_test_environment.py CTEST BUILD_DIR NAME=VALUE

Guards cmake/VknnTestEnvironment.cmake: every test must keep vknn's caches
in the build tree (VKNN_CACHE_DIR), never in the user's ~/.cache.
"""
import json
import subprocess
import sys


def main(argv):
    if len(argv) != 4 or "=" not in argv[3]:
        print(__doc__, file=sys.stderr)
        return 2
    ctest, build, wanted = argv[1:]
    listing = subprocess.run([ctest, "--test-dir", build, "--show-only=json-v1"],
                             capture_output=True, text=True)
    if listing.returncode != 0:
        print(f"ctest --show-only failed ({listing.returncode}):\n{listing.stderr}", file=sys.stderr)
        return 1
    tests = json.loads(listing.stdout).get("tests", [])
    missing = []
    for test in tests:
        # gtest_discover_tests lists an executable that was not built (the
        # sanitized build leaves some out) as one placeholder test,
        # <target>_NOT_BUILT, which only fails saying so: it runs nothing.
        if test["name"].endswith("_NOT_BUILT"):
            continue
        environment = []
        for prop in test.get("properties", []):
            if prop.get("name") == "ENVIRONMENT":
                environment = prop.get("value", [])
        if wanted not in environment:
            missing.append(test["name"])
    if not tests:
        print(f"no tests listed in {build}", file=sys.stderr)
        return 1
    if missing:
        print(f"{len(missing)} of {len(tests)} tests run without {wanted} in their ENVIRONMENT "
              "(cmake/VknnTestEnvironment.cmake says how to add it):", file=sys.stderr)
        for name in missing[:50]:
            print("  " + name, file=sys.stderr)
        return 1
    print(f"all {len(tests)} tests have {wanted}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
