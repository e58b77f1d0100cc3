"""Security headers on every answer, and the API's documentation page served locally.

The pages load nothing from other sites: Swagger UI is vendored, pinned, under
``static/swagger-ui/`` (``VERSION.json`` records the npm package, version and
checksums), so no CDN can change what a steward's browser runs on the governance pages.
The Content-Security-Policy says the same to the browser: scripts, styles, images and
connections from this origin only, no inline scripts, no framing, forms posted only here.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from nightingale.web.dependencies import TEMPLATES

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        # Swagger UI sets style attributes from script; nothing else needs inline styles.
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
HEADERS = [
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"x-frame-options", b"DENY"),
]


class SecurityHeaders:
    """ASGI middleware adding :data:`HEADERS` to every HTTP answer."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                extra = [(n, v) for n, v in HEADERS if n not in present]
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        await self.app(scope, receive, with_headers)


def docs_router(prefix: str, openapi_url: str) -> APIRouter:
    """``<prefix>/docs``: Swagger UI from this service's own static files."""
    router = APIRouter(include_in_schema=False)

    @router.get("/docs")
    def api_docs(request: Request) -> HTMLResponse:
        page = TEMPLATES.get_template("api_docs.html").render(
            title="Nightingale governance service: API",
            prefix=prefix,
            openapi_url=openapi_url,
        )
        return HTMLResponse(page)

    return router
