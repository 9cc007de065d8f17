"""Attachments on the order page: upload (multipart form) and download, inside the caller's regions."""

from __future__ import annotations

import re
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, File, UploadFile
from fastapi.responses import Response

from manyi.console.deps import Page, page
from manyi.console.orders.actions import refuse
from manyi.console.orders.overview import attachment_of
from manyi.console.orders.view import load_order
from manyi.core.errors import ManyiError, NotFound, ValidationFailed
from manyi.orders.attachments import MAX_ATTACHMENT_BYTES, add_attachment, read_attachment

# The upload form's route and its body limit: the file plus the form around it (manyi.api.body_limit).
UPLOAD_PATH = re.compile(r"/orders/[^/]+/attachments")
UPLOAD_BODY_MAX = MAX_ATTACHMENT_BYTES + 64 * 1024

router = APIRouter(include_in_schema=False)


def _file_message(p: Page, exc: ManyiError) -> str:
    """The attachment service's refusals, in the user's language."""
    if exc.message.startswith("file: choose"):
        return p.gettext("Choose a file to attach.")
    if exc.message.endswith("the file is empty"):
        return p.gettext("The file is empty.")
    if "allowed" in exc.message:
        return p.gettext("The file is too large: at most %(mb)d MB.") % {
            "mb": MAX_ATTACHMENT_BYTES // (1024 * 1024)
        }
    return exc.message


@router.post("/orders/{number}/attachments")
def upload(
    number: str,
    p: Annotated[Page, Depends(page)],
    file: Annotated[UploadFile | None, File()] = None,
) -> Response:
    p.require("ticket:update")
    order = load_order(p, number)
    try:
        if file is None or not file.filename:
            raise ValidationFailed("file: choose a file", field="file")
        # One byte over the limit is enough to refuse; never read an unbounded upload into memory.
        content = file.file.read(MAX_ATTACHMENT_BYTES + 1)
        add_attachment(
            p.session,
            order_id=order.id,
            filename=file.filename,
            content=content,
            content_type=file.content_type,
            actor_id=p.principal.user_id,
        )
        p.session.flush()
    except ManyiError as exc:
        exc.field, exc.message = "file", _file_message(p, exc)
        return refuse(p, number, "upload", exc, {}, ("file",))
    return p.redirect(f"/orders/{number}", flash=p.gettext("File attached."))


@router.get("/orders/{number}/attachments/{attachment_id}")
def download(number: str, attachment_id: int, p: Annotated[Page, Depends(page)]) -> Response:
    p.require("ticket:read")
    order = load_order(p, number)
    attachment = attachment_of(p.session, order_id=order.id, attachment_id=attachment_id)
    if attachment is None:
        raise NotFound(p.gettext("No such record, or it is outside your regions."))
    content = read_attachment(attachment)
    disposition = f"attachment; filename*=UTF-8''{quote(attachment.filename)}"
    return Response(
        content,
        media_type=attachment.content_type,
        headers={
            "Content-Disposition": disposition,
            # Served as a download of its declared type, never sniffed into HTML in our origin.
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "private, no-store",
        },
    )
