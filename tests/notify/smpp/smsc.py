"""The SMSC the SMPP tests and the benchmark talk to: smpp34's server (a maintained package whose
Rust core speaks SMPP 3.4 over TCP) in a child process, with the policy a gateway has — a message id
per submit, a delivery receipt for each submit that asked for one, customers' messages on demand —
and the faults a gateway shows: late answers, no answers, ESME_RTHROTTLED, a killed process.

The child reads one JSON command per line on stdin and answers one JSON line on stdout;
`SmscProcess` drives it from the test (blocking calls: use asyncio.to_thread inside a coroutine).

    python -m tests.notify.smpp.smsc --port 2775
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[3]


class Smsc:
    """The server and its policy; every field the tests change is set by the `set` command."""

    def __init__(self, host: str, port: int) -> None:
        import smpp34

        self.smpp34 = smpp34
        self.server = smpp34.Server(host, port, system_id="MANYI-SMSC")
        self.sessions: dict[str, Any] = {}
        self.binds: list[str] = []
        self.unbound = 0
        self.submits = 0
        self.throttled = 0
        self.outstanding = 0
        self.max_outstanding = 0
        self.records: list[dict[str, Any]] = []
        self.receipt_answers: list[int] = []
        self.held: list[tuple[Any, str, str, str, int, str]] = []
        self.prefix = f"{random.randrange(16**4):04x}"  # ids differ between runs of the process
        self.tasks: set[asyncio.Task[None]] = set()
        # policy
        self.record = True
        self.receipts = True
        self.receipt_stat = "DELIVRD"
        self.delay = 0.0  # seconds before each submit_sm_resp
        self.hold = False  # keep every submit unanswered
        self.throttle_next = 0  # answer the next N submits with ESME_RTHROTTLED

    async def serve(self) -> None:
        smpp34 = self.smpp34
        loop = asyncio.get_running_loop()
        while True:
            event = await self.server.next()
            if isinstance(event, smpp34.Esme):
                self.sessions[event.session_id] = event
                self.binds.append(event.system_id)
            elif isinstance(event, smpp34.Unbound):
                self.sessions.pop(event.session_id, None)
                self.unbound += 1
            elif isinstance(event, smpp34.SubmitSmEvent):
                self.submits += 1
                if self.throttle_next > 0:
                    self.throttle_next -= 1
                    self.throttled += 1
                    event.reject(smpp34.ESME_RTHROTTLED)
                    continue
                if event.destination_addr.startswith("000"):
                    event.reject(smpp34.ESME_RINVDSTADR)
                    continue
                message_id = f"{self.prefix}{self.submits:08x}"
                if self.record:
                    self.records.append(
                        {
                            "id": message_id,
                            "session": event.session_id,
                            "source": event.source_addr,
                            "to": event.destination_addr,
                            "esm_class": event.esm_class,
                            "data_coding": event.data_coding,
                            "registered_delivery": event.registered_delivery,
                            "payload": event.short_message.hex(),
                            "at": time.monotonic(),
                        }
                    )
                self.outstanding += 1
                self.max_outstanding = max(self.max_outstanding, self.outstanding)
                answer = (
                    event,
                    message_id,
                    event.session_id,
                    event.source_addr,
                    event.registered_delivery,
                    event.destination_addr,
                )
                if self.hold:
                    self.held.append(answer)
                elif self.delay:
                    loop.call_later(self.delay, self.answer, *answer)
                else:
                    self.answer(*answer)

    def answer(
        self, event: Any, message_id: str, session: str, source: str, registered: int, to: str
    ) -> None:
        self.outstanding -= 1
        event.accept(message_id)
        if self.receipts and registered & 1:
            self._spawn(self.send_receipt(session, message_id, source, to))

    async def send_receipt(self, session: str, message_id: str, source: str, to: str) -> None:
        smpp34 = self.smpp34
        esme = self.sessions.get(session)
        if esme is None:
            return
        stamp = datetime.now(UTC).strftime("%y%m%d%H%M")
        text = (
            f"id:{message_id} sub:001 dlvrd:{'001' if self.receipt_stat == 'DELIVRD' else '000'} "
            f"submit date:{stamp} done date:{stamp} stat:{self.receipt_stat} err:000 text:"
        )
        state = {"DELIVRD": 2, "EXPIRED": 3, "UNDELIV": 5, "REJECTD": 8}.get(self.receipt_stat, 7)
        try:
            answer = await esme.deliver_sm(
                source,
                text.encode("ascii"),
                source_addr=to,
                esm_class=0x04,
                tlvs=[
                    smpp34.Tlv(smpp34.TLV_RECEIPTED_MESSAGE_ID, message_id.encode("ascii") + b"\x00"),
                    smpp34.Tlv(smpp34.TLV_MESSAGE_STATE, bytes([state])),
                ],
            )
            self.receipt_answers.append(answer.command_status)
        except Exception:
            self.receipt_answers.append(-1)

    async def send_mo(self, sender: str, to: str, text: str, reference: int) -> list[int]:
        """A customer's message, cut and headed as a handset does, to the newest bound session."""
        from manyi.notify.sms import ucs2_segments

        esme = next((e for e in reversed(list(self.sessions.values())) if e.can_receive), None)
        if esme is None:
            return []
        payloads = ucs2_segments(text, reference)
        statuses = []
        for payload in payloads:
            answer = await esme.deliver_sm(
                to, payload, source_addr=sender, esm_class=0x40 if len(payloads) > 1 else 0, data_coding=0x08
            )
            statuses.append(answer.command_status)
        return statuses

    def release(self) -> int:
        held, self.held = self.held, []
        for answer in held:
            self.answer(*answer)
        return len(held)

    def _spawn(self, coroutine: Any) -> None:
        task = asyncio.create_task(coroutine)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def command(self, request: dict[str, Any]) -> dict[str, Any]:
        op = request.get("op")
        if op == "set":
            for name in ("record", "receipts", "receipt_stat", "delay", "hold", "throttle_next"):
                if name in request:
                    setattr(self, name, request[name])
            return {"ok": True}
        if op == "stats":
            answer = {
                "binds": self.binds,
                "sessions": len(self.sessions),
                "unbound": self.unbound,
                "submits": self.submits,
                "throttled": self.throttled,
                "outstanding": self.outstanding,
                "max_outstanding": self.max_outstanding,
                "held": len(self.held),
                "receipt_answers": self.receipt_answers,
            }
            if request.get("records"):
                answer["records"] = self.records
            return answer
        if op == "mo":
            statuses = await self.send_mo(
                request["sender"], request["to"], request["text"], request.get("reference", 7)
            )
            return {"statuses": statuses}
        if op == "release":
            return {"released": self.release()}
        if op == "unbind_all":
            for esme in list(self.sessions.values()):
                with contextlib.suppress(Exception):
                    await esme.unbind()
            return {"ok": True}
        return {"error": f"unknown op {op!r}"}


