"""The ``GPServer/uploads`` resources over the shared upload store.

``uploads/upload`` (POST, multipart, the file part named ``file``) answers
``{"success": true, "item": {itemID, itemName, description, date, committed}}``;
``uploads/<itemID>`` describes an item; ``uploads/<itemID>/delete`` (POST)
removes it; ``uploads/info`` gives the size limit. An uploaded item is used
as a task input with ``{"itemID": "<id>"}`` (feature inputs are read with GDAL,
data files are handed over as files).
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.responses import HTMLResponse, Response

from honua.adapters.gpserver import decode
from honua.adapters.gpserver.call import Call
from honua.adapters.gpserver.responses import json_response
from honua.core.values import File
from honua.errors import InvalidParameter, NotFound, NotSupported, PayloadTooLarge
from honua.store.uploads import Upload
from honua.types import Services, UploadStore
from honua.web.identity import principal_of

if TYPE_CHECKING:
    from honua.adapters.gpserver.html import Pages

CHUNK = 1 << 20


def open_uploads(services: Services) -> UploadStore:
    """The application's shared upload store."""
    return services.uploads


def item(upload: Upload) -> dict[str, Any]:
    return {"itemID": upload.id, "itemName": upload.name, "description": upload.description,
            "date": int(upload.created.timestamp() * 1000), "committed": True}


class StoreSource:
    """Data-file inputs given as ``{"itemID": ...}`` (see ``decode.Uploads``); feature inputs
    become core ``UploadReference``s instead, read by the core."""

    def __init__(self, store: UploadStore, owner: str = "", tenant: str = "") -> None:
        self.store = store
        self.owner = owner
        self.tenant = tenant

    def file(self, item_id: str) -> File:
        upload = self.store.get(item_id, owner=self.owner, tenant=self.tenant)
        return File(name=upload.name, media_type=upload.media_type, path=self.store.path(upload))


class UploadResources:
    def __init__(self, store: UploadStore, pages: Pages) -> None:
        self.store = store
        self.pages = pages
        self.enabled = True

    def source_for(self, call: Call) -> StoreSource:
        """Uploaded items as the caller of ``call`` may use them (their own)."""
        caller = principal_of(call.request)
        return StoreSource(self.store, caller.subject, caller.tenant)

    @property
    def max_mb(self) -> float:
        return round(self.store.limits.max_bytes / 1048576, 3)

    async def dispatch(self, call: Call, url: str, crumbs: list[tuple[str, str]]) -> Response:
        parts = [p for p in call.path("item").split("/") if p]
        caller = principal_of(call.request)
        mine = {"owner": caller.subject, "tenant": caller.tenant}
        if not parts or parts == ["info"]:
            return self._answer(call, {"maxUploadFileSize": self.max_mb}, url, crumbs)
        if parts == ["upload"]:
            return await self.upload(call, url, crumbs)
        if len(parts) == 1:
            upload = await run_in_threadpool(functools.partial(self.store.get, parts[0], **mine))
            return self._answer(call, item(upload), url, crumbs, item(upload))
        if len(parts) == 2 and parts[1] == "delete":
            if call.request.method != "POST":
                raise NotSupported("delete changes the server: send it as a POST request")
            await run_in_threadpool(functools.partial(self.store.delete, parts[0], **mine))
            return json_response({"success": True}, "json" if call.f == "html" else call.f)
        raise NotFound(f"there is no uploads resource {'/'.join(parts)!r}; use upload, info, "
                       "<itemID> or <itemID>/delete")

    def _answer(self, call: Call, document: dict[str, Any], url: str,
                crumbs: list[tuple[str, str]], shown: dict[str, Any] | None = None) -> Response:
        if call.f == "html":
            return HTMLResponse(self.pages.render("uploads.html", call.request, crumbs,
                                                  max_mb=self.max_mb, uploads_url=url, item=shown))
        return json_response(document, call.f, call.params)

    async def upload(self, call: Call, url: str, crumbs: list[tuple[str, str]]) -> Response:
        request = call.request
        if request.method != "POST" or not request.headers.get("content-type", "").startswith(
                "multipart/form-data"):
            raise NotSupported("upload a file with a multipart/form-data POST whose file part "
                               "is named 'file'")
        declared = request.headers.get("content-length", "")
        limit = self.store.limits.max_bytes
        if declared.isdigit() and int(declared) > limit + CHUNK:
            raise PayloadTooLarge(f"the uploaded file is larger than the limit of "
                                  f"{limit / 1048576:g} MB")
        caller = principal_of(request)
        async with request.form(max_files=1) as form:
            part = form.get("file")
            if not isinstance(part, UploadFile):
                raise InvalidParameter("the upload has no file part named 'file'", parameter="file")
            description = str(form.get("description") or "")
            upload = await run_in_threadpool(
                self.store.add, part.file, part.filename or "upload", owner=caller.subject,
                tenant=caller.tenant, media_type=part.content_type or "", description=description)
            call.f = decode.response_format({"f": str(form.get("f") or call.params.get("f") or
                                                      "json")})
        return self._answer(call, {"success": True, "item": item(upload)}, url, crumbs,
                            item(upload))
