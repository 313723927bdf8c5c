"""``/api/docs``: the interactive API page (Swagger UI), served by Honua itself.

The Swagger UI files come from the ``swagger-ui-bundle`` package (Apache-2.0, its
licence ships with it) and are served from ``/api/docs/static/``: no CDN, so the
page works offline and behind a firewall, and no third party sees who reads it.
The page loads ``/api/openapi`` (the caller's own view: hidden processes stay
hidden) and sends the API key a user types in "Authorize" as ``X-API-Key``.
``/api/openapi?f=html`` redirects here.
"""

from __future__ import annotations

import functools
import html
from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, Response

from honua.errors import NotFound

__all__ = ["docs_asset", "docs_page", "swagger_ui_folder"]

ASSETS = frozenset({"swagger-ui-bundle.js", "swagger-ui-standalone-preset.js", "swagger-ui.css",
                    "favicon-16x16.png", "favicon-32x32.png", "oauth2-redirect.html"})
PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Honua API</title>
  <link rel="stylesheet" href="{static}/swagger-ui.css">
  <link rel="icon" type="image/png" href="{static}/favicon-32x32.png">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="{static}/swagger-ui-bundle.js"></script>
  <script src="{static}/swagger-ui-standalone-preset.js"></script>
  <script>
    window.ui = SwaggerUIBundle({{
      url: "{spec}", dom_id: "#swagger-ui", deepLinking: true,
      presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
      layout: "StandaloneLayout", validatorUrl: null
    }});
  </script>
</body>
</html>
"""


@functools.cache
def swagger_ui_folder() -> Path | None:
    """Where the installed Swagger UI files are (None without ``swagger-ui-bundle``)."""
    try:
        import swagger_ui_bundle
    except ImportError:
        return None
    return Path(swagger_ui_bundle.swagger_ui_path)


async def docs_page(request: Request) -> Response:
    if swagger_ui_folder() is None:
        raise NotFound("the interactive API page needs the swagger-ui-bundle package; "
                       "the definition itself is at /api/openapi")
    root = request.scope.get("root_path", "")
    return HTMLResponse(PAGE.format(static=html.escape(f"{root}/api/docs/static"),
                                    spec=html.escape(f"{root}/api/openapi")),
                        headers={"Cache-Control": "no-cache"})


async def docs_asset(request: Request) -> Response:
    folder = swagger_ui_folder()
    name = request.path_params["name"]
    if folder is None or name not in ASSETS:  # a fixed list: no path from the request
        raise NotFound(f"there is no file {name[:80]!r} here")
    return FileResponse(folder / name, headers={"Cache-Control": "public, max-age=86400"})
