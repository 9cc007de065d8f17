"""The one result every channel answers: per-recipient outcomes folded into accepted / retryable,
and SMPP/CMPP's SubmitResult seen the same way."""

from __future__ import annotations

from manyi.notify.channel import Channel, RecipientResult, combine, from_submit_result
from manyi.notify.email import Email, SmtpChannel, SmtpConfig
from manyi.notify.http_sms import HttpSmsGateway, TemplateSms
from manyi.notify.http_sms_config import HttpSmsConfig
from manyi.notify.robots import DingTalkRobot, DingTalkRobotConfig, RobotMessage, WeComRobot, WeComRobotConfig
from manyi.notify.sms import SubmitResult

OK_A = RecipientResult("a", True, "id-a")
GONE_B = RecipientResult("b", False, None, "550", "550 user unknown", False)
BUSY_C = RecipientResult("c", False, None, "451", "451 try later", True)


def test_all_accepted_is_accepted() -> None:
    result = combine([OK_A], provider_id="m-1")
    assert (result.accepted, result.retryable, result.error_code, result.provider_id) == (
        True,
        False,
        None,
        "m-1",
    )
    assert result.retry_recipients == () and result.refused_recipients == ()


def test_a_mixed_answer_names_the_permanent_refusal_and_whom_to_try_again() -> None:
    result = combine([BUSY_C, OK_A, GONE_B])
    assert not result.accepted and result.retryable  # c may still go
    assert result.error_code == "550"  # the permanent refusal is the headline
    assert result.error == "2 of 3 refused; first: 550 user unknown"
    assert result.retry_recipients == ("c",) and result.refused_recipients == ("b",)


def test_one_refusal_of_everyone_reads_as_that_refusal() -> None:
    result = combine([BUSY_C, RecipientResult("d", False, None, "451", "451 try later", True)])
    assert (result.accepted, result.retryable, result.error_code, result.error) == (
        False,
        True,
        "451",
        "451 try later",
    )


def test_no_recipients_is_invalid() -> None:
    result = combine([])
    assert (result.accepted, result.retryable, result.error_code) == (False, False, "invalid")


def test_an_smpp_submit_result_reads_like_any_other_channel() -> None:
    sent = from_submit_result(SubmitResult(7, True, ("gw-1", "gw-2")), "13800138000")
    assert sent.accepted and sent.provider_id == "gw-1,gw-2"
    assert sent.recipients == (RecipientResult("13800138000", True, "gw-1,gw-2"),)
    throttled = from_submit_result(SubmitResult(7, False, error_code="0x58", retryable=True), "13800138000")
    assert (throttled.accepted, throttled.retryable, throttled.error_code) == (False, True, "0x58")
    assert throttled.retry_recipients == ("13800138000",)


def test_every_adapter_is_a_channel() -> None:
    email: Channel[Email] = SmtpChannel(SmtpConfig(host="mail.example.cn", sender="care@example.cn"))
    sms: Channel[TemplateSms] = HttpSmsGateway(
        HttpSmsConfig(
            endpoint="https://sms.example.cn/send", access_key_id="k", access_key_secret="s", sign_name="满意"
        )
    )
    wecom: Channel[RobotMessage] = WeComRobot(
        WeComRobotConfig(webhook_url="https://qyapi.weixin.qq.com/x?key=k")
    )
    ding: Channel[RobotMessage] = DingTalkRobot(
        DingTalkRobotConfig(webhook_url="https://oapi.dingtalk.com/x?access_token=t")
    )
    assert [c.name for c in (email, sms, wecom, ding)] == ["smtp", "http-sms", "wecom", "dingtalk"]
    for channel in (email, sms, wecom, ding):
        channel.close()
