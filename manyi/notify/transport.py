"""HTTP plumbing the web channels share (SMS gateways, staff robots): URL checks, one pooled client
per configured peer, and turning a POST into either an answer or a connection failure."""

from __future__ import annotations

import ipaddress
import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx
from pydantic import BaseModel, ConfigDict, Field

from manyi.notify.channel import CONNECTION, SendResult, failed

MAX_ANSWER_BYTES = 256 * 1024  # a peer's answer beyond this is not what the API documents
USER_AGENT = "manyi-notify/1"


class HttpTimeouts(BaseModel):
    """Seconds to connect, and to send the request or read the answer (each socket operation)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    connect_seconds: float = Field(default=3.0, gt=0, le=120)
    read_seconds: float = Field(default=10.0, gt=0, le=300)

    def as_httpx(self) -> httpx.Timeout:
        return httpx.Timeout(
            connect=self.connect_seconds,
            read=self.read_seconds,
            write=self.read_seconds,
            pool=self.connect_seconds,
        )


def is_loopback(host: str) -> bool:
    """Whether host is this machine (plain HTTP is allowed there: a local relay, a test peer)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_url(url: str, *, field: str) -> str:
    """The URL if it is absolute https (or http to this machine); else ValueError naming field.
    Credentials travel in these URLs (robot keys) or beside them (signatures): never in clear."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{field}: expected an absolute https:// URL, got {url!r}")
    if parts.scheme == "http" and not is_loopback(parts.hostname):
        raise ValueError(
            f"{field}: plain http is allowed only to this machine; use https:// for {parts.hostname}"
        )
    return url


def make_client(timeouts: HttpTimeouts) -> httpx.Client:
    """A pooled client: keep-alive to the peer; redirects refused (a signed request is for one URL)."""
    return httpx.Client(
        timeout=timeouts.as_httpx(), follow_redirects=False, headers={"User-Agent": USER_AGENT}
    )


@dataclass(frozen=True)
class Answer:
    """What the peer answered: its HTTP status and the body, decoded from JSON when it is JSON."""

    status: int
    body: bytes
    json: Any  # None when the body is not JSON

    def server_error(self) -> bool:
        """A 5xx or a 429: the peer is busy or broken, not refusing this message."""
        return self.status >= 500 or self.status == 429


def post(client: httpx.Client, url: str, *, content: bytes, headers: dict[str, str]) -> Answer | SendResult:
    """POST content to url; the Answer, or a retryable failure when no answer came (refused,
    timed out, TLS failed, answer too large to be the peer's)."""
    try:
        with client.stream("POST", url, content=content, headers=headers) as response:
            body = b""
            for chunk in response.iter_bytes():
                body += chunk
                if len(body) > MAX_ANSWER_BYTES:
                    return failed(CONNECTION, f"answer larger than {MAX_ANSWER_BYTES} bytes", retryable=True)
            status = response.status_code
    except httpx.HTTPError as exc:
        # The URL may carry a robot's key: name the error's kind and the host, not the URL.
        host = urlsplit(url).hostname or "?"
        detail = _short(exc).replace(url, host)
        return failed(CONNECTION, f"{type(exc).__name__} talking to {host}: {detail}", retryable=True)
    try:
        decoded = json.loads(body) if body else None
    except ValueError:
        decoded = None
    return Answer(status=status, body=body, json=decoded)


def _short(exc: Exception) -> str:
    text = str(exc) or type(exc).__name__
    return text if len(text) <= 200 else text[:200] + "…"
