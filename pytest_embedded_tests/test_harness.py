# SPDX-License-Identifier: MIT
"""The harness itself, on the board: files and scripts reach it intact."""

import hashlib
import os


def test_put_file_is_byte_exact(linux):
    data = os.urandom(5000)
    linux.put_file("/tmp/harness-blob", data)
    assert linux.check("sha256sum /tmp/harness-blob").split()[0] == hashlib.sha256(data).hexdigest()


def test_python_runs_as_another_user(linux):
    result = linux.run_python("import os, sys; print(os.getuid(), sys.argv[1:])", "a b", "c", user="amp")
    assert result.status == 0 and result.output.strip() == "1000 ['a b', 'c']"
    assert linux.run_python("import sys; sys.exit(3)").status == 3


def test_run_python_leaves_no_file_behind(linux):
    assert linux.run_python("print('left?')").output.strip() == "left?"
    assert linux.run_python("raise SystemExit(5)", user="amp").status == 5
    assert linux.run("ls /tmp/pytest-*.py").status != 0, linux.check("ls /tmp")
