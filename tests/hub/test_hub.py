"""The TMF688-pattern event hub: subscriptions over HTTP, query filters, the outbox rows emit writes,
and webhook delivery to a real HTTP listener that dies mid-delivery (on SQLite and PostgreSQL)."""

from __future__ import annotations

import json
import threading
import time
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from manyi.core.errors import NotFound, ValidationFailed
from manyi.customers import service as customers
from manyi.hub import service as hub
from manyi.hub.models import HubSubscription
from manyi.hub.rules import Condition, check_callback, listener_name, matches, parse_query
from manyi.hub.wiring import install_hooks
from manyi.org.service import create_user
from manyi.outbox.models import OutboxMessage
from manyi.outbox.service import deliver_due
from tests.fixtures import api as api_conftest
from tests.fixtures.api import Api
from tests.fixtures.operator import Operator
from tests.orders.tmf.test_tickets import new_ticket

TICKET_HUB = "/tmf-api/troubleTicket/v4/hub"
CUSTOMER_HUB = "/tmf-api/customerManagement/v4/hub"
T0 = datetime(2026, 11, 2, 2, 0, tzinfo=UTC)
api = api_conftest.api  # the app over the test engine, with users of every role (tests/api)


# --- the listener: a real HTTP server in this process ------------------------------------------


class Listener:
    """An HTTP listener that records every event POSTed to it, and can die like a crashed process."""

    def __init__(self) -> None:
        self.port = 0
        self.received: list[tuple[str, dict[str, Any]]] = []  # (path, body), every request, repeats too
        self.lock = threading.Lock()
        self.status = 201
        self.delay = 0.0
        self.die_at: int | None = None  # the n-th request is recorded, then the server dies unanswered
        self.server: ThreadingHTTPServer | None = None

    def start(self) -> Listener:
        listener = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                with listener.lock:
                    listener.received.append((self.path, body))
                    dying = listener.die_at is not None and len(listener.received) == listener.die_at
                if dying:
                    # Processed, but the 2xx is never sent: the one case where a repeat is unavoidable.
                    listener.stop()
                    return
                time.sleep(listener.delay)
                self.send_response(listener.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        # Same port on restart (allow_reuse_address is set by HTTPServer), as a restarted service.
        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        ).start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()  # from now on: connection refused
            self.server = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks"

    def event_ids(self) -> list[str]:
        with self.lock:
            return [body["eventId"] for _path, body in self.received]


@pytest.fixture
def listener() -> Any:
    server = Listener().start()
    yield server
    server.stop()


def _pending(session: Session) -> list[OutboxMessage]:
    return list(
        session.scalars(
            select(OutboxMessage).where(OutboxMessage.sent_at.is_(None)).order_by(OutboxMessage.id)
        )
    )


def _ticket(number: str, **attrs: Any) -> dict[str, Any]:
    return {"id": number, "href": f"/tmf-api/troubleTicket/v4/troubleTicket/{number}", **attrs}


# --- query filter rules (pure) -------------------------------------------------------------------


def _event(event_type: str = "TroubleTicketStatusChangeEvent", **ticket: Any) -> dict[str, Any]:
    return {"eventId": "e1", "eventType": event_type, "event": {"troubleTicket": ticket}}


@pytest.mark.parametrize("query", [None, "", "   ", "?", "&"])
def test_an_empty_query_matches_every_event(query: str | None) -> None:
    assert parse_query(query) == ()
    assert matches(parse_query(query), _event())


def test_query_parses_event_types_and_dotted_attributes() -> None:
    conditions = parse_query(
        "?eventType=TroubleTicketStatusChangeEvent, TroubleTicketResolvedEvent&event.troubleTicket.severity=critical"
    )
    assert conditions == (
        Condition(
            ("eventType",), frozenset({"TroubleTicketStatusChangeEvent", "TroubleTicketResolvedEvent"})
        ),
        Condition(("event", "troubleTicket", "severity"), frozenset({"critical"})),
    )


