"""The fraud and loss patterns risk scoring names, and the domain each belongs to.

One list for the sandbox's injected ground truth (``sandbox/risk_truth.ndjson``), the rules'
``pattern`` column (``mappings/risk_rules.csv``), the ``risk_<pattern>`` exception kinds and the
per-pattern precision and recall the risk assets report.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Pattern:
    name: str
    domain: str
    description: str


PATTERNS: dict[str, Pattern] = {
    p.name: p
    for p in (
        Pattern(
            "card_testing",
            "payments",
            "many small authorisations or declines at one store or terminal within minutes",
        ),
        Pattern("card_many_stores", "payments", "one card used at several stores within an hour"),
        Pattern(
            "amount_outlier",
            "payments",
            "an amount far above the store's and the merchant's own distribution",
        ),
        Pattern(
            "off_hours",
            "payments",
            "transactions outside the store's trading hours in its own time zone",
        ),
        Pattern("excessive_tip", "payments", "a tip far above the usual share of the amount"),
        Pattern(
            "compromised_terminal",
            "payments",
            "a terminal whose entries turn keyed-in or swiped (fallback) over several days",
        ),
        Pattern(
            "fee_above_contract", "settlement", "fees of a card brand above the contracted rate"
        ),
        Pattern("refund_no_sale", "pos", "a refund with no matching sale"),
        Pattern("refund_larger_than_sale", "pos", "a refund larger than the sale it refunds"),
        Pattern("refund_other_card", "pos", "a refund to another card than the sale's"),
        Pattern("split_ticket", "pos", "one purchase split into tickets just under a limit"),
        Pattern(
            "void_after_capture",
            "pos",
            "one cashier voiding many tickets after the card was captured",
        ),
        Pattern("discount_above_policy", "pos", "discounts above the store's policy"),
        Pattern(
            "ghost_employee",
            "payroll",
            "a new employee paid into a bank account another employee is paid into",
        ),
        Pattern("duplicate_paycheck", "payroll", "an employee paid twice in one pay run"),
        Pattern("pay_spike", "payroll", "pay far above the employee's own history"),
        Pattern(
            "paid_after_termination", "payroll", "pay after the employee's termination in D365"
        ),
        Pattern(
            "model_anomaly",
            "any",
            "no rule fired; the unsupervised model found the entity "
            "far from its merchant's trailing window",
        ),
    )
}
