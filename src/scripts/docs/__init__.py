"""Generators of the docs pages derived from the contracts and rules, one module per page, printed to stdout:

- ``data_model``: ``python -m energy_lake.scripts.docs.data_model > docs/data-model.md``;
- ``governance``: ``python -m energy_lake.scripts.docs.governance > docs/governance.md``;
- ``data_quality``: ``python -m energy_lake.scripts.docs.data_quality > docs/data-quality.md``.

Tests fail when a page is stale. They read ``energy_lake.etl``; nothing imports them.
"""
