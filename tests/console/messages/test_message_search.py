"""Console: message search (masked without pii:read, region scope)."""

from __future__ import annotations

from datetime import UTC, datetime

from manyi.notify.messages import queue_message
from tests.fixtures.console import Console, text_of

AT = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


def test_message_search_by_phone_customer_number_masked_and_scoped(console: Console) -> None:
    customer = console.operator.customer
    queue_message(
        console.session,
        channel="sms",
        event="order.accepted",
        address="13812345678",
        text="您的工单已受理",
        at=AT,
        customer_id=customer.id,
    )
    console.session.commit()
    agent = console.user("agent")
    found = agent.get("/messages?q=138 1234 5678")
    assert found.status_code == 200
    assert (
        "您的工单已受理" in found.text and "8613812345678" in found.text and "待发送" in text_of(found.text)
    )
    auditor = console.user("auditor")
    masked = auditor.get("/messages?q=C0001")
    assert (
        "您的工单已受理" in masked.text
        and "861****5678" in masked.text
        and "8613812345678" not in masked.text
    )
    assert "不能按手机号查询" in auditor.get("/messages?q=13812345678").text
    ningbo = console.user("supervisor", regions=("330200",))
    assert "您的工单已受理" not in ningbo.get("/messages?q=13812345678").text
    assert console.user("technician").get("/messages").status_code == 403
