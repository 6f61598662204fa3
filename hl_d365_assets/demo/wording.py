"""Words the demo's tables share, so a count reads as English ("1 line", "2 lines")."""


def plural(count: int, noun: str) -> str:
    """``count`` with ``noun``, made plural unless the count is one."""
    return f"{count:,} {noun}{'' if count == 1 else 's'}"
