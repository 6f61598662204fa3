"""Stock across the two systems: Heartland Retail's inventory against D365's on-hand
(recon.inventory), and the rule "check inventory levels" on D365 order lines (docs/stock.md)."""
