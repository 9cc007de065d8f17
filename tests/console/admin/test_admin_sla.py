"""Admin pages: SLA policies (criteria and targets shown, create, edit recomputes open clocks), rights."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from manyi.orders.service import create_order
from manyi.sla.models import SlaClock, SlaPolicy, SlaTarget
from tests.fixtures.console import Console, text_of


def _policy(console: Console, name: str) -> dict[str, Any] | None:
    policy = console.session.scalars(select(SlaPolicy).where(SlaPolicy.name == name)).first()
    if policy is None:
        console.session.rollback()
        return None
    targets = console.session.scalars(select(SlaTarget).where(SlaTarget.policy_id == policy.id)).all()
    out = {
        "id": policy.id,
        "rank": policy.rank,
        "order_types": policy.order_types,
        "products": policy.products,
        "region_codes": policy.region_codes,
        "warning_share": policy.warning_share,
        "targets": sorted((t.kind, t.amount, t.unit) for t in targets),
    }
    console.session.rollback()
    return out


def _form(**over: Any) -> dict[str, Any]:
    form: dict[str, Any] = {
        "name": "VIP 宽带",
        "rank": "10",
        "warning_share": "75",
        "calendar_name": "",
        "active": "1",
        "order_types": ["fault"],
        "products": ["broadband"],
        "region_codes": "330106",
        "category_path_prefixes": "",
        "amount_first_contact": "1",
        "unit_first_contact": "working_hours",
        "amount_resolution": "2",
        "unit_resolution": "working_days",
    }
    form.update(over)
    return form


def test_policies_show_criteria_and_targets_and_readers_cannot_change(console: Console) -> None:
    admin, supervisor, agent = console.user("admin"), console.user("supervisor"), console.user("agent")
    fault = _policy(console, "故障 fault")
    assert fault is not None
    text = text_of(admin.get("/admin/sla").text)
    assert "故障 fault" in text and "首次联系: 2 工作小时" in text and "80%" in text
    assert supervisor.get("/admin/sla").status_code == 200
    assert supervisor.get(f"/admin/sla/{fault['id']}").status_code == 200
    assert supervisor.post(f"/admin/sla/{fault['id']}", data=_form(name="故障 fault")).status_code == 403
    assert supervisor.post("/admin/sla/new", data=_form()).status_code == 403
    assert agent.get("/admin/sla").status_code == 403
    assert _policy(console, "VIP 宽带") is None and _policy(console, "故障 fault") == fault


def test_create_a_policy_with_criteria_and_targets(console: Console) -> None:
    admin = console.user("admin")
    response = admin.post("/admin/sla/new", data=_form())
    assert response.status_code == 303, response.text
    made = _policy(console, "VIP 宽带")
    assert made is not None
    assert made["rank"] == 10 and made["order_types"] == ["fault"] and made["products"] == ["broadband"]
    assert made["region_codes"] == ["330106"] and made["warning_share"] == 0.75
    assert made["targets"] == [("first_contact", 1.0, "working_hours"), ("resolution", 2.0, "working_days")]


def test_editing_targets_recomputes_open_clocks_and_says_so(console: Console) -> None:
    admin = console.user("admin")
    op = console.operator
    order = create_order(
        console.session,
        type="fault",
        description="宽带断网",
        channel="hotline",
        region_code="330106",
        customer_id=op.customer.id,
        subscription_id=op.broadband.id,
    )
    console.session.commit()
    order_id = order.id
    fault = _policy(console, "故障 fault")
    assert fault is not None
    clock = console.session.scalars(
        select(SlaClock).where(SlaClock.order_id == order_id, SlaClock.kind == "resolution")
    ).one()
    before = clock.due_at
    console.session.rollback()
    form = _form(
        name="故障 fault",
        rank="100",
        warning_share="80",
        order_types=["fault"],
        products=[],
        region_codes="",
        amount_first_contact="2",
        amount_appointment="24",
        unit_appointment="natural_hours",
        amount_resolution="5",
        unit_resolution="working_days",
    )
    response = admin.post(f"/admin/sla/{fault['id']}", data=form)
    assert response.status_code == 303, response.text
    flash = text_of(admin.get(response.headers["location"]).text)
    assert "已重算" in flash and "个在途工单时限" in flash
    clock = console.session.scalars(
        select(SlaClock).where(SlaClock.order_id == order_id, SlaClock.kind == "resolution")
    ).one()
    assert clock.due_at > before
    console.session.rollback()


def test_bad_policy_input_is_shown_next_to_the_field_and_changes_nothing(console: Console) -> None:
    admin = console.user("admin")
    fault = _policy(console, "故障 fault")
    assert fault is not None
    share = admin.post("/admin/sla/new", data=_form(warning_share="120"))
    assert share.status_code == 422 and 'id="warning_share-error"' in share.text and "1 到 99" in share.text
    amount = admin.post("/admin/sla/new", data=_form(amount_resolution="-3"))
    assert amount.status_code == 422 and 'id="amount_resolution-error"' in amount.text
    none = admin.post("/admin/sla/new", data=_form(amount_first_contact="", amount_resolution=""))
    assert none.status_code == 422 and 'id="targets-error"' in none.text
    region = admin.post(f"/admin/sla/{fault['id']}", data=_form(name="故障 fault", region_codes="999999"))
    assert region.status_code == 422 and 'id="region_codes-error"' in region.text and "999999" in region.text
    days = admin.post(f"/admin/sla/{fault['id']}", data=_form(name="故障 fault", amount_resolution="1.5"))
    assert days.status_code == 422 and 'id="targets-error"' in days.text  # whole days only
    assert _policy(console, "VIP 宽带") is None and _policy(console, "故障 fault") == fault
