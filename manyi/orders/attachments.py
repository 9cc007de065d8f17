"""Attachments (stored by content hash under settings.attachments_dir) and related orders."""

from __future__ import annotations

import hashlib
import mimetypes
import os
import tempfile
from datetime import datetime
from pathlib import Path

from sqlalchemy.orm import Session

from manyi.core.clock import ensure_aware, now
from manyi.core.errors import ValidationFailed
from manyi.core.settings import get_settings
from manyi.orders.history import record_event
from manyi.orders.models import OrderAttachment, OrderRelation
from manyi.orders.service import get_order

MAX_ATTACHMENT_BYTES = 20 * 1024 * 1024
RELATION_KINDS = ("related", "duplicate", "caused_by")


def _store(content: bytes) -> tuple[str, Path]:
    digest = hashlib.sha256(content).hexdigest()
    root = Path(get_settings().attachments_dir)
    path = root / digest[:2] / digest
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        # Write then rename: a crash never leaves a half-written file under the final name.
        fd, tmp = tempfile.mkstemp(dir=path.parent)
        with os.fdopen(fd, "wb") as fh:
            fh.write(content)
        os.replace(tmp, path)
    return digest, path


def add_attachment(
    session: Session,
    *,
    order_id: int,
    filename: str,
    content: bytes,
    content_type: str | None = None,
    actor_id: int | None = None,
    at: datetime | None = None,
) -> OrderAttachment:
    """Store a file for an order and record it in the order's history."""
    at = ensure_aware(at or now(), field="at")
    name = Path(filename).name.strip()
    if not name:
        raise ValidationFailed("filename: expected a file name", field="filename")
    if not content:
        raise ValidationFailed(f"{name}: the file is empty", field="file")
    if len(content) > MAX_ATTACHMENT_BYTES:
        raise ValidationFailed(
            f"{name}: {len(content)} bytes; at most {MAX_ATTACHMENT_BYTES} allowed", field="file"
        )
    order = get_order(session, order_id=order_id)
    digest, path = _store(content)
    attachment = OrderAttachment(
        order_id=order.id,
        filename=name,
        content_type=content_type or mimetypes.guess_type(name)[0] or "application/octet-stream",
        size=len(content),
        sha256=digest,
        storage_path=str(path),
        uploaded_by_id=actor_id,
        created_at=at,
    )
    session.add(attachment)
    order.updated_at = at
    order.attachment_count += 1
    record_event(session, order=order, action="attachment", at=at, actor_id=actor_id, note=name)
    session.flush()
    return attachment


def read_attachment(attachment: OrderAttachment) -> bytes:
    """Return the stored bytes, checked against the recorded hash."""
    content = Path(attachment.storage_path).read_bytes()
    if hashlib.sha256(content).hexdigest() != attachment.sha256:
        raise ValidationFailed(f"{attachment.filename}: stored file does not match its recorded hash")
    return content


def relate_orders(
    session: Session,
    *,
    order_id: int,
    related_order_id: int,
    kind: str = "related",
    actor_id: int | None = None,
    at: datetime | None = None,
) -> OrderRelation:
    """Link two orders (related, duplicate, caused_by), recorded in both histories."""
    at = ensure_aware(at or now(), field="at")
    if kind not in RELATION_KINDS:
        raise ValidationFailed(
            f"kind: expected one of {', '.join(RELATION_KINDS)}, got {kind!r}", field="kind"
        )
    if order_id == related_order_id:
        raise ValidationFailed("related_order: an order cannot be related to itself", field="related_order")
    order, other = get_order(session, order_id=order_id), get_order(session, order_id=related_order_id)
    relation = OrderRelation(order_id=order.id, related_order_id=other.id, kind=kind)
    session.add(relation)
    order.link_count += 1
    other.link_count += 1
    for a, b in ((order, other), (other, order)):
        record_event(
            session,
            order=a,
            action="related",
            at=at,
            actor_id=actor_id,
            changes={"related": (None, b.number)},
            note=kind,
        )
    session.flush()
    return relation
