"""Whether a sensor that is off by default has been switched on, asked of the instance.

``order_payment_request_sensor`` is the one switch for asking customers for money: while it is off
nothing is sent. While it is on, the order-events run also sends the payment requests of the orders
it pulled, so a confirmed order does not wait for the request sensor's next tick and a second
run's launch (issue 16, item 6: event to link within 10 s).
"""

import dagster as dg
from dagster._core.scheduler.instigation import InstigatorStatus, InstigatorType

PAYMENT_REQUEST_SENSOR = "order_payment_request_sensor"


def payment_requests_switched_on(instance: dg.DagsterInstance) -> bool:
    """Whether a user switched ``order_payment_request_sensor`` on (UI, or ``dagster sensor
    start``). An instance without schedule storage (an ephemeral one) runs no sensors, so nothing
    is switched on there."""
    if instance.schedule_storage is None:
        return False
    return any(
        state.instigator_name == PAYMENT_REQUEST_SENSOR
        for state in instance.all_instigator_state(
            instigator_type=InstigatorType.SENSOR,
            instigator_statuses={InstigatorStatus.RUNNING},
        )
    )