@pytest.mark.parametrize(
    ("query", "event", "expected"),
    [
        ("eventType=TroubleTicketStatusChangeEvent", _event(), True),
        ("eventType=TroubleTicketCreateEvent", _event(), False),
        ("eventType=TroubleTicketCreateEvent,TroubleTicketStatusChangeEvent", _event(), True),
        ("event.troubleTicket.status=resolved", _event(status="resolved"), True),
        ("event.troubleTicket.status=resolved", _event(status="inProgress"), False),
        ("event.troubleTicket.status=resolved", _event(), False),  # absent attribute: no match
        (
            "event.troubleTicket.severity=critical&eventType=TroubleTicketStatusChangeEvent",
            _event(severity="critical"),
            True,
        ),
        (
            "event.troubleTicket.severity=critical&eventType=TroubleTicketCreateEvent",
            _event(severity="critical"),
            False,
        ),  # conditions are ANDed
        ("event.troubleTicket.priority=1", _event(priority=1), True),  # numbers compare as written
        ("event.troubleTicket.x=true", _event(x=True), True),
        ("event.troubleTicket.x=null", _event(x=None), True),
        (
            "event.troubleTicket.relatedParty.role=customer",
            _event(relatedParty=[{"role": "agent"}, {"role": "customer"}]),
            True,
        ),  # any list element
        ("event.troubleTicket.relatedParty.role=customer", _event(relatedParty=[{"role": "agent"}]), False),
        ("event.troubleTicket.region=330106", _event(region={"id": "330106"}), False),  # objects never equal
        ("event.troubleTicket.name=张三+86", _event(name="张三+86"), True),  # compared literally
    ],
)
def test_query_matching(query: str, event: dict[str, Any], expected: bool) -> None:
    assert matches(parse_query(query), event) is expected


