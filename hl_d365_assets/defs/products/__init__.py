"""Products and SKUs: D365 released products matched to Heartland Retail items, and the product
sync D365 → Heartland Retail (docs/products.md)."""
