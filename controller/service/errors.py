"""Errors as JSON: who is at fault decides the status; the message names the field.

| exception | status |
|---|---|
| :class:`~controller.service.openapi.BodyError`, :class:`~topology.errors.InputError` | 422 |
| :class:`~controller.service.jobs.NotAccepting` | 503 |
| :class:`~topology.errors.DeviceError` | 502 (a device failed) |
| other :class:`~topology.errors.FsorError` | 500 |
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from aiohttp import web

from controller.service.jobs import NotAccepting
from controller.service.openapi import BodyError
from topology.errors import DeviceError, FsorError, InputError

__all__ = ["error_middleware", "json_error"]

log = logging.getLogger("fsor.service")
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def json_error(
    status: int, message: str, field: str | None = None, **extra: object
) -> web.Response:
    return web.json_response({"error": message, "field": field, **extra}, status=status)


@web.middleware
async def error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except web.HTTPException as exc:
        if exc.status < 400 or exc.content_type == "application/json":
            raise
        return json_error(exc.status, exc.reason)
    except BodyError as exc:
        return json_error(422, str(exc), exc.field, detail=exc.detail)
    except InputError as exc:
        return json_error(422, str(exc), exc.field)
    except NotAccepting as exc:
        return json_error(503, str(exc))
    except DeviceError as exc:
        return json_error(502, str(exc), None, device=exc.device)
    except FsorError as exc:
        log.warning("%s %s: %s", request.method, request.path, exc)
        return json_error(500, str(exc))
