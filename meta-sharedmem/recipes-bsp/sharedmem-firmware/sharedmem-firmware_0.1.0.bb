# SPDX-License-Identifier: MIT
SUMMARY = "sharedmem CPU1 payload: the bare-metal end of the channel"
DESCRIPTION = "Freestanding program for CPU1 of a Zynq-7000, linked into \
the device tree's cpu1-firmware region. The sharedmem module loads it from \
/lib/firmware through remoteproc."
LICENSE = "GPL-2.0-only"
LIC_FILES_CHKSUM = "file://${COMMON_LICENSE_DIR}/GPL-2.0-only;md5=801f80980d171dd6425610833a22dbe6"

SRC_URI = "\
    @SRCFILES@
"

S = "${WORKDIR}/${BP}"

# Freestanding code: no C library, no Linux ABI. As meta-arm's
# scp-firmware does, drop the default dependencies (libc, compiler
# runtime) and name the one tool needed: the target's own cross compiler,
# which emits Cortex-A9 code as well for CPU1 as for CPU0.
INHIBIT_DEFAULT_DEPS = "1"
DEPENDS = "virtual/${TARGET_PREFIX}gcc"

# Built for the Zynq-7000 only: its address and its boot protocol are
# those of that SoC (SOC_FAMILY "zynq" in meta-xilinx's machines).
COMPATIBLE_MACHINE = "^$"
COMPATIBLE_MACHINE:zynq = ".*"
PACKAGE_ARCH = "${MACHINE_ARCH}"

# The Makefile takes CC and CROSS_COMPILE from its caller and sets its own
# freestanding flags; OE's flags for Linux programs (stack protector,
# FORTIFY_SOURCE, --hash-style...) have no meaning without a C library.
CFLAGS[unexport] = "1"
CPPFLAGS[unexport] = "1"
LDFLAGS[unexport] = "1"
EXTRA_OEMAKE = "CROSS_COMPILE=${TARGET_PREFIX} CC='${TARGET_PREFIX}gcc'"

do_compile() {
    oe_runmake
}

do_install() {
    oe_runmake install DESTDIR=${D}
}

FILES:${PN} = "${nonarch_base_libdir}/firmware/sharedmem-cpu1.elf"
# A bare-metal ELF for another core: nothing to strip or split for Linux.
INHIBIT_PACKAGE_STRIP = "1"
INHIBIT_PACKAGE_DEBUG_SPLIT = "1"
INHIBIT_SYSROOT_STRIP = "1"
