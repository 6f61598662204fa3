"""JSON whose numbers keep the digits they were written with.

Heartland Retail sends money as JSON numbers in major units (``72.95``). Python's ``json``
turns those into binary floats, which cannot hold most decimal fractions (``0.1``) and lose
digits beyond 15–17 significant ones (``1234567890123456.78``). The project never lets money
pass through a float (DESIGN.md, "Money"), so every API body that may carry money is read and
written here:

- :func:`loads` gives every number with a fraction or an exponent as :class:`decimal.Decimal`
  (``Decimal("72.95")``, exactly the digits sent) and every integer as ``int``; ``NaN`` and
  ``Infinity``, which are not JSON, are refused.
- :func:`dumps` writes compact JSON in which a ``Decimal`` is a JSON *number* with exactly its
  digits (``Decimal("72.950")`` stays ``72.950``). A ``float`` raises ``TypeError``: one that
  slipped in has already lost the digits, so it is a bug to report, not a value to write.
  Dates and datetimes are written as ISO-8601 strings (filter values, timestamps we send).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date, datetime, time
from decimal import Decimal

__all__ = ["dumps", "loads", "raw_decode"]


def _refuse_constant(name: str) -> object:
    raise ValueError(f"{name} is not a JSON number")


_DECODER = json.JSONDecoder(parse_float=Decimal, parse_constant=_refuse_constant)
_encode_string = json.encoder.encode_basestring  # C speedup: escapes, keeps non-ASCII as is


def loads(text: str | bytes | bytearray) -> object:
    """The JSON value in ``text``: fractions and exponents as ``Decimal``, integers as ``int``.

    Raises ``ValueError`` (``json.JSONDecodeError``) for text that is not one JSON value.
    """
    if isinstance(text, bytes | bytearray):
        text = text.decode("utf-8")
    return _DECODER.decode(text)


def raw_decode(text: str, at: int = 0) -> tuple[object, int]:
    """The JSON value starting exactly at ``text[at]`` (no whitespace skipped) and the index just
    past it, by :func:`loads`'s rules. A reader that keeps each value's own text
    (``text[at:end]``) walks a document with this, parsing every value once in C.

    Raises ``ValueError`` (``json.JSONDecodeError``) when no JSON value starts at ``at``.
    """
    return _DECODER.raw_decode(text, at)


def dumps(value: object) -> str:
    """``value`` as compact JSON; ``Decimal`` written with its own digits, ``float`` refused."""
    parts: list[str] = []
    _write(value, parts.append)
    return "".join(parts)


def _write(value: object, emit) -> None:
    # Most specific first: bool is an int, datetime is a date.
    if isinstance(value, str):
        emit(_encode_string(value))
    elif value is None:
        emit("null")
    elif value is True:
        emit("true")
    elif value is False:
        emit("false")
    elif isinstance(value, int):
        emit(int.__repr__(value))
    elif isinstance(value, Decimal):
        emit(_decimal_text(value))
    elif isinstance(value, Mapping):
        emit("{")
        first = True
        for key, item in value.items():
            if not isinstance(key, str):
                raise TypeError(f"JSON object keys must be str, not {type(key).__name__}")
            if not first:
                emit(",")
            first = False
            emit(_encode_string(key))
            emit(":")
            _write(item, emit)
        emit("}")
    elif isinstance(value, list | tuple):
        emit("[")
        for index, item in enumerate(value):
            if index:
                emit(",")
            _write(item, emit)
        emit("]")
    elif isinstance(value, float):
        raise TypeError(
            f"float {value!r} refused: money and quantities travel as Decimal, never as float"
        )
    elif isinstance(value, datetime | date | time):
        emit(_encode_string(value.isoformat()))
    else:
        raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def _decimal_text(value: Decimal) -> str:
    if not value.is_finite():
        raise ValueError(f"Decimal {value} is not a JSON number")
    # str() of a finite Decimal is a valid JSON number ("72.95", "-0.10", "1E-7", "1E+2").
    return str(value)
