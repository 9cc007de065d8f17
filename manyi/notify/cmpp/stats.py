"""Counters of one client, for tests, logs and metrics."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class ClientStats:
    submits_sent: int = 0
    submits_answered: int = 0
    throttled: int = 0  # SUBMIT_RESP Result 8
    reconnects: int = 0
    active_tests_sent: int = 0
    active_tests_answered: int = 0
    gateway_active_tests: int = 0  # the gateway's ACTIVE_TESTs we answered
    receipts: int = 0  # status reports a callback accepted
    inbound: int = 0  # replies (whole, however many segments) a callback accepted
    callback_failures: int = 0  # DELIVERs left unanswered because their callback raised
    peak_in_flight: int = 0
