"""Journals in D365: a header and its lines, created once, read back by number.

D365 numbers a header itself (``JournalBatchNumber`` from its number sequence), so the header is
created on its own and its lines follow in one atomic changeset carrying that number and explicit
``LineNumber`` 1..n. If D365 rejects the lines, none exist and the empty header is deleted again.
A write that got no answer (:class:`~hl_d365_assets.d365.errors.D365OutcomeUnknown`) is resolved
by looking, never by writing twice: a header by the caller's key field (the idempotency key in
``Description``), a lines changeset by reading the journal's lines; explicit line numbers make a
repeated changeset fail as a whole rather than duplicate lines.

Every look is by exact value (``eq '<key>'``, ``eq '<number>'``), never by D365's ``eq '…*'``
wildcard, and every record answered is checked against what was asked: a service that ignores
the filter (or treats the text differently) raises
:class:`~hl_d365_assets.d365.errors.D365QueryNotHonoured` instead of adopting a journal that is
not ours or creating a second one.

These are the ledger's rules for two entity sets; the OData client underneath
(:class:`~hl_d365_assets.d365.client.D365Api`) knows entity sets, ``$batch`` and errors only.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

from hl_d365_assets.d365.client import (
    MAX_BATCH_OPERATIONS,
    BatchOperation,
    D365Api,
    odata_literal,
)
from hl_d365_assets.d365.errors import (
    D365Error,
    D365NotFoundError,
    D365OutcomeUnknown,
    D365QueryNotHonoured,
    D365TransientError,
    D365ValidationError,
    describe_key,
)

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class JournalKind:
    """A header/line entity-set pair for one kind of journal."""

    header_set: str
    line_set: str
    date_field: str


GENERAL_JOURNAL = JournalKind("LedgerJournalHeaders", "LedgerJournalLines", "TransDate")
CUSTOMER_PAYMENT_JOURNAL = JournalKind(
    "CustomerPaymentJournalHeaders", "CustomerPaymentJournalLines", "TransactionDate"
)


@dataclass(frozen=True)
class CreatedJournal:
    """A journal as D365 holds it after :func:`create_journal`."""

    kind: JournalKind
    data_area_id: str
    journal_batch_number: str
    header: dict
    lines: list[dict] = field(default_factory=list)
    adopted: bool = False
    """True when an unanswered header create had in fact succeeded and was found by its key."""


def create_journal(
    api: D365Api,
    header: dict,
    lines: Sequence[dict],
    *,
    kind: JournalKind = GENERAL_JOURNAL,
    key_field: str = "Description",
) -> CreatedJournal:
    """Create a journal header, then all its lines in one atomic changeset (see the module doc).

    If D365 rejects the lines, the empty header is deleted again before the
    :class:`D365ValidationError` is raised; ``error.journal_batch_number`` names it.
    """
    company = str(header.get("dataAreaId") or "").lower()
    if not company:
        raise ValueError("the journal header needs its dataAreaId (writes carry the company)")
    if not lines:
        raise ValueError("a journal needs at least one line")
    if len(lines) > MAX_BATCH_OPERATIONS:
        raise ValueError(
            f"{len(lines)} lines cannot go in one changeset (limit {MAX_BATCH_OPERATIONS})"
        )
    created, adopted = _create_header(api, kind, {**header, "dataAreaId": company}, key_field)
    number = str(created["JournalBatchNumber"])
    kept = str(created.get(key_field, ""))
    if kept.lower() != str(header.get(key_field, "")).lower():
        # A service that shortens or rewrites the key field would never find this journal by
        # it again, and a re-run would create a second one: stop before it holds any line.
        deleted = _discard_empty_header(api, kind, company, number)
        raise D365Error(
            f"{kind.header_set} {number} ({company}) was created with {key_field} {kept!r}, not "
            f"{header.get(key_field)!r}: the service does not keep the key verbatim, so it could "
            f"not be found again; header {'deleted again' if deleted else 'left empty in D365'}",
            entity_set=kind.header_set,
        )
    created_lines = add_journal_lines(api, kind, company, number, lines)
    return CreatedJournal(kind, company, number, created, created_lines, adopted)


def add_journal_lines(
    api: D365Api,
    kind: JournalKind,
    company: str,
    journal_batch_number: str,
    lines: Sequence[dict],
) -> list[dict]:
    """All lines of a journal whose header exists and holds no line yet, in one atomic
    changeset with ``LineNumber`` 1..n; how a run that stopped between header and lines
    finishes the journal. If D365 rejects them (or has no such line entity set: 404), the empty
    header is deleted again."""
    number = str(journal_batch_number)
    numbered = [
        {
            **line,
            "dataAreaId": company,
            "JournalBatchNumber": number,
            "LineNumber": line.get("LineNumber", index),
        }
        for index, line in enumerate(lines, start=1)
    ]
    try:
        return _create_lines(api, kind, company, number, numbered)
    except (D365ValidationError, D365NotFoundError) as error:
        error.journal_batch_number = number
        error.header_deleted = _discard_empty_header(api, kind, company, number)
        raise


def journal_lines(
    api: D365Api, kind: JournalKind, company: str, journal_batch_number: str
) -> list[dict]:
    """The lines of one journal, by line number (each checked to be the journal's)."""
    return _exactly(
        api,
        kind.line_set,
        company,
        "JournalBatchNumber",
        str(journal_batch_number),
        orderby="LineNumber",
    )


def headers_with_key(
    api: D365Api, kind: JournalKind, company: str, key_field: str, key_value: str
) -> list[dict]:
    """The headers of ``company`` whose ``key_field`` is exactly ``key_value``."""
    return _exactly(api, kind.header_set, company, key_field, key_value)


def _exactly(
    api: D365Api,
    entity_set: str,
    company: str,
    field_name: str,
    value: str,
    orderby: str | None = None,
) -> list[dict]:
    """Records whose ``field_name`` equals ``value``, by an exact ``eq`` filter, each answered
    record checked against the filter. D365 compares strings without case and sends
    ``dataAreaId`` in lower case, so the check does too; anything else that comes back means
    the service did not apply the filter, and deciding from it could duplicate a journal."""
    rows = api.read_all(
        entity_set,
        filter=f"{field_name} eq {odata_literal(value)}",
        legal_entity=company,
        orderby=orderby,
    )
    strays = [
        row
        for row in rows
        if str(row.get(field_name, "")).lower() != value.lower()
        or str(row.get("dataAreaId", company)).lower() != company.lower()
    ]
    if strays:
        stray = strays[0]
        raise D365QueryNotHonoured(
            f"GET {entity_set} with $filter={field_name} eq {odata_literal(value)} and "
            f"dataAreaId eq {odata_literal(company)} answered {len(rows)} records, {len(strays)} "
            f"of them not matching (e.g. {field_name}={stray.get(field_name)!r}, "
            f"dataAreaId={stray.get('dataAreaId')!r}): the service does not apply this filter, "
            "so nothing is adopted or created from its answer; posting stops here",
            entity_set=entity_set,
        )
    return rows


def _create_header(
    api: D365Api, kind: JournalKind, header: dict, key_field: str
) -> tuple[dict, bool]:
    key_value = header.get(key_field)
    attempt = 0
    while True:
        attempt += 1
        try:
            return api.create(kind.header_set, header), False
        except D365OutcomeUnknown as unknown:
            if key_value in (None, "") or attempt >= _attempts(api):
                raise
            _wait_before_looking(api, attempt)
            found = headers_with_key(api, kind, header["dataAreaId"], key_field, str(key_value))
            if len(found) == 1:
                logger.warning(
                    "%s; header %s found by %s, adopting it",
                    unknown,
                    found[0].get("JournalBatchNumber"),
                    key_field,
                )
                return found[0], True
            if len(found) > 1:
                numbers = ", ".join(str(row.get("JournalBatchNumber")) for row in found)
                raise D365Error(
                    f"{len(found)} {kind.header_set} in {header['dataAreaId']!r} carry "
                    f"{key_field} {key_value!r} ({numbers}) after an unanswered create; "
                    "resolve by hand before posting again",
                    entity_set=kind.header_set,
                ) from unknown
            logger.warning("%s; no header with that %s, creating again", unknown, key_field)


def _create_lines(
    api: D365Api, kind: JournalKind, company: str, number: str, lines: list[dict]
) -> list[dict]:
    operations = [BatchOperation("POST", kind.line_set, line) for line in lines]
    attempt = 0
    uncertain = False
    while True:
        attempt += 1
        try:
            [result] = api.batch([operations])
        except D365OutcomeUnknown:
            if attempt >= _attempts(api):
                raise
            uncertain = True
            _wait_before_looking(api, attempt)
            existing = journal_lines(api, kind, company, number)
            if len(existing) == len(lines):
                return existing
            if existing:
                raise D365Error(
                    f"journal {number} ({company}) holds {len(existing)} of {len(lines)} "
                    "lines after an unanswered changeset; changesets are atomic, so this "
                    "needs a look by hand",
                    entity_set=kind.line_set,
                ) from None
            continue
        if result.ok:
            return [r.body or {} for r in result.results]
        error = result.error
        assert error is not None
        if uncertain and isinstance(error, D365ValidationError):
            existing = journal_lines(api, kind, company, number)
            if len(existing) == len(lines):
                return existing  # the unanswered attempt had succeeded
        if isinstance(error, D365TransientError) and attempt < _attempts(api):
            _wait_before_looking(api, attempt)
            continue
        raise error


def _discard_empty_header(api: D365Api, kind: JournalKind, company: str, number: str) -> bool:
    key = {"dataAreaId": company, "JournalBatchNumber": number}
    try:
        api.delete(kind.header_set, key)
    except D365Error as exc:
        logger.warning(
            "the empty header %s(%s) stays in D365: %s", kind.header_set, describe_key(key), exc
        )
        return False
    return True


# The session's retry policy (hl_d365_assets/http) decides how often and how long to wait before
# looking again; these two are the only places this module touches it.


def _attempts(api: D365Api) -> int:
    return api.retry_policy.max_attempts


def _wait_before_looking(api: D365Api, attempt: int) -> None:
    policy = api.retry_policy
    policy.sleep(policy.delay(attempt, None))
