"""SMPP submit throughput: N one-segment Chinese SMS submitted by SmppClient with a window of
unanswered submit_sm to a real local SMSC (smpp34's server in a child process, as the tests use),
each answered with a message id (at once, or `--latency-ms` late, as a gateway across a network).

Peer: the same client with a window of 1, i.e. one synchronous submit at a time, measured in the
same run on `peer_n` messages (default min(N, 10,000): at one round trip per message it would
otherwise dominate the run). Target: at least 1,000 submits/s sustained with the window.

    python bench/bench_smpp_submit.py             # N = 100,000
    MANYI_BENCH_SMPP_N=20000 python bench/bench_smpp_submit.py
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import sys
import time

from common import ROOT, emit  # type: ignore[import-not-found]

from manyi.notify.smpp import SmppClient, SmppConfig
from manyi.notify.sms import OutgoingSms

sys.path.insert(0, str(ROOT))  # the SMSC lives beside the tests that use it
from tests.notify.smpp.smsc import SmscProcess  # noqa: E402


def messages(n: int, offset: int) -> list[OutgoingSms]:
    return [
        OutgoingSms(
            message_id=offset + i,
            to=f"86138{(offset + i) % 100_000_000:08d}",
            text=f"【客服】您的工单WO{offset + i:08d}已受理，维护员将在2小时内联系您。",
        )
        for i in range(n)
    ]


async def submit(port: int, window: int, batch: list[OutgoingSms]) -> float:
    config = SmppConfig(
        host="127.0.0.1",
        port=port,
        system_id="bench",
        password="bench",
        source_addr="10655",
        window=window,
        rate=0,  # unthrottled: the capacity of the client and link, not a gateway's contract
        response_timeout=30.0,
    )
    async with SmppClient(config) as client:
        started = time.perf_counter()
        results = await client.submit_many(batch)
        seconds = time.perf_counter() - started
    refused = [r for r in results if not r.accepted]
    if refused:
        raise SystemExit(f"{len(refused)} of {len(batch)} refused, first: {refused[0]}")
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=int(os.environ.get("MANYI_BENCH_SMPP_N", "100000")))
    parser.add_argument("--peer-n", type=int, default=0, help="messages for the peer (default min(N, 10000))")
    parser.add_argument("--window", type=int, default=int(os.environ.get("MANYI_BENCH_SMPP_WINDOW", "50")))
    parser.add_argument(
        "--latency-ms",
        type=float,
        default=0.0,
        help="the SMSC answers each submit this late (a remote gateway)",
    )
    arguments = parser.parse_args()
    n, window = arguments.n, arguments.window
    peer_n = arguments.peer_n or min(n, 10_000)

    smsc = SmscProcess().start()
    try:
        smsc.command("set", record=False, receipts=False, delay=arguments.latency_ms / 1000)
        seconds = asyncio.run(submit(smsc.port, window, messages(n, 0)))
        peer_seconds = asyncio.run(submit(smsc.port, 1, messages(peer_n, n)))
        received = smsc.command("stats")["submits"]
    finally:
        smsc.stop()
    if received != n + peer_n:
        raise SystemExit(f"the SMSC received {received} submits, expected {n + peer_n}")
    per_s = n / seconds
    peer_per_s = peer_n / peer_seconds
    emit(
        {
            "bench": "smpp_submit",
            "n": n,
            "window": window,
            "latency_ms": arguments.latency_ms,
            "seconds": round(seconds, 3),
            "per_s": round(per_s, 1),
            "peer": "SmppClient window=1 (one synchronous submit at a time)",
            "peer_n": peer_n,
            "peer_per_s": round(peer_per_s, 1),
            "ratio": round(per_s / peer_per_s, 2),
            "target_per_s": 1000,
            "peak_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        }
    )


if __name__ == "__main__":
    main()
