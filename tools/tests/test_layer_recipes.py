# SPDX-License-Identifier: MIT
"""The layer's recipes against the sources they build (no bitbake needed).

- every SRC_URI file:// entry exists where bitbake's FILESPATH finds it, and
  every file of a recipe's ${BPN}/ source folder is in its SRC_URI;
- LIC_FILES_CHKSUM checksums match the files, as bitbake computes them;
- the recipe versions (PV, from the file name) are the sources' versions;
- python3-shmem-helper's RDEPENDS are exactly the packages of its imports;
- the module options that the recipe writes exist in the module.
"""

import ast
import hashlib
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent.parent
LAYER = REPO / "meta-sharedmem"
RECIPES = sorted(LAYER.glob("recipes-*/**/*.bb"))
APPENDS = sorted(LAYER.glob("recipes-*/**/*.bbappend"))
VERSIONED = [r for r in RECIPES if "_" in r.stem]

# Python module -> OE-Core package, from poky scarthgap's
# meta/recipes-devtools/python/python3/python3-manifest.json (modules built
# into the interpreter are in python3-core). A module missing here makes
# test_python_rdepends fail: look it up there and add it.
PYTHON3_PACKAGES = {
    "abc": "python3-core", "argparse": "python3-core", "array": "python3-core", "ast": "python3-core",
    "atexit": "python3-core", "base64": "python3-netclient", "binascii": "python3-core",
    "bisect": "python3-core", "codecs": "python3-core", "collections": "python3-core",
    "contextlib": "python3-core", "copy": "python3-core", "csv": "python3-core", "ctypes": "python3-ctypes",
    "dataclasses": "python3-core", "datetime": "python3-datetime", "enum": "python3-core",
    "errno": "python3-core", "fcntl": "python3-fcntl", "fnmatch": "python3-core", "functools": "python3-core",
    "glob": "python3-shell", "grp": "python3-core", "hashlib": "python3-crypt", "heapq": "python3-core",
    "importlib": "python3-core", "inspect": "python3-core", "io": "python3-core", "itertools": "python3-core",
    "json": "python3-json", "logging": "python3-logging", "math": "python3-core", "mmap": "python3-mmap",
    "numbers": "python3-numbers", "operator": "python3-core", "os": "python3-core", "pathlib": "python3-core",
    "platform": "python3-core", "pwd": "python3-core", "queue": "python3-threading", "random": "python3-math",
    "re": "python3-core", "resource": "python3-resource", "secrets": "python3-netclient",
    "select": "python3-core", "selectors": "python3-core", "shlex": "python3-shell", "shutil": "python3-core",
    "signal": "python3-core", "socket": "python3-io", "stat": "python3-core", "statistics": "python3-statistics",
    "string": "python3-stringold", "struct": "python3-core", "subprocess": "python3-core", "sys": "python3-core",
    "tempfile": "python3-io", "termios": "python3-io", "textwrap": "python3-core", "threading": "python3-core",
    "time": "python3-core", "traceback": "python3-core", "types": "python3-core", "typing": "python3-core",
    "unittest": "python3-unittest", "uuid": "python3-netclient", "warnings": "python3-core",
    "weakref": "python3-core", "zlib": "python3-core",
    # not in the standard library
    "elftools": "python3-pyelftools",
}


# --- a small reader of bitbake assignments (enough for this layer's style) ---

def logical_lines(path: Path) -> list[str]:
    """Lines with backslash continuations joined, comments dropped."""
    out, cur = [], ""
    for raw in path.read_text().splitlines():
        if not cur and raw.lstrip().startswith("#"):
            continue
        if raw.endswith("\\"):
            cur += raw[:-1] + " "
            continue
        out.append(cur + raw)
        cur = ""
    return out


ASSIGN = re.compile(r'^(?P<name>[A-Za-z0-9_${}:%.-]+)\s*(?P<op>\?\?=|\?=|:=|\+=|=\+|\.=|=\.|=)\s*"(?P<value>.*)"\s*$')


def assignments(path: Path) -> list[tuple[str, str, str]]:
    return [(m["name"], m["op"], m["value"]) for line in logical_lines(path) if (m := ASSIGN.match(line))]


