"""The category tree: the operator-level top classes seen in real China Mobile orders."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from manyi.categories.models import Category
from manyi.core.refdata import cached

# code, Chinese name, English name, children [(code, zh, en)]
DEFAULT_TREE: list[tuple[str, str, str, list[tuple[str, str, str]]]] = [
    (
        "USE",
        "业务使用问题",
        "Service usage",
        [
            ("USE.DATA", "上网使用", "Mobile data"),
            ("USE.VOICE", "语音通话", "Voice calls"),
            ("USE.IPTV", "电视使用", "IPTV"),
        ],
    ),
    (
        "HANDLE",
        "业务办理问题",
        "Service handling",
        [
            ("HANDLE.INSTALL", "装机办理", "Installation"),
            ("HANDLE.MOVE", "移机办理", "Move"),
            ("HANDLE.CHANGE", "套餐变更", "Plan change"),
        ],
    ),
    (
        "FEE",
        "费用问题",
        "Charges",
        [
            ("FEE.BILL", "账单疑问", "Bill query"),
            ("FEE.DISPUTE", "收费争议", "Charge dispute"),
            ("FEE.REFUND", "退费", "Refund"),
        ],
    ),
    (
        "NET",
        "网络问题",
        "Network",
        [
            ("NET.BB", "宽带故障", "Broadband fault"),
            ("NET.SIGNAL", "信号覆盖", "Signal coverage"),
            ("NET.SLOW", "网速慢", "Slow speed"),
        ],
    ),
    (
        "SERVICE",
        "服务问题",
        "Service quality",
        [
            ("SERVICE.ATTITUDE", "服务态度", "Staff attitude"),
            ("SERVICE.TIMELY", "处理不及时", "Slow handling"),
        ],
    ),
    (
        "PROMO",
        "营销活动问题",
        "Marketing campaigns",
        [("PROMO.RULES", "活动规则", "Campaign rules"), ("PROMO.GIFT", "礼品兑现", "Gift delivery")],
    ),
    (
        "UNINFORMED",
        "不知情定制问题",
        "Uninformed subscription",
        [("UNINFORMED.VAS", "增值业务", "Value-added services")],
    ),
    (
        "SECURITY",
        "信息安全问题",
        "Information security",
        [("SECURITY.SPAM", "垃圾短信", "Spam SMS"), ("SECURITY.FRAUD", "诈骗电话", "Fraud calls")],
    ),
]


def seed_categories(session: Session) -> int:
    """Create the default category tree where absent; return how many nodes were added."""
    have = set(session.scalars(select(Category.code)))
    added = 0
    for code, zh, en, children in DEFAULT_TREE:
        parent = session.scalars(select(Category).where(Category.code == code)).first()
        if parent is None:
            parent = Category(code=code, name=zh, name_en=en, path=code)
            session.add(parent)
            session.flush()
            added += 1
        for child_code, child_zh, child_en in children:
            if child_code not in have:
                session.add(
                    Category(
                        code=child_code,
                        name=child_zh,
                        name_en=child_en,
                        parent_id=parent.id,
                        path=f"{code}/{child_code}",
                    )
                )
                added += 1
    session.flush()
    return added


@dataclass(frozen=True)
class CategoryInfo:
    id: int
    code: str
    path: str
    name: str


def _load_categories(session: Session) -> tuple[dict[str, CategoryInfo], dict[int, CategoryInfo]]:
    infos = [CategoryInfo(c.id, c.code, c.path, c.name) for c in session.scalars(select(Category))]
    return {i.code: i for i in infos}, {i.id: i for i in infos}


def category_by_code(session: Session, code: str) -> CategoryInfo | None:
    """Cached lookup for the order hot path (see manyi.core.refdata)."""
    return cached(session, "categories", _load_categories)[0].get(code)


def category_by_id(session: Session, category_id: int) -> CategoryInfo | None:
    return cached(session, "categories", _load_categories)[1].get(category_id)


def category_path(session: Session, category_id: int | None) -> str | None:
    if category_id is None:
        return None
    info = cached(session, "categories", _load_categories)[1].get(category_id)
    return info.path if info else None
