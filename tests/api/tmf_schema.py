"""Validate API bodies against the definitions of an official TMF swagger 2.0 file (tests/tmf_specs).

The whole swagger document is the root resource of a `referencing` registry, so a definition's
`$ref: "#/definitions/X"` resolves inside the same file, as the swagger means it. Date-times and URIs are
checked too (jsonschema checks no formats unless asked, and its own date-time check needs a package
we do not install). `partial=True` validates a TMF630 `fields=` selection: the properties present must
conform, the definition's required ones may be absent because the client asked for fewer.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

TMF_DIR = Path(__file__).resolve().parents[1] / "tmf_specs"
FORMATS = jsonschema.FormatChecker(formats=())
RFC3339 = re.compile(r"^\d{4}-\d\d-\d\d[Tt]\d\d:\d\d:\d\d(\.\d+)?([Zz]|[+-]\d\d:\d\d)$")


@FORMATS.checks("date-time", raises=ValueError)
def _date_time(value: object) -> bool:
    # RFC 3339 wants a full date, a T, a time and an offset (or Z); fromisoformat checks the values.
    if not isinstance(value, str):
        return True
    if not RFC3339.match(value):
        raise ValueError(f"{value!r} is not an RFC 3339 date-time with an offset")
    datetime.fromisoformat(value.upper().replace("Z", "+00:00"))
    return True


URI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:[^\s]+$")  # RFC 3986: a scheme, then no spaces


@FORMATS.checks("uri", raises=ValueError)
def _uri(value: object) -> bool:
    # `format: uri` is an absolute URI: "/api/v1/…" is a relative reference, not one.
    if isinstance(value, str) and not URI.match(value):
        raise ValueError(f"{value!r} is not an absolute URI")
    return True


def _path(spec_file: str) -> Path:
    path = Path(spec_file)
    return path if path.is_absolute() or path.exists() else TMF_DIR / spec_file


@cache
def _loaded(spec_file: str) -> tuple[str, dict[str, Any], Registry]:
    path = _path(spec_file)
    spec = json.loads(path.read_text(encoding="utf-8"))
    uri = f"urn:tmf-swagger:{path.name}"
    registry: Registry = Registry().with_resource(
        uri, Resource.from_contents(spec, default_specification=DRAFT4)
    )
    return uri, spec, registry


def definitions(spec_file: str) -> dict[str, Any]:
    """The swagger's definitions by name."""
    return dict(_loaded(spec_file)[1]["definitions"])


def validation_errors(
    spec_file: str, definition: str, document: Any, *, partial: bool = False
) -> list[jsonschema.ValidationError]:
    """Every way document breaks the definition (empty when it conforms)."""
    uri, spec, registry = _loaded(spec_file)
    if definition not in spec["definitions"]:
        raise KeyError(f"{spec_file} has no definition {definition!r}")
    pointer = f"{uri}#/definitions/{definition}"
    schema: dict[str, Any]
    if partial and isinstance(document, dict):
        properties = spec["definitions"][definition].get("properties", {})
        schema = {
            "type": "object",
            "properties": {name: {"$ref": f"{pointer}/properties/{name}"} for name in properties},
        }
    else:
        schema = {"$ref": pointer}
    validator = jsonschema.Draft4Validator(schema, registry=registry, format_checker=FORMATS)
    return sorted(validator.iter_errors(document), key=lambda e: list(e.absolute_path))


def assert_conforms(spec_file: str, definition: str, document: Any, *, partial: bool = False) -> None:
    """Fail with every violation, each at its JSON path, when document breaks the swagger definition."""
    errors = validation_errors(spec_file, definition, document, partial=partial)
    if errors:
        lines = [f"  at {'/'.join(str(p) for p in e.absolute_path) or '(root)'}: {e.message}" for e in errors]
        raise AssertionError(
            f"{definition} of {Path(spec_file).name} broken {len(errors)} time(s):\n" + "\n".join(lines)
        )
