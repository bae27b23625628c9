# SPDX-License-Identifier: MIT
"""Mirror of the sharedmem channel layout, include/uapi/misc/sharedmem_channel.h.

The C header is the source of truth; this module repeats its constants and
the offsets of its structures for Python. tools/tests/test_channel_layout.py
compiles a program against the header and checks every name and offset here
(and that every constant of the header is mirrored here).
"""

# Control block: config line
SHMEM_CHAN_MAGIC = 0x48434D53
SHMEM_CHAN_VERSION = 1
SHMEM_CHAN_CTRL_SIZE = 4096
SHMEM_CHAN_LINE = 64
SHMEM_CHAN_RING_MIN = 256
SHMEM_CHAN_RING_ALIGN = 64
SHMEM_CHAN_NR_RINGS = 2
SHMEM_CHAN_RING_TO_CPU1 = 0
SHMEM_CHAN_RING_TO_LINUX = 1

SHMEM_CHAN_DEFAULT_TOTAL_SIZE = 0x01000000
SHMEM_CHAN_DEFAULT_RING_SIZE = 0x00040000
SHMEM_CHAN_DEFAULT_RING0_OFFSET = 0x00001000
SHMEM_CHAN_DEFAULT_RING1_OFFSET = 0x00041000
SHMEM_CHAN_DEFAULT_BULK_OFFSET = 0x00100000
SHMEM_CHAN_DEFAULT_BULK_SIZE = 0x00F00000

SHMEM_CHAN_HALT_REQUEST = 0x544C4148

# cpu1.state
SHMEM_CPU1_OFFLINE = 0
SHMEM_CPU1_BOOTING = 1
SHMEM_CPU1_READY = 2
SHMEM_CPU1_HALTING = 3
SHMEM_CPU1_HALTED = 4
SHMEM_CPU1_CRASHED = 5
SHMEM_CPU1_BROKEN = 6

# cpu1.error, host.error
SHMEM_CHAN_ERR_NONE = 0
SHMEM_CHAN_ERR_MAGIC = 1
SHMEM_CHAN_ERR_VERSION = 2
SHMEM_CHAN_ERR_TOTAL_SIZE = 3
SHMEM_CHAN_ERR_CTRL_SIZE = 4
SHMEM_CHAN_ERR_RING_OFFSET = 5
SHMEM_CHAN_ERR_RING_SIZE = 6
SHMEM_CHAN_ERR_BULK = 7
SHMEM_CHAN_ERR_OVERLAP = 8
SHMEM_CHAN_ERR_RESERVED = 9
SHMEM_CHAN_ERR_HEAD = 10
SHMEM_CHAN_ERR_TAIL = 11
SHMEM_CHAN_ERR_MSG_LEN = 12
SHMEM_CHAN_ERR_MSG_PAD = 13
SHMEM_CHAN_ERR_MSG_RESERVED = 14
SHMEM_CHAN_ERR_STATE = 15

# Messages
SHMEM_CHAN_MSG_ALIGN = 32
SHMEM_MSG_PAD = 0
SHMEM_MSG_PING = 1
SHMEM_MSG_ECHO = 2
SHMEM_MSG_CRC32 = 3
SHMEM_MSG_FILL = 4
SHMEM_MSG_STATS = 5
SHMEM_MSG_FAULT = 127
SHMEM_MSG_F_RESPONSE = 0x1
SHMEM_STATUS_OK = 0
SHMEM_STATUS_BAD_TYPE = 1
SHMEM_STATUS_BAD_LEN = 2
SHMEM_STATUS_BAD_RANGE = 3
SHMEM_STATUS_BAD_ARG = 4
SHMEM_STATUS_TOO_BIG = 5
SHMEM_FAULT_HANG = 1
SHMEM_FAULT_UNDEF = 2
SHMEM_FAULT_SILENT = 3
SHMEM_FAULT_POKE = 4
SHMEM_FAULT_RESPONSE = 5
SHMEM_FAULT_FLOOD = 6

# RPMsg (issue 13): CPU1's virtio RPMsg device, its counters over the channel
SHMEM_MSG_RPMSG_STATS = 6
SHMEM_RPMSG_OFF = 0
SHMEM_RPMSG_RUNNING = 1
SHMEM_RPMSG_STOPPED = 2
SHMEM_RPMSG_ERR_NONE = 0
SHMEM_RPMSG_ERR_TABLE = 1
SHMEM_RPMSG_ERR_AVAIL_IDX = 2
SHMEM_RPMSG_ERR_HEAD = 3
SHMEM_RPMSG_ERR_DESC_ADDR = 4
SHMEM_RPMSG_ERR_DESC_LEN = 5
SHMEM_RPMSG_ERR_DESC_FLAGS = 6
SHMEM_RPMSG_ERR_MSG_LEN = 7
SHMEM_FAULT_RPMSG_USED_IDX = 7
SHMEM_FAULT_RPMSG_USED_ID = 8
SHMEM_FAULT_RPMSG_NOT_HEAD = 9
SHMEM_FAULT_RPMSG_USED_LEN = 10
SHMEM_FAULT_RPMSG_MSG_LEN = 11
SHMEM_FAULT_RPMSG_FLOOD = 12
SHMEM_FAULT_RPMSG_SCRIBBLE = 13

