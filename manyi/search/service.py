"""Save, list and delete a staff member's searches. Each belongs to one user, who alone sees it;
what is stored is the order list's filters, so opening one runs the search again with the rights
and regions the user has then (nothing found earlier is kept)."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from manyi.core.errors import NotFound, ValidationFailed
from manyi.search.models import SavedSearch

FILTER_KEYS = ("q", "status", "type", "team", "region", "breached", "mine")
MAX_PER_USER = 50
NAME_MAX = 64
QUERY_MAX = 500


def clean_query(query: str) -> str:
    """The filters of an order-list query string, in a fixed order; anything else dropped."""
    values = dict(parse_qsl(query.lstrip("?"), keep_blank_values=False))
    return urlencode([(k, values[k].strip()[:64]) for k in FILTER_KEYS if values.get(k, "").strip()])


def user_searches(session: Session, *, user_id: int) -> list[SavedSearch]:
    return list(
        session.scalars(select(SavedSearch).where(SavedSearch.user_id == user_id).order_by(SavedSearch.name))
    )


def save_search(session: Session, *, user_id: int, name: str, query: str) -> SavedSearch:
    """Save (or replace, by name) a search of this user."""
    name = name.strip()
    if not 1 <= len(name) <= NAME_MAX:
        raise ValidationFailed(
            f"name: expected 1-{NAME_MAX} characters, got {name!r}", field="name", key="name.length"
        )
    cleaned = clean_query(query)
    if not cleaned or len(cleaned) > QUERY_MAX:
        raise ValidationFailed(
            "query: set at least one filter before saving the search", field="query", key="search.empty"
        )
    existing = session.scalars(
        select(SavedSearch).where(SavedSearch.user_id == user_id, SavedSearch.name == name)
    ).first()
    if existing is not None:
        existing.query = cleaned
        session.flush()
        return existing
    count = session.scalar(select(func.count()).where(SavedSearch.user_id == user_id)) or 0
    if count >= MAX_PER_USER:
        raise ValidationFailed(
            f"name: at most {MAX_PER_USER} saved searches per user; delete one first",
            field="name",
            key="search.too_many",
            params={"max": MAX_PER_USER},
        )
    search = SavedSearch(user_id=user_id, name=name, query=cleaned)
    session.add(search)
    session.flush()
    return search


def delete_search(session: Session, *, user_id: int, search_id: int) -> None:
    """Delete one of this user's searches; another user's is reported missing."""
    search = session.get(SavedSearch, search_id)
    if search is None or search.user_id != user_id:
        raise NotFound(f"saved search {search_id} not found")
    session.delete(search)
    session.flush()
