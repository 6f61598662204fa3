"""Files that ship inside the package, found one way: ``importlib.resources``.

The warehouse SQL and the finance-owned mappings are edited where the design card puts them, in
the top-level ``sql/`` and ``mappings/`` folders; ``pyproject.toml`` maps those folders into the
package as ``hl_d365_assets.sql`` and ``hl_d365_assets.mappings`` (each has an ``__init__.py``
only so that setuptools' editable finder can import them). The sandbox's SQL and its D365 seed
live inside ``hl_d365_assets/sandbox/`` and ship as its package data. So a wheel carries every
file, an editable install reads the checked-out ones, and nothing is found relative to
``__file__`` or the working directory.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path


def package_folder(package: str, *parts: str) -> Path:
    """The folder ``parts`` of ``package`` on disk.

    A path, not a ``Traversable``: DuckDB's ``read_csv`` and the CSV readers open files by name,
    and both a wheel and an editable install put the files on disk (the package is not zip-safe).
    """
    folder = files(package).joinpath(*parts)
    if not isinstance(folder, Path):
        raise RuntimeError(
            f"{package} is installed as {folder!r}, not as files on disk; install the wheel "
            "unpacked (pip and uv do)."
        )
    return folder
