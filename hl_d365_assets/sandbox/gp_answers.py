"""GP-API's request and answer conventions, as the simulator's payment desk applies them: the
error envelope (``error_code``, ``detailed_error_code``, ``detailed_error_description``), JSON
bodies whose amounts are minor-unit strings (a JSON number with a fraction is refused), unexpected
list parameters refused with ``40043``, and the list envelope (``total_record_count``,
``paging``, the rows under the resource's name)."""

from __future__ import annotations

import json
import re

ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class Refused(Exception):
    """A request GP would refuse: the status and GP's error envelope."""

    def __init__(self, status: int, code: str, detail: str, description: str) -> None:
        super().__init__(description)
        self.status = status
        self.body = {
            "error_code": code,
            "detailed_error_code": detail,
            "detailed_error_description": description,
        }


def missing(name: str) -> Refused:
    return Refused(
        400, "MANDATORY_DATA_MISSING", "40005", f"Request expects the following fields : {name}"
    )


def invalid(name: str) -> Refused:
    return Refused(400, "INVALID_REQUEST_DATA", "40213", f"{name} contains unexpected data")


def json_body(body: bytes, *, required: bool = True) -> dict:
    if not body and not required:
        return {}
    try:
        request = json.loads(body or b"null", parse_float=_refuse_float)
    except ValueError:
        raise invalid("request body") from None
    if not isinstance(request, dict):
        raise invalid("request body")
    return request


def _refuse_float(text: str) -> object:
    raise ValueError(f"{text}: GP-API amounts are minor-unit strings")


def refuse_unexpected(params: dict[str, str], allowed: frozenset[str]) -> None:
    unexpected = sorted(set(params) - allowed)
    if unexpected:
        raise Refused(
            400,
            "INVALID_REQUEST_DATA",
            "40043",
            f"Request contains unexpected fields: {','.join(unexpected)}",
        )


def in_range(time_created: str, params: dict[str, str]) -> bool:
    day = time_created[:10]
    for name in ("from_time_created", "to_time_created"):
        if name in params and not ISO_DATE.match(params[name]):
            raise invalid(name)
    return params.get("from_time_created", day) <= day <= params.get("to_time_created", day)


def page(rows: list[dict], params: dict[str, str], array_key: str) -> dict:
    order = params.get("order", "ASC")
    if order not in ("ASC", "DESC"):
        raise invalid("order")
    if params.get("order_by", "TIME_CREATED") != "TIME_CREATED":
        raise invalid("order_by")
    page, size = params.get("page", "1"), params.get("page_size", "100")
    if not (page.isdigit() and size.isdigit() and int(page) >= 1 and 1 <= int(size) <= 1000):
        raise invalid("page" if not page.isdigit() or int(page) < 1 else "page_size")
    rows = sorted(rows, key=lambda row: (row["time_created"], row["id"]), reverse=order == "DESC")
    start = (int(page) - 1) * int(size)
    selected = rows[start : start + int(size)]
    return {
        "total_record_count": len(rows),
        "current_page_size": len(selected),
        "paging": {"page": int(page), "page_size": int(size), "order": order,
                   "order_by": "TIME_CREATED"},
        array_key: selected,
    }  # fmt: skip


def compact(value: object) -> bytes:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()
