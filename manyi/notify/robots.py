"""Staff group robots: WeCom (企业微信) group robot and DingTalk (钉钉) custom robot webhooks, text or
markdown, @-mentioning staff by mobile number.

Both answer HTTP 200 with a JSON `errcode`: 0 is sent; a rate limit or a busy service is worth
another try (WeCom 45009/45011/45033/-1, DingTalk 130101/410100/-1); anything else is permanent: an
invalid or removed robot key will not heal, and an alert queued for a robot that is gone is of no
use to the new group that gets a new robot (and a new URL in the configuration). docs/channels.md.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, quote_plus, urlsplit

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

from manyi.core.clock import now
from manyi.core.errors import ValidationFailed
from manyi.notify.channel import BAD_ANSWER, INVALID, SendResult, failed, ok
from manyi.notify.transport import Answer, HttpTimeouts, check_url, make_client, post

_MOBILE = re.compile(r"^\+?[0-9]{5,20}$")
WECOM_TEXT_BYTES = 2048  # the documented limits of content, in UTF-8 bytes
WECOM_MARKDOWN_BYTES = 4096
DINGTALK_TITLE_CHARS = 64


@dataclass(frozen=True)
class RobotMessage:
    """What a robot posts to its group. `title` is DingTalk's markdown title (the notification's
    preview); unset, the first line of the text."""

    text: str
    markdown: bool = False
    title: str | None = None
    mention_mobiles: tuple[str, ...] = ()
    mention_all: bool = False

    def __post_init__(self) -> None:
        if not self.text.strip():
            raise ValidationFailed("text: a robot message needs some text", field="text")
        for mobile in self.mention_mobiles:
            if not _MOBILE.match(mobile):
                raise ValidationFailed(
                    f"mention_mobiles: expected digits with an optional +, got {mobile!r}",
                    field="mention_mobiles",
                )


class _RobotConfig(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    webhook_url: str = Field(repr=False)  # holds the robot's key: kept out of reprs and logs
    timeouts: HttpTimeouts = Field(default_factory=HttpTimeouts)
    retryable_errcodes: tuple[int, ...] = ()


def _with_query_key(url: str, key: str) -> str:
    check_url(url, field="webhook_url")
    if not parse_qs(urlsplit(url).query).get(key):
        raise ValueError(f"webhook_url: expected the robot's URL with its ?{key}=… parameter")
    return url


class WeComRobotConfig(_RobotConfig):
    """A WeCom group robot: its webhook URL, https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=…"""

    name: str = "wecom"
    retryable_errcodes: tuple[int, ...] = (-1, 45009, 45011, 45033)

    @field_validator("webhook_url")
    @classmethod
    def _url(cls, value: str) -> str:
        return _with_query_key(value, "key")


class DingTalkRobotConfig(_RobotConfig):
    """A DingTalk custom robot: its webhook URL, https://oapi.dingtalk.com/robot/send?access_token=…,
    and the SEC… secret when the robot's security setting is signing (加签)."""

    name: str = "dingtalk"
    secret: SecretStr | None = None
    retryable_errcodes: tuple[int, ...] = (-1, 130101, 410100)

    @field_validator("webhook_url")
    @classmethod
    def _url(cls, value: str) -> str:
        return _with_query_key(value, "access_token")


def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    """DingTalk's signature: base64 of HMAC-SHA256(secret, timestamp + "\\n" + secret) (not URL-encoded)."""
    mac = hmac.new(secret.encode(), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256).digest()
    return base64.b64encode(mac).decode("ascii")


