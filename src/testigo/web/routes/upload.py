"""The volunteer's upload page and the upload API.

``POST /api/v1/uploads`` (multipart field ``file``; optional ``upload_id`` and
``sha256`` from the client) answers with the SHA-256 of the stored bytes and
the reading: 201 read, 202 stored and still being read (poll ``GET
/api/v1/uploads/{upload_id}``), 200 a retry of an upload already received.
The page posts to it from its offline queue; without scripts, its plain form
posts to ``/upload`` and gets the same result as a page.
"""

from __future__ import annotations

import json

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.responses import FileResponse, JSONResponse, Response

from testigo.web.accounts import VOLUNTEER, Account
from testigo.web.auth import check_csrf, client_ip, private_page, rate_limit, require
from testigo.web.i18n import Translator
from testigo.web.openapi import UPLOAD_BODY
from testigo.web.problems import Problem
from testigo.web.render import STATIC, language, megabytes
from testigo.web.state import web_state
from testigo.web.uploads import UploadResult

router = APIRouter()

#: Strings the upload script shows, handed to it in the page (it works offline, so it cannot fetch them).
SCRIPT_MESSAGES = (
    "q_queued",
    "q_sending",
    "q_confirmed",
    "q_failed",
    "q_retry",
    "q_login",
    "qr_read",
    "qr_none",
    "qr_other",
    "qr_reading",
    "status_accepted",
    "status_duplicate",
    "status_conflict",
    "status_unreadable",
    "status_invalid",
    "status_rejected",
    "status_pending",
    "offline",
    "online",
    "q_too_big",
    "q_still_unsent",
    "next_accepted",
    "next_duplicate",
    "next_conflict",
    "next_unreadable",
    "next_invalid",
    "next_rejected",
    "next_pending",
)


@router.get("/upload", include_in_schema=False)
def upload_page(request: Request) -> Response:
    require(request, VOLUNTEER)
    state = web_state(request)
    t = Translator(language(request))
    messages = json.dumps({key: t(key) for key in SCRIPT_MESSAGES}, ensure_ascii=False)
    context = {
        "messages": messages,
        "max_bytes": state.settings.max_upload_bytes,
        "max_size": megabytes(state.settings.max_upload_bytes),
    }
    return private_page(request, "upload.html", context)


@router.get("/upload-sw.js", include_in_schema=False)
def service_worker() -> Response:
    """The service worker that keeps the upload page usable offline (served at the root so it may control /upload)."""
    return FileResponse(
        STATIC / "app" / "upload-sw.js", media_type="text/javascript", headers={"Cache-Control": "no-cache"}
    )


@router.post("/upload", include_in_schema=False)
async def upload_form(request: Request) -> Response:
    """The plain-form fallback: the same upload, answered with a page."""
    result = await _receive(request)
    return private_page(request, "upload_result.html", {"result": result})


@router.post(
    "/api/v1/uploads",
    tags=["uploads"],
    status_code=201,
    responses={
        200: {"description": "a retry of an upload already received (same account, upload id and bytes)"},
        202: {"description": "stored and confirmed; still being read: poll GET /api/v1/uploads/{upload_id}"},
        413: {"description": "too many bytes or pixels"},
        415: {"description": "not an image or PDF"},
        429: {"description": "rate limited (see Retry-After)"},
    },
    openapi_extra={"requestBody": UPLOAD_BODY},
)
async def upload_api(request: Request) -> JSONResponse:
    """Upload one photo or scan of an acta (multipart field `file`); needs a session or an API token."""
    result = await _receive(request)
    code = 200 if result.repeat else (201 if result.state == "done" else 202)
    return JSONResponse(result.to_json(), status_code=code, headers={"Cache-Control": "no-store"})


@router.get("/api/v1/uploads/{upload_id}", tags=["uploads"])
def upload_status(request: Request, upload_id: str) -> JSONResponse:
    """Where one of the caller's uploads stands (confirmed bytes; reading pending or done)."""
    account = require(request, VOLUNTEER)
    result = web_state(request).uploads.result(account, upload_id)
    if result is None:
        raise Problem(404, "err_no_upload")
    return JSONResponse(result.to_json(), headers={"Cache-Control": "no-store"})


async def _receive(request: Request) -> UploadResult:
    state = web_state(request)
    settings = state.settings
    account: Account = await run_in_threadpool(require, request, VOLUNTEER)
    per_hour = account.uploads_per_hour if account.uploads_per_hour is not None else settings.account_uploads_per_hour
    rate_limit(request, f"upload-account:{account.id}", per_hour / 60, burst=max(1.0, per_hour / 6))
    rate_limit(request, f"upload-ip:{client_ip(request)}", settings.ip_uploads_per_minute)
    form = await request.form(max_files=1, max_fields=8, max_part_size=4096)
    check_csrf(request, _text(form.get("csrf_token")))
    upload = form.get("file")
    if not isinstance(upload, UploadFile):
        raise Problem(422, "err_no_file_field")
    data = await upload.read()
    # checked (sniffed, pixels, SHA-256), then stored and committed, in one trip to a thread; a refused upload
    # raises `UploadRefused`, whose status the app's error handler answers with
    upload_id, submission_id, repeat = await run_in_threadpool(
        state.uploads.check_and_receive,
        account,
        data,
        settings.max_upload_pixels,
        _text(form.get("sha256")),
        _text(form.get("upload_id")),
    )
    await state.uploads.wait(submission_id, settings.settle_wait_seconds)
    return await run_in_threadpool(state.uploads.result_of, submission_id, upload_id, repeat)


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None
