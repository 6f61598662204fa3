"""Misbehaviour on demand (hl_d365_assets/fault_script.py), plus the D365-specific cases: a
request stalled and lost, 401s, the Entra ID token endpoint down, and a changeset rejected
part-way.

``path`` restricts a fault to one path (``/data/$batch``) or, ending in ``/``, to a prefix
(``/data/``); without it a fault hits the OData requests (under ``/data/``), never the Entra ID
endpoints — those have :meth:`Faults.token_endpoint_down`.
"""

from hl_d365_assets.sandbox.fault_script import Fault, FaultScript

DATA_PREFIX = "/data/"


class Faults(FaultScript):
    def stall(self, seconds: float, times: int | None = 1, path: str | None = None) -> None:
        """Hold the request ``seconds`` (or until :meth:`release_slow`), then drop it unhandled:
        the request never took effect, as when a client dies before it has sent it all (a
        crash between a journal's header and its lines)."""
        self._add(Fault("stall", times, path, seconds=seconds))

    def reject_tokens(self, times: int | None = None, path: str | None = None) -> None:
        """401 for OData requests whatever their token."""
        self._add(Fault("reject_token", times, path))

    def token_endpoint_down(self, times: int | None = None, status: int = 503) -> None:
        """The Entra ID endpoints (OpenID configuration and token) answer ``status``."""
        self._add(Fault("token_down", times, None, status=status))

    def reject_changeset(
        self,
        at_operation: int = 1,
        times: int | None = 1,
        message: str = "Simulated rejection (fault injected by the test).",
    ) -> None:
        """The ``at_operation``-th operation (1-based) of the next changeset fails with an
        ``AxODataWriteException``; the operations before it are rolled back."""
        if at_operation < 1:
            raise ValueError("at_operation counts from 1")
        self._add(Fault("reject_changeset", times, None, operation=at_operation, message=message))

    def matches(self, fault: Fault, path: str, **request: object) -> bool:
        if fault.kind == "token_down":
            return bool(request.get("identity"))
        if fault.kind == "reject_changeset":
            return False
        if fault.path is None:
            return path.startswith(DATA_PREFIX)
        if fault.path.endswith("/"):
            return path.startswith(fault.path)
        return path == fault.path

    def take_changeset_rejection(self) -> Fault | None:
        with self._lock:
            for fault in self._pending:
                if fault.kind == "reject_changeset":
                    self._consume(fault)
                    return fault
            return None


__all__ = ["DATA_PREFIX", "Fault", "Faults"]
