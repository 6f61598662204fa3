"""The warehouse's SQL, installed as the package ``hl_d365_assets.sql`` (see pyproject.toml).

This folder is where the SQL is edited; the file exists only so that setuptools' editable
install can import the mapped package and ``importlib.resources`` finds the files the same way
in a checkout and in a wheel (``hl_d365_assets/package_files.py``).
"""
