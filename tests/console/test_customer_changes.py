"""The customer panel's audited changes (seed 000: red-list data edits are audited; 001: the blue
list): the history with who, when, before/after and why, phones masked per role; the list form only
for roles with the list permission, with a reason."""

from __future__ import annotations

from sqlalchemy import func, select

from manyi.console.i18n import catalog_ids
from manyi.console.workbench.customer import EVENT_NAMES, FIELD_NAMES, FLAG_MESSAGES
from manyi.customers import service
from manyi.customers.models import Customer, CustomerEvent
from tests.fixtures.console import WEST_LAKE, Console, text_of


def _flag_and_version(console: Console) -> tuple[str | None, int]:
    row = console.session.execute(
        select(Customer.list_flag, Customer.version).where(Customer.id == console.operator.customer.id)
    ).one()
    console.session.commit()
    return row.list_flag, row.version


def _events(console: Console) -> int:
    count = console.session.scalar(select(func.count()).select_from(CustomerEvent)) or 0
    console.session.commit()
    return int(count)


def test_red_and_blue_list_changes_need_the_list_permission_and_a_reason_and_are_audited(
    console: Console,
) -> None:
    cid = console.operator.customer.id
    url = f"/workbench/customer/{cid}"
    agent, boss = console.user("agent", WEST_LAKE), console.user("supervisor", WEST_LAKE)
    assert 'id="list-flag-form"' not in agent.get(url).text
    version = str(_flag_and_version(console)[1])
    refused = agent.post(f"{url}/list-flag", {"version": version, "flag": "red", "reason": "x"})
    assert refused.status_code == 403 and _flag_and_version(console)[0] is None
    page = boss.get(url).text
    assert 'id="list-flag-form"' in page and '<label for="list-flag-reason">' in page
    no_reason = boss.post(f"{url}/list-flag", {"version": version, "flag": "red", "reason": "  "})
    assert no_reason.status_code == 422 and "请填写名单变更的原因" in no_reason.text
    assert 'id="list-flag-error"' in no_reason.text and _events(console) == 0
    done = boss.post(f"{url}/list-flag", {"version": version, "flag": "red", "reason": "省公司重要客户"})
    assert done.status_code == 303
    assert _flag_and_version(console)[0] == "red"
    stale = boss.post(f"{url}/list-flag", {"version": version, "flag": "", "reason": "移出"})
    assert stale.status_code == 412 and "已被他人修改" in stale.text
    shown = text_of(boss.get(url).text)
    assert "客户资料变更记录" in shown and "红/蓝名单: — → 红名单" in shown
    assert "省公司重要客户" in shown and boss.user.display_name in shown


def test_the_history_shows_every_change_with_phones_masked_for_roles_without_pii(console: Console) -> None:
    cid = console.operator.customer.id
    service.update_customer(
        console.session,
        customer_id=cid,
        changes={"phone": "13700001111", "region_code": "330200"},
        actor_id=console.operator.agent.id,
    )
    service.update_customer(console.session, customer_id=cid, changes={"region_code": "330106"})
    console.session.commit()
    url = f"/workbench/customer/{cid}"
    agent = text_of(console.user("agent", WEST_LAKE).get(url).text)
    assert "联系电话: 13812345678 → 13700001111" in agent and "区域: 西湖区 → 宁波市" in agent
    assert "坐席一" in agent and "系统" in agent  # who: the agent, then the system's own change
    partner = text_of(console.user("partner", WEST_LAKE).get(url).text)
    assert "联系电话: 138****5678 → 137****1111" in partner and "13700001111" not in partner


def test_the_history_names_fields_and_events_in_chinese() -> None:
    known = catalog_ids("zh_CN")
    names = [*FIELD_NAMES.values(), *EVENT_NAMES.values(), *FLAG_MESSAGES.values()]
    assert [n for n in names if n not in known] == []
