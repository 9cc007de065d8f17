"""Attachments are stored by content hash and recorded; related and child orders are linked."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from manyi.core.errors import ValidationFailed
from manyi.core.settings import reset_settings
from manyi.orders import service
from manyi.orders.attachments import add_attachment, read_attachment, relate_orders
from manyi.orders.history import order_history
from tests.fixtures.operator import Operator

from .test_service import fault


@pytest.fixture(autouse=True)
def attachments_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("MANYI_ATTACHMENTS_DIR", str(tmp_path / "files"))
    reset_settings()
    yield tmp_path / "files"
    reset_settings()


def test_attachment_is_stored_and_recorded(
    session: Session, operator: Operator, attachments_dir: Path
) -> None:
    order = fault(session, operator)
    att = add_attachment(
        session,
        order_id=order.id,
        filename="../../光猫照片.jpg",
        content=b"\xff\xd8jpeg",
        actor_id=operator.agent.id,
    )
    assert att.filename == "光猫照片.jpg" and att.content_type == "image/jpeg" and att.size == 6
    assert Path(att.storage_path).is_relative_to(attachments_dir)
    assert read_attachment(att) == b"\xff\xd8jpeg"
    assert order_history(session, order_id=order.id)[-1].action == "attachment"
    with pytest.raises(ValidationFailed, match="the file is empty"):
        add_attachment(session, order_id=order.id, filename="x.txt", content=b"")


def test_child_and_related_orders(session: Session, operator: Operator) -> None:
    parent = fault(session, operator)
    child = fault(session, operator, parent_id=parent.id, description="上门更换光猫")
    assert child.parent_id == parent.id
    other = fault(session, operator)
    relate_orders(session, order_id=parent.id, related_order_id=other.id, kind="duplicate")
    assert order_history(session, order_id=other.id)[-1].changes == [
        {"field": "related", "before": None, "after": parent.number}
    ]
    with pytest.raises(ValidationFailed, match="cannot be related to itself"):
        relate_orders(session, order_id=parent.id, related_order_id=parent.id)
    with pytest.raises(ValidationFailed, match="parent: unknown work order"):
        service.create_order(
            session, type="fault", description="x", channel="hotline", region_code="330106", parent_id=99999
        )
