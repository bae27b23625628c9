# nooelint: oelint.var.mandatoryvar.HOMEPAGE, oelint.var.suggestedvar.BUGTRACKER, oelint.var.suggestedvar.CVE_PRODUCT, oelint.var.bbclassextend
# (No web page or bug tracker of its own yet: README.md gives the address.
# No CPE names this project's code. Firmware for CPU1 exists for the target only.)
# SPDX-License-Identifier: MIT
SUMMARY = "sharedmem CPU1 payload: the bare-metal end of the channel and of RPMsg"
DESCRIPTION = "Freestanding program for CPU1 of a Zynq-7000, linked into \
               the device tree's cpu1-firmware region. The sharedmem module \
               loads it from /lib/firmware through remoteproc."
SECTION = "firmware"
LICENSE = "GPL-2.0-only"
LIC_FILES_CHKSUM = "file://Makefile;beginline=1;endline=1;md5=829e563511c9a1d6d41f17a7a4989d6a"

# Freestanding code: no C library, no start files, no libgcc. As meta-arm's
# scp-firmware does, drop the default dependencies (libc, compiler runtime)
# and name what is needed: the target's own cross compiler (Cortex-A9 code
# fits CPU1 as well as CPU0) and the uapi header that the module recipe
# installs (sharedmem_channel.h, the channel layout both sides share).
INHIBIT_DEFAULT_DEPS = "1"
DEPENDS = "sharedmem virtual/${TARGET_PREFIX}gcc"

# The payload lives next to this recipe, in sharedmem-firmware/; the
# emulated board builds the same files with the same Makefile.
SRC_URI = "\
    file://Makefile;subdir=${BP} \
    file://README.md;subdir=${BP} \
    file://linker.ld;subdir=${BP} \
    file://src/channel.c;subdir=${BP} \
    file://src/channel.h;subdir=${BP} \
    file://src/crc32.c;subdir=${BP} \
    file://src/crc32.h;subdir=${BP} \
    file://src/faults.c;subdir=${BP} \
    file://src/faults.h;subdir=${BP} \
    file://src/gic.c;subdir=${BP} \
    file://src/gic.h;subdir=${BP} \
    file://src/main.c;subdir=${BP} \
    file://src/mem.c;subdir=${BP} \
    file://src/mmu.c;subdir=${BP} \
    file://src/mmu.h;subdir=${BP} \
    file://src/port.h;subdir=${BP} \
    file://src/port_cpu1.c;subdir=${BP} \
    file://src/ring.c;subdir=${BP} \
    file://src/ring.h;subdir=${BP} \
    file://src/rpmsg.c;subdir=${BP} \
    file://src/rpmsg.h;subdir=${BP} \
    file://src/rsc_table.c;subdir=${BP} \
    file://src/rsc_table.h;subdir=${BP} \
    file://src/services.c;subdir=${BP} \
    file://src/services.h;subdir=${BP} \
    file://src/startup.S;subdir=${BP} \
    file://src/timer.c;subdir=${BP} \
    file://src/timer.h;subdir=${BP} \
    file://src/uart.c;subdir=${BP} \
    file://src/uart.h;subdir=${BP} \
    file://src/version.h;subdir=${BP} \
    file://src/vring.c;subdir=${BP} \
    file://src/vring.h;subdir=${BP} \
    file://src/zynq.h;subdir=${BP} \
    file://test/host_cpu1.c;subdir=${BP} \
"

S = "${WORKDIR}/${BP}"

# Only the Zynq-7000 (SOC_FAMILY "zynq" in meta-xilinx's machines): the
# payload's addresses and boot protocol are that SoC's.
COMPATIBLE_MACHINE = "^$"
COMPATIBLE_MACHINE:zynq = ".*"
PACKAGE_ARCH = "${MACHINE_ARCH}"

# The Makefile takes CC from the environment (OE's target compiler) and adds
# its own freestanding flags; it ignores CFLAGS and LDFLAGS, which are made
# for Linux programs. DEBUG_PREFIX_MAP keeps build paths out of the ELF.
EXTRA_OEMAKE = "\
    UAPI_DIR=${STAGING_INCDIR}/misc \
    FIRMWARE_DIR=${nonarch_base_libdir}/firmware \
    'EXTRA_CFLAGS=${DEBUG_PREFIX_MAP}' \
"

do_compile() {
    oe_runmake all faults
}

do_install() {
    oe_runmake install install-faults DESTDIR=${D}
}

# The fault-injection build (SHMEM_MSG_FAULT) is for test images only:
# add ${PN}-faults to IMAGE_INSTALL where the on-target tests run.
PACKAGES =+ "${PN}-faults"
FILES:${PN} += "${nonarch_base_libdir}/firmware/sharedmem-cpu1.elf"
FILES:${PN}-faults += "${nonarch_base_libdir}/firmware/sharedmem-cpu1-faults.elf"
# A bare-metal ELF for the other core: remoteproc loads it as it is, with
# its symbols; nothing to strip or split as for a Linux program.
INHIBIT_PACKAGE_STRIP = "1"
INHIBIT_PACKAGE_DEBUG_SPLIT = "1"
INHIBIT_SYSROOT_STRIP = "1"