@pytest.mark.parametrize(
    "query", ["eventType", "=x", "eventType=", "eventType= , ", "event..status=x", "a b=c", "x=\x00"]
)
def test_malformed_queries_are_refused_naming_query(query: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        parse_query(query)
    assert caught.value.field == "query" and caught.value.message.startswith("query:")


def test_callback_urls() -> None:
    assert check_callback(" https://crm.example.com/tmf/ ") == "https://crm.example.com/tmf"
    assert check_callback("http://10.0.0.5:8080") == "http://10.0.0.5:8080"
    for bad in [
        "",
        "crm.example.com/hook",
        "ftp://crm.example.com",
        "http://",
        "https:///path",
        "http://host:99999/x",
        "http://host/a b",
        "http://host/x?token=1",
        "http://host/x#frag",
    ]:
        with pytest.raises(ValidationFailed) as caught:
            check_callback(bad)
        assert caught.value.field == "callback" and caught.value.message.startswith("callback:"), bad


def test_listener_names_follow_the_swagger() -> None:
    assert listener_name("TroubleTicketCreateEvent") == "troubleTicketCreateEvent"
    assert listener_name("CustomerAttributeValueChangeEvent") == "customerAttributeValueChangeEvent"


# --- subscribe / unsubscribe over HTTP -----------------------------------------------------------


def test_subscribe_and_unsubscribe_over_http(api: Api) -> None:
    system = api.headers("system")
    body = {"callback": "https://crm.example.com/tmf/", "query": "eventType=TroubleTicketResolvedEvent"}
    created = api.client.post(TICKET_HUB, json=body, headers=system)
    assert created.status_code == 201, created.text
    doc = created.json()
    assert doc == {"id": doc["id"], "callback": "https://crm.example.com/tmf", "query": body["query"]}
    assert created.headers["Location"] == f"{TICKET_HUB}/{doc['id']}"
    # a retried POST finds the listener it made, so events are not delivered twice
    again = api.client.post(TICKET_HUB, json=body, headers=api.headers("admin"))
    assert again.status_code == 201 and again.json()["id"] == doc["id"]
    plain = api.client.post(CUSTOMER_HUB, json={"callback": "http://127.0.0.1:9/c"}, headers=system)
    assert plain.status_code == 201 and plain.json() == {
        "id": plain.json()["id"],
        "callback": "http://127.0.0.1:9/c",
    }
    # each API's hub manages its own listeners
    assert api.client.delete(f"{CUSTOMER_HUB}/{doc['id']}", headers=system).status_code == 404
    assert api.client.delete(f"{TICKET_HUB}/{doc['id']}", headers=system).status_code == 204
    gone = api.client.delete(f"{TICKET_HUB}/{doc['id']}", headers=system)
    assert gone.status_code == 404 and gone.json()["code"] == "not_found"
    assert api.client.delete(f"{CUSTOMER_HUB}/{plain.json()['id']}", headers=system).status_code == 204
    assert api.session.scalar(select(func.count()).select_from(HubSubscription)) == 0


def test_hub_needs_hub_manage_and_a_login(api: Api) -> None:
    body = {"callback": "https://crm.example.com/tmf"}
    for path in (TICKET_HUB, CUSTOMER_HUB):
        refused = api.client.post(path, json=body, headers=api.headers("agent"))
        assert refused.status_code == 403 and "hub:manage" in refused.json()["message"]
        assert api.client.delete(f"{path}/0123", headers=api.headers("supervisor")).status_code == 403
        assert api.client.post(path, json=body).status_code == 401


@pytest.mark.parametrize(  # the hub lives under /tmf-api/: refused values are 400 there, not 422
    ("body", "status", "field"),
    [
        ({"callback": "crm.example.com"}, 400, "callback"),
        ({"callback": "mailto:ops@example.com"}, 400, "callback"),
        ({"callback": "https://crm.example.com/x?y=1"}, 400, "callback"),
        ({}, 400, "callback"),
        ({"callback": 12}, 400, "callback"),
        ({"callback": "https://crm.example.com", "query": "eventType"}, 400, "query"),
        ({"callback": "https://crm.example.com", "query": "eventType=CustomerCreateEvent"}, 400, "query"),
    ],
)
def test_bad_subscriptions_name_the_field(api: Api, body: dict[str, Any], status: int, field: str) -> None:
    response = api.client.post(TICKET_HUB, json=body, headers=api.headers("system"))
    assert response.status_code == status, response.text
    error = response.json()
    assert error["message"].startswith(f"{field}:") and error["status"] == str(status)


def test_a_ticket_created_over_http_reaches_the_outbox_as_a_hub_event(api: Api) -> None:
    sub = api.client.post(
        TICKET_HUB, json={"callback": "http://127.0.0.1:9/crm"}, headers=api.headers("system")
    )
    ticket = new_ticket(api).json()
    message = api.session.scalars(select(OutboxMessage).where(OutboxMessage.channel == "webhook")).one()
    body = message.payload["body"]
    assert message.payload["url"] == "http://127.0.0.1:9/crm/listener/troubleTicketCreateEvent"
    assert body["eventType"] == message.topic == "TroubleTicketCreateEvent"
    assert body["event"]["troubleTicket"]["id"] == ticket["id"]
    assert message.ordering_key == f"hub:{sub.json()['id']}:ticket:{ticket['id']}"


# --- emit: one outbox message per matching listener ---------------------------------------------


def test_emit_writes_one_message_per_matching_subscription(session: Session, operator: Operator) -> None:
    everything = hub.subscribe(
        session, api="troubleTicket", callback="https://a.example/tmf", query=None, actor_id=None
    )
    critical = hub.subscribe(
        session,
        api="troubleTicket",
        callback="https://b.example",
        query="event.troubleTicket.severity=critical",
        actor_id=None,
    )
    resolved = hub.subscribe(
        session,
        api="troubleTicket",
        callback="https://c.example",
        query="eventType=TroubleTicketResolvedEvent",
        actor_id=None,
    )
    hub.subscribe(session, api="customer", callback="https://d.example", query=None, actor_id=None)
    ticket = _ticket("GD20261102000001", severity="critical", status="inProgress")

    written = hub.emit(
        session,
        api="troubleTicket",
        event_type="TroubleTicketStatusChangeEvent",
        resource=ticket,
        ordering_key="ticket:GD20261102000001",
        at=T0,
    )
    session.flush()
    messages = list(session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))
    assert written == len(messages) == 2
    assert [m.payload["url"] for m in messages] == [
        "https://a.example/tmf/listener/troubleTicketStatusChangeEvent",
        "https://b.example/listener/troubleTicketStatusChangeEvent",
    ]
    first, second = (m.payload["body"] for m in messages)
    assert first == second  # one event, one eventId, to every listener
    assert first == {
        "eventId": first["eventId"],
        "eventTime": "2026-11-02T02:00:00.000Z",
        "eventType": "TroubleTicketStatusChangeEvent",
        "event": {"troubleTicket": ticket},
    }
    assert [m.dedupe_key for m in messages] == [
        f"hub:{everything.id}:{first['eventId']}",
        f"hub:{critical.id}:{first['eventId']}",
    ]
    assert [m.ordering_key for m in messages] == [
        f"hub:{everything.id}:ticket:GD20261102000001",
        f"hub:{critical.id}:ticket:GD20261102000001",
    ]
    assert all(m.channel == "webhook" and m.topic == "TroubleTicketStatusChangeEvent" for m in messages)
    assert all(m.available_at == T0 and m.attempts == 0 for m in messages)

    assert (
        hub.emit(
            session,
            api="troubleTicket",
            event_type="TroubleTicketResolvedEvent",
            resource=_ticket("GD20261102000001", severity="minor"),
            ordering_key="ticket:GD20261102000001",
        )
        == 2
    )  # everything + resolved
    session.flush()
    urls = session.scalars(select(OutboxMessage.payload).order_by(OutboxMessage.id)).all()
    assert urls[-1]["url"] == "https://c.example/listener/troubleTicketResolvedEvent"
    assert resolved.id
    with pytest.raises(ValueError, match="not a troubleTicket event"):
        hub.emit(
            session, api="troubleTicket", event_type="CustomerCreateEvent", resource={}, ordering_key="x"
        )


