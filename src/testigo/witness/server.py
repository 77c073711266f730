"""The witness over HTTP: ``POST /add-checkpoint`` as c2sp.org/tlog-witness specifies it.

A Starlette application with one route; `testigo witness serve` runs it with
uvicorn. The check-and-record runs in a worker thread (it syncs files), under
the `Witness`'s lock.
"""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from testigo.witness.core import SIZE_MEDIA_TYPE, Refused, Witness

MAX_BODY_BYTES = 64 * 1024
"""Largest request body: a checkpoint, 63 proof hashes and 100 signatures fit in a fraction of it."""


def create_app(witness: Witness) -> Starlette:
    async def add_checkpoint(request: Request) -> Response:
        body = b""
        async for chunk in request.stream():
            body += chunk
            if len(body) > MAX_BODY_BYTES:
                return PlainTextResponse(f"the request body is over {MAX_BODY_BYTES} bytes\n", status_code=413)
        try:
            lines = await run_in_threadpool(witness.add_checkpoint, body)
        except Refused as refused:
            if refused.status == 409 and refused.size is not None:
                # the header as given: a media_type would get "; charset=utf-8" added, which strict clients refuse
                return Response(f"{refused.size}\n", status_code=409, headers={"Content-Type": SIZE_MEDIA_TYPE})
            return PlainTextResponse(f"{refused}\n", status_code=refused.status)
        return PlainTextResponse(lines)

    return Starlette(routes=[Route("/add-checkpoint", add_checkpoint, methods=["POST"])])
