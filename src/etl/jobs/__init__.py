"""Running the pipeline: the three hops, one hop as a Glue job (arguments, session, PII key, metrics), and the
body of the entry scripts (``glue_entry``, the only module that imports ``awsglue``).

May import every other room of ``energy_lake.etl`` (and ``energy_lake.utils``); only the entry scripts import it.
"""
