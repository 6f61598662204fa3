"""What the docs tell a newcomer stays true: the asset groups the UI shows, and sources a reader
of the repository can open."""

from __future__ import annotations

import re
from collections import defaultdict

from hl_d365_assets.settings import PROJECT_ROOT

DOCS = [PROJECT_ROOT / "README.md", *sorted((PROJECT_ROOT / "docs").glob("*.md"))]


def _documented_groups() -> dict[str, set[str]]:
    """architecture.md's group table: group -> asset keys (a `prefix/*` row names a prefix)."""
    text = (PROJECT_ROOT / "docs" / "architecture.md").read_text()
    table = text[text.index("| group | assets |") :].split("\n\n")[0]
    groups = {}
    for row in table.splitlines()[2:]:
        group, assets = (cell.strip() for cell in row.strip("|").split("|"))
        groups[group.strip("`")] = set(re.findall(r"`([a-z0-9_/*]+)`", assets))
    return groups


def test_the_architecture_page_lists_every_asset_group_and_its_assets() -> None:
    from hl_d365_assets.definitions import defs

    actual: dict[str, set[str]] = defaultdict(set)
    for node in defs.resolve_asset_graph().asset_nodes:
        actual[node.group_name].add(node.key.to_user_string())
    documented = _documented_groups()
    assert set(documented) == set(actual)
    for group, keys in actual.items():
        patterns = documented[group]
        for key in keys:
            assert any(
                key == p or (p.endswith("*") and key.startswith(p[:-1])) for p in patterns
            ), f"{key} ({group}) is missing from docs/architecture.md"
        for pattern in patterns:
            assert any(key == pattern or key.startswith(pattern[:-1]) for key in keys), pattern


def test_docs_cite_public_sources_not_files_outside_the_repository() -> None:
    for page in DOCS:
        assert "shared/reference" not in page.read_text(), page.name
        assert "../shared/" not in page.read_text(), page.name
