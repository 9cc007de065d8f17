"""`/api/v1/auth`: OAuth2 password login for staff, logout, and who-am-I."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from sqlalchemy.orm import Session

from manyi.auth.deps import Ctx, ctx, db
from manyi.auth.flows import login_flow
from manyi.auth.service import TOKEN_LIFETIME, revoke_token

router = APIRouter(prefix="/api/v1/auth", tags=["auth 认证"])


def _client(request: Request) -> str:
    return request.client.host if request.client else "unknown"


@router.post(
    "/token",
    summary="Log in with user name and password / 用户名密码登录",
    description="OAuth2 password flow. Returns a bearer token valid for 12 hours. "
    "Five failed attempts for a user within 15 minutes (API and console together) lock further attempts "
    "for 15 minutes, the right password included.\n\n"
    "OAuth2 密码模式，返回有效期 12 小时的令牌；同一用户 15 分钟内失败 5 次（API 与控制台合计）将被限制 15 分钟。",
)
def issue_token(
    request: Request,
    username: Annotated[str, Form(min_length=1, max_length=64)],
    password: Annotated[str, Form(min_length=1, max_length=256)],
    session: Annotated[Session, Depends(db)],
) -> dict[str, Any]:
    secret, _token = login_flow(
        session, username=username, password=password, client=_client(request), via="api"
    )
    return {
        "access_token": secret,
        "token_type": "bearer",
        "expires_in": int(TOKEN_LIFETIME.total_seconds()),
    }


@router.post("/logout", status_code=204, summary="Revoke the current token / 注销当前令牌")
def logout(request: Request, c: Annotated[Ctx, Depends(ctx)]) -> None:
    header = request.headers.get("authorization", "")
    revoke_token(c.session, secret=header.partition(" ")[2].strip())


@router.get("/me", summary="The caller / 当前用户")
def me(c: Annotated[Ctx, Depends(ctx)]) -> dict[str, Any]:
    p = c.principal
    return {
        "username": p.username,
        "displayName": p.display_name,
        "roles": list(p.roles),
        "regions": list(p.regions),
        "permissions": sorted(p.permissions),
    }
