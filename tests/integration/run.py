#!/usr/bin/env python3
"""run: entry point of the HTTP integration suite. Imports every
tests/integration/test_*.py (each registers its tests with harness.test)
and runs them: `python3 tests/integration/run.py [WORD...]` runs the tests
whose name contains one of the words (all when none). Prints `ok NAME` /
`FAIL NAME: why` and `N passed, M failed`; exit 1 on any failure.
Environment: see harness.py (LDA_TEST_CGI_DIR, LDA_TEST_LDA, ...)."""
import glob
import importlib
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import harness  # noqa: E402


def main():
    for path in sorted(glob.glob(os.path.join(HERE, "test_*.py"))):
        importlib.import_module(os.path.splitext(os.path.basename(path))[0])
    return harness.main(sys.argv[1:])


if __name__ == "__main__":
    sys.exit(main())
