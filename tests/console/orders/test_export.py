"""Issue 12, supervisor: the order list exported to Excel -- the same filters and region scope as
the page, phones masked for roles without pii:read, headers in the page's language, opened with
openpyxl and checked."""

from __future__ import annotations

from io import BytesIO

from openpyxl import load_workbook

from tests.fixtures.console import WEST_LAKE, Console, new_order


def _sheet(content: bytes) -> list[list[object]]:
    book = load_workbook(BytesIO(content), read_only=True)
    return [list(row) for row in book.worksheets[0].iter_rows(values_only=True)]


def test_export_has_the_lists_rows_in_chinese_with_phones_for_pii_roles(console: Console) -> None:
    fault = new_order(console, subscription_id=None, title="光猫红灯")
    new_order(console, type="complaint", subscription_id=None)
    new_order(console, region="330200", subscription_id=None)  # outside the agent's regions
    answer = console.user("agent", WEST_LAKE).get("/orders/export.xlsx?type=fault")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("application/vnd.openxmlformats")
    assert "attachment" in answer.headers["content-disposition"]
    rows = _sheet(answer.content)
    assert rows[0][:3] == ["工单号", "类型", "状态"]
    assert [r[0] for r in rows[1:]] == [fault.number]
    assert rows[1][1] == "故障" and rows[1][3] == "光猫红灯" and rows[1][5] == "13812345678"


def test_export_masks_phones_for_roles_without_pii(console: Console) -> None:
    order = new_order(console, subscription_id=None, title="回拨 13812345678")
    rows = _sheet(console.user("auditor", WEST_LAKE).get("/orders/export.xlsx").content)
    assert [r[0] for r in rows[1:]] == [order.number]
    assert rows[1][5] == "138****5678" and "13812345678" not in str(rows)


def test_export_of_a_refused_search_exports_nothing(console: Console) -> None:
    new_order(console, subscription_id=None)
    refused = console.user("auditor", WEST_LAKE).get("/orders/export.xlsx?q=13812345678")
    assert refused.status_code == 303 and refused.headers["location"] == "/orders"


def test_text_that_looks_like_a_formula_stays_text(console: Console) -> None:
    new_order(console, subscription_id=None, title='=HYPERLINK("http://x")')
    rows = _sheet(console.user("supervisor").get("/orders/export.xlsx").content)
    assert rows[1][3] == '\'=HYPERLINK("http://x")'


def test_the_list_links_to_the_export_of_its_filters(console: Console) -> None:
    page = console.user("supervisor").get("/orders?type=complaint").text
    assert 'href="/orders/export.xlsx?type=complaint"' in page
