"""A client that knows only the TM Forum standard still works: schemathesis generates requests from the
*official* TMF621 and TMF629 swagger files (tests/tmf_specs, not Manyi's OpenAPI) and sends them to a
live server; every answer must be a status the specification documents, with the content type,
headers and body schema it documents (on SQLite and PostgreSQL).

Half of the generated requests are made standard-realistic (a ticketType and severity Manyi knows,
an engagedParty of a known kind, the id of a resource that exists), so the run reaches the success
paths and validates real documents, not only refusals. Deliberately not checked, with the reasons in
docs/api.md ("Deliberate deviations"): the specifications' `/listener/*` operations, which a client
implements to receive hub events, not the server; a Content-Type on 204 No Content.
"""

from __future__ import annotations

from typing import Any

import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.api.tmf_schema import TMF_DIR
from tests.fixtures.api import Api
from tests.fixtures.live import live_server

SPECS = {
    "TMF621-TroubleTicket-v4.0.0.swagger.json": ("/tmf-api/troubleTicket/v4", "troubleTicket"),
    "TMF629-Customer-v4.0.0.swagger.json": ("/tmf-api/customerManagement/v4", "customer"),
}


def content_type_unless_no_content(ctx: Any, response: Any, case: schemathesis.Case) -> bool | None:
    """The specifications' Content-Type, except on 204 No Content: the swaggers' global `produces`
    would have DELETE's empty 204 carry one, but there is no content to type (RFC 9110 §8.3)."""
    if response.status_code == 204:
        return None
    result: bool | None = content_type_conformance(ctx, response, case)
    return result


CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_unless_no_content,
    response_headers_conformance,
    response_schema_conformance,
]
EXAMPLES = 12  # per operation: 14 operations, two servers' worth well under a minute
TICKET_TYPES = ("complaint", "fault", "inquiry", "install", "callback")
SEVERITIES = ("critical", "major", "minor")


def _seed(api: Api) -> dict[str, list[str]]:
    """Resources the generated requests may name: tickets (one waiting in triage, one with a child)
    and customers (a person, an organization with contacts)."""
    h = api.headers("admin")
    tickets = "/tmf-api/troubleTicket/v4/troubleTicket"
    customers = "/tmf-api/customerManagement/v4/customer"
    minimal = api.client.post(
        tickets, json={"description": "无法上网", "severity": "major", "ticketType": "fault"}, headers=h
    )
    assert minimal.status_code == 201, minimal.text
    party = {"id": str(api.operator.customer.id), "role": "customer", "@referredType": "Customer"}
    full = api.client.post(
        tickets,
        json={
            "description": "宽带断网",
            "severity": "minor",
            "ticketType": "complaint",
            "relatedParty": [party],
            "note": [{"text": "客户来电"}],
        },
        headers=h,
    ).json()
    child = api.client.post(
        tickets,
        json={
            "description": "上门",
            "severity": "minor",
            "ticketType": "fault",
            "troubleTicketRelationship": [{"id": full["id"], "relationshipType": "isChildOf"}],
        },
        headers=h,
    ).json()
    organization = api.client.post(
        customers,
        json={
            "name": "杭州某某科技有限公司",
            "engagedParty": {"id": "f47ac10b-58cc-4372-a567-0e02b2c3d479", "@referredType": "Organization"},
            "relatedParty": [
                {
                    "id": "9b2f6c1e-0d4a-4a8e-b1f7-3c5d2e6f8a90",
                    "name": "王经理",
                    "role": "contact",
                    "@referredType": "Individual",
                    "contactMedium": [
                        {"mediumType": "phone", "characteristic": {"phoneNumber": "0571-87654321"}}
                    ],
                }
            ],
        },
        headers=h,
    )
    assert organization.status_code == 201, organization.text
    return {
        "troubleTicket": [minimal.json()["id"], full["id"], child["id"]],
        "customer": [str(api.operator.customer.id), organization.json()["id"]],
    }


def _realistic(case: schemathesis.Case, resource: str, ids: list[str], draw: Any) -> schemathesis.Case:
    """The generated case, as a client that knows the standard and the operator's codes would send it."""
    if "id" in (case.path_parameters or {}):
        case.path_parameters = {**case.path_parameters, "id": draw(st.sampled_from(ids))}
    body = case.body
    if case.method.upper() == "POST" and case.path == f"/{resource}" and isinstance(body, dict):
        if resource == "troubleTicket":
            kept = {k: v for k, v in body.items() if k in ("description", "name", "note", "externalId")}
            kept["description"] = draw(st.sampled_from(["光猫红灯，无法上网", "IPTV 无信号", " "]))
            kept.update(
                ticketType=draw(st.sampled_from(TICKET_TYPES)), severity=draw(st.sampled_from(SEVERITIES))
            )
            case.body = kept
        else:
            party = body.get("engagedParty") if isinstance(body.get("engagedParty"), dict) else {}
            party = {**party, "@referredType": draw(st.sampled_from(["Individual", "Organization"]))}
            case.body = {"name": body.get("name"), "engagedParty": party}
    return case


def _strategy(operation: Any, resource: str, ids: list[str]) -> st.SearchStrategy[schemathesis.Case]:
    raw = operation.as_strategy()

    @st.composite
    def realistic(draw: Any) -> schemathesis.Case:
        return _realistic(draw(raw), resource, ids, draw)

    return st.one_of(raw, realistic())


def _run(operation: Any, url: str, headers: dict[str, str], ids: list[str], resource: str) -> list[str]:
    """Send the operation's generated cases; the failures, each with schemathesis' explanation."""
    failures: list[str] = []
    label = f"{operation.method.upper()} {operation.path}"

    @given(case=_strategy(operation, resource, ids))
    @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    def run(case: schemathesis.Case) -> None:
        try:
            case.call_and_validate(base_url=url, headers={**(case.headers or {}), **headers}, checks=CHECKS)
        except BaseException as failure:  # schemathesis' FailureGroup is a BaseExceptionGroup
            if isinstance(failure, KeyboardInterrupt):
                raise
            failures.append(f"{label}: {str(failure)[:1500]}")

    run()
    return failures


def test_official_specifications_against_a_live_server(api: Api) -> None:
    ids = _seed(api)
    headers = api.headers("admin")
    failures: list[str] = []
    tried = 0
    with live_server() as server:
        for spec, (base, resource) in SPECS.items():
            schema = schemathesis.openapi.from_path(TMF_DIR / spec)
            for result in schema.get_all_operations():
                operation = result.ok()
                if operation.path.startswith("/listener/"):
                    continue  # the client's side of the hub (docs/api.md, deliberate deviations)
                failures += _run(operation, server + base, headers, ids[resource], resource)
                tried += 1
    assert tried == 14  # 7 operations of each specification
    assert not failures, f"{len(failures)} failure(s):\n\n" + "\n\n".join(dict.fromkeys(failures))