def value(path: Path, name: str) -> str:
    """The value of NAME after plain (=, +=, :append) assignments."""
    result = ""
    for var, op, val in assignments(path):
        if var == name:
            result = val if op in ("=", ":=", "?=", "??=") else f"{result} {val}"
        elif var in (f"{name}:append", f"{name}:prepend"):
            result = f"{result}{val}" if var.endswith("append") else f"{val}{result}"
    return " ".join(result.split())


def bpn_pv(recipe: Path) -> tuple[str, str]:
    name = recipe.stem
    return (name.split("_", 1)[0], name.split("_", 1)[1]) if "_" in name else (name, "1.0")


def expand(text: str, recipe: Path) -> str:
    bpn, pv = bpn_pv(recipe)
    return text.replace("${BPN}", bpn).replace("${PV}", pv).replace("${BP}", f"{bpn}-{pv}")


def local_files(recipe: Path) -> list[tuple[str, dict[str, str]]]:
    """SRC_URI's file:// entries: (path, parameters)."""
    entries = []
    for uri in expand(value(recipe, "SRC_URI"), recipe).split():
        if uri.startswith("file://"):
            path, *params = uri[len("file://"):].split(";")
            entries.append((path, dict(p.split("=", 1) for p in params)))
    return entries


def filespath(recipe: Path) -> list[Path]:
    """Where bitbake looks for file:// entries (without overrides)."""
    bpn, pv = bpn_pv(recipe)
    return [recipe.parent / f"{bpn}-{pv}", recipe.parent / bpn, recipe.parent / "files"]


def source_folder_files(folder: Path) -> set[str]:
    """Files of a source folder that git tracks or would track (not ignored)."""
    out = subprocess.run(["git", "-C", str(folder), "ls-files", "-co", "--exclude-standard", "--", "."],
                         capture_output=True, text=True, check=True).stdout.split()
    return {name for name in out if (folder / name).is_file()}


def find(recipe: Path, path: str) -> Path | None:
    return next((d / path for d in filespath(recipe) if (d / path).exists()), None)


def test_the_layer_has_its_recipes() -> None:
    names = {bpn_pv(r)[0] for r in RECIPES}
    assert {"sharedmem", "sharedmem-udev-rules", "python3-shmem-helper", "sharedmem-firmware",
            "sharedmem-image"} <= names
    assert {a.name for a in APPENDS} == {"linux-xlnx_%.bbappend", "device-tree.bbappend"}


@pytest.mark.parametrize("recipe", RECIPES, ids=lambda r: r.name)
def test_src_uri_files_exist_where_filespath_finds_them(recipe: Path) -> None:
    missing = [path for path, _ in local_files(recipe) if find(recipe, path) is None]
    where = [str(d.relative_to(LAYER)) for d in filespath(recipe)]
    assert not missing, f"{recipe.name}: not found in {where}: {missing}"


@pytest.mark.parametrize("recipe", [r for r in RECIPES if (r.parent / bpn_pv(r)[0]).is_dir()], ids=lambda r: r.name)
def test_every_file_of_the_source_folder_is_in_src_uri(recipe: Path) -> None:
    folder = recipe.parent / bpn_pv(recipe)[0]
    listed = {path for path, _ in local_files(recipe) if find(recipe, path) == folder / path}
    unlisted = sorted(source_folder_files(folder) - listed)
    assert not unlisted, (f"{recipe.name} does not fetch these files of {folder.relative_to(LAYER)}/; add to SRC_URI:\n"
                          + "\n".join(f"    file://{f};subdir=${{BP}} \\" for f in unlisted))


@pytest.mark.parametrize("recipe", [r for r in RECIPES if (r.parent / bpn_pv(r)[0]).is_dir()], ids=lambda r: r.name)
def test_sources_are_unpacked_into_s(recipe: Path) -> None:
    """Every entry lands in ${S} (subdir=${BP}), keeping its relative path."""
    assert value(recipe, "S") == "${WORKDIR}/${BP}"
    bpn, pv = bpn_pv(recipe)
    assert all(params.get("subdir") == f"{bpn}-{pv}" for _, params in local_files(recipe))


