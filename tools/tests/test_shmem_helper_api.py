# SPDX-License-Identifier: MIT
"""shmem_helper as a library its users see: what `import shmem_helper` gives,
one error root, types a user's type checker finds (py.typed, as installed by
pip), and the API page (README.md next to the package), whose reference part
is generated from the docstrings:

    python3 tools/tests/test_shmem_helper_api.py    # rewrites the reference in README.md
"""

import dataclasses
import enum
import errno
import inspect
import io
import os
import re
import shutil
import subprocess
import sys
import venv
from pathlib import Path

import pytest
import shmem_helper
from shmem_helper import channel as C

SOURCE = (Path(__file__).resolve().parents[2] / "meta-sharedmem/recipes-devtools/python/python3-shmem-helper/"
          "python3-shmem-helper")
README = SOURCE / "README.md"
BEGIN = "<!-- API reference: generated from the docstrings by tools/tests/test_shmem_helper_api.py -->"
END = "<!-- end of the API reference -->"

VENV_BIN = Path(sys.executable).parent
# The classes whose methods users call; each public method has its own example.
MAIN_CLASSES = ("Region", "Mapping", "Cpu1", "ChannelLink", "Channel", "Rpmsg", "RpmsgEndpoint", "RpmsgTty")


def test_the_public_api_imports_from_the_package() -> None:
    """The issue's check, as a user runs it: a fresh interpreter, the package on its path."""
    code = "import shmem_helper as s; s.Region, s.Cpu1, s.ChannelLink, s.Channel, s.Error; print(s.__version__)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=SOURCE)
    assert out.returncode == 0 and out.stdout.strip() == shmem_helper.__version__, out.stderr
    for name in shmem_helper.__all__:
        assert hasattr(shmem_helper, name), name


ERROR_KINDS = {"PermissionDenied", "NotFound", "Busy", "InvalidArgument", "MessageTooLarge", "Cpu1NotRunning",
               "Cpu1Crashed", "ChannelRestarted", "Timeout", "ProtocolError", "ChannelCorrupt", "ChannelBroken",
               "ServiceError", "RpmsgDeviceGone", "Unsupported"}


def test_every_error_has_one_root() -> None:
    exported = {n for n in shmem_helper.__all__ if isinstance(getattr(shmem_helper, n), type)
                and issubclass(getattr(shmem_helper, n), BaseException)}
    assert exported == ERROR_KINDS | {"Error", "SharedmemError"}
    for name in exported:
        assert issubclass(getattr(shmem_helper, name), shmem_helper.Error), name
    # Every exception class defined anywhere in the package has the root too.
    for module in (C, shmem_helper.cpu1, shmem_helper.region, shmem_helper.link, shmem_helper.errors,
                   shmem_helper.rpmsg):
        for name, obj in vars(module).items():
            if isinstance(obj, type) and issubclass(obj, BaseException) and obj.__module__.startswith("shmem_helper"):
                assert issubclass(obj, shmem_helper.Error), f"{module.__name__}.{name}"
    # The old names are the new classes, not copies.
    assert shmem_helper.SharedmemError is shmem_helper.Error
    assert shmem_helper.cpu1.Cpu1Error is C.ChannelError is shmem_helper.Error
    assert C.ChannelNotReady is shmem_helper.Cpu1NotRunning and C.ChannelTimeout is shmem_helper.Timeout
    # What builtin kind each one is as well, for code that catches those.
    assert issubclass(shmem_helper.Timeout, TimeoutError)
    assert issubclass(shmem_helper.InvalidArgument, ValueError)
    assert issubclass(shmem_helper.PermissionDenied, PermissionError)
    assert issubclass(shmem_helper.Unsupported, io.UnsupportedOperation)
    assert issubclass(shmem_helper.ChannelCorrupt, shmem_helper.ProtocolError)
    assert issubclass(shmem_helper.ChannelRestarted, shmem_helper.Cpu1NotRunning)
    assert issubclass(shmem_helper.RpmsgDeviceGone, shmem_helper.Cpu1NotRunning)
    assert issubclass(shmem_helper.Cpu1Crashed, shmem_helper.Cpu1NotRunning)


@pytest.mark.parametrize("number", [errno.EINVAL, errno.ENOMEM, errno.EBUSY, errno.ENOSPC, errno.EFAULT,
                                    errno.ENOENT, errno.ENODEV, errno.ENXIO, errno.EOVERFLOW, errno.EAGAIN,
                                    errno.EBADF, errno.ENOTTY, errno.EIO, errno.ETIMEDOUT, errno.EACCES, errno.EXDEV])
