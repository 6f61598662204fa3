"""The finance-owned mapping files, installed as the package ``hl_d365_assets.mappings``.

This folder is where they are edited (see README.md here); the file exists only so that
setuptools' editable install can import the mapped package and ``importlib.resources`` finds
the files the same way in a checkout and in a wheel (``hl_d365_assets/package_files.py``).
"""
