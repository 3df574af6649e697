"""Bearer tokens: GETs are open, every mutation needs a token, a write one.

Tokens are compared as sha256 digests with :func:`hmac.compare_digest` against every
configured token (no early exit, so the time does not tell which one nearly matched).
The token's *name* is what the audit log records; the secret is never logged.

>>> from controller.service.config import Token
>>> toks = (Token.of("ops", "write", "a"), Token.of("ro", "read", "b"))
>>> who(toks, "Bearer b").name, who(toks, "Bearer x"), who(toks, None)
('ro', None, None)
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Awaitable, Callable, Sequence

from aiohttp import web
from aiohttp.typedefs import Middleware

from controller.service.config import Token

__all__ = ["OPEN_PATHS", "SAFE_METHODS", "WHO", "auth_middleware", "who"]

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
WHO = web.RequestKey("fsor.who", str)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def who(tokens: Sequence[Token], header: str | None) -> Token | None:
    """The token an ``Authorization`` header carries, if it is one of ``tokens``."""
    if not header or not header.startswith("Bearer "):
        return None
    digest = hashlib.sha256(header[7:].strip().encode()).digest()
    found = None
    for t in tokens:
        if hmac.compare_digest(t.sha256, digest):
            found = t
    return found


def _error(status: int, message: str, realm: bool = False) -> web.Response:
    headers = {"WWW-Authenticate": 'Bearer realm="fsor"'} if realm else None
    return web.json_response(
        {"error": message, "field": "Authorization"}, status=status, headers=headers
    )


#: paths (route templates) whose POSTs are queries, open like GETs (e.g. a scheduler
#: extender, which kube-scheduler calls without a bearer token); extensions add to it
OPEN_PATHS = web.AppKey("fsor.open_paths", set)


def auth_middleware(tokens: Sequence[Token]) -> Middleware:
    """401 without a valid token, 403 with a read-only one, for every non-GET request
    (except on the paths in ``app[OPEN_PATHS]``)."""

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        route = request.match_info.route.resource
        template = route.canonical if route is not None else ""
        if request.method in SAFE_METHODS or template in request.app.get(OPEN_PATHS, ()):
            request[WHO] = "anonymous"
            return await handler(request)
        token = who(tokens, request.headers.get("Authorization"))
        if token is None:
            return _error(401, "expected a valid bearer token (Authorization: Bearer ...)", True)
        if token.role != "write":
            return _error(403, f"token {token.name!r} is read-only")
        request[WHO] = token.name
        return await handler(request)

    return middleware
