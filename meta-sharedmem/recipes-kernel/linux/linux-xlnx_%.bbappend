# SPDX-License-Identifier: MIT
#
# What the sharedmem stack needs from the kernel (CMA, remoteproc), as a
# configuration fragment merged into the machine's own. The emulated board
# (tools/sim) merges the same file. Only for SHAREDMEM_MACHINES (layer.conf):
# another machine keeps its kernel unchanged and gets a warning.

FILESEXTRAPATHS:prepend:zynq := "${THISDIR}/files:"

# SHAREDMEM_MACHINES is a list that users may change in local.conf, so the
# choice is made here rather than by a fixed machine override.
# nooelint: oelint.task.noanonpython, oelint.vars.noncoreoverride
python () {
    machine = d.getVar("MACHINE")
    if machine in (d.getVar("SHAREDMEM_MACHINES") or "").split():
        d.appendVar("SRC_URI", " file://sharedmem.cfg")
    else:
        bb.warn("sharedmem: MACHINE %s is not in SHAREDMEM_MACHINES; %s is built without sharedmem.cfg"
                % (machine, d.getVar("PN")))
}
