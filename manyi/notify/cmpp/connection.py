"""A TCP stream of CMPP PDUs, for either side: frames are read whole (the header's Total_Length
says how much) and written whole, so two PDUs never interleave."""

from __future__ import annotations

import asyncio
import contextlib

from manyi.notify.cmpp.constants import HEADER_SIZE, Version
from manyi.notify.cmpp.errors import CmppLinkError
from manyi.notify.cmpp.pdu import Body, Frame, Header, decode, decode_header, encode


class Connection:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, version: Version) -> None:
        self._reader = reader
        self._writer = writer
        self.version = version  # what was agreed at login; the layouts of most PDUs depend on it
        peer = writer.get_extra_info("peername")
        self.peer = f"{peer[0]}:{peer[1]}" if isinstance(peer, tuple) else str(peer)

    async def read(self) -> tuple[Header, bytes]:
        """The next whole PDU's header and bytes. Raises CmppLinkError at the end of the stream and
        CmppPduError for a header no PDU has (after which the stream cannot be resynchronised)."""
        try:
            head = await self._reader.readexactly(HEADER_SIZE)
            header = decode_header(head)
            return header, head + await self._reader.readexactly(header.total_length - HEADER_SIZE)
        except asyncio.IncompleteReadError as exc:
            raise CmppLinkError("the peer closed the connection") from exc
        except (ConnectionError, OSError) as exc:
            raise CmppLinkError(f"connection lost: {exc}") from exc

    def decode(self, data: bytes) -> Frame:
        return decode(data, self.version)

    def send(self, body: Body, sequence_id: int) -> None:
        """Queue one PDU (encoding errors are raised before anything is written)."""
        data = encode(body, sequence_id, self.version)
        if self._writer.is_closing():
            raise CmppLinkError("the connection is closed")
        self._writer.write(data)

    async def drain(self) -> None:
        try:
            await self._writer.drain()
        except (ConnectionError, OSError) as exc:
            raise CmppLinkError(f"connection lost: {exc}") from exc

    def abort(self) -> None:
        """Drop the connection at once, without a TERMINATE (what a cut cable looks like)."""
        transport = self._writer.transport
        if not transport.is_closing():
            transport.abort()

    def close_soon(self) -> None:
        """Close once the queued bytes are written; the reader then sees the end of the stream."""
        self._writer.close()

    async def close(self) -> None:
        self._writer.close()
        with contextlib.suppress(ConnectionError, OSError):
            await self._writer.wait_closed()
