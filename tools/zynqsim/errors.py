# SPDX-License-Identifier: MIT
"""Errors that the user can act on: printed as one line, no traceback."""


class SimError(Exception):
    """Something went wrong that the message explains (what, and what to do)."""
