# SPDX-License-Identifier: MIT
#
# Adds files/sharedmem-zynq7000.dtsi (reserved memory for CPU1's firmware and
# the shared channel, the sharedmem node, maxcpus=1) to the device tree that
# meta-xilinx's device-tree recipe builds from CONFIG_DTFILE (system.dtb).
# The emulated board (tools/sim) includes the same file.
#
# Only for SHAREDMEM_MACHINES (layer.conf): another machine keeps its device
# tree unchanged and gets a warning.
#
# CONFIG_DTFILE (set in local.conf, see kas/) may be:
# - one of boards/<board>.dts: these include the kernel's own board .dts, so
#   the kernel's dts folders become include paths (KERNEL_INCLUDE);
# - a PetaLinux project's system-top.dts, which needs no kernel includes.

FILESEXTRAPATHS:prepend:zynq := "${THISDIR}/files:"

SHAREDMEM_DT_KERNEL_INCLUDE:zynq = "\
    ${STAGING_KERNEL_DIR}/arch/${ARCH}/boot/dts \
    ${STAGING_KERNEL_DIR}/arch/${ARCH}/boot/dts/* \
    ${STAGING_KERNEL_DIR}/scripts/dtc/include-prefixes \
"

# SHAREDMEM_MACHINES is a list that users may change in local.conf, so the
# choice is made here rather than by a fixed machine override.
# nooelint: oelint.task.noanonpython, oelint.vars.noncoreoverride
python () {
    machine = d.getVar("MACHINE")
    if machine not in (d.getVar("SHAREDMEM_MACHINES") or "").split():
        bb.warn("sharedmem: MACHINE %s is not in SHAREDMEM_MACHINES; its device tree is built without "
                "sharedmem-zynq7000.dtsi" % machine)
        return
    # meta-xilinx's recipe appends an /include/ of each of these to the dts.
    d.appendVar("EXTRA_DT_INCLUDE_FILES", " sharedmem-zynq7000.dtsi")
    dtfile = d.getVar("CONFIG_DTFILE") or ""
    if os.path.dirname(dtfile) == d.getVar("SHAREDMEM_BOARD_DTS_DIR"):
        d.setVar("KERNEL_INCLUDE", d.getVar("SHAREDMEM_DT_KERNEL_INCLUDE"))
        # devicetree.bbclass adds this dependency when KERNEL_INCLUDE is set
        # at parse time; here it is set afterwards, so add it as well.
        d.appendVarFlag("do_compile", "depends", " virtual/kernel:do_configure")
}
