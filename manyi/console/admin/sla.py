"""/admin/sla: SLA policies with their criteria and targets; create and edit. Saving new targets, a
new warning share or calendar recomputes the open clocks of the policy (manyi.sla.policy_service does it; the
flash says how many)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response
from sqlalchemy import select

from manyi.calendars.arithmetic import UNITS
from manyi.calendars.models import Calendar
from manyi.console.admin.common import can_change, can_view, changed, optional_int, submit, words
from manyi.console.deps import Page, page, query_int
from manyi.console.labels import label
from manyi.customers.models import BRANDS, PRODUCTS
from manyi.orders.lifecycle import ORDER_TYPES
from manyi.orders.service import CHANNELS
from manyi.sla import policy_service
from manyi.sla.models import TARGET_KINDS, SlaPolicy, SlaTarget
from manyi.sla.policies import TargetData

router = APIRouter(prefix="/admin/sla", include_in_schema=False)
FIELDS = {
    "name": "name",
    "warningShare": "warning_share",
    "calendar": "calendar_name",
    "targets": "targets",
    "orderTypes": "order_types",
    "products": "products",
    "brands": "brands",
    "channels": "channels",
    "vipLevels": "vip_levels",
    "priorities": "priorities",
    "regionCodes": "region_codes",
    "categoryPathPrefixes": "category_path_prefixes",
}
MAX_POLICIES = 500  # tens in practice; shown in full so the ranking is visible
VIP = {0: "No VIP level", 1: "Silver", 2: "Gold", 3: "Diamond"}
Text = Annotated[str, Form()]
Many = Annotated[list[str], Form()]


def _choices(p: Page) -> dict[str, Any]:
    return {
        "types": [(t, label("type", t)) for t in ORDER_TYPES],
        "products": [(x, label("product", x)) for x in PRODUCTS],
        "brands": [(x, label("brand", x)) for x in BRANDS],
        "channels": [(x, label("channel", x)) for x in CHANNELS],
        "priorities": [(str(n), label("priority", n)) for n in range(1, 5)],
        "vips": [(str(n), p.gettext(text)) for n, text in VIP.items()],
        "units": [(u, label("unit", u)) for u in UNITS],
        "kinds": TARGET_KINDS,
        "calendars": [(c, c) for c in p.session.scalars(select(Calendar.name).order_by(Calendar.name))],
    }


def _targets(p: Page, ids: list[int]) -> dict[int, list[SlaTarget]]:
    out: dict[int, list[SlaTarget]] = {}
    if ids:
        rows = p.session.scalars(select(SlaTarget).where(SlaTarget.policy_id.in_(ids)).order_by(SlaTarget.id))
        for t in rows:
            out.setdefault(t.policy_id, []).append(t)
    return out


@router.get("")
def list_policies(p: Annotated[Page, Depends(page)]) -> Response:
    can_view(p)
    policies = list(
        p.session.scalars(select(SlaPolicy).order_by(SlaPolicy.rank, SlaPolicy.id).limit(MAX_POLICIES))
    )
    return p.render(
        "admin/sla.html",
        policies=policies,
        targets=_targets(p, [x.id for x in policies]),
        vip=lambda n: p.gettext(VIP.get(n, str(n))),
        editable=p.can("config:write"),
    )


def _blank() -> dict[str, Any]:
    form: dict[str, Any] = {
        "name": "",
        "rank": "100",
        "calendar_name": "",
        "warning_share": "80",
        "active": True,
    }
    form |= {key: [] for key in policy_service.CRITERIA}
    form |= {"category_path_prefixes": "", "region_codes": ""}
    form |= {f"amount_{k}": "" for k in TARGET_KINDS} | {f"unit_{k}": "working_hours" for k in TARGET_KINDS}
    return form


def _policy_form(p: Page, policy: SlaPolicy) -> dict[str, Any]:
    form = _blank() | {
        "name": policy.name,
        "rank": str(policy.rank),
        "calendar_name": policy.calendar_name or "",
        "warning_share": f"{policy.warning_share * 100:g}",
        "active": policy.active,
    }
    for key in policy_service.CRITERIA:
        values = getattr(policy, key) or []
        form[key] = (
            ", ".join(values)
            if key in ("category_path_prefixes", "region_codes")
            else [str(v) for v in values]
        )
    for t in policy_service.policy_targets(p.session, policy_id=policy.id):
        form[f"amount_{t.kind}"] = f"{t.amount:g}"
        form[f"unit_{t.kind}"] = t.unit
    return form


def _form_page(
    p: Page, policy_id: int | None, form: dict[str, Any], errors: dict[str, str], status: int = 200
) -> Response:
    return p.render(
        "admin/sla_form.html",
        status_code=status,
        policy_id=policy_id,
        form=form,
        errors=errors,
        editable=p.can("config:write"),
        **_choices(p),
    )


async def _posted(request: Request) -> dict[str, Any]:
    """The policy form as a dict (many fields, several multi-valued): read once, checked below."""
    data = await request.form()
    form = _blank() | {key: data.get(key, "") for key in ("name", "rank", "calendar_name", "warning_share")}
    form["active"] = bool(data.get("active"))
    for key in policy_service.CRITERIA:
        form[key] = (
            data.getlist(key) if key not in ("category_path_prefixes", "region_codes") else data.get(key, "")
        )
    for k in TARGET_KINDS:
        form[f"amount_{k}"] = data.get(f"amount_{k}", "")
        form[f"unit_{k}"] = data.get(f"unit_{k}", "working_hours")
    return form


def _values(p: Page, form: dict[str, Any], errors: dict[str, str]) -> dict[str, Any]:
    if not str(form["name"]).strip():
        errors["name"] = p.gettext("Enter a name.")
    rank = optional_int(p, str(form["rank"]), "rank", errors)
    share: float | None = None
    try:
        share = float(str(form["warning_share"]).strip()) / 100
        if not 0 < share < 1:
            raise ValueError
    except ValueError:
        errors["warning_share"] = p.gettext("Enter a percentage between 1 and 99.")
    targets = []
    for kind in TARGET_KINDS:
        text = str(form[f"amount_{kind}"]).strip()
        if not text:
            continue
        try:
            amount = float(text)
            if amount <= 0:
                raise ValueError
        except ValueError:
            errors[f"amount_{kind}"] = p.gettext("Enter a positive number.")
            continue
        targets.append(TargetData(kind, amount, str(form[f"unit_{kind}"])))
    if not targets and not any(k.startswith("amount_") for k in errors):
        errors["targets"] = p.gettext("Give at least one time limit.")
    criteria: dict[str, Any] = {}
    for key in policy_service.CRITERIA:
        raw = form[key]
        values: list[Any] = words(raw) if isinstance(raw, str) else list(raw)
        if key in ("vip_levels", "priorities"):
            values = [i for i in (query_int(str(v), low=0, high=100) for v in values) if i is not None]
        criteria[key] = values
    return {
        "name": form["name"],
        "rank": rank if rank is not None else 100,
        "calendar_name": form["calendar_name"] or None,
        "warning_share": share,
        "active": form["active"],
        "targets": targets,
        **criteria,
    }


@router.get("/new")
def new_policy(p: Annotated[Page, Depends(page)]) -> Response:
    can_change(p)
    return _form_page(p, None, _blank(), {})


@router.post("/new")
def create_policy(
    p: Annotated[Page, Depends(page)], form: Annotated[dict[str, Any], Depends(_posted)]
) -> Response:
    can_change(p)
    errors: dict[str, str] = {}
    values = _values(p, form, errors)
    criteria = {key: values.pop(key) for key in policy_service.CRITERIA}
    policy = submit(
        p,
        errors,
        save=lambda: policy_service.create_policy(p.session, criteria=criteria, **values),
        form_page=lambda found: _form_page(p, None, form, found, 422),
        fields=FIELDS,
        default="name",
    )
    if isinstance(policy, Response):
        return policy
    changed(p, "create", f"slaPolicy/{policy.id}", name=policy.name)
    return p.redirect(
        "/admin/sla", flash=p.gettext("SLA policy created; it applies to orders created from now on.")
    )


@router.get("/{policy_id}")
def edit_policy(p: Annotated[Page, Depends(page)], policy_id: int) -> Response:
    can_view(p)
    policy = policy_service.get_policy(p.session, policy_id=policy_id)
    return _form_page(p, policy.id, _policy_form(p, policy), {})


@router.post("/{policy_id}")
def update_policy(
    p: Annotated[Page, Depends(page)], policy_id: int, form: Annotated[dict[str, Any], Depends(_posted)]
) -> Response:
    can_change(p)
    policy = policy_service.get_policy(p.session, policy_id=policy_id)
    errors: dict[str, str] = {}
    values = _values(p, form, errors)
    result = submit(
        p,
        errors,
        save=lambda: policy_service.update_policy(p.session, policy_id=policy.id, changes=values),
        form_page=lambda found: _form_page(p, policy_id, form, found, 422),
        fields=FIELDS,
        default="name",
    )
    if isinstance(result, Response):
        return result
    changed(p, "update", f"slaPolicy/{policy_id}", recomputed_clocks=result.recomputed_clocks)
    message = p.gettext("SLA policy saved; %(n)s open SLA clocks were recomputed.") % {
        "n": result.recomputed_clocks
    }
    return p.redirect("/admin/sla", flash=message)
