# nooelint: oelint.var.mandatoryvar.HOMEPAGE, oelint.var.suggestedvar.BUGTRACKER, oelint.var.suggestedvar.CVE_PRODUCT, oelint.var.bbclassextend
# (No web page or bug tracker of its own yet: README.md gives the address.
# No CPE names this project's code. udev rules matter on the target only.)
# SPDX-License-Identifier: MIT
SUMMARY = "udev rules for the sharedmem devices, and the sharedmem group"
DESCRIPTION = "Gives the sharedmem device nodes to the group sharedmem, so \
               that its members use shared memory and CPU1 without root."
SECTION = "base"
LICENSE = "MIT"
LIC_FILES_CHKSUM = "file://60-sharedmem.rules;beginline=1;endline=1;md5=b2dccaa94b3629a08bfb4f983cad6f89"

# The rules live next to this recipe, in sharedmem-udev-rules/; the emulated
# board installs the same file.
SRC_URI = "\
    file://60-sharedmem.rules;subdir=${BP} \
"

S = "${WORKDIR}/${BP}"

inherit allarch useradd

# A system group (its gid is chosen at build time): add users with
# `usermod -aG sharedmem USER`, or EXTRA_USERS_PARAMS in an image.
USERADD_PACKAGES = "${PN}"
GROUPADD_PARAM:${PN} = "--system sharedmem"

do_install() {
    install -d ${D}${nonarch_base_libdir}/udev/rules.d
    install -m 0644 ${S}/60-sharedmem.rules ${D}${nonarch_base_libdir}/udev/rules.d/
}

RDEPENDS:${PN} = "udev"