def test_an_os_error_without_a_hint_still_says_what_to_do(number: int) -> None:
    """from_os_error's message is never the bare system text: each common
    error number gets what to do, any other one says to report it."""
    got = shmem_helper.errors.from_os_error(OSError(number, os.strerror(number)), "frobbing /dev/x")
    text = str(got)
    assert text.startswith("frobbing /dev/x failed: ") and got.errno == number, text
    advice = text.removeprefix("frobbing /dev/x failed: ").removeprefix(os.strerror(number)).removeprefix("; ")
    assert len(advice) > 10, text
    if number == errno.EXDEV:  # none of the common ones
        assert "report it with the traceback" in advice, text


def test_states_are_enums() -> None:
    assert issubclass(shmem_helper.Cpu1State, enum.IntEnum)
    assert int(shmem_helper.Cpu1State.READY) == 2 and str(shmem_helper.Cpu1State.READY) == "ready"
    assert f"{shmem_helper.Cpu1State.HALTED:>8}" == "  halted"
    assert issubclass(shmem_helper.RemoteprocState, enum.StrEnum)
    assert shmem_helper.RemoteprocState("running") == "running"
    for cls in (shmem_helper.ChannelStatus, shmem_helper.Stats, shmem_helper.Ping, shmem_helper.Message,
                shmem_helper.BufferInfo):
        assert dataclasses.is_dataclass(cls), cls
    assert shmem_helper.ChannelStatus.__annotations__["state"] is shmem_helper.Cpu1State
    assert shmem_helper.Stats.__annotations__["state"] is shmem_helper.Cpu1State


# -- types as a user's checker sees them ---------------------------------------

USER_SCRIPT = '''
import shmem_helper


def dma_address(path: str) -> int | None:
    with shmem_helper.Region(path, writable=False) as region:
        return region.info().dma_address


def heartbeat() -> int:
    with shmem_helper.ChannelLink() as link:
        status = link.channel.status()
        state: shmem_helper.Cpu1State = status.state
        print(state)
        return status.heartbeat


def stop() -> bool:
    try:
        return shmem_helper.Cpu1().stop()
    except shmem_helper.Error as e:
        print(e.errno)
        return False
'''
# The same calls with wrong types: a checker that sees the package's types refuses them.
WRONG_SCRIPT = '''
import shmem_helper

size: str = shmem_helper.Region("/dev/sharedmem/buffer").info().size
state: str = shmem_helper.ChannelLink().channel.state()
'''


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The package as setuptools installs it from pyproject.toml (the files
    and package data it declares; what pip and OE's build put in
    site-packages) in a fresh environment."""
    root = tmp_path_factory.mktemp("user-env")
    venv.create(root / "venv", system_site_packages=False, with_pip=False)
    python = root / "venv" / "bin" / "python"
    site = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                          capture_output=True, text=True, check=True).stdout.strip()
    source = root / "src"
    shutil.copytree(SOURCE, source, ignore=shutil.ignore_patterns("__pycache__"))
    build = subprocess.run([sys.executable, "-c", "from setuptools import setup; setup()", "--quiet", "build_py",
                            "--build-lib", site], capture_output=True, text=True, cwd=source)
    assert build.returncode == 0, build.stdout + build.stderr
    return python, Path(site)


def mypy(python: Path, script: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    path = tmp_path / "user_script.py"
    path.write_text(script)
    return subprocess.run([str(VENV_BIN / "mypy"), "--strict", "--no-incremental", "--python-executable",
                           str(python), str(path)], capture_output=True, text=True, cwd=tmp_path)


def test_mypy_strict_finds_the_installed_package_types(installed: tuple[Path, Path], tmp_path: Path) -> None:
    python, site = installed
    assert (site / "shmem_helper" / "py.typed").is_file()
    got = subprocess.run([str(python), "-c", "import shmem_helper; print(shmem_helper.__version__)"],
                         capture_output=True, text=True)
    assert got.stdout.strip() == shmem_helper.__version__, got.stderr
    ok = mypy(python, USER_SCRIPT, tmp_path)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    wrong = mypy(python, WRONG_SCRIPT, tmp_path)
    assert wrong.returncode == 1, wrong.stdout
    assert 'Incompatible types in assignment (expression has type "int", variable has type "str")' in wrong.stdout
    assert '(expression has type "Cpu1State", variable has type "str")' in wrong.stdout
    assert "missing library stubs or py.typed marker" not in wrong.stdout


# -- documentation ---------------------------------------------------------------

def _members(cls: type) -> list[tuple[str, object]]:
    """Public methods and properties that `cls` itself defines."""
    out: list[tuple[str, object]] = []
    for name, obj in vars(cls).items():
        if name.startswith("_") and name not in ("__init__",):
            continue
        if isinstance(obj, (staticmethod, classmethod)):
            obj = obj.__func__
        if inspect.isfunction(obj) or isinstance(obj, property):
            out.append((name, obj))
    return out


def _signature(obj: object) -> str:
    try:
        return str(inspect.signature(obj))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return ""


def _public_names() -> list[str]:
    """Classes and functions of __all__ (not the constants), in its order."""
    return [n for n in shmem_helper.__all__ if not n.startswith("_") and not n.isupper()]


def render_api() -> str:
    """The API reference, in Markdown, from the package's docstrings."""
    lines = [BEGIN, ""]
    seen: set[int] = set()
    for name in _public_names():
        obj = getattr(shmem_helper, name)
        if id(obj) in seen:
            lines += [f"### `shmem_helper.{name}`", "", f"The same class as `{obj.__name__}` (its former name).", ""]
            continue
        seen.add(id(obj))
        kind = "exception" if isinstance(obj, type) and issubclass(obj, BaseException) else \
            "enum" if isinstance(obj, enum.EnumMeta) else "class" if isinstance(obj, type) else "function"
        heading = f"### {kind} `shmem_helper.{name}`"
        if kind == "exception":
            bases = ", ".join(b.__name__ for b in obj.__bases__)
            heading += f" ({bases})"
        lines += [heading, ""]
        if kind in ("class", "function") and not (isinstance(obj, type) and dataclasses.is_dataclass(obj)):
            sig = _signature(obj)
            if sig:
                lines += ["```python", f"{name}{sig}", "```", ""]
        lines += [inspect.getdoc(obj) or "", ""]
        if isinstance(obj, enum.EnumMeta):
            lines += ["Members: " + ", ".join(f"`{m.name}` ({m.value!r})" for m in obj), ""]  # type: ignore[var-annotated]
        elif isinstance(obj, type) and dataclasses.is_dataclass(obj):
            fields = ", ".join(f"`{f.name}: {getattr(f.type, '__name__', f.type)}`" for f in dataclasses.fields(obj))
            lines += [f"Fields: {fields}", ""]
        if name in MAIN_CLASSES:
            for member, value in _members(obj):
                if member == "__init__":
                    continue
                doc = inspect.getdoc(value) or ""
                if isinstance(value, property):
                    lines += [f"#### `{name}.{member}` (property)", "", doc, ""]
                else:
                    lines += [f"#### `{name}.{member}{_signature(value)}`", "", doc, ""]
    lines.append(END)
    return "\n".join(lines)


