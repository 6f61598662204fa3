"""Customer identities across Heartland Retail, D365 and the payment side, with the truth.

The MDM matcher is measured against this (issue 15, item 6): a seeded population of people in
households, each on file in one to four systems, the copies differing the way real records do
(typos, transposed names, nicknames, moves, new and aliased e-mails, shared family e-mails, the
same name on different people). ``customer_identity_truth`` says which record is which person,
so pairwise precision and recall can be counted (hl_d365_assets/mdm/evaluation.py).

The records come out in the shape every source's stage file gives the matcher
(``customer_source_records``), so the whole MDM pipeline runs on them unchanged. Set-based SQL
(sandbox/sql/create_customer_*.sql): 500,000 records take a few seconds.

Named apart from ``sandbox/customers.py`` (the Retail simulator's store-week customers, issue
14): that generator writes a few hundred people per store and week; this one writes the
hundreds of thousands a matching benchmark needs. Both draw names the same way.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from hl_d365_assets.sandbox.sql_files import run_sql_file

FIRST_NAMES: tuple[tuple[str, str], ...] = (
    ("Robert", "Bob"), ("Elizabeth", "Liz"), ("William", "Bill"), ("Margaret", "Peggy"),
    ("Richard", "Rick"), ("Katherine", "Kate"), ("James", "Jim"), ("Jennifer", "Jen"),
    ("Michael", "Mike"), ("Patricia", "Pat"), ("Thomas", "Tom"), ("Susan", "Sue"),
    ("Christopher", "Chris"), ("Jessica", "Jess"), ("Daniel", "Dan"), ("Alexandra", "Alex"),
    ("Nicholas", "Nick"), ("Rebecca", "Becky"), ("Joseph", "Joe"), ("Stephanie", "Steph"),
    ("Anthony", "Tony"), ("Victoria", "Vicky"), ("Edward", "Ted"), ("Samantha", "Sam"),
    ("Matthew", "Matt"), ("Deborah", "Debbie"), ("Andrew", "Andy"), ("Kimberly", "Kim"),
    ("Benjamin", "Ben"), ("Cynthia", "Cindy"), ("Jonathan", "Jon"), ("Abigail", "Abby"),
    ("Timothy", "Tim"), ("Dorothy", "Dot"), ("Gregory", "Greg"), ("Theresa", "Tess"),
    ("Lawrence", "Larry"), ("Frances", "Fran"), ("Raymond", "Ray"), ("Jacqueline", "Jackie"),
    ("Ada", "Ada"), ("Olivia", "Olivia"), ("Noah", "Noah"), ("Chloe", "Chloe"),
    ("Liam", "Liam"), ("Mia", "Mia"), ("Ethan", "Ethan"), ("Priya", "Priya"),
    ("Mateo", "Mateo"), ("Sofia", "Sofia"), ("Arjun", "Arjun"), ("Mei", "Mei"),
    ("Lucas", "Lucas"), ("Amara", "Amara"), ("Hiroshi", "Hiroshi"), ("Fatima", "Fatima"),
    ("Oscar", "Oscar"), ("Ingrid", "Ingrid"), ("Diego", "Diego"), ("Zoe", "Zoe"),
)  # fmt: skip
"""(first name, the nickname the same person also goes by; a name without one repeats).
The pairs are the common ones in mappings/customer_nicknames.csv: the matcher knows them."""

COMMON_SURNAMES: tuple[str, ...] = (
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis",
    "Martin", "Tremblay", "Roy", "Gagnon", "Lee", "Wilson", "Taylor", "Nguyen",
    "Patel", "Kim", "Chen", "Morin", "Clark", "Lewis", "Walker", "Young",
    "O'Brien", "Anderson", "Thompson", "Lovelace", "Fitzgerald", "Robinson",
)  # fmt: skip
"""Common surnames, drawn as often as any other: most "same name, different person" pairs."""

SURNAME_STEMS = (
    "Ash", "Brad", "Cal", "Dun", "Ell", "Fair", "Gold", "Hart", "Kings", "Lang",
    "Mar", "North", "Pem", "Rad", "Stan", "Thorn", "Whit", "Went", "Brook", "Hol",
    "Al", "Bel", "Car", "Dal", "Eas", "Fern", "Gar", "Hal", "Kirk", "Lin",
    "Mel", "New", "Oak", "Pres", "Rod", "Shel", "Tal", "Wal", "Wes", "Yar",
)  # fmt: skip
SURNAME_ENDINGS = (
    "ford", "ley", "ton", "wood", "well", "by", "field", "more", "worth", "ham",
    "stead", "bury", "combe", "dale", "wick", "bridge", "croft", "den", "hurst", "ridge",
    "shaw", "thorpe", "well", "win", "cott",
)  # fmt: skip
"""Composed surnames (Ashford, Kirkhurst): 1,000 of them, so two unrelated people share a
full name about as rarely as they do in a real customer file."""

STREETS: tuple[tuple[str, str], ...] = (
    ("Maple Street", "Maple St."), ("Oak Avenue", "Oak Ave"), ("King Street West", "King St W"),
    ("Lakeshore Boulevard", "Lakeshore Blvd"), ("Park Road", "Park Rd"),
    ("Elm Drive", "Elm Dr."), ("Cedar Lane", "Cedar Ln"), ("Hillcrest Court", "Hillcrest Ct"),
    ("Main Street", "Main St"), ("Riverside Drive", "Riverside Dr"),
    ("Church Street", "Church St"), ("Mill Road", "Mill Rd"), ("Pine Avenue", "Pine Ave."),
    ("Highland Parkway", "Highland Pkwy"), ("Forest Place", "Forest Pl"),
    ("Sunset Boulevard", "Sunset Blvd."), ("Willow Court", "Willow Ct."),
    ("Bay Street", "Bay St"), ("Queen Street East", "Queen St E"), ("Harbour Road", "Harbour Rd"),
)  # fmt: skip
"""(street as written the first time, as abbreviated on another record)."""

CITIES = (
    "New York|NY|US|212|100", "Brooklyn|NY|US|718|112", "Chicago|IL|US|312|606",
    "Evanston|IL|US|847|602", "Denver|CO|US|303|802", "Boulder|CO|US|720|803",
    "Los Angeles|CA|US|213|900", "San Diego|CA|US|619|921", "Seattle|WA|US|206|981",
    "Austin|TX|US|512|787", "Toronto|ON|CA|416|M5", "Mississauga|ON|CA|905|L5",
    "Montreal|QC|CA|514|H2", "Vancouver|BC|CA|604|V6",
)  # fmt: skip
"""City|state|country|area code|zip prefix: where households live."""

MAIL_DOMAINS = (
    "gmail.com",
    "gmail.com",
    "example.com",
    "example.net",
    "example.org",
    "outlook.com",
)
"""Gmail twice: its dots-and-plus rule is the provider rule the standardiser must get right."""


def surnames() -> list[str]:
    """30 common surnames and the composed ones: each household draws one of about a thousand."""
    composed = [stem + ending for stem in SURNAME_STEMS for ending in SURNAME_ENDINGS]
    return list(dict.fromkeys([*COMMON_SURNAMES, *composed]))


def build_customer_identities(
    con: duckdb.DuckDBPyConnection, people: int, seed: int = 15
) -> dict[str, int]:
    """Create ``customer_people``, ``customer_source_records`` and ``customer_identity_truth``
    in ``con``; answer the record count per source."""
    lists = {
        "first_names": [first for first, _ in FIRST_NAMES],
        "nicknames": [nickname for _, nickname in FIRST_NAMES],
        "surnames": surnames(),
        "streets": [street for street, _ in STREETS],
        "street_abbreviations": [short for _, short in STREETS],
        "cities": list(CITIES),
        "mail_domains": list(MAIL_DOMAINS),
    }
    con.execute("SET VARIABLE customer_seed = $seed", {"seed": seed})
    con.execute("SET VARIABLE customer_people = $people", {"people": people})
    for name, values in lists.items():
        con.execute(f"SET VARIABLE {name} = $values", {"values": values})
        con.execute(f"SET VARIABLE {name}_count = $count", {"count": len(values)})
    run_sql_file(con, "create_customer_people")
    run_sql_file(con, "create_customer_source_records")
    return dict(
        con.execute(
            "SELECT source, count(*) FROM customer_source_records GROUP BY ALL ORDER BY 1"
        ).fetchall()
    )


def write_ground_truth(con: duckdb.DuckDBPyConnection, path: Path) -> Path:
    """The truth as NDJSON, one ``{source, source_key, person}`` a line (``person`` null for the
    walk-in customer and anonymous cards), beside the Retail sandbox's own duplicates file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    con.execute(
        f"COPY customer_identity_truth TO '{path.as_posix()}' (FORMAT json)"  # path: our own
    )
    return path
