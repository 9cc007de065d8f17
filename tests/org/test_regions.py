"""The official division table: every province, city and district with its code, and the regions
an installation loads from it."""

from __future__ import annotations

from collections import Counter

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from manyi.core.errors import ValidationFailed
from manyi.org.models import Region
from manyi.org.regions import division_rows, division_table, provinces, resolve_province, seed_province


def test_the_table_has_every_division_of_the_country() -> None:
    table = division_table()
    # 民政部 statistics at the end of 2024: 34 provincial-, 333 prefecture-, 2,846 county-level divisions.
    assert Counter(d.level for d in table.values()) == {"province": 34, "city": 333, "district": 2846}
    assert all(d.parent_code is None or d.parent_code in table for d in table.values())
    assert (
        len(provinces()) == 34
        and "台湾省" in provinces().values()
        and "澳门特别行政区" in provinces().values()
    )


@pytest.mark.parametrize(
    ("code", "name", "parent"),
    [
        (
            "430182",
            "宁乡市",
            "430100",
        ),  # 宁乡县 became a city in 2017 (the old cpca table still had the county)
        ("430212", "渌口区", "430200"),  # 株洲县 became 渌口区 in 2018
        ("110105", "朝阳区", "110000"),  # a Beijing district hangs directly under the municipality
        ("429004", "仙桃市", "420000"),  # a county-level city administered by its province
        ("659012", "白杨市", "650000"),
        ("330113", "临平区", "330100"),  # Hangzhou's 2021 districts
    ],
)
def test_divisions_have_their_current_names_and_parents(code: str, name: str, parent: str) -> None:
    division = division_table()[code]
    assert (division.name, division.parent_code) == (name, parent)


@pytest.mark.parametrize("given", ["湖南省", "湖南", "430000", " 湖南省 "])
def test_a_province_by_full_name_short_name_or_code(given: str) -> None:
    assert resolve_province(given) == ("430000", "湖南省")


@pytest.mark.parametrize(
    ("given", "hints"),
    [
        ("湖男省", ["湖南省", "湖北省"]),
        ("长沙市", ["a city of 湖南省"]),
        ("黑龙", ["黑龙江省"]),
        ("Hunan", []),
    ],
)
def test_an_unknown_province_is_refused_with_the_closest_names(given: str, hints: list[str]) -> None:
    with pytest.raises(ValidationFailed) as caught:
        resolve_province(given)
    message = caught.value.message
    assert f"unknown province {given!r}" in message and "430000" in message
    for hint in hints:
        assert hint in message


def test_every_province_loads_with_cities_and_districts() -> None:
    for code, name in provinces().items():
        rows = division_rows(name)
        assert rows[0].code == code and all(r.code[:2] == code[:2] for r in rows)
    assert len(division_rows("湖南省")) == 137  # 1 + 14 cities and prefectures + 122 districts and counties


def test_seeding_a_province_is_idempotent_and_takes_the_official_names(session: Session) -> None:
    first = seed_province(session, province="湖南省")
    assert first.added == 137 and first.renamed == 0
    session.get_one(Region, "430182").name = "宁乡县"  # as an older table had it
    again = seed_province(session, province="湖南")
    assert again.added == 0 and again.renamed == 1
    assert session.get_one(Region, "430182").name == "宁乡市"
    assert session.scalar(select(func.count()).select_from(Region)) == 137
    assert session.get_one(Region, "430102").parent_code == "430100"
