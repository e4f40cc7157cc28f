"""The API's endpoints: submit, poll, result files, models, key check, balance and media files."""

from __future__ import annotations

import mimetypes
import posixpath
import re

from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from .media import MediaQuotaExceeded, mp4_bytes, png_bytes
from .responses import api_error, ok
from .state import EmulatorState
from .tasks import seconds_until_free
from .validator import BodyRejected

_BEARER = re.compile(r"^\s*Bearer\s+(\S+)\s*$", re.IGNORECASE)
_FILE_NAME = re.compile(r"^(\d+)\.(png|mp4)$")
MAX_LIST_LIMIT = 100


def state_of(request: Request) -> EmulatorState:
    state: EmulatorState = request.app.state.emulator
    return state


def base_url(request: Request) -> str:
    return str(request.base_url).rstrip("/")


def _bearer(request: Request) -> str | None:
    match = _BEARER.match(request.headers.get("authorization", ""))
    return match[1] if match else None


class Denied(Exception):
    """A request refused before the endpoint's own work (auth or team limits)."""

    def __init__(self, response: JSONResponse) -> None:
        super().__init__(response.status_code)
        self.response = response


def authorize(request: Request, *, count_rpm: bool = True) -> str:
    """The caller's key if it is configured (and the team is under its RPM), else raises Denied."""
    state = state_of(request)
    key = _bearer(request)
    if key is None:
        raise Denied(api_error(401, "Authentication failed: missing API key (send 'Authorization: Bearer <key>')"))
    if key not in state.config.api_keys:
        raise Denied(api_error(401, "Authentication failed: invalid API key"))
    if count_rpm:
        decision = state.rpm.check(state.config.team_of(key), state.now())
        if decision is not None:
            request.state.rate_headers = headers = decision.headers()
            if not decision.allowed:
                raise Denied(api_error(
                    429,
                    f"Rate limit exceeded: {decision.limit} requests per minute per team; "
                    f"retry after {decision.retry_after} s",
                    headers,
                ))
    return key


async def submit(request: Request) -> Response:
    state = state_of(request)
    model = state.catalog.find(request.url.path, legacy=state.config.legacy_paths)
    key = authorize(request)
    if model is None and state.config.accept_unknown_models:
        model = state.catalog.unknown_model(request.url.path)
    if model is None:
        return api_error(
            404,
            f"Resource not found: no model endpoint at POST {request.url.path} (the emulator serves the models "
            "in its specs; start it with --accept-unknown-models to accept any provider/model-id)",
        )
    if state.config.balance <= 0:
        return api_error(402, f"Insufficient balance: team balance is {state.config.balance:.4f} USD")
    try:
        body = state.validator_for(model).check_raw(await request.body())
    except BodyRejected as exc:
        return api_error(400, exc.message)
    team = state.config.team_of(key)
    with state.submit_lock:
        now = state.now()
        running = state.tasks.running(team, now)
        limit = state.config.concurrency_limit
        if limit is not None and len(running) >= limit:
            return api_error(
                429,
                f"Concurrent limit exceeded: team has {len(running)} running tasks (limit {limit})",
                {"Retry-After": str(seconds_until_free(running, now))},
            )
        forced = state.faults.take("submit", ["fail_task"], method="POST", path=request.url.path)
        task = state.tasks.create(
            key_label=state.config.key_label(key),
            team=team,
            model=model,
            body=body if isinstance(body, dict) else {},
            now=now,
            duration=state.config.duration_for(model.task_type),
            processing_after=state.config.processing_after,
            forced_failure=None if forced is None else (forced.message or "Task failed: injected by the emulator"),
        )
    return ok({
        "status": "pending",
        "task_id": task.task_id,
        "model_id": model.api_model_id,
        "get_result": {"method": "GET", "url": f"{base_url(request)}/api/v1/tasks/{task.task_id}"},
    })


async def get_task(request: Request) -> Response:
    state = state_of(request)
    key = authorize(request)
    task_id = request.path_params["task_id"]
    now = state.now()
    task = state.tasks.get(task_id, now=now, ttl=state.config.result_ttl)
    if task is None or task.key_label != state.config.key_label(key):
        return api_error(404, f"Resource not found: task '{task_id}' not found or expired")
    data, message = task.to_json(now, base_url(request), state.config)
    return ok(data, message=message)


async def redirect_hop(request: Request) -> Response:
    """``/_redirect/{hops}/{rest}``: one 302 closer to ``/{rest}`` (config.redirect_results)."""
    hops, rest = request.path_params["hops"], request.path_params["rest"]
    target = f"/_redirect/{hops - 1}/{rest}" if hops > 1 else f"/{rest}"
    return Response(status_code=302, headers={"Location": target})


