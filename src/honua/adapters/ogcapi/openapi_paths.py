"""The rest of ``/api`` in the OpenAPI document: the catalog (OGC API - Features), uploads,
job events, cancel, single results, provenance, reproduce, workflows, deploy, and the query
options every output takes.

Kept apart from ``openapi.py`` (the Processes core) so that each family of routes
is described next to its own shapes; ``openapi_document`` merges these in.
"""

from __future__ import annotations

from typing import Any

_PROBLEM = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/exception"}}}
_OBJECT = {"application/json": {"schema": {"$ref": "#/components/schemas/object"}}}
_WORKFLOW = {"application/json": {"schema": {
    "type": "object", "required": ["workflow"],
    "properties": {"workflow": {"type": "object"}, "inputs": {"type": "object"}}}}}
_GEOJSON = {"application/geo+json": {"schema": {"$ref": "#/components/schemas/object"}}}
_JOB_ID = {"name": "jobId", "in": "path", "required": True, "schema": {"type": "string"}}
_COLLECTION_ID = {"name": "collectionId", "in": "path", "required": True,
                  "schema": {"type": "string", "pattern": "^[A-Za-z][A-Za-z0-9_.\\-]{0,63}$"}}
PRECISION = {"name": "precision", "in": "query", "required": False,
             "schema": {"type": "integer", "minimum": 0, "maximum": 15},
             "description": "Decimals of output coordinates (default 7 in degrees, 3 in "
                            "metres; 15 = as computed)"}


def _errors(*codes: int) -> dict[str, Any]:
    words = {400: "Invalid request", 401: "Credentials needed", 403: "Not allowed",
             404: "Not found", 409: "Conflict", 413: "Request body too large",
             429: "Server busy, retry later"}
    out = {str(code): {"description": words[code], "content": _PROBLEM} for code in codes}
    out["500"] = {"description": "Server error", "content": _PROBLEM}
    return out


def _query(name: str, schema: dict[str, Any], description: str = "") -> dict[str, Any]:
    parameter = {"name": name, "in": "query", "required": False, "schema": schema}
    if description:
        parameter["description"] = description
    return parameter


def _items_parameters() -> list[dict[str, Any]]:
    return [
        _query("limit", {"type": "integer", "minimum": 1}, "Features per page"),
        _query("offset", {"type": "integer", "minimum": 0}),
        _query("bbox", {"type": "string"}, "minx,miny,maxx,maxy in CRS84 (or bbox-crs)"),
        _query("bbox-crs", {"type": "string"}),
        _query("properties", {"type": "string"}, "Comma-separated properties to return"),
        _query("filter", {"type": "string"}, "A CQL2 filter"),
        _query("filter-lang", {"type": "string", "enum": ["cql2-text", "cql2-json"]}),
        _query("filter-crs", {"type": "string"}),
        _query("crs", {"type": "string"}),
        PRECISION,
    ]


