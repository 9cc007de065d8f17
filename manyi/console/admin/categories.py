"""/admin/categories: the category tree with search; per category: rename, add a child, deactivate
(with its subtree) or reactivate. Rules live in manyi.categories.service."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form
from fastapi.responses import Response

from manyi.categories import service as category_admin
from manyi.categories.models import Category
from manyi.console.admin.common import can_change, can_view, changed, submit
from manyi.console.deps import Page, page

router = APIRouter(prefix="/admin/categories", include_in_schema=False)
Text = Annotated[str, Form()]
FIELDS = {"code": "code", "name": "name", "parent": "code"}


@router.get("")
def tree(p: Annotated[Page, Depends(page)], q: str = "") -> Response:
    can_view(p)
    return _tree_page(p, q)


def _tree_page(
    p: Page, q: str = "", form: dict[str, str] | None = None, errors: dict[str, str] | None = None
) -> Response:
    text = q.strip()[:64]
    return p.render(
        "admin/categories.html",
        status_code=422 if errors else 200,
        q=text,
        matches=category_admin.search_categories(p.session, text=text) if text else [],
        roots=[] if text else category_admin.category_tree(p.session),
        form=form or {"code": "", "name": "", "name_en": ""},
        errors=errors or {},
        editable=p.can("config:write"),
    )


def _node_page(
    p: Page,
    category: Category,
    rename: dict[str, Any] | None = None,
    child: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
) -> Response:
    return p.render(
        "admin/category.html",
        status_code=422 if errors else 200,
        category=category,
        rename=rename or {"name": category.name, "name_en": category.name_en or ""},
        child=child or {"code": f"{category.code}.", "name": "", "name_en": ""},
        errors=errors or {},
        editable=p.can("config:write"),
    )


@router.post("")
def add_top(
    p: Annotated[Page, Depends(page)], code: Text = "", name: Text = "", name_en: Text = ""
) -> Response:
    can_change(p)
    form = {"code": code, "name": name, "name_en": name_en}
    category = submit(
        p,
        {} if name.strip() else {"name": p.gettext("Enter a name.")},
        save=lambda: category_admin.add_category(
            p.session, parent_id=None, code=code, name=name, name_en=name_en
        ),
        form_page=lambda found: _tree_page(p, "", form, found),
        fields=FIELDS,
        default="code",
    )
    if isinstance(category, Response):
        return category
    changed(p, "create", f"category/{category.id}", path=category.path)
    return p.redirect(f"/admin/categories/{category.id}", flash=p.gettext("Category added."))


@router.get("/{category_id}")
def show(p: Annotated[Page, Depends(page)], category_id: int) -> Response:
    can_view(p)
    return _node_page(p, category_admin.get_category(p.session, category_id=category_id))


@router.post("/{category_id}")
def rename(
    p: Annotated[Page, Depends(page)], category_id: int, name: Text = "", name_en: Text = ""
) -> Response:
    can_change(p)
    category = category_admin.get_category(p.session, category_id=category_id)
    form = {"name": name, "name_en": name_en}
    saved = submit(
        p,
        {} if name.strip() else {"name": p.gettext("Enter a name.")},
        save=lambda: category_admin.rename_category(
            p.session, category_id=category.id, name=name, name_en=name_en
        ),
        form_page=lambda found: _node_page(
            p, category_admin.get_category(p.session, category_id=category_id), rename=form, errors=found
        ),
        fields=FIELDS,
        default="name",
    )
    if isinstance(saved, Response):
        return saved
    changed(p, "rename", f"category/{category_id}", name=name)
    return p.redirect(f"/admin/categories/{category_id}", flash=p.gettext("Category renamed."))


@router.post("/{category_id}/children")
def add_child(
    p: Annotated[Page, Depends(page)], category_id: int, code: Text = "", name: Text = "", name_en: Text = ""
) -> Response:
    can_change(p)
    parent = category_admin.get_category(p.session, category_id=category_id)
    form = {"code": code, "name": name, "name_en": name_en}
    child = submit(
        p,
        {} if name.strip() else {"name": p.gettext("Enter a name.")},
        save=lambda: category_admin.add_category(
            p.session, parent_id=parent.id, code=code, name=name, name_en=name_en
        ),
        # the node page names this form's inputs child_code, child_name, …
        form_page=lambda found: _node_page(
            p,
            category_admin.get_category(p.session, category_id=category_id),
            child=form,
            errors={"child_" + k: v for k, v in found.items()},
        ),
        fields=FIELDS,
        default="code",
    )
    if isinstance(child, Response):
        return child
    changed(p, "create", f"category/{child.id}", path=child.path)
    return p.redirect(f"/admin/categories/{category_id}", flash=p.gettext("Subcategory added."))


@router.post("/{category_id}/active")
def switch(p: Annotated[Page, Depends(page)], category_id: int, active: Text = "") -> Response:
    can_change(p)
    on = active == "1"
    count = category_admin.set_category_active(p.session, category_id=category_id, active=on)
    changed(p, "activate" if on else "deactivate", f"category/{category_id}", changed=count)
    message = (
        p.gettext("Category reactivated.")
        if on
        else p.gettext("Category deactivated with its subcategories; existing orders keep it.")
    )
    return p.redirect(f"/admin/categories/{category_id}", flash=message)