def test_emit_without_listeners_writes_nothing(session: Session) -> None:
    assert (
        hub.emit(
            session,
            api="customer",
            event_type="CustomerCreateEvent",
            resource={"id": "1"},
            ordering_key="customer:1",
        )
        == 0
    )
    session.flush()
    assert session.scalar(select(func.count()).select_from(OutboxMessage)) == 0


def test_listeners_see_only_what_their_owner_may_see(session: Session, operator: Operator) -> None:
    ningbo = create_user(session, username="crm_ningbo", roles=["system"], regions=["330200"])
    zhejiang = create_user(session, username="crm_zj", roles=["system"], regions=["330000"])
    demoted = create_user(session, username="was_admin", roles=["admin"])
    for user in (ningbo, zhejiang, demoted):
        hub.subscribe(
            session,
            api="troubleTicket",
            callback=f"https://{user.username}.example",
            query=None,
            actor_id=user.id,
        )
    demoted.roles = ["agent"]  # lost hub:manage after subscribing
    session.flush()
    xihu = _ticket("GD20261102000002", region={"id": "330106", "name": "西湖区"})
    assert (
        hub.emit(
            session,
            api="troubleTicket",
            event_type="TroubleTicketCreateEvent",
            resource=xihu,
            ordering_key="t",
        )
        == 1
    )
    session.flush()
    (message,) = session.scalars(select(OutboxMessage))
    assert message.payload["url"].startswith("https://crm_zj.example/")


def test_unsubscribe_cancels_undelivered_messages(session: Session) -> None:
    sub = hub.subscribe(session, api="customer", callback="http://127.0.0.1:9", query=None, actor_id=None)
    other = hub.subscribe(
        session, api="customer", callback="http://127.0.0.1:9/other", query=None, actor_id=None
    )
    hub.emit(
        session,
        api="customer",
        event_type="CustomerCreateEvent",
        resource={"id": "7"},
        ordering_key="customer:7",
        at=T0,
    )
    session.flush()
    hub.unsubscribe(session, api="customer", subscription_id=sub.id)
    by_url = {m.payload["url"]: m for m in session.scalars(select(OutboxMessage))}
    cancelled = by_url["http://127.0.0.1:9/listener/customerCreateEvent"]
    assert (
        cancelled.available_at is None
        and cancelled.sent_at is None
        and "unsubscribed" in (cancelled.last_error or "")
    )
    assert by_url["http://127.0.0.1:9/other/listener/customerCreateEvent"].available_at == T0
    with pytest.raises(NotFound):
        hub.unsubscribe(session, api="customer", subscription_id=sub.id)
    with pytest.raises(NotFound):
        hub.unsubscribe(session, api="troubleTicket", subscription_id=other.id)