def extra_paths() -> dict[str, Any]:
    """Paths beside the Processes core, keyed as in ``openapi_document`` (under /api)."""
    return {
        "/collections": {"get": {
            "summary": "The layers (OGC API - Features)", "operationId": "collections",
            "tags": ["Data"], "responses": {"200": {"description": "Success",
                                                    "content": _OBJECT}, **_errors()}}},
        "/collections/{collectionId}": {
            "get": {"summary": "One layer", "operationId": "collection", "tags": ["Data"],
                    "parameters": [_COLLECTION_ID],
                    "responses": {"200": {"description": "Success", "content": _OBJECT},
                                  **_errors(403, 404)}},
            "delete": {"summary": "Delete a layer a job registered (its owner or an admin)",
                       "operationId": "deleteCollection", "tags": ["Data"],
                       "parameters": [_COLLECTION_ID],
                       "responses": {"204": {"description": "Deleted"},
                                     **_errors(401, 403, 404)}}},
        "/collections/{collectionId}/queryables": {"get": {
            "summary": "Properties usable in filters", "operationId": "queryables",
            "tags": ["Data"], "parameters": [_COLLECTION_ID],
            "responses": {"200": {"description": "Success", "content": {
                "application/schema+json": {"schema": {"$ref": "#/components/schemas/object"}}}},
                **_errors(404)}}},
        "/collections/{collectionId}/items": {"get": {
            "summary": "Features of a layer", "operationId": "items", "tags": ["Data"],
            "parameters": [_COLLECTION_ID, *_items_parameters()],
            "responses": {"200": {"description": "A page of features", "content": _GEOJSON},
                          **_errors(400, 404)}}},
        "/collections/{collectionId}/items/{featureId}": {"get": {
            "summary": "One feature", "operationId": "item", "tags": ["Data"],
            "parameters": [_COLLECTION_ID,
                           {"name": "featureId", "in": "path", "required": True,
                            "schema": {"type": "string"}}, PRECISION],
            "responses": {"200": {"description": "The feature", "content": _GEOJSON},
                          **_errors(400, 404)}}},
        "/uploads": {"post": {
            "summary": "Upload a file to use as a process input ({\"uploadId\": ...})",
            "operationId": "upload", "tags": ["Data"],
            "requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
                "type": "object", "required": ["file"],
                "properties": {"file": {"type": "string", "format": "binary"},
                               "description": {"type": "string", "maxLength": 1000}}}}}},
            "responses": {"201": {"description": "Stored; Location names it",
                                  "content": _OBJECT}, **_errors(400, 413, 429)}}},
        "/uploads/{uploadId}": {
            "get": {"summary": "An upload", "operationId": "getUpload", "tags": ["Data"],
                    "parameters": [{"name": "uploadId", "in": "path", "required": True,
                                    "schema": {"type": "string"}}],
                    "responses": {"200": {"description": "Success", "content": _OBJECT},
                                  **_errors(404)}},
            "delete": {"summary": "Delete an upload", "operationId": "deleteUpload",
                       "tags": ["Data"],
                       "parameters": [{"name": "uploadId", "in": "path", "required": True,
                                       "schema": {"type": "string"}}],
                       "responses": {"204": {"description": "Deleted"}, **_errors(404)}}},
        "/jobs/{jobId}/events": {"get": {
            "summary": "Live job events (Server-Sent Events: status, progress, messages, "
                       "final links)", "operationId": "jobEvents", "tags": ["Jobs"],
            "parameters": [_JOB_ID],
            "responses": {"200": {
                "description": "An event stream; each event's data is a JSON status info",
                "content": {"text/event-stream": {"schema": {"type": "string"}}}},
                **_errors(404)}}},
        "/jobs/{jobId}/cancel": {"post": {
            "summary": "Cancel a job and keep it (DELETE /jobs/{jobId} removes it)",
            "operationId": "cancel", "tags": ["Jobs"], "parameters": [_JOB_ID],
            "responses": {"200": {"description": "The job, stopped or stopping",
                                  "content": {"application/json": {"schema": {
                                      "$ref": "#/components/schemas/statusInfo"}}}},
                          **_errors(404)}}},
        "/jobs/{jobId}/results/{output}": {"get": {
            "summary": "One output of a job, raw", "operationId": "result", "tags": ["Jobs"],
            "parameters": [_JOB_ID, {"name": "output", "in": "path", "required": True,
                                     "schema": {"type": "string"}}],
            "responses": {"200": {"description": "The output", "content": {
                **_GEOJSON, **_OBJECT}}, **_errors(404)}}},
        "/jobs/{jobId}/results/{output}/map": {"get": {
            "summary": "A feature output simplified for a map view (at most 10,000 features "
                       "in the box, simplified for the zoom)", "operationId": "resultMap",
            "tags": ["Jobs"],
            "parameters": [_JOB_ID, {"name": "output", "in": "path", "required": True,
                                     "schema": {"type": "string"}},
                           _query("bbox", {"type": "string"}, "minx,miny,maxx,maxy in CRS84"),
                           _query("limit", {"type": "integer", "minimum": 1}),
                           _query("tolerance", {"type": "number", "minimum": 0})],
            "responses": {"200": {"description": "GeoJSON for the map", "content": _GEOJSON},
                          **_errors(400, 404)}}},
        "/jobs/{jobId}/provenance": {"get": {
            "summary": "How the job's outputs came to be (W3C PROV-JSON)",
            "operationId": "provenance", "tags": ["Jobs"], "parameters": [_JOB_ID],
            "responses": {"200": {"description": "The ledger entry", "content": {
                "application/json": {"schema": {"$ref": "#/components/schemas/object"}}}},
                **_errors(404)}}},
        "/jobs/{jobId}/reproduce": {"post": {
            "summary": "Run the job again with its recorded inputs; whether each output's "
                       "hash matches", "operationId": "reproduce", "tags": ["Jobs"],
            "parameters": [_JOB_ID],
            "responses": {"200": {"description": "Recorded and reproduced hashes",
                                  "content": _OBJECT}, **_errors(400, 404, 409, 429)}}},
        "/workflows/execution": {"post": {
            "summary": "Run a JSON workflow document (sync, or async with Prefer: "
                       "respond-async)", "operationId": "executeWorkflow", "tags": ["Workflows"],
            "requestBody": {"required": True, "content": _WORKFLOW},
            "responses": {"200": {"description": "The workflow's outputs", "content": _OBJECT},
                          "201": {"description": "A job; Location names it",
                                  "content": _OBJECT}, **_errors(400, 404, 413, 429)}}},
        "/workflows/validation": {"post": {
            "summary": "Check a workflow document without running it",
            "operationId": "validateWorkflow", "tags": ["Workflows"],
            "requestBody": {"required": True, "content": _WORKFLOW},
            "responses": {"200": {"description": "Valid", "content": _OBJECT},
                          **_errors(400, 404, 413)}}},
    }


def deploy_operations() -> dict[str, Any]:
    """``POST /processes`` and ``DELETE /processes/{processId}`` (OGC API - Processes Part 2
    style, admin role), merged into the core's two process paths."""
    return {
        "post": {"summary": "Deploy a workflow document as a process (admin role)",
                 "operationId": "deploy", "tags": ["Processes"],
                 "requestBody": {"required": True, "content": _OBJECT},
                 "responses": {"201": {"description": "Deployed; Location names it",
                                       "content": _OBJECT}, **_errors(400, 403, 409)}},
        "delete": {"summary": "Undeploy a deployed process (admin role)",
                   "operationId": "undeploy", "tags": ["Processes"],
                   "parameters": [{"name": "processId", "in": "path", "required": True,
                                   "schema": {"type": "string"}}],
                   "responses": {"204": {"description": "Undeployed"},
                                 **_errors(403, 404)}},
    }
