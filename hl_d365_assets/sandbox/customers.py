"""Word lists the sandbox's Heartland Retail customers are drawn from.

A customer is a person of a store and week (create_retail_customers.sql); some people are on
file twice, the way duplicates creep into a POS: a cashier types the name again with a typo, the
person gives a nickname, a new email, or the phone and street written another way. The nickname
table is what makes "Bob Smith" and "Robert Smith" the same person for the customers issue, so
every first name either has a nickname here or is one that has none in common use.

Addresses use each store's own city, so a customer of Toronto has a Canadian postal code and a
+1 416 phone. Phone numbers are in the 555-01xx range reserved for fiction and emails at the
example.* domains reserved for documentation: no real person is ever named.
"""

from __future__ import annotations

from dataclasses import dataclass

FIRST_NAMES: tuple[tuple[str, str], ...] = (
    ("Robert", "Bob"), ("Elizabeth", "Liz"), ("William", "Bill"), ("Margaret", "Peggy"),
    ("Richard", "Rick"), ("Katherine", "Kate"), ("James", "Jim"), ("Jennifer", "Jen"),
    ("Michael", "Mike"), ("Patricia", "Pat"), ("Thomas", "Tom"), ("Susan", "Sue"),
    ("Christopher", "Chris"), ("Jessica", "Jess"), ("Daniel", "Dan"), ("Alexandra", "Alex"),
    ("Nicholas", "Nick"), ("Rebecca", "Becky"), ("Joseph", "Joe"), ("Stephanie", "Steph"),
    ("Anthony", "Tony"), ("Victoria", "Vicky"), ("Edward", "Ted"), ("Samantha", "Sam"),
    ("Ada", "Ada"), ("Olivia", "Olivia"), ("Noah", "Noah"), ("Chloe", "Chloe"),
    ("Liam", "Liam"), ("Mia", "Mia"), ("Ethan", "Ethan"), ("Priya", "Priya"),
)  # fmt: skip
"""(first name, the nickname the same person also goes by); a name without one repeats."""

SURNAMES: tuple[str, ...] = (
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis",
    "Martin", "Tremblay", "Roy", "Gagnon", "Lee", "Wilson", "Taylor", "Nguyen",
    "Patel", "Kim", "Chen", "Morin", "Clark", "Lewis", "Walker", "Young",
    "O'Brien", "Anderson", "Thompson", "Lovelace", "Fitzgerald", "Robinson",
)  # fmt: skip

STREETS: tuple[tuple[str, str], ...] = (
    ("Maple Street", "Maple St."), ("Oak Avenue", "Oak Ave"), ("King Street West", "King St W"),
    ("Lakeshore Boulevard", "Lakeshore Blvd"), ("Park Road", "Park Rd"),
    ("Elm Drive", "Elm Dr."), ("Cedar Lane", "Cedar Ln"), ("Hillcrest Court", "Hillcrest Ct"),
    ("Main Street", "Main St"), ("Riverside Drive", "Riverside Dr"),
)  # fmt: skip
"""(street as written the first time, as abbreviated on a duplicate record)."""

EMAIL_DOMAINS: tuple[str, ...] = ("example.com", "example.net", "example.org")


@dataclass(frozen=True)
class Region:
    city: str
    state: str
    country: str
    area_code: str
    zip_prefix: str
    """US: the first three ZIP digits; Canada: the first two characters of the postal code."""


REGIONS: dict[str, Region] = {
    "America/New_York": Region("New York", "NY", "US", "212", "100"),
    "America/Chicago": Region("Chicago", "IL", "US", "312", "606"),
    "America/Denver": Region("Denver", "CO", "US", "303", "802"),
    "America/Toronto": Region("Toronto", "ON", "CA", "416", "M5"),
    "America/Vancouver": Region("Vancouver", "BC", "CA", "604", "V6"),
}
"""Where a store's customers live, by the store's time zone (mappings/stores.csv)."""

DEFAULT_REGION = REGIONS["America/New_York"]


def region_of(timezone: str) -> Region:
    """A store in a zone without a region of its own draws New York addresses."""
    return REGIONS.get(timezone, DEFAULT_REGION)