STATE_NAMES = {
    SHMEM_CPU1_OFFLINE: "offline",
    SHMEM_CPU1_BOOTING: "booting",
    SHMEM_CPU1_READY: "ready",
    SHMEM_CPU1_HALTING: "halting",
    SHMEM_CPU1_HALTED: "halted",
    SHMEM_CPU1_CRASHED: "crashed",
    SHMEM_CPU1_BROKEN: "broken",
}
ERROR_NAMES = {
    SHMEM_CHAN_ERR_NONE: "none",
    SHMEM_CHAN_ERR_MAGIC: "config.magic",
    SHMEM_CHAN_ERR_VERSION: "config.version",
    SHMEM_CHAN_ERR_TOTAL_SIZE: "config.total_size",
    SHMEM_CHAN_ERR_CTRL_SIZE: "config.ctrl_size",
    SHMEM_CHAN_ERR_RING_OFFSET: "config.ring[].offset",
    SHMEM_CHAN_ERR_RING_SIZE: "config.ring[].size",
    SHMEM_CHAN_ERR_BULK: "config.bulk_offset/bulk_size",
    SHMEM_CHAN_ERR_OVERLAP: "config: overlapping areas",
    SHMEM_CHAN_ERR_RESERVED: "config.reserved",
    SHMEM_CHAN_ERR_HEAD: "ring head",
    SHMEM_CHAN_ERR_TAIL: "ring tail",
    SHMEM_CHAN_ERR_MSG_LEN: "message len",
    SHMEM_CHAN_ERR_MSG_PAD: "PAD record len",
    SHMEM_CHAN_ERR_MSG_RESERVED: "message reserved field",
    SHMEM_CHAN_ERR_STATE: "cpu1.state",
}
STATUS_NAMES = {
    SHMEM_STATUS_OK: "ok",
    SHMEM_STATUS_BAD_TYPE: "unknown message type",
    SHMEM_STATUS_BAD_LEN: "wrong payload length for the type",
    SHMEM_STATUS_BAD_RANGE: "bulk slice outside the bulk area",
    SHMEM_STATUS_BAD_ARG: "a reserved or flags field is not zero",
    SHMEM_STATUS_TOO_BIG: "response would not fit the ring",
}
TYPE_NAMES = {
    SHMEM_MSG_PAD: "PAD",
    SHMEM_MSG_PING: "PING",
    SHMEM_MSG_ECHO: "ECHO",
    SHMEM_MSG_CRC32: "CRC32",
    SHMEM_MSG_FILL: "FILL",
    SHMEM_MSG_STATS: "STATS",
    SHMEM_MSG_RPMSG_STATS: "RPMSG_STATS",
    SHMEM_MSG_FAULT: "FAULT",
}
FAULT_NAMES = {
    SHMEM_FAULT_HANG: "hang",
    SHMEM_FAULT_UNDEF: "undef",
    SHMEM_FAULT_SILENT: "silent",
    SHMEM_FAULT_POKE: "poke",
    SHMEM_FAULT_RESPONSE: "response",
    SHMEM_FAULT_FLOOD: "flood",
    SHMEM_FAULT_RPMSG_USED_IDX: "rpmsg-used-idx",
    SHMEM_FAULT_RPMSG_USED_ID: "rpmsg-used-id",
    SHMEM_FAULT_RPMSG_NOT_HEAD: "rpmsg-not-head",
    SHMEM_FAULT_RPMSG_USED_LEN: "rpmsg-used-len",
    SHMEM_FAULT_RPMSG_MSG_LEN: "rpmsg-msg-len",
    SHMEM_FAULT_RPMSG_FLOOD: "rpmsg-flood",
    SHMEM_FAULT_RPMSG_SCRIBBLE: "rpmsg-scribble",
}
RPMSG_STATE_NAMES = {
    SHMEM_RPMSG_OFF: "off",
    SHMEM_RPMSG_RUNNING: "running",
    SHMEM_RPMSG_STOPPED: "stopped",
}
RPMSG_ERROR_NAMES = {
    SHMEM_RPMSG_ERR_NONE: "none",
    SHMEM_RPMSG_ERR_TABLE: "resource table vring",
    SHMEM_RPMSG_ERR_AVAIL_IDX: "avail.idx",
    SHMEM_RPMSG_ERR_HEAD: "avail.ring head",
    SHMEM_RPMSG_ERR_DESC_ADDR: "descriptor addr",
    SHMEM_RPMSG_ERR_DESC_LEN: "descriptor len",
    SHMEM_RPMSG_ERR_DESC_FLAGS: "descriptor flags",
    SHMEM_RPMSG_ERR_MSG_LEN: "rpmsg header len",
}

