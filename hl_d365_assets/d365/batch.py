"""The OData wire format shared by the client and the simulator: JSON with exact decimals, and
the multipart/mixed ``$batch`` envelope.

JSON: D365 sends ``Edm.Decimal`` values as JSON numbers. :func:`loads` reads every number with a
fraction as :class:`~decimal.Decimal` (never a float, DESIGN.md "Money") and :func:`dumps` writes
a ``Decimal`` back as a bare JSON number with exactly its digits.

``$batch`` (shared/reference/d365-odata.md section 4, OData v4 Part 1 section 11.7): the request
is ``multipart/mixed; boundary=batch_...``; each top-level part is either one ``application/http``
request (reads) or a changeset, itself ``multipart/mixed; boundary=changeset_...`` whose parts are
``application/http`` requests with ``Content-Transfer-Encoding: binary`` and a ``Content-ID``.
The response mirrors it part for part. A failed changeset is answered by one error part — D365
wraps it in a ``changesetresponse`` multipart (DOC2ENT-RU capture), the OData spec allows a bare
``application/http`` part; :func:`decode_batch_response` accepts both.

Lines end in CRLF as RFC 2046 asks; the decoder also accepts bare LF, as hand-written batches
(and the captures in the reference) use it.
"""

import json
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from http import HTTPStatus

CRLF = b"\r\n"
JSON_CONTENT_TYPE = "application/json; odata.metadata=minimal"

# -- JSON ---------------------------------------------------------------------------------------

_DECIMAL_MARK = "\x00decimal:"
_DECIMAL_TOKEN = re.compile('"\\\\u0000decimal:(-?[0-9]+(?:\\.[0-9]+)?(?:E[+-]?[0-9]+)?)"')


def _encode_decimal(value: object) -> str:
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"{value} is not a JSON number")
        return _DECIMAL_MARK + str(value)
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def dumps(value: object) -> bytes:
    """Compact JSON; a ``Decimal`` becomes a JSON number with exactly its digits."""
    text = json.dumps(value, separators=(",", ":"), ensure_ascii=False, default=_encode_decimal)
    return _DECIMAL_TOKEN.sub(r"\1", text).encode()


def loads(data: bytes | str) -> object:
    """JSON with every non-integer number as ``Decimal``."""
    return json.loads(data, parse_float=Decimal)


# -- the $batch envelope ------------------------------------------------------------------------


@dataclass(frozen=True)
class BatchRequest:
    """One operation of a batch, as an ``application/http`` part carries it."""

    method: str
    url: str
    """As written on the request line: relative to the service root, or absolute."""
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""
    content_id: str | None = None


@dataclass(frozen=True)
class Changeset:
    """Requests applied atomically: all succeed or none does."""

    requests: tuple[BatchRequest, ...]


@dataclass(frozen=True)
class BatchResponse:
    """One answer of a batch response."""

    status: int
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""
    content_id: str | None = None

    def header(self, name: str) -> str | None:
        return _header(self.headers, name)


@dataclass(frozen=True)
class ChangesetResponse:
    """The answers of one changeset: one per request, or a single error answer."""

    responses: tuple[BatchResponse, ...] = field(default_factory=tuple)


BatchItem = BatchRequest | Changeset
BatchResponseItem = BatchResponse | ChangesetResponse


class BatchFormatError(ValueError):
    """The body is not a well-formed multipart batch."""


def new_boundary(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4()}"


def encode_batch_request(
    items: Sequence[BatchItem], boundary: str | None = None
) -> tuple[str, bytes]:
    """(Content-Type, body) of a ``POST $batch`` holding ``items`` in order."""
    boundary = boundary or new_boundary("batch")
    parts = []
    for item in items:
        if isinstance(item, Changeset):
            inner = new_boundary("changeset")
            body = _join(
                [_http_part(_request_message(r), r.content_id) for r in item.requests], inner
            )
            parts.append(_part([("Content-Type", f"multipart/mixed; boundary={inner}")], body))
        else:
            parts.append(_http_part(_request_message(item), item.content_id))
    return f"multipart/mixed; boundary={boundary}", _join(parts, boundary) + CRLF


def decode_batch_request(content_type: str, body: bytes) -> list[BatchItem]:
    items: list[BatchItem] = []
    for headers, content in _split(body, _boundary(content_type)):
        inner_type = _header(headers, "Content-Type") or ""
        if inner_type.lower().startswith("multipart/mixed"):
            requests = tuple(
                _parse_request(part_body, _header(part_headers, "Content-ID"))
                for part_headers, part_body in _split(content, _boundary(inner_type))
            )
            items.append(Changeset(requests))
        else:
            items.append(_parse_request(content, _header(headers, "Content-ID")))
    return items


def encode_batch_response(
    items: Sequence[BatchResponseItem], boundary: str | None = None
) -> tuple[str, bytes]:
    boundary = boundary or new_boundary("batchresponse")
    parts = []
    for item in items:
        if isinstance(item, ChangesetResponse):
            inner = new_boundary("changesetresponse")
            body = _join(
                [_http_part(_response_message(r), r.content_id) for r in item.responses], inner
            )
            parts.append(_part([("Content-Type", f"multipart/mixed; boundary={inner}")], body))
        else:
            parts.append(_http_part(_response_message(item), item.content_id))
    return f"multipart/mixed; boundary={boundary}", _join(parts, boundary) + CRLF


