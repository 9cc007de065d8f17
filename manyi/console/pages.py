"""Every console page router after login and landing, registered explicitly."""

from __future__ import annotations

from fastapi import APIRouter

PAGES: list[APIRouter] = []