@pytest.mark.parametrize("append", APPENDS, ids=lambda a: a.name)
def test_bbappend_files_exist(append: Path) -> None:
    """The bbappends add files/ entries by name (in python, per machine)."""
    text = append.read_text()
    names = re.findall(r"file://([\w.-]+)", text) + re.findall(r'" (sharedmem-[\w.-]+\.dtsi)"', text)
    assert names, f"{append.name} adds no file"
    for name in names:
        assert (append.parent / "files" / name).is_file(), f"{append.name}: files/{name} is missing"


def lic_md5(path: Path, begin: str | None, end: str | None) -> str:
    """As license.bbclass computes it: the selected lines, with their newlines."""
    lines = path.read_bytes().splitlines(keepends=True)
    b = max(0, int(begin) - 1) if begin else None
    e = max(0, int(end)) if end else None
    return hashlib.md5(b"".join(lines[b:e])).hexdigest()


@pytest.mark.parametrize("recipe", [r for r in RECIPES if value(r, "LIC_FILES_CHKSUM")], ids=lambda r: r.name)
def test_lic_files_chksum_matches(recipe: Path) -> None:
    for uri in value(recipe, "LIC_FILES_CHKSUM").split():
        path, *params = uri[len("file://"):].split(";")
        p = dict(x.split("=", 1) for x in params)
        assert not path.startswith("${"), f"{recipe.name}: license file {path} should come from the sources"
        src = recipe.parent / bpn_pv(recipe)[0] / path
        assert src.is_file()
        assert lic_md5(src, p.get("beginline"), p.get("endline")) == p["md5"], f"{recipe.name}: {path} changed"
        assert "SPDX-License-Identifier:" in "".join(src.read_text().splitlines(keepends=True)[
            int(p.get("beginline", 1)) - 1:int(p.get("endline", 10**6))])


# --- versions ---

def recipe(bpn: str) -> Path:
    return next(r for r in VERSIONED if bpn_pv(r)[0] == bpn)


def module_version() -> str:
    folder = recipe("sharedmem").parent / "sharedmem"
    found = {m for c in folder.glob("*.c") for m in re.findall(r'MODULE_VERSION\("([^"]+)"\)', c.read_text())}
    assert len(found) == 1, f"MODULE_VERSION in the module: {found}"
    return str(found.pop())


def test_module_recipe_version_is_module_version() -> None:
    assert bpn_pv(recipe("sharedmem"))[1] == module_version()


def test_udev_rules_recipe_version_is_module_version() -> None:
    """The rules belong to the module's device nodes: same version."""
    assert bpn_pv(recipe("sharedmem-udev-rules"))[1] == module_version()


