"""Compression as clients see it: gzip or Brotli when accepted (q-values honoured), the
same bytes once decoded, streamed bodies still arriving chunk by chunk, Server-Sent
Events never compressed."""

from __future__ import annotations

import gzip
import json

import brotli
import pytest
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.responses import StreamingResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from honua.web.compress import CompressionMiddleware, accepted_codings, choose_coding
from tests.support.jobs import buffer_body


@pytest.fixture
def result_request(client):
    def run(accept: str):
        return client.post("/api/processes/buffer/execution", json=buffer_body(200),
                           headers={"Accept-Encoding": accept})
    return run


def test_gzip_when_accepted_and_the_same_document(result_request):
    plain = result_request("identity")
    assert "content-encoding" not in plain.headers
    zipped = result_request("gzip")
    assert zipped.headers["content-encoding"] == "gzip"
    assert "accept-encoding" in zipped.headers["vary"].lower()
    wire = int(zipped.headers["content-length"])
    assert wire < len(plain.content) / 2  # feature JSON compresses well
    assert json.loads(zipped.content) == json.loads(plain.content)  # httpx decoded it


def test_brotli_preferred_when_accepted(result_request):
    answer = result_request("gzip, deflate, br")
    assert answer.headers["content-encoding"] == "br"
    assert json.loads(answer.content)["type"] == "FeatureCollection"


def test_q_zero_refuses_a_coding(result_request):
    assert result_request("br;q=0, gzip").headers["content-encoding"] == "gzip"
    assert "content-encoding" not in result_request("gzip;q=0").headers


def test_small_answers_stay_plain(client):
    answer = client.get("/health", headers={"Accept-Encoding": "gzip, br"})
    assert "content-encoding" not in answer.headers


@pytest.mark.parametrize("header, expected", [
    ("", "identity"), ("gzip", "gzip"), ("br", "br"), ("*", "br"), ("x-gzip", "gzip"),
    ("gzip;q=1, br;q=0.5", "gzip"), ("br;q=nonsense, gzip", "gzip"), ("deflate", "identity"),
    (",,;;,q=1", "identity"), ("gzip" + ", x" * 10_000, "gzip"),
])
def test_choose_coding(header, expected):
    assert choose_coding(header) == expected


def test_choose_coding_without_brotli():
    assert choose_coding("br, gzip", brotli_available=False) == "gzip"
    assert choose_coding("br", brotli_available=False) == "identity"


def test_accepted_codings_clamps_q():
    assert accepted_codings("gzip;q=7, br;q=-1") == {"gzip": 1.0, "br": 0.0}


def _streaming_app(media_type: str) -> Starlette:
    async def chunks():
        for n in range(5):
            yield (f"data: {n} " + "x" * 2000 + "\n\n").encode()

    async def endpoint(request):
        return StreamingResponse(chunks(), media_type=media_type)

    return Starlette(routes=[Route("/s", endpoint)],
                     middleware=[Middleware(CompressionMiddleware, minimum_size=100)])


def test_server_sent_events_are_never_compressed():
    with TestClient(_streaming_app("text/event-stream")) as client:
        answer = client.get("/s", headers={"Accept-Encoding": "gzip, br"})
    assert "content-encoding" not in answer.headers
    assert answer.text.count("data: ") == 5


@pytest.mark.parametrize("coding, decode", [
    ("gzip", lambda chunks: gzip.decompress(b"".join(chunks))),
    ("br", lambda chunks: brotli.decompress(b"".join(chunks)))])
def test_streamed_bodies_are_compressed_chunk_by_chunk(coding, decode):
    with TestClient(_streaming_app("application/geo+json")) as client, client.stream(
            "GET", "/s", headers={"Accept-Encoding": coding}) as answer:
        assert answer.headers["content-encoding"] == coding
        raw = list(answer.iter_raw())
    assert len(raw) >= 5  # each chunk flushed, not held back until the end
    assert decode(raw).count(b"data: ") == 5
