"""What the simulated gateway received: every SUBMIT as it came, and the messages a handset would
show once the segments of long ones are joined (by the UDH's reference, else by Pk_total)."""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass

from manyi.notify.cmpp.constants import MsgFmt
from manyi.notify.cmpp.errors import CmppPduError
from manyi.notify.cmpp.pdu import Submit
from manyi.notify.cmpp.reassembly import Part, Reassembler
from manyi.notify.cmpp.text import decode_text, parse_udh
from manyi.notify.sms import join_segments


@dataclass(frozen=True)
class ReceivedSegment:
    """One accepted SUBMIT."""

    account: str
    gateway_id: str
    submit: Submit
    received_at: float  # the event loop's clock, for rate measurements

    @property
    def dest(self) -> str:
        return self.submit.dest_terminal_ids[0]


@dataclass(frozen=True)
class ReceivedMessage:
    """A whole message to one number, as its handset shows it."""

    account: str
    dest: str
    src_id: str
    text: str
    gateway_ids: tuple[str, ...]


class SubmitStore:
    def __init__(self) -> None:
        self.segments: list[ReceivedSegment] = []
        self.messages: list[ReceivedMessage] = []
        self._long: Reassembler[ReceivedSegment] = Reassembler()

    def check(self, submit: Submit) -> None:
        """Refuse a segment whose UDH disagrees with Pk_total/Pk_number (a structure error)."""
        if submit.tp_udhi:
            udh = parse_udh(submit.msg_content, "CMPP_SUBMIT.Msg_Content")
            if submit.pk_total > 1 and (udh.total, udh.number) != (submit.pk_total, submit.pk_number):
                raise CmppPduError(
                    "CMPP_SUBMIT.Pk_number", f"{udh.number}/{udh.total} as in the UDH", f"{submit.pk_number}"
                )
        elif not 1 <= submit.pk_number <= max(submit.pk_total, 1):
            raise CmppPduError("CMPP_SUBMIT.Pk_number", f"1..{submit.pk_total}", submit.pk_number)

    def add(self, segment: ReceivedSegment) -> list[ReceivedMessage]:
        """Keep a segment; return the messages it completes (one per destination)."""
        self.segments.append(segment)
        submit = segment.submit
        if submit.tp_udhi:
            udh = parse_udh(submit.msg_content)
            reference: Hashable = udh.reference
            total, number, payload = udh.total, udh.number, submit.msg_content[udh.size :]
        else:
            reference, total, number, payload = None, submit.pk_total, submit.pk_number, submit.msg_content
        if total <= 1:
            return self._complete([Part(1, payload, segment)])
        key = (segment.account, submit.dest_terminal_ids, submit.src_id, reference, total)
        parts = self._long.add(key, total, Part(number, payload, segment))
        return [] if parts is None else self._complete(parts)

    def _complete(self, parts: list[Part[ReceivedSegment]]) -> list[ReceivedMessage]:
        first = parts[0].token.submit
        if first.msg_fmt == MsgFmt.UCS2:
            text = join_segments([part.payload for part in parts], udh=False)
        else:
            text = decode_text(b"".join(part.payload for part in parts), first.msg_fmt)
        ids = tuple(part.token.gateway_id for part in parts)
        account = parts[0].token.account
        done = [ReceivedMessage(account, dest, first.src_id, text, ids) for dest in first.dest_terminal_ids]
        self.messages.extend(done)
        return done

    def texts_to(self, dest: str) -> list[str]:
        return [message.text for message in self.messages if message.dest == dest]
