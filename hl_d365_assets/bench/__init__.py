"""`make bench`: the measured targets; never imported by production code."""
