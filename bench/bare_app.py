"""The peer for bench_api_lifecycle.py: a bare FastAPI endpoint that only INSERTs one row, on the same
engine settings, served the same way. Its writes/s are the ceiling the real API is measured against."""

from __future__ import annotations

import os

from fastapi import FastAPI
from sqlalchemy import Column, Integer, MetaData, String, Table, insert

from manyi.core.db import make_engine

metadata = MetaData()
rows = Table("bare_rows", metadata, Column("id", Integer, primary_key=True), Column("body", String(200)))


def create_app() -> FastAPI:
    engine = make_engine(os.environ["MANYI_DATABASE_URL"])
    metadata.create_all(engine)
    app = FastAPI()

    @app.post("/rows", status_code=201)
    def add_row(body: dict[str, str]) -> dict[str, int]:
        with engine.begin() as conn:
            new_id = conn.execute(
                insert(rows).values(body=body.get("text", "")).returning(rows.c.id)
            ).scalar_one()
        return {"id": new_id}

    return app