async def _main(host: str, port: int) -> None:
    smsc = Smsc(host, port)
    await smsc.server.start()
    serving = asyncio.create_task(smsc.serve())
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    print(json.dumps({"ready": True, "port": port, "pid": os.getpid()}), flush=True)
    while line := await reader.readline():
        try:
            answer = await smsc.command(json.loads(line))
        except Exception as exc:  # a bad command answers with its error, the server keeps running
            answer = {"error": repr(exc)}
        print(json.dumps(answer), flush=True)
    serving.cancel()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class SmscProcess:
    """The SMSC child process, seen from the test: start, command, stop (or kill, to drop links)."""

    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self.process: subprocess.Popen[str] | None = None
        self._lock = threading.Lock()

    def start(self, timeout: float = 20.0) -> SmscProcess:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.notify.smpp.smsc", "--port", str(self.port)],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            bufsize=1,
        )
        assert self.process.stdout is not None
        deadline = time.monotonic() + timeout
        line = ""
        while time.monotonic() < deadline and not line:
            line = self.process.stdout.readline()
            if not line and self.process.poll() is not None:
                break
        if not line.startswith('{"ready"'):
            error = (
                self.process.stderr.read() if self.process.stderr and self.process.poll() is not None else ""
            )
            self.stop()
            raise RuntimeError(f"the SMSC did not start on port {self.port}: {line or error}")
        return self

    def command(self, op: str, **fields: Any) -> dict[str, Any]:
        assert self.process is not None and self.process.stdin is not None and self.process.stdout is not None
        with self._lock:
            self.process.stdin.write(json.dumps({"op": op, **fields}) + "\n")
            self.process.stdin.flush()
            answer: dict[str, Any] = json.loads(self.process.stdout.readline())
        if "error" in answer:
            raise RuntimeError(f"SMSC {op}: {answer['error']}")
        return answer

    def kill(self) -> None:
        """Die at once, as a crashed gateway does: every link drops without an unbind."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(10)

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        assert self.process.stdin is not None
        with contextlib.suppress(OSError):
            self.process.stdin.close()
        try:
            self.process.wait(5)
        except subprocess.TimeoutExpired:
            self.kill()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=2775)
    arguments = parser.parse_args()
    asyncio.run(_main(arguments.host, arguments.port))
