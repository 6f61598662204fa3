"""Switch a sensor on in a Dagster instance, as a user does in the UI, for runs without a daemon.

The demo and the order benchmark evaluate sensors in their own process instead of running
Dagster's daemon; a sensor that is off by default (``order_payment_request_sensor``) is switched on
by storing the same running state the UI's toggle stores, so code that asks the instance whether
it is on (``payment_requests_switched_on``) sees what it would see in production.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import dagster as dg
from dagster._core.remote_origin import (
    InProcessCodeLocationOrigin,
    LoadableTargetOrigin,
    RemoteInstigatorOrigin,
    RemoteRepositoryOrigin,
)
from dagster._core.scheduler.instigation import (
    InstigatorState,
    InstigatorStatus,
    InstigatorType,
    SensorInstigatorData,
)

DEFINITIONS_MODULE = "hl_d365_assets.definitions"
REPOSITORY = "__repository__"
"""The name Dagster gives the repository of a ``Definitions`` object."""


@contextmanager
def sensor_switched_on(instance: dg.DagsterInstance, name: str) -> Iterator[None]:
    """On for the block, then off again: the demo leaves the project's instance as it found it
    (``make ui`` shows the sensor off, as it is by default)."""
    state = switch_on_sensor(instance, name)
    try:
        yield
    finally:
        instance.update_instigator_state(state.with_status(InstigatorStatus.STOPPED))


def switch_on_sensor(instance: dg.DagsterInstance, name: str) -> InstigatorState:
    origin = RemoteInstigatorOrigin(
        RemoteRepositoryOrigin(
            InProcessCodeLocationOrigin(LoadableTargetOrigin(module_name=DEFINITIONS_MODULE)),
            REPOSITORY,
        ),
        name,
    )
    state = InstigatorState(
        origin, InstigatorType.SENSOR, InstigatorStatus.RUNNING, SensorInstigatorData()
    )
    existing = instance.get_instigator_state(origin.get_id(), origin.get_selector().get_id())
    if existing is None:
        return instance.add_instigator_state(state)
    return instance.update_instigator_state(state)
