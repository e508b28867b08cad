"""The job library and the three Glue entry scripts, in rooms by concern, imports only downward.

Layer order (a module imports only from its own room or a lower one; docs/architecture.md "Code layout"):
``model`` < ``transforms``, ``quality`` < ``access``, ``lake`` < ``landing`` < ``jobs`` < the entry scripts
here (``landing_to_raw.py``, ``raw_to_transform.py``, ``transform_to_analytics.py``: three lines each,
calling ``jobs.glue_entry.main``). Nothing here imports ``energy_lake.cli`` or ``energy_lake.scripts``.
No code and no re-exports in the rooms' ``__init__``: callers import the module they use.
"""