def _readme_parts() -> tuple[str, str, str]:
    text = README.read_text()
    head, found, rest = text.partition(BEGIN)
    assert found, f"{README}: no line {BEGIN!r}"
    _, found, tail = rest.partition(END)
    assert found, f"{README}: no line {END!r}"
    return head, BEGIN + _ + END, tail


def test_the_api_page_is_the_docstrings() -> None:
    """README.md's reference is what render_api() gives now; rerun this file to refresh it."""
    _, current, _ = _readme_parts()
    assert current == render_api(), "the API reference is stale: python3 tools/tests/test_shmem_helper_api.py"


def test_every_public_name_and_method_has_an_example() -> None:
    missing = []
    for name in _public_names():
        obj = getattr(shmem_helper, name)
        if (inspect.isclass(obj) or inspect.isfunction(obj)) and "Example" not in (obj.__doc__ or ""):
            missing.append(name)
        if name in MAIN_CLASSES:
            missing += [f"{name}.{m}" for m, v in _members(obj)
                        if m != "__init__" and "Example" not in (getattr(v, "__doc__", None) or "")]
    assert not missing, f"docstrings without an example: {missing}"


def test_the_top_level_readme_links_the_api_page() -> None:
    top = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    assert str(README.relative_to(Path(__file__).resolve().parents[2])) in top
    for name in ("shmem_helper.Region", "shmem_helper.Cpu1", "shmem_helper.ChannelLink", "shmem_helper.Error"):
        assert name in top, name


def test_the_api_page_examples_name_real_things() -> None:
    """Names the page's hand-written part uses exist in the package."""
    head, _, tail = _readme_parts()
    for name in set(re.findall(r"shmem_helper\.(\w+)", head + tail)):
        assert hasattr(shmem_helper, name) or name in ("cli", "channel", "channel_layout"), name


if __name__ == "__main__":
    head, _, tail = _readme_parts()
    README.write_text(head + render_api() + tail)
    print(f"rewrote the API reference in {README}")
    sys.exit(0)
