"""What the Heartland Retail simulator holds: one served document per record, kept as text.

The sandbox's data files (rendered by the sandbox generator; the interface is this module's
:func:`load_store`) are ``<directory>/<resource>.ndjson``, one document per line, exactly as
the API would serve it with every ``_include`` asked for (docs/heartland_retail.md, "Resources
served"). Several lines with the same key are versions of one record: the last line wins.
A line that is not a JSON object with its key is skipped and counted (an API serialises records,
it cannot serve a broken one).

Documents are kept as the text that was written, never round-tripped through a float, so the
simulator serves ``72.95`` and ``1234567890123456.78`` with the digits of the file. The
embeddable associations (``lines``, ``payments``, ``addresses``, ``stations``) are served only
when ``_include[]`` names them: a request naming every association a document holds gets the
text as written; any other is served from the document split, on first need, into its *base*
text and the raw text of each association (:func:`object_members`, cached). A page is built by
joining stored texts, never by re-serialising records: the benchmark pulls a million ticket
lines through this, and loading parses each line once, in C.

Besides the text, a document keeps its key (``id``, or ``item_id`` + ``location_id`` for
inventory values) and a few parsed fields (:attr:`ResourceSpec.indexed`) that filters, sorts
and ``exclude_empty_locations`` read without parsing the document again.
"""

from __future__ import annotations

import bisect
import json
import json.scanner
import logging
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from pathlib import Path

from hl_d365_assets.http import exact_json

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ResourceSpec:
    name: str
    """The data file's stem: ``tickets`` → ``tickets.ndjson``."""
    path: str
    """Under ``/api/``: ``sales/tickets``."""
    key: tuple[str, ...] = ("id",)
    includes: tuple[str, ...] = ()
    """Associations embedded in the file's documents, served only with ``_include[]``."""
    indexed: tuple[str, ...] = ("updated_at",)
    """Fields read at load for filters and sorts (timestamps parsed to ``datetime``)."""
    writable: bool = False
    """``POST`` and ``PUT`` are served (the pipeline writes customers and items)."""


RESOURCES: dict[str, ResourceSpec] = {
    spec.name: spec
    for spec in (
        ResourceSpec("tickets", "sales/tickets", includes=("lines", "payments")),
        ResourceSpec("items", "items", writable=True),
        ResourceSpec("item_grids", "item_grids"),
        ResourceSpec("customers", "customers", includes=("addresses",), writable=True),
        ResourceSpec("locations", "locations", includes=("stations",)),
        ResourceSpec("stations", "stations"),
        ResourceSpec("payment_types", "payment_types"),
        ResourceSpec(
            "inventory_values",
            "inventory/values",
            key=("item_id", "location_id"),
            indexed=("qty_on_hand",),
        ),
    )
}

_DECODER = json.JSONDecoder(parse_float=Decimal)
_scan_value = json.scanner.make_scanner(_DECODER)
_scan_string = json.decoder.scanstring
_SPACE = re.compile(r"[ \t\n\r]*")
_ISO_TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")


def object_members(text: str) -> list[tuple[str, object, str]]:
    """The members of the JSON object ``text``: (key, value parsed exactly, the value's own
    text as written). Raises ``ValueError`` when ``text`` is not one JSON object."""
    space = _SPACE.match
    at = space(text, 0).end()
    if text[at : at + 1] != "{":
        raise ValueError("not a JSON object")
    at = space(text, at + 1).end()
    members: list[tuple[str, object, str]] = []
    if text[at : at + 1] == "}":
        at += 1
    else:
        while True:
            if text[at : at + 1] != '"':
                raise ValueError(f"expected a member name at {at}")
            key, at = _scan_string(text, at + 1)
            at = space(text, at).end()
            if text[at : at + 1] != ":":
                raise ValueError(f"expected ':' at {at}")
            start = space(text, at + 1).end()
            try:
                value, end = _scan_value(text, start)
            except StopIteration:
                raise ValueError(f"expected a value at {start}") from None
            members.append((key, value, text[start:end]))
            at = space(text, end).end()
            if text[at : at + 1] == ",":
                at = space(text, at + 1).end()
                continue
            if text[at : at + 1] == "}":
                at += 1
                break
            raise ValueError(f"expected ',' or '}}' at {at}")
    if space(text, at).end() != len(text):
        raise ValueError("text after the object")
    return members


def indexed_value(value: object) -> object:
    """A field as filters compare it: ISO timestamps as ``datetime`` (offsets differ between
    records, so their text does not sort), everything else as parsed."""
    if isinstance(value, str) and _ISO_TIMESTAMP.match(value):
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            return value
    return value


