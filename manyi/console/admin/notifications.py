"""The administrator's notification page: templates (with preview and SMS segment count) and
trigger switches per order type."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from manyi.console.admin.common import can_change, can_view, changed
from manyi.console.deps import Page, page
from manyi.console.messages.view import EVENT_NAMES
from manyi.core.clock import now
from manyi.core.errors import ManyiError
from manyi.notify import admin, templates
from manyi.orders.lifecycle import ORDER_TYPES

router = APIRouter(include_in_schema=False)


def _admin_page(p: Page, errors: dict[str, str] | None = None, status_code: int = 200) -> Response:
    views = admin.template_views(p.session)
    previews = {
        (v.event, v.channel, loc): _preview(v.event, body) for v in views for loc, body in v.bodies.items()
    }
    return p.render(
        "admin/notifications.html",
        status_code=status_code,
        views=views,
        previews=previews,
        matrix=admin.trigger_matrix(p.session),
        triggers=admin.TRIGGERS,
        order_types=ORDER_TYPES,
        names=EVENT_NAMES,
        errors=errors or {},
        can_edit=p.can("config:write"),
    )


def _preview(event: str, body: str) -> templates.Preview | None:
    try:
        return templates.preview(event, body, templates.SAMPLE_VALUES)
    except ManyiError:
        return None


@router.get("/admin/notifications")
def notify_admin(p: Annotated[Page, Depends(page)]) -> Response:
    can_view(p)
    return _admin_page(p)


@router.post("/admin/notifications/templates")
async def save_template(request: Request, p: Annotated[Page, Depends(page)]) -> Response:
    can_change(p)
    form = await request.form()
    value = {k: str(v)[:4000] for k, v in form.items() if isinstance(v, str)}
    event, channel = value.get("event", ""), value.get("channel", "")
    try:
        admin.save_template(
            p.session,
            event=event,
            channel=channel,
            bodies={loc: value.get(f"body_{loc}", "") for loc in templates.LOCALES},
            quiet_start=admin.minutes(value.get("quiet_start", "21:00"), "quiet_start"),
            quiet_end=admin.minutes(value.get("quiet_end", "08:00"), "quiet_end"),
            actor_id=p.principal.user_id,
            at=now(),
        )
    except ManyiError as exc:
        p.session.rollback()
        field = f"{event}:{exc.field or 'body_zh-CN'}"
        message = p.gettext("Check the template: %(detail)s") % {"detail": exc.message}
        return _admin_page(p, {field: message}, status_code=422)
    changed(p, "update", "notify_template", template_event=event, channel=channel)
    return p.redirect("/admin/notifications", flash=p.gettext("Template saved."))


@router.post("/admin/notifications/triggers")
async def save_triggers(request: Request, p: Annotated[Page, Depends(page)]) -> Response:
    can_change(p)
    form = await request.form()
    on = set()
    for raw in form.getlist("on")[:500]:
        parts = str(raw).split("|")
        if len(parts) == 3:
            on.add((parts[0], parts[1], parts[2]))
    try:
        moved = admin.save_triggers(p.session, on=on, actor_id=p.principal.user_id, at=now())
    except ManyiError as exc:
        p.session.rollback()
        return _admin_page(p, {"triggers": exc.message}, status_code=422)
    changed(p, "update", "notify_triggers", moved=moved)
    return p.redirect("/admin/notifications", flash=p.gettext("%(n)s switches changed.") % {"n": moved})
