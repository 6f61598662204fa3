"""``_filter`` and ``sort[]`` as the Heartland Retail simulator applies them.

From the facts (shared/reference/heartland-retail-payroll.md §2): Mongo-style condition objects,
``$gt`` ``$gte`` ``$lt`` ``$lte`` ``$in`` ``$or`` ``$and`` and equality by value, several
conditions combined as a JSON array (all must hold); custom fields filter as ``custom@<key>``.
Guessed (the filtering doc page is private): conditions name top-level fields only; timestamps
compare as instants (their offsets differ); a missing field or ``null`` fails every comparison
but equality with ``null``; an unknown operator is refused with 400 naming it, so a client never
believes a filter held that was ignored.

Evaluation is lazy: conditions on the key (``id``) become a range of the key-ordered records
(:class:`KeyRange`, found by bisection), and only the rest is tested record by record, reading
indexed fields first and parsing a document only when a condition names another field.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from hl_d365_assets.sandbox.heartland_retail_store import Document, ResourceSpec, indexed_value

RANGE_OPERATORS = ("$gt", "$gte", "$lt", "$lte")
FIELD_OPERATORS = frozenset({*RANGE_OPERATORS, "$in"})
LOGICAL_OPERATORS = frozenset({"$or", "$and"})
_MISSING = object()


class FilterError(ValueError):
    """A filter the simulator refuses (400), the message saying why."""


class Row:
    """One record as conditions see it: key and indexed fields without parsing, the rest from
    the document parsed once, on first need."""

    __slots__ = ("_data", "document", "spec")

    def __init__(self, spec: ResourceSpec, document: Document) -> None:
        self.spec = spec
        self.document = document
        self._data: dict | None = None

    def get(self, name: str) -> object:
        if name in self.spec.key:
            return self.document.key[self.spec.key.index(name)]
        if name in self.document.indexed:
            return self.document.indexed[name]
        if self._data is None:
            self._data = self.document.data()
        if name.startswith("custom@"):
            custom = self._data.get("custom")
            value = custom.get(name[7:], _MISSING) if isinstance(custom, dict) else _MISSING
        else:
            value = self._data.get(name, _MISSING)
        return indexed_value(value)


Predicate = Callable[[Row], bool]


@dataclass
class KeyRange:
    """Bounds on ``id`` taken out of the top-level conditions: ``low < id`` (or ``<=``) ..."""

    low: object = None
    low_inclusive: bool = True
    high: object = None
    high_inclusive: bool = True
    empty: bool = False

    def narrow(self, operator: str, value: object) -> None:
        if operator in ("$gt", "$gte"):
            inclusive = operator == "$gte"
            if self.low is None or value > self.low or (value == self.low and not inclusive):
                self.low, self.low_inclusive = value, inclusive
        else:
            inclusive = operator == "$lte"
            if self.high is None or value < self.high or (value == self.high and not inclusive):
                self.high, self.high_inclusive = value, inclusive


@dataclass
class CompiledFilter:
    key_range: KeyRange
    rest: list[Predicate]

    def test(self, row: Row) -> bool:
        return all(predicate(row) for predicate in self.rest)


def compile_filter(spec: ResourceSpec, conditions: Sequence[object]) -> CompiledFilter:
    """All of ``conditions`` (condition objects) as a key range and the remaining predicates."""
    key_range = KeyRange()
    rest: list[Predicate] = []
    for condition in conditions:
        if not isinstance(condition, dict):
            raise FilterError("_filter holds a condition that is not a JSON object")
        for name, expected in condition.items():
            if spec.key == ("id",) and name == "id" and _narrows(key_range, expected):
                continue
            rest.append(_member(name, expected))
    return CompiledFilter(key_range, rest)


def _narrows(key_range: KeyRange, expected: object) -> bool:
    """Whether an ``id`` condition went into the key range (integer bounds or equality)."""
    if _is_number(expected) and expected == int(expected):
        key_range.narrow("$gte", int(expected))
        key_range.narrow("$lte", int(expected))
        return True
    if not isinstance(expected, dict) or not expected:
        return False
    if not set(expected) <= set(RANGE_OPERATORS):
        return False
    if not all(_is_number(value) for value in expected.values()):
        return False
    for operator, value in expected.items():
        key_range.narrow(operator, value)
    return True


def _member(name: str, expected: object) -> Predicate:
    if name.startswith("$"):
        if name not in LOGICAL_OPERATORS:
            raise FilterError(f"unknown operator {name}")
        if not isinstance(expected, list) or not all(isinstance(c, dict) for c in expected):
            raise FilterError(f"{name} takes an array of condition objects")
        branches = [[_member(n, e) for n, e in branch.items()] for branch in expected]
        if name == "$or":
            return lambda row: any(all(p(row) for p in branch) for branch in branches)
        return lambda row: all(all(p(row) for p in branch) for branch in branches)
    if isinstance(expected, dict) and any(key.startswith("$") for key in expected):
        tests = [_operator(operator, value) for operator, value in expected.items()]
        return lambda row: all(test(row.get(name)) for test in tests)
    wanted = indexed_value(expected)
    return lambda row: _equal(row.get(name), wanted)


def _operator(operator: str, operand: object) -> Callable[[object], bool]:
    if operator not in FIELD_OPERATORS:
        raise FilterError(f"unknown operator {operator}")
    if operator == "$in":
        if not isinstance(operand, list):
            raise FilterError("$in takes an array")
        choices = [indexed_value(choice) for choice in operand]
        return lambda value: any(_equal(value, choice) for choice in choices)
    bound = indexed_value(operand)
    if operator == "$gt":
        return lambda value: _order(value, bound) == 1
    if operator == "$gte":
        return lambda value: _order(value, bound) in (0, 1)
    if operator == "$lt":
        return lambda value: _order(value, bound) == -1
    return lambda value: _order(value, bound) in (-1, 0)


def _order(value: object, bound: object) -> int | None:
    """-1, 0, 1, or ``None`` when the two do not compare (missing, null, text vs number)."""
    if value is _MISSING or value is None or isinstance(value, bool) or isinstance(bound, bool):
        return None
    if _is_number(value) != _is_number(bound):
        return None
    try:
        return (value > bound) - (value < bound)
    except TypeError:  # a naive and an aware timestamp, a list and a number
        return None


def _equal(value: object, wanted: object) -> bool:
    if value is _MISSING:
        return wanted is None
    if isinstance(value, bool) or isinstance(wanted, bool):
        return type(value) is type(wanted) and value == wanted
    try:
        return value == wanted
    except TypeError:
        return False


def _is_number(value: object) -> bool:
    return isinstance(value, int | Decimal) and not isinstance(value, bool)


# -- sort ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SortKey:
    field: str
    descending: bool


def parse_sort(values: Sequence[str]) -> list[SortKey]:
    """``id`` / ``updated_at,desc`` (``,asc`` accepted) → sort keys, major first."""
    keys = []
    for value in values:
        name, _, direction = value.partition(",")
        if not name or direction not in ("", "asc", "desc"):
            raise FilterError(f"sort {value!r} is not 'field' or 'field,desc'")
        keys.append(SortKey(name.strip(), direction == "desc"))
    return keys


def sort_value(value: object) -> tuple:
    """A total order over what fields hold: nulls and missing last (ascending), then numbers,
    timestamps, text, booleans, anything else by its JSON text."""
    if value is _MISSING or value is None:
        return (1, 0, 0)
    if isinstance(value, bool):
        return (0, 3, value)
    if _is_number(value):
        return (0, 0, value)
    if isinstance(value, datetime):
        return (0, 1, (value if value.tzinfo else value.replace(tzinfo=UTC)).timestamp())
    if isinstance(value, str):
        return (0, 2, value)
    return (0, 4, repr(value))