def test_install_hooks_is_idempotent_and_customer_changes_emit(session: Session, operator: Operator) -> None:
    install_hooks()
    install_hooks()
    assert len(customers.HOOKS) == len(set(customers.HOOKS))
    hub.subscribe(
        session,
        api="customer",
        callback="https://crm.example",
        query="eventType=CustomerCreateEvent",
        actor_id=None,
    )
    customer = customers.create_customer(
        session, name="李四", brand="mzone", region_code="330106", phone="13900001111"
    )
    customers.update_customer(session, customer_id=customer.id, changes={"name": "李四四"})
    session.flush()
    (message,) = session.scalars(select(OutboxMessage).where(OutboxMessage.channel == "webhook"))
    assert message.topic == "CustomerCreateEvent"
    assert message.payload["body"]["event"]["customer"]["id"] == str(customer.id)
    assert message.ordering_key is not None and message.ordering_key.endswith(f":customer:{customer.id}")


# --- delivery to a real listener -----------------------------------------------------------------


def test_listener_killed_mid_delivery_loses_nothing_and_repeats_only_the_unanswered(
    session: Session, listener: Listener
) -> None:
    sub = hub.subscribe(session, api="troubleTicket", callback=listener.url, query=None, actor_id=None)
    session.commit()
    numbers = [f"GD2026110200000{i}" for i in range(1, 4)]
    for i in range(50):
        number = numbers[i % 3]
        event_type = "TroubleTicketCreateEvent" if i < 3 else "TroubleTicketAttributeValueChangeEvent"
        assert (
            hub.emit(
                session,
                api="troubleTicket",
                event_type=event_type,
                resource=_ticket(number, seq=i),
                ordering_key=f"ticket:{number}",
                at=T0,
            )
            == 1
        )
    session.commit()
    emitted: dict[str, list[str]] = defaultdict(list)  # per ticket, in emission order
    all_ids = []
    for message in session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)):
        body = message.payload["body"]
        emitted[body["event"]["troubleTicket"]["id"]].append(body["eventId"])
        all_ids.append(body["eventId"])

    def run(at: datetime) -> int:
        sent = deliver_due(session, at=at)
        session.commit()
        return sent

    # 1. The listener processes 19 events, records the 20th and dies before answering it.
    listener.die_at = 20
    assert run(T0) == 19
    assert listener.server is None and len(listener.received) == 20
    lost_ack = listener.event_ids()[19]
    pending = _pending(session)
    assert len(pending) == 31
    heads = [m for m in pending if m.attempts]
    # one failed attempt per ticket (its head), the rest untouched: nothing overtook a failed event
    assert len(heads) == 3 and {m.attempts for m in heads} == {1}
    assert {m.available_at for m in heads} == {T0 + timedelta(seconds=2)}
    errors = sorted((m.last_error or "").split(":")[0] for m in heads)
    assert errors == ["ConnectError", "ConnectError", "RemoteProtocolError"]
    assert next(m for m in heads if m.payload["body"]["eventId"] == lost_ack).last_error

    # 2. Nothing is due during the backoff: no attempt at all, not even of the later events.
    assert run(T0 + timedelta(seconds=1)) == 0
    assert sum(m.attempts for m in _pending(session)) == 3
    # 3. Due again, still down: each head fails once more and backs off twice as long.
    assert run(T0 + timedelta(seconds=2)) == 0
    heads = [m for m in _pending(session) if m.attempts]
    assert len(heads) == 3 and {m.attempts for m in heads} == {2}
    assert {m.available_at for m in heads} == {T0 + timedelta(seconds=6)}

    # 4. The listener comes back on the same port; the backoff still holds until it ends.
    listener.start()
    assert run(T0 + timedelta(seconds=5)) == 0 and len(listener.received) == 20
    assert run(T0 + timedelta(seconds=6)) == 31
    assert run(T0 + timedelta(hours=1)) == 0
    assert _pending(session) == []

    received = listener.event_ids()
    assert set(received) == set(all_ids)  # every event arrived, and nothing that was not emitted
    # Exactly one repeat: the event whose 2xx never left the dying listener. Its eventId is the same,
    # so a listener that drops eventIds it has seen processes every event exactly once.
    assert len(received) == 51 and [e for e in set(received) if received.count(e) > 1] == [lost_ack]
    processed = list(dict.fromkeys(received))
    assert len(processed) == 50
    # In order per ticket (the repeat comes straight after the original, before anything later).
    per_ticket: dict[str, list[str]] = defaultdict(list)
    for path, body in listener.received:
        number = body["event"]["troubleTicket"]["id"]
        per_ticket[number].append(body["eventId"])
        expected = (
            "troubleTicketCreateEvent"
            if body["event"]["troubleTicket"]["seq"] < 3
            else "troubleTicketAttributeValueChangeEvent"
        )
        assert path == f"/hooks/listener/{expected}"
    for number, ids in per_ticket.items():
        collapsed = [e for i, e in enumerate(ids) if i == 0 or ids[i - 1] != e]
        assert collapsed == emitted[number]
    assert sub.id


