"""The query string of a Heartland Retail listing, as the official gem writes it.

(shared/reference/heartland-retail-payroll.md §2, HR-RUBY ``client.rb`` / ``collection.rb``.)

- ``_filter=<JSON>``: one condition object, or a JSON array of objects that must all hold. The
  form ``_filter[]=<JSON>`` (HR-POLE) is what a few third parties send; we send the gem's.
  Values are written with :func:`hl_d365_assets.http.exact_json.dumps`, so a ``Decimal`` keeps
  its digits and a ``date``/``datetime`` goes as ISO-8601; a ``float`` is refused.
- ``sort[]=field`` or ``sort[]=field,desc``, the key repeated per sort field, first one major.
- ``_only[]=field`` and ``_include[]=name``, repeated.
- ``page`` (from 1) and ``per_page``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from hl_d365_assets.http import exact_json

Filter = Mapping[str, object]
"""One condition object: ``{"id": {"$gt": 41}}``, ``{"$or": [{...}, {...}]}``."""
ExtraParams = Mapping[str, object] | Sequence[tuple[str, object]]

_SORT = re.compile(r"^[A-Za-z_][\w@.]*(,(asc|desc))?$")
_FIELD = re.compile(r"^[A-Za-z_][\w@.]*$")

__all__ = ["ExtraParams", "Filter", "filter_text", "listing_params"]


def filter_text(filters: Filter | Sequence[Filter]) -> str | None:
    """The ``_filter`` value: one object as itself, several as a JSON array; ``None`` for none."""
    if isinstance(filters, Mapping):
        filters = [filters]
    conditions = list(filters)
    for condition in conditions:
        if not isinstance(condition, Mapping):
            raise TypeError(
                f"a filter is a condition object (a mapping), not {type(condition).__name__}"
            )
    if not conditions:
        return None
    return exact_json.dumps(conditions[0] if len(conditions) == 1 else conditions)


def listing_params(
    *,
    filters: Filter | Sequence[Filter] = (),
    sort: Sequence[str] = (),
    only: Sequence[str] = (),
    include: Sequence[str] = (),
    page: int = 1,
    per_page: int,
    params: ExtraParams | None = None,
) -> list[tuple[str, str]]:
    """Query parameters in a stable order (so a request names the same way every time)."""
    if page < 1:
        raise ValueError(f"page counts from 1, not {page}")
    if per_page < 1:
        raise ValueError(f"per_page must be at least 1, not {per_page}")
    query: list[tuple[str, str]] = []
    text = filter_text(filters)
    if text is not None:
        query.append(("_filter", text))
    for key in _strings("sort", sort):
        if not _SORT.match(key):
            raise ValueError(f"sort key {key!r} is not 'field' or 'field,desc'")
        query.append(("sort[]", key))
    for name, fields in (("_only[]", only), ("_include[]", include)):
        for field in _strings(name, fields):
            if not _FIELD.match(field):
                raise ValueError(f"{name} {field!r} is not a field name")
            query.append((name, field))
    query += [("page", str(page)), ("per_page", str(per_page))]
    query += _extra(params)
    return query


def _strings(name: str, values: Sequence[str]) -> list[str]:
    if isinstance(values, str):  # sort="id" would otherwise be the keys i and d
        return [values]
    values = list(values)
    for value in values:
        if not isinstance(value, str):
            raise TypeError(f"{name} takes field names, not {type(value).__name__}")
    return values


def _extra(params: ExtraParams | None) -> list[tuple[str, str]]:
    """Other parameters (``group[]``, ``exclude_empty_locations``): a sequence value repeats its
    key; booleans are written ``true``/``false`` as the API expects."""
    if not params:
        return []
    pairs = params.items() if isinstance(params, Mapping) else params
    query = []
    for key, value in pairs:
        values = value if isinstance(value, list | tuple) else [value]
        query += [(key, _param_text(item)) for item in values]
    return query


def _param_text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, float):
        raise TypeError(f"float {value!r} refused as a query value; pass a Decimal or a str")
    return exact_json.dumps(value).strip('"')
