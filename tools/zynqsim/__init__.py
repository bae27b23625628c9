# SPDX-License-Identifier: MIT
"""The emulated ZedBoard: build its images, boot it in QEMU, talk to it."""
