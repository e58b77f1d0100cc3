"""A cap on every request body, checked as the bytes arrive (answered 413, audited).

Uploads to the airlock are the only large bodies the service takes; without a cap a
researcher's notebook (or anyone with a session) could fill the disk or memory with one
request. The cap (``[governance] output_max_request_bytes``) is checked twice: against a
declared ``Content-Length`` before anything is read, and while the body streams in (a
chunked body declares nothing). Past the cap the request is answered 413 and audited
(``request.rejected``); the handler's own answer to the cut-off body is discarded. Each
file's own cap is checked by the upload route (:mod:`.uploads`).
"""

from __future__ import annotations

import asyncio

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from nightingale.web.rejections import UNKNOWN_ACTOR, audit_rejection

BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class _TooLarge(Exception):
    """The body grew past the cap while it was being read."""


class BodyLimit:
    """ASGI middleware: refuse request bodies over ``max_bytes`` with 413."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("method") not in BODY_METHODS:
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length", b"")
        if declared.isdigit() and int(declared) > self.max_bytes:
            await self._refuse(scope, send)
            return
        state = {"received": 0, "exceeded": False, "started": False}

        async def limited() -> Message:
            message = await receive()
            if message["type"] == "http.request":
                state["received"] += len(message.get("body", b""))
                if state["received"] > self.max_bytes:
                    state["exceeded"] = True
                    raise _TooLarge
            return message

        async def guarded(message: Message) -> None:
            if state["exceeded"]:
                return  # the handler's answer to a body cut short is not sent
            if message["type"] == "http.response.start":
                state["started"] = True
            await send(message)

        try:
            await self.app(scope, limited, guarded)
        except Exception:
            if not state["exceeded"]:
                raise
        if state["exceeded"] and not state["started"]:
            await self._refuse(scope, send)

    async def _refuse(self, scope: Scope, send: Send) -> None:
        await asyncio.to_thread(
            audit_rejection,
            scope,
            actor=UNKNOWN_ACTOR,
            status=413,
            reason=f"request body over {self.max_bytes} bytes",
        )
        answer = JSONResponse(
            {"detail": f"the request is larger than this service accepts ({self.max_bytes} bytes)"},
            status_code=413,
        )
        await answer(scope, _closing_receive, send)


async def _closing_receive() -> Message:
    return {"type": "http.disconnect"}
