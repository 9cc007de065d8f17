"""The numbers of CMPP 2.0 / 3.0: command ids, protocol versions, message formats, and the status
and result codes with the specification's own wording (zh-CN) beside an English one."""

from __future__ import annotations

from enum import IntEnum

HEADER_SIZE = 12  # Total_Length, Command_Id, Sequence_Id: three big-endian 32-bit integers
MAX_PDU_SIZE = 8192  # a SUBMIT to 100 numbers of 32 bytes plus content stays well below this
RESPONSE_BIT = 0x80000000  # a response's Command_Id is its request's with the top bit set


class CommandId(IntEnum):
    CONNECT = 0x00000001
    CONNECT_RESP = 0x80000001
    TERMINATE = 0x00000002
    TERMINATE_RESP = 0x80000002
    SUBMIT = 0x00000004
    SUBMIT_RESP = 0x80000004
    DELIVER = 0x00000005
    DELIVER_RESP = 0x80000005
    QUERY = 0x00000006
    QUERY_RESP = 0x80000006
    CANCEL = 0x00000007
    CANCEL_RESP = 0x80000007
    ACTIVE_TEST = 0x00000008
    ACTIVE_TEST_RESP = 0x80000008


class Version(IntEnum):
    """The Version octet of CMPP_CONNECT: major version in the high nibble, minor in the low."""

    V20 = 0x20
    V30 = 0x30

    @property
    def label(self) -> str:
        return f"{self >> 4}.{self & 0x0F}"


class MsgFmt(IntEnum):
    """How Msg_Content is encoded."""

    ASCII = 0
    WRITE_CARD = 3  # SIM card write instructions
    BINARY = 4
    UCS2 = 8  # UTF-16BE without a byte-order mark: what Chinese text travels as
    GBK = 15  # the specification says "含GB汉字"; handsets send GBK, decoded as GB18030 (a superset)


# CMPP_CONNECT_RESP Status. 5 and above: "other error" (gateways use them for account limits).
CONNECT_STATUS: dict[int, tuple[str, str]] = {
    0: ("accepted", "正确"),
    1: ("message structure error", "消息结构错"),
    2: ("illegal source address (unknown SP id)", "非法源地址"),
    3: ("authentication failed (wrong shared secret or clock)", "认证错"),
    4: ("protocol version too high for the gateway", "版本太高"),
}

# CMPP_SUBMIT_RESP Result. 0..8 are CMPP 2.0's; 9..13 were added by CMPP 3.0.
SUBMIT_RESULT: dict[int, tuple[str, str]] = {
    0: ("accepted", "正确"),
    1: ("message structure error", "消息结构错"),
    2: ("command word error", "命令字错"),
    3: ("duplicate sequence number", "消息序号重复"),
    4: ("message length error", "消息长度错"),
    5: ("fee code error", "资费代码错"),
    6: ("message content too long", "超过最大信息长"),
    7: ("service code error", "业务代码错"),
    8: ("flow control exceeded", "流量控制错"),
    9: ("this gateway does not serve the charged number", "本网关不负责服务此计费号码"),
    10: ("Src_Id error", "Src_Id错误"),
    11: ("Msg_src error", "Msg_src错误"),
    12: ("Fee_terminal_Id error", "Fee_terminal_Id错误"),
    13: ("Dest_terminal_Id error", "Dest_terminal_Id错误"),
}

# CMPP_DELIVER_RESP Result (what we answer the gateway). 9 and above: other errors.
DELIVER_RESULT: dict[int, tuple[str, str]] = {
    0: ("accepted", "正确"),
    1: ("message structure error", "消息结构错"),
    2: ("command word error", "命令字错"),
    3: ("duplicate sequence number", "消息序号重复"),
    4: ("message length error", "消息长度错"),
    5: ("fee code error", "资费代码错"),
    6: ("message content too long", "超过最大信息长"),
    7: ("service code error", "业务代码错"),
    8: ("flow control exceeded", "流量控制错"),
}

OTHER_ERROR = ("other error", "其他错误")

# Stat of a status report. Gateways also send their own codes (MA:0001, MK:0012, DB:0008, ...):
# anything but DELIVRD is a failure.
REPORT_STAT: dict[str, tuple[str, str]] = {
    "DELIVRD": ("delivered to the handset", "成功送达"),
    "EXPIRED": ("validity period expired", "超过有效期"),
    "DELETED": ("deleted", "已删除"),
    "UNDELIV": ("undeliverable", "无法送达"),
    "ACCEPTD": ("accepted (read by an operator)", "已接受"),
    "UNKNOWN": ("unknown state", "未知"),
    "REJECTD": ("rejected", "被拒绝"),
}
DELIVERED = "DELIVRD"
FLOW_CONTROL = 8  # SUBMIT_RESP Result: the gateway's rate or window was exceeded; send again later


def _reason(table: dict[int, tuple[str, str]], code: int, *, zh: bool) -> str:
    english, chinese = table.get(code, OTHER_ERROR)
    return chinese if zh else english


def connect_status_reason(status: int, *, zh: bool = False) -> str:
    """Return the readable reason of a CMPP_CONNECT_RESP Status."""
    return _reason(CONNECT_STATUS, status, zh=zh)


def submit_result_reason(result: int, *, zh: bool = False) -> str:
    """Return the readable reason of a CMPP_SUBMIT_RESP Result."""
    return _reason(SUBMIT_RESULT, result, zh=zh)


def report_stat_reason(stat: str, *, zh: bool = False) -> str:
    """Return the readable meaning of a status report's Stat (the raw code when unknown)."""
    english, chinese = REPORT_STAT.get(stat, (stat, stat))
    return chinese if zh else english
