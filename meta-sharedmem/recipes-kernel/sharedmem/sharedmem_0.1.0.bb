# nooelint: oelint.var.mandatoryvar.HOMEPAGE, oelint.var.suggestedvar.BUGTRACKER, oelint.var.suggestedvar.CVE_PRODUCT, oelint.var.bbclassextend
# (No web page or bug tracker of its own yet: README.md gives the address.
# No CPE names this project's code. A kernel module exists for the target only.)
# SPDX-License-Identifier: MIT
SUMMARY = "sharedmem: shared DMA memory and CPU1 control on the Zynq-7000"
DESCRIPTION = "Out-of-tree kernel module: per-open DMA buffers and named \
               persistent regions from the device tree, CPU1 through \
               remoteproc with RPMsg, doorbells both ways. Also installs its uapi \
               headers for user space."
SECTION = "kernel"
# The uapi headers are GPL-2.0-only WITH Linux-syscall-note (their SPDX
# lines); OE-Core has no text for that exception and declares its own
# linux-libc-headers GPL-2.0-only as well.
LICENSE = "GPL-2.0-only"
LIC_FILES_CHKSUM = "file://Makefile;beginline=1;endline=1;md5=829e563511c9a1d6d41f17a7a4989d6a"

# The sources live next to this recipe, in sharedmem/; the emulated board
# (tools/sim) builds the same files. Every file of that folder is listed:
# tools/tests/test_layer_recipes.py fails on a file missing here.
SRC_URI = "\
    file://ABI/sysfs-class-sharedmem;subdir=${BP} \
    file://Kbuild;subdir=${BP} \
    file://Makefile;subdir=${BP} \
    file://README.md;subdir=${BP} \
    file://include/uapi/misc/sharedmem.h;subdir=${BP} \
    file://include/uapi/misc/sharedmem_channel.h;subdir=${BP} \
    file://sharedmem-account.c;subdir=${BP} \
    file://sharedmem-buffer.c;subdir=${BP} \
    file://sharedmem-cpu1.c;subdir=${BP} \
    file://sharedmem-main.c;subdir=${BP} \
    file://sharedmem-node.c;subdir=${BP} \
    file://sharedmem-priv.h;subdir=${BP} \
    file://sharedmem-region.c;subdir=${BP} \
    file://sharedmem-reset.c;subdir=${BP} \
    file://sharedmem-rpmsg.c;subdir=${BP} \
    file://sharedmem-sysfs.c;subdir=${BP} \
    file://sharedmem-trampoline.S;subdir=${BP} \
    file://sharedmem-vring.c;subdir=${BP} \
    file://sharedmem-vring.h;subdir=${BP} \
"

S = "${WORKDIR}/${BP}"

# The Makefile follows module.bbclass's contract: KERNEL_SRC and a
# modules_install target.
inherit module

# Loaded at boot, so that the device nodes (with udev's group permissions)
# exist without a manual modprobe.
KERNEL_MODULE_AUTOLOAD += "sharedmem"

# Module parameters, written to /etc/modprobe.d/sharedmem.conf by the
# standard KERNEL_MODULE_PROBECONF mechanism. The values are the module's own
# defaults; set SHAREDMEM_MODULE_OPTIONS in local.conf to change them.
SHAREDMEM_MODULE_OPTIONS ?= "default_size=4096 max_size=16777216"
KERNEL_MODULE_PROBECONF += "sharedmem"
# module_conf_<module> is kernel-module-split.bbclass's variable for it.
# nooelint: oelint.vars.mispell.unknown
module_conf_sharedmem = "options sharedmem ${SHAREDMEM_MODULE_OPTIONS}"

# The uapi headers go where user space includes them from (<misc/...>), as
# meta-arm's arm-ffa-user does; they land in ${PN}-dev, the SDK and the
# sysroot of recipes that depend on this one (sharedmem-firmware).
do_install:append() {
    install -d ${D}${includedir}/misc
    install -m 0644 ${S}/include/uapi/misc/sharedmem.h ${D}${includedir}/misc/
    install -m 0644 ${S}/include/uapi/misc/sharedmem_channel.h ${D}${includedir}/misc/
}
