"""A faithful local D365 Finance OData service and Entra ID token endpoint (docs/d365_simulator.md)."""

from hl_d365_assets.sandbox.d365_simulator.app import (
    SANDBOX_CLIENT_ID,
    SANDBOX_CLIENT_SECRET,
    SANDBOX_ENVIRONMENT_URL,
    SANDBOX_TENANT_ID,
    D365Simulator,
    ServedRequest,
    thumbprint_of,
)
from hl_d365_assets.sandbox.d365_simulator.faults import Faults
from hl_d365_assets.sandbox.d365_simulator.server import SimulatorServer, serve
from hl_d365_assets.sandbox.d365_simulator.validation import PostingRefused

__all__ = [
    "SANDBOX_CLIENT_ID",
    "SANDBOX_CLIENT_SECRET",
    "SANDBOX_ENVIRONMENT_URL",
    "SANDBOX_TENANT_ID",
    "D365Simulator",
    "Faults",
    "PostingRefused",
    "ServedRequest",
    "SimulatorServer",
    "serve",
    "thumbprint_of",
]
