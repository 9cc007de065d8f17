"""Reading regions: search by name or code, a region's path and children, the tree; always within a
caller's scope (None: all regions). Works on the cached region index (a few thousand rows at most:
every division of the country), so a picker's keystroke costs no query."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from manyi.org.reference import RegionInfo, region_index

LEVELS = ("province", "city", "district")


@dataclass(frozen=True)
class RegionView:
    code: str
    name: str
    level: str
    parent_code: str | None
    path: tuple[tuple[str, str], ...]  # (code, name) of the ancestors, outermost first

    @property
    def label(self) -> str:
        """What a picker shows: 芙蓉区 · 湖南省 长沙市 · 430102."""
        within = " ".join(name for _code, name in self.path)
        return " · ".join(part for part in (self.name, within, self.code) if part)

    @property
    def full_name(self) -> str:
        return " ".join([*(name for _code, name in self.path), self.name])


def view(index: dict[str, RegionInfo], code: str) -> RegionView:
    info = index[code]
    path: list[tuple[str, str]] = []
    parent = info.parent_code
    while parent and parent in index and len(path) < 5:
        path.insert(0, (parent, index[parent].name))
        parent = index[parent].parent_code
    return RegionView(code, info.name, info.level, info.parent_code, tuple(path))


def visible(session: Session, scope: frozenset[str] | None) -> dict[str, RegionInfo]:
    index = region_index(session)
    return index if scope is None else {c: r for c, r in index.items() if c in scope}


def get_region(session: Session, *, code: str, scope: frozenset[str] | None) -> RegionView | None:
    """The region with this code, or None when unknown or outside the scope (alike, so as not to leak)."""
    if code not in visible(session, scope):
        return None
    return view(region_index(session), code)


def search_regions(
    session: Session,
    *,
    scope: frozenset[str] | None,
    q: str = "",
    parent: str | None = None,
    level: str | None = None,
) -> list[RegionView]:
    """Regions whose code starts with q or whose name contains it (the best matches first: the exact
    name, then names starting with q, then by code), optionally children of parent or of one level."""
    index = region_index(session)
    q = q.strip()
    found: list[tuple[int, str]] = []
    for code, info in visible(session, scope).items():
        if parent is not None and info.parent_code != parent:
            continue
        if q:
            if info.name == q or code == q:
                rank = 0
            elif info.name.startswith(q) or code.startswith(q):
                rank = 1
            elif q in info.name:
                rank = 2
            else:
                continue
        else:
            rank = 0
        found.append((rank, code))
    views = [view(index, code) for _rank, code in sorted(found)]
    return [v for v in views if level is None or v.level == level]


def scope_roots(session: Session, scope: frozenset[str] | None) -> list[str]:
    """The outermost regions a caller sees: the provinces, or the top of their scope."""
    regions = visible(session, scope)
    return sorted(code for code, info in regions.items() if info.parent_code not in regions)


def children_of(session: Session, *, code: str, scope: frozenset[str] | None) -> list[str]:
    return sorted(c for c, info in visible(session, scope).items() if info.parent_code == code)


def describe(session: Session, codes: str | list[str]) -> str:
    """The full names of region codes as typed in a form ("430102, 430104"), unknown ones with '?'."""
    from manyi.org.orgfile import split_list

    index = region_index(session)
    wanted = split_list(codes) if isinstance(codes, str) else codes
    return "; ".join(view(index, c).full_name if c in index else f"{c} ?" for c in wanted)
