"""WeCom and DingTalk robots against local HTTP servers standing in for the two services: the exact
request shape, DingTalk's signature checked by code of the test's own, and errcodes mapped to
sent / retryable (rate limits) / permanent (a bad key or signature)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import socket
import time
from collections.abc import Iterator
from urllib.parse import quote_plus

import pytest
from pydantic import ValidationError

from manyi.core.errors import ValidationFailed
from manyi.notify.robots import (
    DingTalkRobot,
    DingTalkRobotConfig,
    RobotMessage,
    WeComRobot,
    WeComRobotConfig,
    dingtalk_sign,
)
from tests.notify.http_peer import Peer, Reply, Request, http_peer

WECOM_KEY = "693a91f6-7xxx-4bc4-97a0-0ec2sifa5aaa"
DING_TOKEN, DING_SECRET = "ding-token-1", "SEC0123456789abcdef+/=secret"
ALERT = "【SLA 预警】工单 GD202406010001 距超时还剩 30 分钟，请尽快处理。"


def wecom(request: Request) -> Reply:
    """The WeCom robot API: POST /cgi-bin/webhook/send?key=…; errcode 93000 for an unknown key."""
    if request.path != "/cgi-bin/webhook/send" or request.query.get("key") != WECOM_KEY:
        return Reply.of({"errcode": 93000, "errmsg": "invalid webhook url"})
    if request.headers.get("content-type") != "application/json":
        return Reply.of({"errcode": 40035, "errmsg": "invalid parameter"})
    if "FLOOD" in request.body.decode():
        return Reply.of({"errcode": 45009, "errmsg": "api freq out of limit"})
    return Reply.of({"errcode": 0, "errmsg": "ok"})


def dingtalk(request: Request) -> Reply:
    """The DingTalk robot API: POST /robot/send?access_token=…[&timestamp=…&sign=…]."""
    if request.path != "/robot/send" or request.query.get("access_token") != DING_TOKEN:
        return Reply.of({"errcode": 300001, "errmsg": "token is not exist"})
    timestamp = request.query.get("timestamp", "")
    if not timestamp.isdigit() or abs(time.time() * 1000 - int(timestamp)) > 3600_000:
        return Reply.of({"errcode": 310000, "errmsg": "sign not match, timestamp out of an hour"})
    mac = hmac.new(DING_SECRET.encode(), f"{timestamp}\n{DING_SECRET}".encode(), hashlib.sha256).digest()
    expected = base64.b64encode(mac).decode()
    if request.query.get("sign") != expected:
        return Reply.of({"errcode": 310000, "errmsg": "sign not match"})
    if "FLOOD" in request.body.decode():
        return Reply.of({"errcode": 130101, "errmsg": "send too fast, exceed 20 times per minute"})
    return Reply.of({"errcode": 0, "errmsg": "ok"})


@pytest.fixture
def wecom_peer() -> Iterator[Peer]:
    with http_peer(wecom) as peer:
        yield peer


@pytest.fixture
def ding_peer() -> Iterator[Peer]:
    with http_peer(dingtalk) as peer:
        yield peer


def wecom_robot(peer: Peer, key: str = WECOM_KEY) -> WeComRobot:
    url = f"{peer.url}/cgi-bin/webhook/send?key={key}"
    return WeComRobot(WeComRobotConfig(webhook_url=url, timeouts={"connect_seconds": 30, "read_seconds": 30}))


def ding_robot(peer: Peer, secret: str | None = DING_SECRET) -> DingTalkRobot:
    config = DingTalkRobotConfig.model_validate(
        {
            "webhook_url": f"{peer.url}/robot/send?access_token={DING_TOKEN}",
            "secret": secret,
            "timeouts": {"connect_seconds": 30, "read_seconds": 30},
        }
    )
    return DingTalkRobot(config)


def test_wecom_text_mentions_staff_by_mobile_and_everyone(wecom_peer: Peer) -> None:
    message = RobotMessage(ALERT, mention_mobiles=("13800138000", "13900139000"), mention_all=True)
    with wecom_robot(wecom_peer) as robot:
        result = robot.send(message)
    assert result.accepted and not result.retryable and result.error_code is None
    (request,) = wecom_peer.requests
    assert request.json() == {
        "msgtype": "text",
        "text": {"content": ALERT, "mentioned_mobile_list": ["13800138000", "13900139000", "@all"]},
    }


def test_wecom_markdown(wecom_peer: Peer) -> None:
    text = '### 工单超时\n> 工单：<font color="warning">GD202406010001</font>\n> 处理组：西湖装维'
    with wecom_robot(wecom_peer) as robot:
        assert robot.send(RobotMessage(text, markdown=True)).accepted
    assert wecom_peer.requests[0].json() == {"msgtype": "markdown", "markdown": {"content": text}}


def test_wecom_refuses_what_it_cannot_carry_without_calling(wecom_peer: Peer) -> None:
    with wecom_robot(wecom_peer) as robot:
        mentioned = robot.send(RobotMessage("**超时**", markdown=True, mention_mobiles=("13800138000",)))
        too_long = robot.send(RobotMessage("满" * 683))  # 2049 bytes of UTF-8
        fits = robot.send(RobotMessage("满" * 682 + "a" * 2))  # 2048 bytes
    assert (mentioned.accepted, mentioned.retryable, mentioned.error_code) == (False, False, "invalid")
    assert "cannot @ by mobile" in (mentioned.error or "")
    assert (too_long.error_code, too_long.retryable) == ("invalid", False)
    assert "2049 bytes" in (too_long.error or "")
    assert fits.accepted and len(wecom_peer.requests) == 1


def test_wecom_rate_limit_is_retryable_and_a_bad_key_permanent(wecom_peer: Peer) -> None:
    with wecom_robot(wecom_peer) as robot:
        throttled = robot.send(RobotMessage("FLOOD " + ALERT))
    with wecom_robot(wecom_peer, key="removed-robot") as robot:
        unknown = robot.send(RobotMessage(ALERT))
    assert (throttled.accepted, throttled.retryable, throttled.error_code) == (False, True, "45009")
    assert throttled.error == "wecom errcode 45009: api freq out of limit"
    assert (unknown.accepted, unknown.retryable, unknown.error_code) == (False, False, "93000")
    assert "removed-robot" not in (unknown.error or "")


def test_dingtalk_signed_text_mentions_staff(ding_peer: Peer) -> None:
    message = RobotMessage(ALERT, mention_mobiles=("13800138000",))
    before = int(time.time() * 1000)
    with ding_robot(ding_peer) as robot:
        result = robot.send(message)
    assert result.accepted, result
    (request,) = ding_peer.requests
    timestamp = int(request.query["timestamp"])
    assert before - 1000 <= timestamp <= int(time.time() * 1000) + 1000
    mac = hmac.new(DING_SECRET.encode(), f"{timestamp}\n{DING_SECRET}".encode(), hashlib.sha256).digest()
    # URL-encoded on the wire, as DingTalk's documentation has it (base64's + / = escaped).
    assert f"sign={quote_plus(base64.b64encode(mac).decode())}" in request.raw_query
    assert request.json() == {
        "msgtype": "text",
        "text": {"content": ALERT + "\n@13800138000"},  # DingTalk notifies only mobiles named in the text
        "at": {"atMobiles": ["13800138000"], "isAtAll": False},
    }


def test_dingtalk_markdown_takes_its_title_from_the_first_line(ding_peer: Peer) -> None:
    text = "### 工单超时 GD202406010001\n- 处理组：西湖装维\n- 已超时 **2 小时**\n@13800138000"
    with ding_robot(ding_peer) as robot:
        assert robot.send(RobotMessage(text, markdown=True, mention_mobiles=("13800138000",))).accepted
        assert robot.send(RobotMessage(text, markdown=True, title="超时提醒", mention_all=True)).accepted
    first, second = (r.json() for r in ding_peer.requests)
    assert first == {
        "msgtype": "markdown",
        "markdown": {"title": "工单超时 GD202406010001", "text": text},  # already names @13800138000
        "at": {"atMobiles": ["13800138000"], "isAtAll": False},
    }
    assert second["markdown"]["title"] == "超时提醒" and second["at"] == {"atMobiles": [], "isAtAll": True}


def test_dingtalk_wrong_secret_is_permanent_and_a_rate_limit_retryable(ding_peer: Peer) -> None:
    with ding_robot(ding_peer, secret="SECwrong") as robot:
        wrong = robot.send(RobotMessage(ALERT))
    with ding_robot(ding_peer) as robot:
        throttled = robot.send(RobotMessage("FLOOD"))
    assert (wrong.accepted, wrong.retryable, wrong.error_code) == (False, False, "310000")
    assert (throttled.accepted, throttled.retryable, throttled.error_code) == (False, True, "130101")


def test_dingtalk_without_a_secret_sends_no_signature() -> None:
    with (
        http_peer(lambda _r: Reply.of({"errcode": 0, "errmsg": "ok"})) as peer,
        ding_robot(peer, secret=None) as robot,
    ):
        assert robot.send(RobotMessage(ALERT)).accepted
    assert peer.requests[0].query == {"access_token": DING_TOKEN}


@pytest.mark.parametrize(
    ("reply", "code", "retryable"),
    [
        (Reply(502, b"<html>Bad Gateway</html>", "text/html"), "http_502", True),
        (Reply(429, b""), "http_429", True),
        (Reply.of({"errcode": -1, "errmsg": "系统繁忙"}), "-1", True),
        (Reply(200, b"ok", "text/plain"), "bad_answer", False),
        (Reply.of({"errmsg": "no code"}, 404), "http_404", False),
    ],
)
def test_answers_other_than_an_errcode(reply: Reply, code: str, retryable: bool) -> None:
    with http_peer(lambda _r: reply) as peer, wecom_robot(peer) as robot:
        result = robot.send(RobotMessage(ALERT))
    assert (result.accepted, result.error_code, result.retryable) == (False, code, retryable)


def test_an_unreachable_robot_is_retryable_and_its_key_stays_out_of_the_error() -> None:
    with socket.socket() as blocker:
        blocker.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{blocker.getsockname()[1]}"
        with wecom_robot(Peer(url=url)) as robot:
            result = robot.send(RobotMessage(ALERT))
    assert (result.accepted, result.retryable, result.error_code) == (False, True, "connection")
    assert WECOM_KEY not in (result.error or "")


def test_bad_messages_and_settings_are_refused_naming_the_field() -> None:
    with pytest.raises(ValidationFailed, match="text: a robot message needs some text"):
        RobotMessage("  ")
    with pytest.raises(ValidationFailed, match="mention_mobiles: expected digits") as bad:
        RobotMessage("hi", mention_mobiles=("138 0013 8000",))
    assert bad.value.field == "mention_mobiles"
    with pytest.raises(ValidationError, match=r"webhook_url: expected the robot's URL with its \?key="):
        WeComRobotConfig(webhook_url="https://qyapi.weixin.qq.com/cgi-bin/webhook/send")
    with pytest.raises(ValidationError, match="access_token"):
        DingTalkRobotConfig(webhook_url="https://oapi.dingtalk.com/robot/send?key=x")
    with pytest.raises(ValidationError, match="plain http is allowed only to this machine"):
        WeComRobotConfig(webhook_url=f"http://qyapi.weixin.qq.com/cgi-bin/webhook/send?key={WECOM_KEY}")
    config = DingTalkRobotConfig(
        webhook_url=f"https://oapi.dingtalk.com/robot/send?access_token={DING_TOKEN}",
        secret=DING_SECRET,
    )
    assert DING_TOKEN not in repr(config) and DING_SECRET not in repr(config)


def test_the_dingtalk_signature_matches_the_documented_example() -> None:
    # docs/channels.md's example, computed with openssl (HMAC-SHA256, then base64).
    assert dingtalk_sign("SECexample", 1717214400000) == "6RE6ExAcmJjYjsy/AykxblR8D853qrOl+e9Q0ODDhQ0="
