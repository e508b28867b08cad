"""Energy trading data lake: contracts, Spark jobs, local runner and AWS tooling.

The folders under ``src/`` form this one package (``energy_lake``): ``etl`` (job library and
Glue entry scripts), ``cli`` (the local product), ``utils`` (logging, AWS sessions), ``scripts``
(operator scripts), plus the ``contracts`` and ``sql`` data folders.
"""

__version__ = "0.1.0"