# struct name -> (sizeof, {C member designator: offsetof})
STRUCTS: dict[str, tuple[int, dict[str, int]]] = {
    "shmem_chan_ring_desc": (8, {"offset": 0, "size": 4}),
    "shmem_chan_config": (64, {
        "magic": 0, "version": 4, "total_size": 8, "ctrl_size": 12,
        "ring[0].offset": 16, "ring[0].size": 20, "ring[1].offset": 24, "ring[1].size": 28,
        "bulk_offset": 32, "bulk_size": 36, "reserved": 40,
    }),
    "shmem_chan_host": (64, {
        "halt_request": 0, "reset_gen": 4, "error": 8, "error_value": 12,
        "tx_msgs": 16, "rx_msgs": 20, "doorbells": 24, "epoch": 28, "reserved": 32,
    }),
    "shmem_chan_cpu1": (64, {
        "state": 0, "error": 4, "error_value": 8, "error_ring": 12, "heartbeat": 16, "reset_ack": 20,
        "fw_version": 24, "rx_msgs": 28, "tx_msgs": 32, "bad_requests": 36, "doorbells_in": 40,
        "doorbells_out": 44, "resets": 48, "reserved": 52,
    }),
    "shmem_chan_index": (64, {"value": 0, "reserved": 4}),
    "shmem_chan_ring_indices": (128, {"head": 0, "tail": 64}),
    "shmem_chan_ctrl": (4096, {
        "config": 0, "host": 64, "cpu1": 128,
        "idx[0].head.value": 192, "idx[0].tail.value": 256,
        "idx[1].head.value": 320, "idx[1].tail.value": 384,
        "reserved": 448,
    }),
    "shmem_chan_msg": (32, {"len": 0, "type": 4, "flags": 8, "seq": 12, "status": 16, "reserved": 20}),
    "shmem_svc_ping": (32, {
        "seq": 0, "fw_version": 4, "heartbeat": 8, "rx_msgs": 12, "tx_msgs": 16, "bad_requests": 20,
        "reserved": 24,
    }),
    "shmem_svc_bulk": (16, {"offset": 0, "length": 4, "pattern": 8, "step": 12}),
    "shmem_svc_crc32": (16, {"crc": 0, "offset": 4, "length": 8, "reserved": 12}),
    "shmem_svc_stats": (64, {
        "fw_version": 0, "state": 4, "heartbeat": 8, "rx_msgs": 12, "tx_msgs": 16, "bad_requests": 20,
        "doorbells_in": 24, "doorbells_out": 28, "resets": 32, "pad_records": 36,
        "rx_bytes": 40, "tx_bytes": 48, "bulk_bytes": 56,
    }),
    "shmem_svc_fault": (16, {"kind": 0, "offset": 4, "value": 8, "count": 12}),
    "shmem_svc_rpmsg_stats": (64, {
        "state": 0, "vdev_status": 4, "rx_msgs": 8, "tx_msgs": 12, "announcements": 16, "dropped": 20,
        "errors": 24, "error": 28, "error_value": 32, "error_vring": 36, "doorbells_out": 40, "starts": 44,
        "rx_bytes": 48, "tx_bytes": 56,
    }),
}

# Offsets in the control block, for shmem_helper.channel.
_CTRL = STRUCTS["shmem_chan_ctrl"][1]
CONFIG = _CTRL["config"]
HOST = _CTRL["host"]
CPU1 = _CTRL["cpu1"]
RING_HEAD = (_CTRL["idx[0].head.value"], _CTRL["idx[1].head.value"])
RING_TAIL = (_CTRL["idx[0].tail.value"], _CTRL["idx[1].tail.value"])
MSG_HDR_SIZE = STRUCTS["shmem_chan_msg"][0]


def config_field(name: str) -> int:
    """Offset in the region of a config-line field ('magic', 'ring[1].size', ...)."""
    return CONFIG + STRUCTS["shmem_chan_config"][1][name]


def host_field(name: str) -> int:
    return HOST + STRUCTS["shmem_chan_host"][1][name]


def cpu1_field(name: str) -> int:
    return CPU1 + STRUCTS["shmem_chan_cpu1"][1][name]


def msg_max(ring_size: int) -> int:
    """Largest payload a ring of `ring_size` bytes carries (SHMEM_CHAN_MSG_MAX)."""
    return ring_size - MSG_HDR_SIZE


def msg_record(length: int) -> int:
    """Bytes a message of `length` payload bytes takes in a ring (SHMEM_CHAN_MSG_RECORD)."""
    return (MSG_HDR_SIZE + length + SHMEM_CHAN_MSG_ALIGN - 1) & ~(SHMEM_CHAN_MSG_ALIGN - 1)


def fw_version(major: int, minor: int, patch: int) -> int:
    """SHMEM_FW_VERSION()."""
    return (major << 16) | (minor << 8) | patch


def fw_version_string(code: int) -> str:
    return f"{code >> 16}.{(code >> 8) & 0xFF}.{code & 0xFF}"