async def result_file(request: Request) -> Response:
    state = state_of(request)
    task_id, name = request.path_params["task_id"], request.path_params["name"]
    now = state.now()
    task = state.tasks.get(task_id, now=now, ttl=state.config.result_ttl)
    match = _FILE_NAME.match(name)
    if (
        task is None or match is None or task.status(now) != "success"
        or int(match[1]) >= task.count or match[2] != task.extension
    ):
        return api_error(404, f"Resource not found: result file '{task_id}/{name}' not found or expired")
    if task.extension == "png":
        return Response(png_bytes(task.width, task.height), media_type="image/png")
    return Response(mp4_bytes(task.width, task.height), media_type="video/mp4")


async def list_models(request: Request) -> Response:
    authorize(request)
    state = state_of(request)
    models = [
        {
            "slug": m.slug,
            "type": m.type_segment or m.task_type or "",
            "docs_url": m.doc_url,
            "description": m.summary,
            **state.config.prices.get(m.slug, {}),
        }
        for m in state.catalog.models
    ]
    return JSONResponse({"models": models})


async def validate_key(request: Request) -> Response:
    """Never 401: a bad or missing key is a successful answer with is_valid false."""
    key = _bearer(request)
    return ok({"is_valid": key is not None and key in state_of(request).config.api_keys})


async def team_balance(request: Request) -> Response:
    authorize(request)
    return ok({"balance": round(state_of(request).config.balance, 4)})


async def upload_media(request: Request) -> Response:
    state = state_of(request)
    key = authorize(request)
    limit = state.config.max_upload_bytes
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit + 64 * 1024:
        return api_error(413, f"Invalid parameters: file too large ({declared} bytes; max {limit} bytes)")
    # Read (and cache) the whole body before parsing: a form parse consumes the stream uncached, and the
    # guard's drop fault needs the request fully read after the endpoint ran.
    await request.body()
    try:
        form = await request.form(max_files=1, max_fields=10)
    except Exception as exc:  # starlette raises HTTPException/MultiPartException on broken multipart
        return api_error(400, f"Invalid format: body must be multipart/form-data with a 'file' field ({exc})")
    upload = form.get("file")
    if not isinstance(upload, UploadFile):
        return api_error(400, "Missing required parameter: parameter 'file' is required (multipart file field)")
    data = await upload.read()
    if len(data) > limit:
        return api_error(413, f"Invalid parameters: file too large ({len(data)} bytes; max {limit} bytes)")
    if not data:
        return api_error(400, "Invalid parameters: parameter 'file' is empty")
    filename = posixpath.basename((upload.filename or "upload.bin").replace("\\", "/")) or "upload.bin"
    content_type = upload.content_type or mimetypes.guess_type(filename)[0] or "application/octet-stream"
    try:
        media = state.media.add(
            team=state.config.team_of(key), filename=filename, content_type=content_type, data=data,
            now=state.now(),
        )
    except MediaQuotaExceeded as exc:
        return api_error(429, f"Rate limit exceeded: file quota reached, {exc}; delete a file first")
    return ok(media.to_json(base_url(request)))


async def list_media(request: Request) -> Response:
    state = state_of(request)
    key = authorize(request)
    raw = request.query_params.get("limit", str(MAX_LIST_LIMIT))
    if not raw.strip().lstrip("-").isdigit():
        return api_error(400, f"Invalid format: parameter 'limit' must be an integer, got '{raw}'")
    limit = int(raw)
    if limit < 1:
        return api_error(400, f"Value out of range: parameter 'limit' must be between 1 and 100, got {limit}")
    files = state.media.list(state.config.team_of(key), limit=min(limit, MAX_LIST_LIMIT), now=state.now())
    return ok({"files": [f.to_json(base_url(request)) for f in files]})


async def delete_media(request: Request) -> Response:
    state = state_of(request)
    key = authorize(request)
    file_id = request.path_params["file_id"]
    if not state.media.delete(state.config.team_of(key), file_id, now=state.now()):
        return api_error(404, f"Resource not found: media file '{file_id}' not found")
    return ok({"file_id": file_id, "deleted": True})


async def media_content(request: Request) -> Response:
    state = state_of(request)
    media = state.media.get(request.path_params["file_id"], now=state.now())
    if media is None or media.filename != request.path_params["filename"]:
        return api_error(404, "Resource not found: media file not found or expired")
    return Response(media.data, media_type=media.content_type)
