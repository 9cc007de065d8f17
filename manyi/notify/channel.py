"""What every channel adapter answers, so the outbox treats email, HTTP SMS gateways and staff robots
alike: `channel.send(message) -> SendResult`. Pure: no I/O.

The contract (docs/channels.md):
- `send` never raises for a refusal or an unreachable peer: it returns a result. It raises only for
  a programming error; a message a channel cannot carry is a permanent refusal (`error_code`
  "invalid"), never an exception the outbox would retry forever.
- `accepted`: the provider took the message for every recipient. `provider_id`: the id the provider
  (or we, for email) gave the message, to match later receipts and bounces against.
- `retryable`: not accepted, and sending again later may succeed (a throttle, a 4xx, a connection
  error). With several recipients some may be accepted and others refused: resend to
  `retry_recipients` only, never to everyone, or the accepted ones get it twice.
- `error_code`: the provider's own code (SMTP reply code, vendor code, robot errcode) or one of
  ours: "connection" (unreachable, timeout, TLS), "http_<status>", "invalid", "bad_answer".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, TypeVar

from manyi.notify.sms import SubmitResult

# Our own codes beside the providers'.
CONNECTION = "connection"  # no answer: refused, timed out, TLS failed, dropped
INVALID = "invalid"  # the message cannot be carried by this channel as it is
BAD_ANSWER = "bad_answer"  # the provider answered something we cannot read


@dataclass(frozen=True)
class RecipientResult:
    """The outcome for one recipient (an email address, a phone number)."""

    recipient: str
    accepted: bool
    provider_id: str | None = None
    error_code: str | None = None
    error: str | None = None
    retryable: bool = False


@dataclass(frozen=True)
class SendResult:
    """The outcome of one send; `recipients` is empty for channels without per-recipient answers."""

    accepted: bool
    retryable: bool = False
    error_code: str | None = None
    error: str | None = None  # one line for logs and the outbox's last_error
    provider_id: str | None = None
    recipients: tuple[RecipientResult, ...] = ()

    @property
    def retry_recipients(self) -> tuple[str, ...]:
        """The recipients worth another try (refused, but not for good)."""
        return tuple(r.recipient for r in self.recipients if not r.accepted and r.retryable)

    @property
    def refused_recipients(self) -> tuple[str, ...]:
        """The recipients refused for good: another try would be refused again."""
        return tuple(r.recipient for r in self.recipients if not r.accepted and not r.retryable)


def ok(provider_id: str | None = None) -> SendResult:
    """Accepted, without per-recipient detail."""
    return SendResult(accepted=True, provider_id=provider_id)


def failed(error_code: str, error: str, *, retryable: bool, provider_id: str | None = None) -> SendResult:
    """Refused or unreachable as a whole, without per-recipient detail."""
    return SendResult(
        accepted=False, retryable=retryable, error_code=error_code, error=error, provider_id=provider_id
    )


def combine(
    recipients: list[RecipientResult] | tuple[RecipientResult, ...], *, provider_id: str | None = None
) -> SendResult:
    """One result from per-recipient outcomes: accepted when all are, else the first refusal's code
    (a permanent one before a retryable one), retryable when any refused recipient is."""
    recipients = tuple(recipients)
    refused = [r for r in recipients if not r.accepted]
    if not recipients:
        return failed(INVALID, "no recipients", retryable=False, provider_id=provider_id)
    if not refused:
        return SendResult(accepted=True, provider_id=provider_id, recipients=recipients)
    first = next((r for r in refused if not r.retryable), refused[0])
    if len(refused) == len(recipients) and len({r.error for r in refused}) == 1:
        error = first.error  # one refusal of the whole message
    else:
        error = f"{len(refused)} of {len(recipients)} refused; first: {first.error}"
    return SendResult(
        accepted=False,
        retryable=any(r.retryable for r in refused),
        error_code=first.error_code,
        error=error,
        provider_id=provider_id,
        recipients=recipients,
    )


def from_submit_result(result: SubmitResult, recipient: str) -> SendResult:
    """An SMPP/CMPP SubmitResult as a SendResult: provider_id is the gateway ids of its segments,
    comma-joined (the id a delivery receipt names is one of them)."""
    provider_id = ",".join(result.gateway_ids) or None
    one = RecipientResult(
        recipient=recipient,
        accepted=result.accepted,
        provider_id=provider_id,
        error_code=result.error_code,
        error=None if result.accepted else f"gateway status {result.error_code}",
        retryable=result.retryable,
    )
    return combine([one], provider_id=provider_id)


M_contra = TypeVar("M_contra", contravariant=True)


class Channel(Protocol[M_contra]):
    """A channel adapter: `name` says which configured peer it is (for logs and failover)."""

    name: str

    def send(self, message: M_contra) -> SendResult:
        """Send one message; return how it went (never raise for the peer's refusal or absence)."""
        ...

    def close(self) -> None:
        """Release pooled connections."""
        ...
