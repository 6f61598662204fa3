"""The sandbox's product catalogue and cardholders: names from word lists.

SKU number ``i`` is ``SKU-1xxxx`` named ``ADJECTIVES[i % 12] NOUNS[i // 12]``; its price and cost
are drawn in SQL (``create_catalog_macros.sql``) from the seed alone, so a SKU costs the same in
every store and on every day of a sandbox.
"""

from __future__ import annotations

ADJECTIVES: tuple[str, ...] = (
    "Classic", "Organic", "Premium", "Everyday", "Compact", "Deluxe",
    "Recycled", "Travel", "Vintage", "Essential", "Heritage", "Studio",
)  # fmt: skip

NOUNS: tuple[str, ...] = (
    "Cotton T-Shirt", "Denim Jacket", "Wool Scarf", "Leather Belt", "Canvas Tote",
    "Water Bottle", "Coffee Mug", "Notebook", "Desk Lamp", "Throw Pillow",
    "Scented Candle", "Picture Frame", "Yoga Mat", "Running Socks", "Rain Jacket",
    "Sunglasses", "Backpack", "Phone Case", "Headphones", "Wall Clock",
    "Cutting Board", "Chef Knife", "Tea Sampler", "Chocolate Bar", "Granola",
    "Olive Oil", "Hand Cream", "Shampoo", "Beanie", "Umbrella",
    "Sneakers", "Flip Flops", "Board Game", "Puzzle", "Plant Pot",
    "Bath Towel", "Bed Sheets", "Table Runner", "Wine Glass", "Serving Bowl",
)  # fmt: skip

CATALOG_SIZE = len(ADJECTIVES) * len(NOUNS)
CATALOG_SKUS: tuple[str, ...] = tuple(f"SKU-{10000 + i}" for i in range(CATALOG_SIZE))
CATALOG_DESCRIPTIONS: tuple[str, ...] = tuple(
    f"{ADJECTIVES[i % len(ADJECTIVES)]} {NOUNS[i // len(ADJECTIVES)]}" for i in range(CATALOG_SIZE)
)

CARDHOLDER_FIRST_INITIALS: tuple[str, ...] = tuple("ABCDEFGHJKLMNPRSTW")
CARDHOLDER_SURNAMES: tuple[str, ...] = (
    "SMITH", "JOHNSON", "WILLIAMS", "BROWN", "JONES", "GARCIA", "MILLER", "DAVIS",
    "MARTIN", "TREMBLAY", "ROY", "GAGNON", "LEE", "WILSON", "TAYLOR", "NGUYEN",
    "PATEL", "KIM", "CHEN", "MORIN", "CLARK", "LEWIS", "WALKER", "YOUNG",
)  # fmt: skip

CARDHOLDER_NAMES: tuple[str, ...] = tuple(
    f"{initial} {surname}"
    for surname in CARDHOLDER_SURNAMES
    for initial in CARDHOLDER_FIRST_INITIALS
)

GRID_NOUNS: tuple[str, ...] = (
    "Cotton T-Shirt", "Denim Jacket", "Wool Scarf", "Running Socks", "Rain Jacket",
    "Beanie", "Sneakers", "Flip Flops",
)  # fmt: skip
"""Apparel sold in sizes and colours: in Heartland Retail each noun's twelve SKUs are one item
grid (Size x Color), each SKU a cell of it. Everything else is a single item."""

GRID_SIZES: tuple[str, ...] = ("S", "M", "L")
GRID_COLORS: tuple[str, ...] = ("Black", "White", "Navy", "Red")

assert len(GRID_SIZES) * len(GRID_COLORS) == len(ADJECTIVES)
assert set(GRID_NOUNS) <= set(NOUNS)
