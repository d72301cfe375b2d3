"""Kudos, the example Parvis plug-in: thank a colleague; the thanks show on their profile.

A service of its own (``service.py``: database, migrations, events, access rules) and a
gateway extension (``gateway.py``: API, page, profile panel, catalogues), found through
the entry points of ``pyproject.toml``. docs/plugins.md walks through it.
"""
