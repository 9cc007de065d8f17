"""TMF681 Communication Message: send, list with filters, get and state, each body checked against
the official TMF681 v4.0.0 swagger (tests/tmf_specs); rights, region scope and PII masking."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from manyi.notify.models import NotifyMessage
from tests.api.tmf_schema import assert_conforms
from tests.fixtures.api import Api

SPEC = "TMF681-Communication-v4.0.0.swagger.json"
URL = "/tmf-api/communicationManagement/v4/communicationMessage"


def _create(**extra: object) -> dict[str, object]:
    body: dict[str, object] = {
        "content": "【满意客服】您的宽带将于今晚23:00至次日02:00升级维护，届时可能短暂中断。",
        "messageType": "SMS",
        "receiver": [{"phoneNumber": "13812345678"}],
        "sender": {"name": "满意客服"},
        "priority": "0",
    }
    body.update(extra)
    assert_conforms(SPEC, "CommunicationMessage_Create", body)
    return body


def test_send_list_get_conform_to_the_official_spec(api: Api) -> None:
    system = api.api_key()
    sent = api.client.post(URL, json=_create(), headers=system)
    assert sent.status_code == 201, sent.text
    doc = sent.json()
    assert_conforms(SPEC, "CommunicationMessage", doc)
    assert sent.headers["Location"] == f"{URL}/{doc['id']}"
    assert doc["state"] == "initial" and doc["receiver"][0]["phoneNumber"] == "8613812345678"
    by_customer = api.client.post(
        URL, json=_create(receiver=[{"id": "C0001"}], content="第二条", priority="1"), headers=system
    )
    assert by_customer.status_code == 201
    assert by_customer.json()["receiver"][0]["id"] == "C0001"
    # the worker's progress shows as the state
    message = api.session.get(NotifyMessage, int(doc["id"]))
    assert message is not None
    message.status, message.submitted_at = "delivered", datetime.now(UTC) - timedelta(seconds=5)
    message.delivered_at, message.available_at = datetime.now(UTC), None
    api.session.commit()
    one = api.client.get(f"{URL}/{doc['id']}", headers=system).json()
    assert_conforms(SPEC, "CommunicationMessage", one)
    assert one["state"] == "completed" and "sendTimeComplete" in one
    listed = api.client.get(URL, params={"state": "completed"}, headers=system)
    assert listed.headers["X-Total-Count"] == "1" and [m["id"] for m in listed.json()] == [doc["id"]]
    for item in api.client.get(URL, headers=system).json():
        assert_conforms(SPEC, "CommunicationMessage", item)
    assert (
        api.client.get(URL, params={"receiver.id": "C0001"}, headers=system).headers["X-Total-Count"] == "1"
    )
    few = api.client.get(URL, params={"fields": "state"}, headers=system).json()[0]
    assert set(few) == {"id", "href", "@type", "state"}
    assert api.client.get(f"{URL}/999999", headers=system).status_code == 404


def test_bad_input_is_refused_naming_the_field_and_changes_nothing(api: Api) -> None:
    system = api.api_key()
    for body, field in [
        ({**_create(), "messageType": "Email"}, "messageType"),
        ({**_create(), "receiver": [{"id": "C9999"}]}, "receiver.id"),
        ({**_create(), "receiver": [{"phoneNumber": "abc"}]}, "address"),
        ({k: v for k, v in _create().items() if k != "content"}, "content"),
    ]:
        answer = api.client.post(URL, json=body, headers=system)
        assert answer.status_code in (400, 422), answer.text
        assert field in answer.text
    assert api.session.query(NotifyMessage).count() == 0


def test_rights_and_masking(api: Api) -> None:
    system = api.api_key()
    api.client.post(URL, json=_create(receiver=[{"id": "C0001"}]), headers=system)
    assert api.client.post(URL, json=_create(), headers=api.headers("agent")).status_code == 403
    assert api.client.get(URL, headers=api.headers("technician")).status_code == 403
    audited = api.client.get(URL, headers=api.headers("auditor")).json()
    assert audited[0]["receiver"][0]["phoneNumber"] == "861****5678"  # no pii:read: masked
    assert (
        api.client.get(URL, headers=api.headers("agent")).json()[0]["receiver"][0]["phoneNumber"]
        == "8613812345678"
    )
    # a supervisor of another city sees none of this customer's messages, and may not text a bare number
    ningbo = api.headers("supervisor", regions=("330200",))
    assert api.client.get(URL, headers=ningbo).json() == []
    refused = api.client.post(URL, json=_create(), headers=ningbo)
    assert refused.status_code == 400 and "receiver.id" in refused.text
