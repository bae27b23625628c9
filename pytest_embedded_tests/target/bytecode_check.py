# SPDX-License-Identifier: MIT
"""Which Python modules the board compiles at each start: imports what
shmem-helper and the tests' programs import, then lists each module loaded
from a .py file that has no byte code beside it (a user cannot write one,
so every run compiles it again). One JSON line: {"imported": N, "uncompiled": [...]}.

    python3 bytecode_check.py
"""

import json
import os
import sys

import shmem_helper.bench  # noqa: F401  (what `shmem-helper bench` imports)
import shmem_helper.cli  # noqa: F401  (what `shmem-helper` imports)


def main() -> int:
    specs = [s for s in (getattr(m, "__spec__", None) for m in list(sys.modules.values()))
             if s is not None and (s.origin or "").endswith(".py")]
    uncompiled = sorted(s.name for s in specs if not (s.cached and os.path.exists(s.cached)))
    print(json.dumps({"imported": len(specs), "uncompiled": uncompiled}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
