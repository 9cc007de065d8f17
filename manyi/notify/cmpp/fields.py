"""Field-by-field reading and writing of PDU bodies with the specification's exact widths.

Every read names the field it reads, so a truncated or malformed PDU is refused with an error such
as `CMPP_SUBMIT.Msg_Content: expected 134 bytes at offset 151, got 20 left` instead of an
IndexError. Octet strings are ASCII, left-aligned and padded with NUL bytes to their width.
"""

from __future__ import annotations

import struct

from manyi.notify.cmpp.errors import CmppPduError

_U32 = struct.Struct(">I")
_U64 = struct.Struct(">Q")


class Reader:
    """Reads the fields of one PDU body in order."""

    def __init__(self, data: bytes, pdu: str) -> None:
        self._data = data
        self._pos = 0
        self._pdu = pdu

    @property
    def remaining(self) -> int:
        return len(self._data) - self._pos

    def name(self, field: str) -> str:
        return f"{self._pdu}.{field}"

    def raw(self, field: str, size: int) -> bytes:
        if size > self.remaining:
            unit = "byte" if size == 1 else "bytes"
            raise CmppPduError(
                self.name(field), f"{size} {unit} at offset {self._pos}", f"{self.remaining} left"
            )
        chunk = self._data[self._pos : self._pos + size]
        self._pos += size
        return chunk

    def u8(self, field: str) -> int:
        return self.raw(field, 1)[0]

    def u32(self, field: str) -> int:
        value: int = _U32.unpack(self.raw(field, 4))[0]
        return value

    def u64(self, field: str) -> int:
        value: int = _U64.unpack(self.raw(field, 8))[0]
        return value

    def octets(self, field: str, size: int) -> str:
        """An octet string: the bytes up to the first NUL (gateways leave junk after it)."""
        chunk = self.raw(field, size).split(b"\0", 1)[0]
        try:
            return chunk.decode("ascii")
        except UnicodeDecodeError as exc:
            raise CmppPduError(self.name(field), "ASCII text", chunk.hex()) from exc

    def end(self) -> None:
        """Refuse bytes left over after the last field: the length fields disagree with the body."""
        if self.remaining:
            raise CmppPduError(self._pdu, "no bytes after the last field", f"{self.remaining} extra bytes")


class Writer:
    """Writes the fields of one PDU body in order, refusing values that do not fit their width."""

    def __init__(self, pdu: str) -> None:
        self._parts: list[bytes] = []
        self._pdu = pdu

    def name(self, field: str) -> str:
        return f"{self._pdu}.{field}"

    def raw(self, field: str, value: bytes, size: int | None = None) -> None:
        if size is not None and len(value) != size:
            raise CmppPduError(self.name(field), f"exactly {size} bytes", len(value))
        self._parts.append(value)

    def u8(self, field: str, value: int) -> None:
        if not 0 <= value <= 0xFF:
            raise CmppPduError(self.name(field), "an integer 0..255", value)
        self._parts.append(bytes((value,)))

    def u32(self, field: str, value: int) -> None:
        if not 0 <= value <= 0xFFFFFFFF:
            raise CmppPduError(self.name(field), "an unsigned 32-bit integer", value)
        self._parts.append(_U32.pack(value))

    def u64(self, field: str, value: int) -> None:
        if not 0 <= value <= 0xFFFFFFFFFFFFFFFF:
            raise CmppPduError(self.name(field), "an unsigned 64-bit integer", value)
        self._parts.append(_U64.pack(value))

    def octets(self, field: str, value: str, size: int) -> None:
        try:
            encoded = value.encode("ascii")
        except UnicodeEncodeError as exc:
            raise CmppPduError(self.name(field), "ASCII text", repr(value)) from exc
        if len(encoded) > size:
            raise CmppPduError(self.name(field), f"at most {size} characters", f"{len(encoded)} in {value!r}")
        if b"\0" in encoded:
            raise CmppPduError(self.name(field), "no NUL character (NUL pads the field)", repr(value))
        self._parts.append(encoded.ljust(size, b"\0"))

    def getvalue(self) -> bytes:
        return b"".join(self._parts)
