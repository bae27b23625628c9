# SPDX-License-Identifier: MIT
"""A program for the harness's own tests (test_harness.py): says who runs it
with which arguments, and ends with the exit status it is asked for.

    python3 harness_probe.py [--exit N] [ARG ...]
"""

import os
import sys


def main(argv: list[str]) -> int:
    status = 0
    if argv[:1] == ["--exit"]:
        status, argv = int(argv[1]), argv[2:]
    print(os.getuid(), argv)
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
