"""The worker's open binds to the SMS gateways: one asyncio loop in a thread of its own, holding an
SmppClient or CmppClient per configured gateway, so the synchronous worker submits a window of
messages at once and gateways' receipts and replies arrive while it does other work.

Receipts and replies are written to the database by the callback before the gateway is answered
(deliver_sm_resp / DELIVER_RESP): a worker killed at any moment loses none of them; the gateway
delivers again what was not answered.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from typing import Any

from manyi.core.logging import get_logger
from manyi.notify.cmpp.client import CmppClient
from manyi.notify.gateways import Gateway
from manyi.notify.smpp import SmppClient
from manyi.notify.sms import DeliveryReceipt, InboundSms, OutgoingSms, SubmitResult

log = get_logger("manyi.notify.link")
NOT_CONNECTED = "NOT_CONNECTED"
RETRY_START_SECONDS = 5.0

# (gateway name, receipt) and (gateway name, reply): blocking database writes, run in a thread.
ReceiptStore = Callable[[str, DeliveryReceipt], None]
InboundStore = Callable[[str, InboundSms], None]


class SmsLink:
    """Open clients to every gateway; `submit` blocks the calling thread until all results are in."""

    def __init__(
        self, gateways: Sequence[Gateway], *, on_receipt: ReceiptStore, on_inbound: InboundStore
    ) -> None:
        self.gateways = list(gateways)
        self._on_receipt = on_receipt
        self._on_inbound = on_inbound
        self._clients: dict[str, Any] = {}
        self._failed_start: dict[str, float] = {}
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="sms-link", daemon=True)
        self._thread.start()

    def _run(self, coroutine: Any, timeout: float | None = None) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(timeout)

    async def _client(self, gateway: Gateway) -> Any:
        client = self._clients.get(gateway.name)
        if client is not None:
            return client
        if time.monotonic() - self._failed_start.get(gateway.name, -1e9) < RETRY_START_SECONDS:
            return None

        async def receipt(item: DeliveryReceipt) -> None:
            await asyncio.to_thread(self._on_receipt, gateway.name, item)

        async def inbound(item: InboundSms) -> None:
            await asyncio.to_thread(self._on_inbound, gateway.name, item)

        if gateway.kind == "smpp":
            client = SmppClient(gateway.config, on_receipt=receipt, on_inbound=inbound)  # type: ignore[arg-type]
        else:
            client = CmppClient(gateway.config, on_receipt=receipt, on_inbound=inbound)  # type: ignore[arg-type]
        try:
            await client.start()
        except Exception as exc:  # unreachable or refused: its messages wait and fail over
            self._failed_start[gateway.name] = time.monotonic()
            log.warning("sms_gateway_unavailable", gateway=gateway.name, error=str(exc) or type(exc).__name__)
            return None
        self._clients[gateway.name] = client
        return client

    async def _submit(self, gateway: Gateway, messages: list[OutgoingSms]) -> list[SubmitResult]:
        client = await self._client(gateway)
        if client is None:
            return [
                SubmitResult(m.message_id, accepted=False, error_code=NOT_CONNECTED, retryable=True)
                for m in messages
            ]
        results: list[SubmitResult] = await client.submit_many(messages)
        return results

    def submit(self, gateway: Gateway, messages: list[OutgoingSms]) -> list[SubmitResult]:
        """Submit through one gateway with its window; results in order."""
        if not messages:
            return []
        return self._run(self._submit(gateway, messages))

    def submit_later(
        self, batches: list[tuple[Gateway, list[OutgoingSms]]]
    ) -> Future[list[list[SubmitResult]]]:
        """Start submitting each batch through its gateway; the future gives their results in order.
        The caller records another window meanwhile (the gateways' windows stay full)."""

        async def all_batches() -> list[list[SubmitResult]]:
            return list(await asyncio.gather(*(self._submit(g, m) for g, m in batches)))

        return asyncio.run_coroutine_threadsafe(all_batches(), self._loop)

    def connect(self) -> None:
        """Bind every gateway now (the worker's start), so the first messages do not wait for it."""
        for gateway in self.gateways:
            self._run(self._client(gateway))

    def close(self) -> None:
        async def close_all() -> None:
            for client in self._clients.values():
                try:
                    await client.close()
                except Exception as exc:  # closing a dead link: nothing left to lose
                    log.warning("sms_gateway_close_failed", error=repr(exc))
            self._clients.clear()

        try:
            self._run(close_all(), timeout=30)
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=5)