@dataclass(slots=True)
class Document:
    key: tuple
    text: str
    """The document as written in the file (or put), associations included."""
    present: tuple[str, ...]
    """The embeddable associations the text holds (``lines``, ``payments``)."""
    indexed: dict[str, object]
    split: tuple[str, dict[str, str]] | None = None
    """Cached on first need: the text without its associations, and each association's text."""

    def data(self) -> dict:
        """The whole document parsed exactly (numbers with a fraction as ``Decimal``)."""
        return exact_json.loads(self.text)

    def association(self, name: str) -> str:
        return self._split()[1].get(name, "[]")

    def served(self, include: tuple[str, ...] = ()) -> str:
        """The text served for this record with the associations ``include`` names: the text as
        written when it asks for exactly those it holds (a full pull's path, no copying)."""
        if set(include) == set(self.present):
            return self.text
        base = self._split()[0]
        if not include:
            return base
        extra = ",".join(f'"{name}":{self.association(name)}' for name in include)
        return f"{base[:-1]}{',' if base != '{}' else ''}{extra}}}"

    def _split(self) -> tuple[str, dict[str, str]]:
        if self.split is None:
            members = object_members(self.text)
            associations = {name: raw for name, _, raw in members if name in self.present}
            base = (
                "{"
                + ",".join(
                    f"{json.encoder.encode_basestring(name)}:{raw}"
                    for name, _, raw in members
                    if name not in associations
                )
                + "}"
            )
            self.split = (base, associations)
        return self.split


def make_document(spec: ResourceSpec, text: str) -> Document:
    """``text`` (one served document with its associations) ready to serve; ``ValueError`` when
    it is not a JSON object carrying its key as integers. One parse, in C; the text is kept."""
    text = text.strip()
    values = _DECODER.decode(text)
    if not isinstance(values, dict):
        raise ValueError("not a JSON object")
    key = tuple(values.get(name) for name in spec.key)
    if not all(isinstance(part, int) and not isinstance(part, bool) for part in key):
        raise ValueError(f"no integer {' + '.join(spec.key)}")
    return Document(
        key=key,
        text=text,
        present=tuple(name for name in spec.includes if name in values),
        indexed={name: indexed_value(values.get(name)) for name in spec.indexed},
    )


@dataclass
class Collection:
    """One resource's records, in key order (a listing's default order, and what a keyset pull
    ``{"id": {"$gt": n}}`` sorted by ``id`` bisects)."""

    spec: ResourceSpec
    documents: dict[tuple, Document] = field(default_factory=dict)
    order: list[tuple] = field(default_factory=list)
    highest_id: int = 0
    """The largest id ever held (a created record takes the next one, even after a delete)."""

    def put(self, document: Document) -> None:
        if document.key not in self.documents:
            if not self.order or self.order[-1] < document.key:
                self.order.append(document.key)
            else:
                bisect.insort(self.order, document.key)
        self.documents[document.key] = document
        if self.spec.key == ("id",):
            self.highest_id = max(self.highest_id, document.key[0])

    def delete(self, key: tuple) -> bool:
        if self.documents.pop(key, None) is None:
            return False
        del self.order[bisect.bisect_left(self.order, key)]
        return True

    def __len__(self) -> int:
        return len(self.order)

    def __iter__(self) -> Iterator[Document]:
        return (self.documents[key] for key in self.order)


class RetailStore:
    """Every resource's :class:`Collection`; ``lock`` guards them against the loopback server's
    threads (the simulator holds it for each request)."""

    def __init__(self) -> None:
        self.collections = {name: Collection(spec) for name, spec in RESOURCES.items()}
        self.skipped: dict[str, int] = {name: 0 for name in RESOURCES}
        """Lines of the data files that are not a servable document, by resource."""
        self.lock = threading.RLock()

    def put(self, resource: str, document: dict | str) -> Document:
        """Add a record, or replace it with a later version (same key). A ``dict`` is written
        with exact_json (floats refused); a ``str`` is kept as written. Bumps nothing itself:
        the caller says what ``updated_at`` the version has."""
        spec = self._spec(resource)
        text = document if isinstance(document, str) else exact_json.dumps(document)
        made = make_document(spec, text)
        with self.lock:
            self.collections[resource].put(made)
        return made

    def delete(self, resource: str, key: int | tuple) -> bool:
        """Remove a record (``key``: its id, or ``(item_id, location_id)``); whether it was held."""
        spec = self._spec(resource)
        key = key if isinstance(key, tuple) else (key,)
        with self.lock:
            return self.collections[spec.name].delete(key)

    def counts(self) -> dict[str, int]:
        with self.lock:
            return {name: len(collection) for name, collection in self.collections.items()}

    def _spec(self, resource: str) -> ResourceSpec:
        spec = RESOURCES.get(resource)
        if spec is None:
            raise KeyError(f"{resource!r} is not a resource; one of {', '.join(RESOURCES)}")
        return spec


def load_store(directory: Path | str) -> RetailStore:
    """The records in ``<directory>/<resource>.ndjson`` (each file optional), last version of
    each key winning."""
    store = RetailStore()
    folder = Path(directory)
    for name, spec in RESOURCES.items():
        path = folder / f"{name}.ndjson"
        if not path.is_file():
            continue
        collection = store.collections[name]
        documents: dict[tuple, Document] = {}
        with path.open(encoding="utf-8") as lines:
            for number, line in enumerate(lines, start=1):
                if not line.strip():
                    continue
                try:
                    made = make_document(spec, line)
                except ValueError as error:
                    store.skipped[name] += 1
                    logger.warning("%s line %d skipped: %s", path.name, number, error)
                    continue
                documents[made.key] = made  # a later line is a later version
        collection.documents = documents
        collection.order = sorted(documents)
        if spec.key == ("id",) and collection.order:
            collection.highest_id = collection.order[-1][0]
    return store
