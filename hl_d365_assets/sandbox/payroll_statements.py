"""The operating bank account's statement on payroll funding days (issue 17, reconciliation).

Heartland Payroll funds a run by debiting the company's account: once for the run's net pay
(``PAYROLL <run id> NET``) and once for its tax liabilities, employee withholding plus employer
taxes (``PAYROLL <run id> TAX``). We assume both are booked on the check date (docs/
payroll-sandbox.md). Each funding day's statement also holds a few lines that have nothing to do
with payroll (card deposits, rent, utilities), so reconciliation has to pick its lines out.

Amounts are the register's own lines (a void's net pay lowers the funding), signed, debits
negative, plain ``-12345.67``; dates ``MM/DD/YYYY``; headers as the contract's sandbox export.
A run hit by ``funding_difference`` gets a net-pay debit off by its offset.
"""

from __future__ import annotations

import csv
import io
import random
from collections import defaultdict
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from hl_d365_assets.sandbox.payroll_registers import Register

STATEMENT_HEADERS: tuple[str, ...] = (
    "Account Number",
    "Booking Date",
    "Value Date",
    "Currency",
    "Amount",
    "Reference",
    "Description",
)
OPERATING_ACCOUNT = "000123456789"
"""The sandbox's operating bank account (D365 111100 Operating bank USD); only its last four
digits are kept when the statement lands."""

UNRELATED_LINES: tuple[tuple[str, str, int, int], ...] = (
    ("CARD DEPOSIT", "HEARTLAND CARD SETTLEMENT DEPOSIT", 4_000, 40_000),
    ("ACH RENT", "LANDLORD RENT PAYMENT", -18_000, -9_000),
    ("ACH UTIL", "ELECTRIC UTILITY AUTOPAY", -2_500, -600),
    ("WIRE IN", "WHOLESALE CUSTOMER PAYMENT", 1_000, 15_000),
    ("BANK FEE", "MONTHLY ACCOUNT SERVICE FEE", -60, -20),
)
"""(reference, description, lowest, highest amount in dollars) of ordinary account traffic."""


def funding_lines(register: Register, offset: Decimal) -> list[tuple[str, Decimal, str]]:
    """(reference, signed amount, description) of the run's two debits."""
    run = register.run
    net = register.total("NET_PAY") + offset
    taxes = register.total("EE_TAX") + register.total("ER_TAX")
    return [
        (f"PAYROLL {run.payroll_run_id} NET", -net, f"HEARTLAND PAYROLL {run.pay_group} NET PAY"),
        (f"PAYROLL {run.payroll_run_id} TAX", -taxes, f"HEARTLAND PAYROLL {run.pay_group} TAXES"),
    ]


def statement_files(
    registers: list[Register], seed: int, funding_offsets: dict[str, Decimal]
) -> list[tuple[str, bytes, dict[str, int]]]:
    """One statement per funding day: (file name, bytes, run key -> data row of its net-pay
    debit, from 1)."""
    by_day: dict[date, list[Register]] = defaultdict(list)
    for register in registers:
        by_day[register.run.check_date].append(register)
    files = []
    for day, day_registers in sorted(by_day.items()):
        rng = random.Random(f"{seed}|statement|{day}")
        lines = [
            (f"{ref} {rng.randrange(1000, 9999)}", Decimal(rng.randrange(low * 100, high * 100)) / 100, text)
            for ref, text, low, high in rng.sample(UNRELATED_LINES, 3)
        ]  # fmt: skip
        net_rows = {}
        for register in day_registers:
            offset = funding_offsets.get(register.run.run_key, Decimal(0))
            net_rows[register.run.run_key] = len(lines) + 1
            lines += funding_lines(register, offset)
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(STATEMENT_HEADERS)
        booked = f"{day:%m/%d/%Y}"
        for reference, amount, text in lines:
            writer.writerow(
                [OPERATING_ACCOUNT, booked, booked, "USD", f"{amount:.2f}", reference, text]
            )
        files.append((f"statement_{day:%Y%m%d}.csv", out.getvalue().encode("utf-8"), net_rows))
    return files