def test_a_listener_answering_non_2xx_is_retried_with_backoff(session: Session, listener: Listener) -> None:
    hub.subscribe(session, api="customer", callback=listener.url, query=None, actor_id=None)
    hub.emit(
        session,
        api="customer",
        event_type="CustomerCreateEvent",
        resource={"id": "9"},
        ordering_key="customer:9",
        at=T0,
    )
    session.commit()
    listener.status = 503
    assert deliver_due(session, at=T0) == 0
    (message,) = _pending(session)
    assert message.last_error == "WebhookRefused: listener answered HTTP 503"
    assert message.available_at == T0 + timedelta(seconds=2)
    listener.status = 204
    assert deliver_due(session, at=T0 + timedelta(seconds=2)) == 1
    assert message.sent_at == T0 + timedelta(seconds=2) and message.attempts == 2
    assert listener.event_ids() == [message.payload["body"]["eventId"]] * 2


def test_a_slow_listener_cannot_stretch_a_pass(session: Session, listener: Listener) -> None:
    hub.subscribe(session, api="customer", callback=listener.url, query=None, actor_id=None)
    for i in range(10):
        hub.emit(
            session,
            api="customer",
            event_type="CustomerCreateEvent",
            resource={"id": str(i)},
            ordering_key=f"customer:{i}",
            at=T0,
        )
    session.commit()
    listener.delay = 0.2
    first = deliver_due(session, at=T0, budget_seconds=0.3)
    session.commit()
    assert 1 <= first <= 3  # no new POST starts once the pass has used its budget
    listener.delay = 0
    assert first + deliver_due(session, at=T0) == 10


@pytest.mark.postgres
def test_two_workers_keep_per_ticket_order(engine: Engine, session: Session, listener: Listener) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("concurrent workers share the outbox through SKIP LOCKED on PostgreSQL")
    hub.subscribe(session, api="troubleTicket", callback=listener.url, query=None, actor_id=None)
    session.commit()
    for i in range(60):
        number = f"GD2026110200{i % 6:04d}"
        hub.emit(
            session,
            api="troubleTicket",
            event_type="TroubleTicketAttributeValueChangeEvent",
            resource=_ticket(number, seq=i),
            ordering_key=f"ticket:{number}",
            at=T0,
        )
    session.commit()
    listener.delay = 0.002
    factory = sessionmaker(engine, expire_on_commit=False)

    def worker() -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with factory() as s:
                deliver_due(s, at=T0, limit=4)  # commits each delivery itself
            with factory() as s:
                if not s.scalar(
                    select(func.count()).select_from(OutboxMessage).where(OutboxMessage.sent_at.is_(None))
                ):
                    return

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=90)
    seqs: dict[str, list[int]] = defaultdict(list)
    for _path, body in listener.received:
        seqs[body["event"]["troubleTicket"]["id"]].append(body["event"]["troubleTicket"]["seq"])
    assert sum(len(s) for s in seqs.values()) == 60  # every listener answered: no repeats at all
    assert all(s == sorted(s) for s in seqs.values()) and len(seqs) == 6
