# nooelint: oelint.var.suggestedvar.BUGTRACKER, oelint.var.suggestedvar.CVE_PRODUCT
# (No bug tracker of its own yet: README.md gives the address. An image has
# no CPE of its own.)
# SPDX-License-Identifier: MIT
SUMMARY = "Console image with the sharedmem stack"
DESCRIPTION = "A small image for a Zynq-7000 board: the sharedmem module \
               (loaded at boot), its udev rules and group, the CPU1 payload, \
               its fault-injection build, shmem-helper and python3, and the \
               users that the on-target tests log in as."
SECTION = "images"
LICENSE = "MIT"

IMAGE_INSTALL = "\
    packagegroup-core-boot \
    ${CORE_IMAGE_EXTRA_INSTALL} \
    kernel-module-sharedmem \
    sharedmem-udev-rules \
    sharedmem-firmware \
    sharedmem-firmware-faults \
    python3-shmem-helper \
    python3 \
"

# root logs in on the serial console without a password, as the on-target
# tests (pytest_embedded_tests) expect of a board. For a product, remove
# these three features and set passwords.
# nooelint: oelint.var.badimagefeature.allow-empty-password, oelint.var.badimagefeature.allow-root-login, oelint.var.badimagefeature.empty-root-password
IMAGE_FEATURES += "empty-root-password allow-empty-password allow-root-login"

inherit core-image extrausers

# The accounts the on-target tests use: `amp` and `amp2` in the group
# sharedmem (which sharedmem-udev-rules creates), `outsider` not in it.
EXTRA_USERS_PARAMS = "\
    useradd -u 1000 -G sharedmem -p '' amp; \
    useradd -u 1001 -p '' outsider; \
    useradd -u 1002 -G sharedmem -p '' amp2; \
"

# Only for the machines whose device tree and kernel the layer extends
# (SHAREDMEM_MACHINES, conf/layer.conf): elsewhere bitbake refuses the image,
# saying why, instead of building one whose module finds no device. Not
# COMPATIBLE_MACHINE: that also matches MACHINEOVERRIDES, and every
# meta-xilinx Zynq-7000 board carries the `zynq-generic` override.
# nooelint: oelint.task.noanonpython
python () {
    machine = d.getVar("MACHINE")
    supported = (d.getVar("SHAREDMEM_MACHINES") or "").split()
    if machine not in supported:
        raise bb.parse.SkipRecipe("MACHINE %s is not in SHAREDMEM_MACHINES (%s): its kernel and device tree "
                                  "lack the sharedmem additions" % (machine, " ".join(supported)))
}

# The SD card: a FAT boot partition with IMAGE_BOOT_FILES (boot.bin from
# U-Boot SPL, u-boot.img, boot.scr, kernel, DTB: see kas/common.yml) and
# an ext4 root; the .bmap lets tools/flash-sd skip unused blocks.
WKS_FILE = "sharedmem-sdimage.wks"
IMAGE_FSTYPES += "wic wic.bmap"