def decode_batch_response(content_type: str, body: bytes) -> list[BatchResponseItem]:
    items: list[BatchResponseItem] = []
    for headers, content in _split(body, _boundary(content_type)):
        inner_type = _header(headers, "Content-Type") or ""
        if inner_type.lower().startswith("multipart/mixed"):
            responses = tuple(
                _parse_response(part_body, _header(part_headers, "Content-ID"))
                for part_headers, part_body in _split(content, _boundary(inner_type))
            )
            items.append(ChangesetResponse(responses))
        else:
            items.append(_parse_response(content, _header(headers, "Content-ID")))
    return items


# -- helpers ------------------------------------------------------------------------------------


def _header(headers: Sequence[tuple[str, str]], name: str) -> str | None:
    lowered = name.lower()
    for key, value in headers:
        if key.lower() == lowered:
            return value
    return None


def _boundary(content_type: str) -> str:
    match = re.search(r'boundary="?([^";]+)"?', content_type, flags=re.IGNORECASE)
    if not match:
        raise BatchFormatError(f"no multipart boundary in Content-Type {content_type!r}")
    return match.group(1).strip()


def _part(headers: Sequence[tuple[str, str]], body: bytes) -> bytes:
    head = b"".join(f"{name}: {value}".encode() + CRLF for name, value in headers)
    return head + CRLF + body


def _http_part(message: bytes, content_id: str | None) -> bytes:
    headers = [("Content-Type", "application/http"), ("Content-Transfer-Encoding", "binary")]
    if content_id is not None:
        headers.append(("Content-ID", content_id))
    return _part(headers, message)


def _join(parts: Sequence[bytes], boundary: str) -> bytes:
    delimiter = b"--" + boundary.encode()
    out = bytearray()
    for part in parts:
        out += delimiter + CRLF + part + CRLF
    out += delimiter + b"--"
    return bytes(out)


def _split(body: bytes, boundary: str) -> list[tuple[list[tuple[str, str]], bytes]]:
    """The parts between the delimiters, each as (headers, content); the preamble, epilogue
    and the line break before each delimiter are not content (RFC 2046, 5.1.1)."""
    delimiter = b"--" + boundary.encode()
    if body.startswith(delimiter):
        position = 0
    else:
        position = body.find(b"\n" + delimiter)
        if position < 0:
            raise BatchFormatError(f"boundary {boundary!r} not found in the body")
        position += 1
    parts = []
    while True:
        after = position + len(delimiter)
        if body[after : after + 2] == b"--":
            return parts
        line_end = body.find(b"\n", after)
        if line_end < 0:
            raise BatchFormatError("multipart body ends inside a delimiter line")
        start = line_end + 1
        following = body.find(b"\n" + delimiter, start - 1)
        if following < 0:
            raise BatchFormatError(f"multipart body lacks the closing delimiter of {boundary!r}")
        end = following
        if end > start and body[end - 1 : end] == b"\r":
            end -= 1
        parts.append(_headers_and_body(body[start:end] if end >= start else b""))
        position = following + 1


def _headers_and_body(message: bytes) -> tuple[list[tuple[str, str]], bytes]:
    crlf = message.find(b"\r\n\r\n")
    lf = message.find(b"\n\n")
    if crlf >= 0 and (lf < 0 or crlf <= lf):
        head, content = message[:crlf], message[crlf + 4 :]
    elif lf >= 0:
        head, content = message[:lf], message[lf + 2 :]
    elif message.startswith((b"\r\n", b"\n")):
        head, content = b"", message.lstrip(b"\r\n")
    else:
        head, content = message, b""
    headers = []
    for line in head.decode("utf-8").splitlines():
        if not line.strip():
            continue
        name, separator, value = line.partition(":")
        if not separator:
            raise BatchFormatError(f"malformed header line {line!r}")
        headers.append((name.strip(), value.strip()))
    return headers, content


def _request_message(request: BatchRequest) -> bytes:
    start = f"{request.method} {request.url} HTTP/1.1".encode()
    head = b"".join(f"{name}: {value}".encode() + CRLF for name, value in request.headers)
    return start + CRLF + head + CRLF + request.body


def _response_message(response: BatchResponse) -> bytes:
    try:
        reason = HTTPStatus(response.status).phrase
    except ValueError:
        reason = "Unknown"
    start = f"HTTP/1.1 {response.status} {reason}".encode()
    head = b"".join(f"{name}: {value}".encode() + CRLF for name, value in response.headers)
    return start + CRLF + head + CRLF + response.body


def _first_line(message: bytes) -> tuple[str, bytes]:
    line_end = message.find(b"\n")
    if line_end < 0:
        return message.decode("utf-8").strip(), b""
    return message[:line_end].decode("utf-8").strip(), message[line_end + 1 :]


def _parse_request(message: bytes, content_id: str | None) -> BatchRequest:
    line, rest = _first_line(message)
    pieces = line.split(" ")
    if len(pieces) != 3 or not pieces[2].startswith("HTTP/"):
        raise BatchFormatError(f"malformed request line {line!r}")
    headers, body = _headers_and_body(b"\r\n" + rest if rest.startswith((b"\r\n", b"\n")) else rest)
    return BatchRequest(pieces[0].upper(), pieces[1], tuple(headers), body, content_id)


def _parse_response(message: bytes, content_id: str | None) -> BatchResponse:
    line, rest = _first_line(message)
    match = re.match(r"HTTP/\d\.\d (\d{3})", line)
    if not match:
        raise BatchFormatError(f"malformed status line {line!r}")
    headers, body = _headers_and_body(b"\r\n" + rest if rest.startswith((b"\r\n", b"\n")) else rest)
    return BatchResponse(int(match.group(1)), tuple(headers), body, content_id)
