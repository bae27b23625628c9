# SPDX-License-Identifier: MIT
# QEMU devices of the emulated ZedBoard (configure --with-devices-arm):
# the Zynq-7000 machine (it selects its own devices), the placeholders it
# creates for the blocks QEMU does not model (its Kconfig forgets to select
# them), and the generic loader that places the images (tools/zynqsim/board.py).
# Nothing else.
CONFIG_ZYNQ=y
CONFIG_UNIMP=y
CONFIG_GENERIC_LOADER=y
