"""OData query options as F&O supports them: ``$filter``, ``$orderby``, ``$select``.

``$filter`` (L-ODATA): ``eq ne gt ge lt le``, ``and or not``, parentheses; string literals in
single quotes (``''`` escapes a quote), numbers, ``true``/``false``/``null``, date-times
(``2026-11-20T00:00:00Z``), dates, and enum literals
(``Microsoft.Dynamics.DataEntities.NoYes'Yes'``). ``contains`` is written ``Field eq '*text*'``
(``*`` is a wildcard in ``eq``/``ne`` string comparisons). Functions, ``has`` and ``in`` are not
supported by F&O and are refused. String comparisons ignore case, as D365's database collation
does.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from fnmatch import fnmatchcase

from hl_d365_assets.sandbox.d365_simulator.entities import (
    DATE,
    DATETIME,
    DECIMAL,
    INT,
    EntitySet,
    parse_datetime,
)


class QueryRefused(ValueError):
    """A query option the service cannot apply (becomes a 400 with this message)."""


_TOKEN = re.compile(
    r"""\s*(?:
      (?P<lparen>\() | (?P<rparen>\)) | (?P<comma>,)
    | (?P<string>'(?:[^']|'')*')
    | (?P<enum>[A-Za-z_][\w.]*'(?:[^']|'')*')
    | (?P<datetime>\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2})?)
    | (?P<date>\d{4}-\d{2}-\d{2})
    | (?P<number>-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?[mMdDfFlL]?)
    | (?P<word>[A-Za-z_$][\w/.]*)
    )""",
    re.VERBOSE,
)
COMPARISONS = frozenset({"eq", "ne", "gt", "ge", "lt", "le"})


@dataclass(frozen=True)
class _Literal:
    value: object


@dataclass(frozen=True)
class _Field:
    name: str


Predicate = Callable[[dict], bool]


def parse_filter(text: str, entity: EntitySet) -> Predicate:
    tokens = _tokenize(text)
    parser = _Parser(tokens, entity)
    predicate = parser.expression()
    if parser.position != len(tokens):
        _, value = tokens[parser.position]
        raise QueryRefused(f"Syntax error at '{value}' in $filter '{text}'.")
    return predicate


def _tokenize(text: str) -> list[tuple[str, str]]:
    tokens = []
    position = 0
    while position < len(text):
        if text[position:].strip() == "":
            break
        match = _TOKEN.match(text, position)
        if not match or match.end() == position:
            raise QueryRefused(f"Syntax error at position {position} in $filter '{text}'.")
        kind = match.lastgroup or ""
        tokens.append((kind, match.group(kind)))
        position = match.end()
    return tokens


class _Parser:
    def __init__(self, tokens: list[tuple[str, str]], entity: EntitySet) -> None:
        self.tokens = tokens
        self.position = 0
        self.entity = entity

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.position] if self.position < len(self.tokens) else None

    def take(self) -> tuple[str, str]:
        token = self.peek()
        if token is None:
            raise QueryRefused("The $filter expression ends unexpectedly.")
        self.position += 1
        return token

    def keyword(self, word: str) -> bool:
        token = self.peek()
        if token and token[0] == "word" and token[1].lower() == word:
            self.position += 1
            return True
        return False

    def expression(self) -> Predicate:
        left = self.conjunction()
        while self.keyword("or"):
            right = self.conjunction()
            left = (lambda a, b: lambda row: a(row) or b(row))(left, right)
        return left

    def conjunction(self) -> Predicate:
        left = self.negation()
        while self.keyword("and"):
            right = self.negation()
            left = (lambda a, b: lambda row: a(row) and b(row))(left, right)
        return left

    def negation(self) -> Predicate:
        if self.keyword("not"):
            inner = self.negation()
            return lambda row: not inner(row)
        token = self.peek()
        if token and token[0] == "lparen":
            self.take()
            inner = self.expression()
            if self.take()[0] != "rparen":
                raise QueryRefused("A ')' is missing in $filter.")
            return inner
        return self.comparison()

    def comparison(self) -> Predicate:
        left = self.operand()
        kind, word = self.take()
        operator = word.lower()
        if kind != "word" or operator not in COMPARISONS:
            if operator in ("has", "in"):
                raise QueryRefused(f"The '{operator}' operator is not supported.")
            raise QueryRefused(f"Syntax error at '{word}': a comparison operator was expected.")
        right = self.operand()
        return _comparison(left, operator, right, self.entity)

    def operand(self) -> _Literal | _Field:
        kind, text = self.take()
        if kind == "string":
            return _Literal(text[1:-1].replace("''", "'"))
        if kind == "enum":
            return _Literal(text.split("'", 1)[1][:-1].replace("''", "'"))
        if kind in ("datetime", "date"):
            return _Literal(parse_datetime(text))
        if kind == "number":
            try:
                return _Literal(Decimal(text.rstrip("mMdDfFlL")))
            except InvalidOperation:
                raise QueryRefused(f"'{text}' is not a number.") from None
        if kind == "word":
            lowered = text.lower()
            if lowered in ("true", "false"):
                return _Literal(lowered == "true")
            if lowered == "null":
                return _Literal(None)
            following = self.peek()
            if following and following[0] == "lparen":
                raise QueryRefused(f"The function '{text}' is not supported.")
            if text not in self.entity.properties:
                raise QueryRefused(property_missing(text, self.entity))
            return _Field(text)
        raise QueryRefused(f"Syntax error at '{text}' in $filter.")


def property_missing(name: str, entity: EntitySet) -> str:
    return f"Could not find a property named '{name}' on type '{entity.qualified_type}'."


def _comparison(
    left: _Literal | _Field, operator: str, right: _Literal | _Field, entity: EntitySet
) -> Predicate:
    def value_of(operand: _Literal | _Field, row: dict) -> object:
        if isinstance(operand, _Literal):
            return operand.value
        return _typed(entity, operand.name, row.get(operand.name))

    def predicate(row: dict) -> bool:
        return compare(value_of(left, row), operator, value_of(right, row))

    return predicate


def _typed(entity: EntitySet, name: str, value: object) -> object:
    kind = entity.properties[name].kind
    if value is None:
        return None
    if kind in (DATE, DATETIME):
        return parse_datetime(value)
    if kind in (DECIMAL, INT):
        return Decimal(str(value))
    return value


def compare(left: object, operator: str, right: object) -> bool:
    if left is None or right is None:
        if operator == "eq":
            return left is None and right is None
        if operator == "ne":
            return not (left is None and right is None)
        return False
    try:
        left, right = _comparable(left, right)
    except (TypeError, ValueError, InvalidOperation):
        return False
    if isinstance(left, str) and operator in ("eq", "ne") and "*" in right:
        matched = fnmatchcase(left, right.replace("[", "[[]"))
        return matched if operator == "eq" else not matched
    if operator == "eq":
        return left == right
    if operator == "ne":
        return left != right
    if operator == "gt":
        return left > right
    if operator == "ge":
        return left >= right
    if operator == "lt":
        return left < right
    return left <= right


def _comparable(left: object, right: object) -> tuple:
    if isinstance(right, datetime) or isinstance(left, datetime):
        a = left if isinstance(left, datetime) else parse_datetime(left)
        b = right if isinstance(right, datetime) else parse_datetime(right)
        if a is None or b is None:
            raise ValueError("not a date")
        return a, b
    if isinstance(right, bool) or isinstance(left, bool):
        return str(left).lower(), str(right).lower()
    if isinstance(right, Decimal) or isinstance(left, Decimal):
        return Decimal(str(left)), Decimal(str(right))
    return str(left).casefold(), str(right).casefold()


def parse_orderby(text: str, entity: EntitySet) -> list[tuple[str, bool]]:
    """``Field [asc|desc], ...`` as (field, descending) pairs."""
    order = []
    for clause in text.split(","):
        words = clause.split()
        if not words or len(words) > 2:
            raise QueryRefused(f"Syntax error in $orderby '{text}'.")
        name = words[0]
        if name not in entity.properties:
            raise QueryRefused(property_missing(name, entity))
        direction = words[1].lower() if len(words) == 2 else "asc"
        if direction not in ("asc", "desc"):
            raise QueryRefused(f"Syntax error in $orderby '{text}'.")
        order.append((name, direction == "desc"))
    return order


def sort_rows(rows: list[dict], order: list[tuple[str, bool]], entity: EntitySet) -> list[dict]:
    """Stable sorts from the last clause to the first; nulls first, as SQL Server sorts."""
    for name, descending in reversed(order):

        def sort_key(row: dict, name: str = name) -> tuple:
            value = _typed(entity, name, row.get(name))
            if isinstance(value, str):
                value = value.casefold()
            return (value is not None, value if value is not None else 0)

        rows = sorted(rows, key=sort_key, reverse=descending)
    return rows


def parse_select(text: str, entity: EntitySet) -> list[str]:
    names = [name.strip() for name in text.split(",") if name.strip()]
    for name in names:
        if name != "*" and name not in entity.properties:
            raise QueryRefused(property_missing(name, entity))
    return [] if "*" in names else names
