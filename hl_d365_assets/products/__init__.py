"""Products and SKUs across D365 and Heartland Retail: the match (canonical.products, with its
exceptions) and the product sync D365 → Heartland Retail. docs/products.md."""