class _Robot(ABC):
    def __init__(self, config: _RobotConfig) -> None:
        self._config = config
        self.name = config.name
        self._client = make_client(config.timeouts)

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> _Robot:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    @abstractmethod
    def body(self, message: RobotMessage) -> dict[str, Any]:
        """The JSON document for message; ValueError when this robot cannot carry it."""

    def url(self) -> str:
        return self._config.webhook_url

    def send(self, message: RobotMessage) -> SendResult:
        """Post message to the group; ok, or the robot's errcode mapped to retryable / permanent."""
        try:
            document = self.body(message)
        except ValueError as exc:
            return failed(INVALID, str(exc), retryable=False)
        content = json.dumps(document, ensure_ascii=False).encode()
        answer = post(self._client, self.url(), content=content, headers={"Content-Type": "application/json"})
        if isinstance(answer, SendResult):
            return answer
        return self._read(answer)

    def _read(self, answer: Answer) -> SendResult:
        document = answer.json
        if answer.server_error():
            return failed(
                f"http_{answer.status}", f"{self.name} answered HTTP {answer.status}", retryable=True
            )
        errcode = document.get("errcode") if isinstance(document, dict) else None
        if not isinstance(errcode, int) or isinstance(errcode, bool):
            code = BAD_ANSWER if 200 <= answer.status < 300 else f"http_{answer.status}"
            return failed(
                code, f"{self.name} answered HTTP {answer.status} without an errcode", retryable=False
            )
        if errcode == 0:
            return ok()
        errmsg = str(document.get("errmsg", "")) if isinstance(document, dict) else ""
        retryable = errcode in self._config.retryable_errcodes
        return failed(str(errcode), f"{self.name} errcode {errcode}: {errmsg}".strip(), retryable=retryable)


class WeComRobot(_Robot):
    """A WeCom group robot (企业微信群机器人)."""

    def __init__(self, config: WeComRobotConfig) -> None:
        super().__init__(config)
        self.config = config

    def body(self, message: RobotMessage) -> dict[str, Any]:
        size = len(message.text.encode())
        if message.markdown:
            if message.mention_mobiles or message.mention_all:
                # WeCom's markdown can @ only by user id (<@userid>), never by mobile.
                raise ValueError("mention_mobiles: a WeCom markdown message cannot @ by mobile; send text")
            if size > WECOM_MARKDOWN_BYTES:
                raise ValueError(f"text: {size} bytes, WeCom markdown takes at most {WECOM_MARKDOWN_BYTES}")
            return {"msgtype": "markdown", "markdown": {"content": message.text}}
        if size > WECOM_TEXT_BYTES:
            raise ValueError(f"text: {size} bytes, WeCom text takes at most {WECOM_TEXT_BYTES}")
        text: dict[str, Any] = {"content": message.text}
        mentions = list(message.mention_mobiles) + (["@all"] if message.mention_all else [])
        if mentions:
            text["mentioned_mobile_list"] = mentions
        return {"msgtype": "text", "text": text}


class DingTalkRobot(_Robot):
    """A DingTalk custom robot (钉钉自定义机器人), signed when a secret is configured."""

    def __init__(self, config: DingTalkRobotConfig) -> None:
        super().__init__(config)
        self.config = config

    def url(self) -> str:
        if self.config.secret is None:
            return self.config.webhook_url
        # Within an hour of DingTalk's clock, so a fresh one for every send (retries included).
        timestamp = int(now().timestamp() * 1000)
        sign = dingtalk_sign(self.config.secret.get_secret_value(), timestamp)
        return f"{self.config.webhook_url}&timestamp={timestamp}&sign={quote_plus(sign)}"

    def body(self, message: RobotMessage) -> dict[str, Any]:
        text = message.text
        # DingTalk highlights (and notifies) a mention only when the text itself names "@mobile".
        missing = [m for m in message.mention_mobiles if f"@{m}" not in text]
        if missing:
            text = text.rstrip("\n") + "\n" + " ".join(f"@{m}" for m in missing)
        at = {"atMobiles": list(message.mention_mobiles), "isAtAll": message.mention_all}
        if message.markdown:
            title = message.title or _first_line(message.text)
            return {"msgtype": "markdown", "markdown": {"title": title, "text": text}, "at": at}
        return {"msgtype": "text", "text": {"content": text}, "at": at}


def _first_line(text: str) -> str:
    line = next((ln for ln in text.splitlines() if ln.strip()), text)
    return line.lstrip("#> ").strip()[:DINGTALK_TITLE_CHARS] or "通知"
