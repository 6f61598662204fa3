"""Where the incremental ticket pull stands: the position every landed ticket version is behind.

Heartland's own tool pulls incrementally by ``id`` (HR-SRDM ``resource_list.rb#download``:
sort by id, filter ``id > last_seen_id``), which finds new tickets but never an edit to one
already pulled. Edits are found by ``updated_at``, a filter seen only in third-party clients
(reference §2, HR-PHP3; *unconfirmed* by Heartland's own text). So the cursor holds two
positions:

- ``last_id``: every ticket with ``id <= last_id`` has landed in some version;
- ``(last_updated_at, last_updated_id)``: among those, every version up to this point in
  ``(updated_at, id)`` order has landed.

The cursor lives in Dagster (asset metadata of ``landing/heartland_retail/tickets``), written
after each committed chunk, so a run that fails half-way resumes behind the last chunk it
committed, neither losing nor repeating a version.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime


@dataclass(frozen=True)
class TicketCursor:
    last_id: int | None = None
    last_updated_at: str | None = None
    """Kept exactly as the API sent it: it goes back to the API in the next filter."""
    last_updated_id: int | None = None

    @property
    def started(self) -> bool:
        return self.last_id is not None

    def as_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, value: object) -> TicketCursor:
        if not isinstance(value, dict):
            return cls()
        return cls(
            last_id=value.get("last_id"),
            last_updated_at=value.get("last_updated_at"),
            last_updated_id=value.get("last_updated_id"),
        )

    def after_new(self, ticket_id: int, updated_at: str | None) -> TicketCursor:
        """Past a newly pulled ticket: ``last_id`` moves; the edit position moves only forward."""
        position = self._later((updated_at, ticket_id))
        return TicketCursor(ticket_id, *position)

    def after_edit(self, ticket_id: int, updated_at: str) -> TicketCursor:
        return TicketCursor(self.last_id, *self._later((updated_at, ticket_id)))

    def _later(self, candidate: tuple[str | None, int]) -> tuple[str | None, int | None]:
        current = (self.last_updated_at, self.last_updated_id)
        if candidate[0] is None or _instant(candidate[0]) is None:
            return current
        if current[0] is None or _instant(current[0]) is None:
            return candidate
        if (_instant(candidate[0]), candidate[1]) > (_instant(current[0]), current[1] or 0):
            return candidate
        return current


def _instant(value: str) -> datetime | None:
    """Timestamps with different offsets compare as instants, not as strings."""
    try:
        moment = datetime.fromisoformat(value)
    except (TypeError, ValueError):
        return None
    return moment if moment.tzinfo is not None else None