def test_python_recipe_version_is_the_package_version() -> None:
    """One version: shmem_helper.__version__, which pyproject.toml reads and the recipe's name repeats."""
    r = recipe("python3-shmem-helper")
    source = r.parent / "python3-shmem-helper"
    pyproject = tomllib.loads((source / "pyproject.toml").read_text())
    assert "version" not in pyproject["project"] and "version" in pyproject["project"]["dynamic"]
    assert pyproject["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "shmem_helper.__version__"}
    versions = [node.value.value for node in ast.parse((source / "shmem_helper" / "__init__.py").read_text()).body
                if isinstance(node, ast.Assign) and [getattr(t, "id", None) for t in node.targets] == ["__version__"]
                and isinstance(node.value, ast.Constant)]
    assert versions == [bpn_pv(r)[1]]


def test_firmware_recipe_version_is_payload_version() -> None:
    r = recipe("sharedmem-firmware")
    header = (r.parent / "sharedmem-firmware" / "src" / "version.h").read_text()
    parts = [re.search(rf"#define\s+SHAREDMEM_FW_VERSION_{p}\s+(\d+)", header) for p in ("MAJOR", "MINOR", "PATCH")]
    assert all(parts), "src/version.h lacks SHAREDMEM_FW_VERSION_MAJOR/MINOR/PATCH"
    assert bpn_pv(r)[1] == ".".join(m[1] for m in parts if m)


# --- python3-shmem-helper's run-time dependencies ---

def imported_modules(package: Path) -> set[str]:
    """Top-level modules that the package's code imports (absolute imports)."""
    own = {p.name for p in package.iterdir() if (p / "__init__.py").exists()} | {p.stem for p in package.glob("*.py")}
    found = set()
    for source in package.rglob("*.py"):
        if "tests" in source.relative_to(package).parts:
            continue
        for node in ast.walk(ast.parse(source.read_text(), str(source))):
            if isinstance(node, ast.Import):
                found |= {a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                found.add(node.module.split(".")[0])
    return found - own - {"__future__"}


def test_python_rdepends() -> None:
    r = recipe("python3-shmem-helper")
    modules = imported_modules(r.parent / "python3-shmem-helper")
    assert "os" in modules  # the parser sees the package's imports
    unknown = sorted(m for m in modules if m not in PYTHON3_PACKAGES)
    assert not unknown, f"modules without a known OE package (see PYTHON3_PACKAGES): {unknown}"
    expected = sorted({PYTHON3_PACKAGES[m] for m in modules})
    actual = sorted(value(r, "RDEPENDS:${PN}").split())
    assert actual == expected, f"RDEPENDS:${{PN}} should be: {' '.join(expected)}"


def test_python_modules_are_the_standard_library_or_known() -> None:
    """A third-party import on the target needs its package in the table."""
    stdlib = sys.stdlib_module_names
    third_party = {m for m, pkg in PYTHON3_PACKAGES.items() if m not in stdlib}
    assert third_party == {"elftools"}


def test_python_recipe_uses_the_build_backend_of_pyproject() -> None:
    r = recipe("python3-shmem-helper")
    backend = tomllib.loads((r.parent / "python3-shmem-helper" / "pyproject.toml").read_text())[
        "build-system"]["build-backend"]
    classes = {"setuptools.build_meta": "python_setuptools_build_meta", "flit_core.buildapi": "python_flit_core",
               "hatchling.build": "python_hatchling", "poetry.core.masonry.api": "python_poetry_core"}
    assert f"inherit {classes[backend]}" in r.read_text()


# --- the module recipe ---

def test_module_options_exist_in_the_module() -> None:
    r = recipe("sharedmem")
    options = value(r, "SHAREDMEM_MODULE_OPTIONS").split()
    assert options
    params = set()
    for c in (r.parent / "sharedmem").glob("*.c"):
        text = c.read_text()
        params |= set(re.findall(r"module_param\(\s*(\w+)", text))
        params |= set(re.findall(r"module_param_named\(\s*(\w+)", text))
    assert {o.split("=", 1)[0] for o in options} <= params, f"module parameters: {sorted(params)}"
    assert "options sharedmem ${SHAREDMEM_MODULE_OPTIONS}" in r.read_text()


def test_module_recipe_autoloads_and_installs_the_uapi_headers() -> None:
    r = recipe("sharedmem")
    text = r.read_text()
    assert "inherit module" in text
    assert value(r, "KERNEL_MODULE_AUTOLOAD").split() == ["sharedmem"]
    assert value(r, "KERNEL_MODULE_PROBECONF").split() == ["sharedmem"]
    headers = sorted(p.name for p in (r.parent / "sharedmem/include/uapi/misc").glob("*.h"))
    assert headers
    for h in headers:
        assert f"${{S}}/include/uapi/misc/{h} ${{D}}${{includedir}}/misc/" in text, f"{h} is not installed"


def test_module_makefile_has_the_module_class_contract() -> None:
    makefile = (recipe("sharedmem").parent / "sharedmem" / "Makefile").read_text()
    assert "KERNEL_SRC" in makefile
    assert re.search(r"^[\w ]*modules_install[\w ]*:", makefile, re.M)


def test_firmware_makefile_has_what_the_recipe_calls() -> None:
    r = recipe("sharedmem-firmware")
    makefile = (r.parent / "sharedmem-firmware" / "Makefile").read_text()
    assert re.search(r"^install:", makefile, re.M)
    for var in re.findall(r"^\s+(\w+)=", value(r, "EXTRA_OEMAKE").replace(" ", "\n  "), re.M):
        assert re.search(rf"\b{var}\b", makefile), f"the Makefile does not use {var}"
    assert "sharedmem-cpu1.elf" in value(r, "FILES:${PN}")
