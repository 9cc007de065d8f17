"""Changing the category tree: add a child, rename, deactivate (with its subtree) or reactivate.
Codes and paths never change, so orders, routing rules and SLA policies that name a path stay
valid; a deactivated category is only hidden from new orders. Flush, never commit."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from sqlalchemy import ColumnElement, or_, select, update
from sqlalchemy.orm import Session

from manyi.categories.models import Category
from manyi.core.errors import Conflict, NotFound, ValidationFailed

CODE = re.compile(r"[A-Z][A-Z0-9_.-]{0,63}")
MAX_MATCHES = 200


@dataclass
class Node:
    """A category and its children, for showing the tree."""

    category: Category
    children: list[Node] = field(default_factory=list)


def get_category(session: Session, *, category_id: int) -> Category:
    category = session.get(Category, category_id)
    if category is None:
        raise NotFound(f"category {category_id} does not exist")
    return category


def category_tree(session: Session) -> list[Node]:
    """The whole tree (hundreds of nodes at most), roots and children sorted by code."""
    rows = list(session.scalars(select(Category).order_by(Category.path)))
    nodes = {c.id: Node(c) for c in rows}
    roots: list[Node] = []
    for c in rows:
        parent = nodes.get(c.parent_id) if c.parent_id is not None else None
        (parent.children if parent else roots).append(nodes[c.id])
    return roots


def search_categories(session: Session, *, text: str) -> list[Category]:
    """Categories whose code, Chinese or English name contains the text (case-insensitive)."""
    like = f"%{text.strip().lower()}%"
    query = (
        select(Category)
        .where(
            or_(
                Category.code.ilike(like),
                Category.name.ilike(like),
                Category.name_en.ilike(like),
            )
        )
        .order_by(Category.path)
        .limit(MAX_MATCHES)
    )
    return list(session.scalars(query))


def _check_name(name: str, field: str = "name") -> str:
    if not name.strip() or len(name.strip()) > 128:
        raise ValidationFailed(f"{field}: expected 1-128 characters, got {name!r}", field=field)
    return name.strip()


def add_category(
    session: Session, *, parent_id: int | None, code: str, name: str, name_en: str | None = None
) -> Category:
    """Add a category under parent (None: a new top class); its path is the parent's plus its code."""
    code = code.strip().upper()
    if not CODE.fullmatch(code):
        raise ValidationFailed(
            f"code: expected capital letters, digits, '.', '_' or '-' (e.g. NET.FIBRE), got {code!r}",
            field="code",
        )
    if session.scalars(select(Category.id).where(Category.code == code)).first() is not None:
        raise Conflict(f"code: a category with code {code!r} already exists", field="code")
    parent = get_category(session, category_id=parent_id) if parent_id is not None else None
    if parent is not None and not parent.active:
        raise ValidationFailed(f"parent: {parent.code} is deactivated; reactivate it first", field="parent")
    category = Category(
        code=code,
        name=_check_name(name),
        name_en=name_en.strip() if name_en and name_en.strip() else None,
        parent_id=parent.id if parent else None,
        path=f"{parent.path}/{code}" if parent else code,
    )
    session.add(category)
    session.flush()
    return category


def rename_category(session: Session, *, category_id: int, name: str, name_en: str | None = None) -> Category:
    category = get_category(session, category_id=category_id)
    category.name = _check_name(name)
    category.name_en = name_en.strip() if name_en and name_en.strip() else None
    session.flush()
    return category


def set_category_active(session: Session, *, category_id: int, active: bool) -> int:
    """Deactivate a category and everything under it, or reactivate it (and its ancestors, which it
    cannot be picked without). Returns how many categories changed."""
    category = get_category(session, category_id=category_id)
    where: ColumnElement[bool]
    if active:
        where = Category.code.in_(category.path.split("/"))
    else:
        where = or_(Category.id == category.id, Category.path.startswith(category.path + "/"))
    result = session.execute(
        update(Category).where(where, Category.active.is_not(active)).values(active=active),
        execution_options={"synchronize_session": "fetch"},
    )
    session.flush()
    return int(getattr(result, "rowcount", 0) or 0)
