# nooelint: oelint.var.mandatoryvar.HOMEPAGE, oelint.var.suggestedvar.BUGTRACKER, oelint.var.suggestedvar.CVE_PRODUCT, oelint.var.bbclassextend
# (No web page or bug tracker of its own yet: README.md gives the address.
# No CPE names this project's code. It drives the board's device nodes: a
# native variant would have nothing to talk to.)
# SPDX-License-Identifier: MIT
SUMMARY = "shmem-helper: command line and Python API for sharedmem"
DESCRIPTION = "Regions, CPU1, the message channel and CPU1's RPMsg devices \
               of the sharedmem kernel module from Python: the shmem-helper \
               command and the shmem_helper package."
SECTION = "devel/python"
LICENSE = "MIT"
LIC_FILES_CHKSUM = "file://pyproject.toml;beginline=1;endline=1;md5=b2dccaa94b3629a08bfb4f983cad6f89"

# The package lives next to this recipe, in python3-shmem-helper/; the
# emulated board installs the same files.
SRC_URI = "\
    file://README.md;subdir=${BP} \
    file://pyproject.toml;subdir=${BP} \
    file://shmem_helper/__init__.py;subdir=${BP} \
    file://shmem_helper/bench.py;subdir=${BP} \
    file://shmem_helper/channel.py;subdir=${BP} \
    file://shmem_helper/channel_layout.py;subdir=${BP} \
    file://shmem_helper/cli.py;subdir=${BP} \
    file://shmem_helper/cpu1.py;subdir=${BP} \
    file://shmem_helper/errors.py;subdir=${BP} \
    file://shmem_helper/link.py;subdir=${BP} \
    file://shmem_helper/py.typed;subdir=${BP} \
    file://shmem_helper/region.py;subdir=${BP} \
    file://shmem_helper/rpmsg.py;subdir=${BP} \
    file://shmem_helper/uapi.py;subdir=${BP} \
"

S = "${WORKDIR}/${BP}"

# pyproject.toml names setuptools.build_meta as its build backend.
inherit python_setuptools_build_meta

# Exactly the packages of the modules that shmem_helper imports (OE-Core's
# python3 manifest); tools/tests/test_layer_recipes.py derives the list from
# the sources and fails when they differ.
RDEPENDS:${PN} = "\
    python3-core \
    python3-fcntl \
    python3-io \
    python3-json \
    python3-mmap \
    python3-statistics \
"
