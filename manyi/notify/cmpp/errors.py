"""Errors of the CMPP channel. They are ManyiErrors so a caller that shows them (the outbox's
delivery record, an admin testing a gateway account) gets one clear sentence naming the field."""

from __future__ import annotations

from manyi.core.errors import ManyiError


class CmppError(ManyiError):
    """Something went wrong talking to the SMS gateway (ISMG)."""

    status = 502  # the peer, not the caller, is at fault: a bad gateway in HTTP terms
    code = "cmpp_error"


class CmppPduError(CmppError, ValueError):
    """A PDU that cannot be encoded or decoded: the message names the field and what was expected."""

    code = "cmpp_malformed_pdu"

    def __init__(self, field: str, expected: str, got: object = None) -> None:
        detail = f"{field}: expected {expected}" + ("" if got is None else f", got {got}")
        super().__init__(detail, field=field)


class CmppAuthError(CmppError):
    """The gateway refused our CMPP_CONNECT (Status != 0), or could not prove it knows the secret."""

    code = "cmpp_auth_failed"

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message, field="shared_secret" if status == 3 else None)
        self.connect_status = status


class CmppLinkError(CmppError):
    """The TCP link to the gateway is down, was dropped, or the gateway stopped answering."""

    code = "cmpp_link_error"


class CmppConfigError(ManyiError):
    """A channel setting that cannot work (a source address longer than the protocol allows, ...)."""

    status = 422
    code = "invalid"


class CmppTimeout(CmppLinkError):
    """The gateway did not answer a request within the response timeout (the spec's T)."""

    code = "cmpp_timeout"


class CmppNotSent(CmppLinkError):
    """The request never left: the link was already down. Safe to send again, no duplicate."""

    code = "cmpp_not_sent"
