"""Streaming a multipart/form-data file upload straight into the upload store.

Starlette's ``request.form()`` spools file parts to the system's temporary
folder before anyone can check them; here the file part's bytes go directly
to an ``Incoming`` of ``honua.store.uploads`` (inside the upload area, counted
against its size limit as they arrive), so an oversized or refused upload
leaves nothing anywhere else. Small text fields (e.g. ``description``) are
collected too, up to a few kilobytes each. Shared by every adapter that
takes uploads.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.requests import Request

from honua.errors import InvalidParameter, PayloadTooLarge

if TYPE_CHECKING:  # the TypedDict exists for type checkers only
    from python_multipart.multipart import MultipartCallbacks

__all__ = ["receive_upload"]

FIELD_LIMIT = 8192
FILE_FIELDS = ("file", "upload", "data")


class _Receiver:
    def __init__(self, begin: Callable[[str, str], Any]) -> None:
        self.begin = begin
        self.incoming: Any = None
        self.fields: dict[str, str] = {}
        self._headers: dict[str, str] = {}
        self._name = self._value = b""
        self._target: Any = None  # Incoming for the file part, a bytearray for a text field
        self._field = ""

    def callbacks(self) -> MultipartCallbacks:
        return {
            "on_part_begin": self._part_begin, "on_header_field": self._header_field,
            "on_header_value": self._header_value, "on_header_end": self._header_end,
            "on_headers_finished": self._headers_finished, "on_part_data": self._data,
            "on_part_end": self._part_end,
        }

    def _part_begin(self) -> None:
        self._headers, self._target, self._name, self._value = {}, None, b"", b""

    def _header_field(self, data: bytes, start: int, end: int) -> None:
        self._name += data[start:end]

    def _header_value(self, data: bytes, start: int, end: int) -> None:
        self._value += data[start:end]

    def _header_end(self) -> None:
        # latin-1 keeps every byte (browsers send UTF-8 names raw): parse_options_header
        # encodes back to latin-1, and the names are decoded as UTF-8 once parsed
        self._headers[self._name.decode("latin-1").lower()] = self._value.decode("latin-1")
        self._name = self._value = b""

    def _headers_finished(self) -> None:
        _, params = parse_options_header(self._headers.get("content-disposition", ""))
        name = params.get(b"name", b"").decode("utf-8", "replace")
        filename = params.get(b"filename")
        if filename is not None and name in FILE_FIELDS:
            if self.incoming is not None:
                raise InvalidParameter("send one file per upload")
            self.incoming = self.begin(filename.decode("utf-8", "replace"),
                                       self._headers.get("content-type", ""))
            self._target = self.incoming
        elif filename is None:
            self._field, self._target = name, bytearray()

    def _data(self, data: bytes, start: int, end: int) -> None:
        if self._target is None:
            return  # another file part: ignored
        if isinstance(self._target, bytearray):
            self._target += data[start:end]
            if len(self._target) > FIELD_LIMIT:
                raise InvalidParameter(f"form field {self._field!r} is too long")
        else:
            self._target.write(data[start:end])

    def _part_end(self) -> None:
        if isinstance(self._target, bytearray):
            self.fields[self._field] = self._target.decode("utf-8", "replace")
        self._target = None


async def receive_upload(request: Request, begin: Callable[[str, str], Any], max_bytes: int
                         ) -> tuple[Any, dict[str, str]]:
    """Stream the request's file part into ``begin(filename, media_type)``'s Incoming.

    Returns the Incoming (not yet committed) and the text fields; on any error
    the Incoming is aborted and the error raised.
    """
    kind, params = parse_options_header(request.headers.get("content-type", ""))
    boundary = params.get(b"boundary")
    if kind != b"multipart/form-data" or not boundary:
        raise InvalidParameter('send the file as multipart/form-data, in a field named "file"')
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes + 65536:
        raise PayloadTooLarge(f"the upload is larger than the limit of {max_bytes / 1048576:g} MB")
    receiver = _Receiver(begin)
    parser = MultipartParser(boundary, receiver.callbacks())
    try:
        async for chunk in request.stream():
            parser.write(chunk)
        parser.finalize()
    except MultipartParseError as exc:
        if receiver.incoming is not None:
            receiver.incoming.abort()
        raise InvalidParameter(f"the multipart body is malformed: {exc}") from None
    except BaseException:
        if receiver.incoming is not None:
            receiver.incoming.abort()
        raise
    if receiver.incoming is None:
        raise InvalidParameter('the request has no file: send it as multipart/form-data in a '
                               'field named "file"')
    return receiver.incoming, receiver.fields
