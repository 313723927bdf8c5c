"""``/api/uploads``: the two-step upload (POST a file, get an id, use ``{"uploadId": id}``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from honua.adapters.ogcapi.encode import link
from honua.adapters.ogcapi.responses import json_response
from honua.settings import Settings
from honua.store.uploads import Upload
from honua.types import UploadStore
from honua.web.body import public_base
from honua.web.identity import principal_of
from honua.web.negotiate import wants_html

if TYPE_CHECKING:
    from honua.adapters.ogcapi.html import Pages
from honua.web.multipart import receive_upload


def upload_document(upload: Upload, base: str) -> dict[str, Any]:
    href = f"{base}/api/uploads/{upload.id}"
    return {
        "uploadId": upload.id, "name": upload.name, "format": upload.format,
        "mediaType": upload.media_type, "size": upload.size,
        "created": upload.created.isoformat().replace("+00:00", "Z"),
        "expires": upload.expires.isoformat().replace("+00:00", "Z"),
        "description": upload.description,
        "usage": {"uploadId": upload.id},
        "links": [link(href, "self", "This upload")],
    }


class Uploads:
    def __init__(self, store: UploadStore, settings: Settings, pages: Pages | None = None) -> None:
        self.store = store
        self.settings = settings
        self.pages = pages

    async def create(self, request: Request) -> Response:
        caller = principal_of(request)

        def begin(filename: str, media_type: str) -> Any:
            return self.store.begin(filename, owner=caller.subject, tenant=caller.tenant,
                                    media_type=media_type)

        incoming, fields = await receive_upload(request, begin, self.store.limits.max_bytes)
        incoming.description = fields.get("description", "")[:1000]
        upload = await run_in_threadpool(incoming.commit)
        base = public_base(request, self.settings.base_url)
        return json_response(upload_document(upload, base), status=201,
                             headers={"Location": f"{base}/api/uploads/{upload.id}"})

    async def get(self, request: Request) -> Response:
        caller = principal_of(request)
        upload = await run_in_threadpool(self.store.get, request.path_params["upload_id"],
                                         owner=caller.subject, tenant=caller.tenant)
        document = upload_document(upload, public_base(request, self.settings.base_url))
        if self.pages is not None and wants_html(request):
            return self.pages.page(request, "document.html", self.pages.crumbs(
                ("Upload", "")), document=document, title=f"Upload {upload.id}")
        return json_response(document)

    async def delete(self, request: Request) -> Response:
        caller = principal_of(request)
        await run_in_threadpool(self.store.delete, request.path_params["upload_id"],
                                owner=caller.subject, tenant=caller.tenant)
        return Response(status_code=204)
