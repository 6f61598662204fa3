"""SQL lives in files (sql/, hl_d365_assets/sandbox/sql/), not in Python strings.

A statement of more than one line inlined in Python hides from the reader who looks for the SQL
that builds a table, and from the tools that read SQL files. One-line trivial statements may
stay; so may a statement built from identifiers where a file with placeholders would read
worse, and each such place is listed below with its reason.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "hl_d365_assets"
STATEMENT = re.compile(r"^\s*(SELECT|INSERT|DELETE|UPDATE|CREATE|WITH)\b", re.IGNORECASE)

# Modules allowed to keep a multi-line SQL statement in Python, and why.
ALLOWED: dict[str, str] = {
    # Built from identifiers: the ORDER BY lists come from the request's order_by and order
    # parameters (a list of sort columns and a direction), which SQL cannot bind; a file with
    # a hole for a column list would hide half the statement in Python anyway.
    "sandbox/heartland_simulator.py": "page query ordered by request parameters",
}


def _docstrings(tree: ast.Module) -> set[int]:
    owners = (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)
    return {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, owners)
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }


def multi_line_statements(source: str) -> list[tuple[int, str]]:
    """(line, first line) of each string in ``source`` that starts like a SQL statement and
    spans more than one line, in its text or in the source (adjacent literals, f-strings)."""
    tree = ast.parse(source)
    skipped = _docstrings(tree)
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):
            skipped.update(id(part) for part in node.values)
    found = []
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            text = node.value
        elif isinstance(node, ast.JoinedStr):
            text = "".join(
                part.value if isinstance(part, ast.Constant) else "{}" for part in node.values
            )
        else:
            continue
        spans_lines = "\n" in text.strip() or node.end_lineno > node.lineno
        if STATEMENT.match(text) and spans_lines:
            found.append((node.lineno, text.strip().splitlines()[0]))
    return sorted(found)


def _package_statements() -> dict[str, list[tuple[int, str]]]:
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        statements = multi_line_statements(path.read_text(encoding="utf-8"))
        if statements:
            found[path.relative_to(PACKAGE).as_posix()] = statements
    return found


def test_no_multi_line_sql_statement_in_python_outside_the_allowed_modules():
    inlined = {
        module: statements
        for module, statements in _package_statements().items()
        if module not in ALLOWED
    }
    assert not inlined, "move these statements into SQL files:\n" + "\n".join(
        f"  hl_d365_assets/{module}:{line}: {first}"
        for module, statements in inlined.items()
        for line, first in statements
    )


def test_every_allowed_module_still_holds_inlined_sql():
    """A module that no longer needs its exception leaves the list, so the list stays true."""
    stale = sorted(set(ALLOWED) - set(_package_statements()))
    assert not stale, f"remove from ALLOWED: {stale}"


def test_the_scan_finds_statements_however_they_are_written():
    source = '''
def f(conn, table):
    """Select things
    from a docstring, which is prose."""
    conn.execute("SELECT 1")
    conn.execute("SELECT a "
                 "FROM b")
    conn.execute(f"""
        insert into {table}
        select 1""")
    conn.execute("""
        WITH x AS (SELECT 1) SELECT * FROM x
    """)
    return "Selected\\nrows"
'''
    assert multi_line_statements(source) == [
        (6, "SELECT a FROM b"),
        (8, "insert into {}"),
        (11, "WITH x AS (SELECT 1) SELECT * FROM x"),
    ]
