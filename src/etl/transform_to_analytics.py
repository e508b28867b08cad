"""AWS Glue job: transform -> analytics. Thin: the body is energy_lake.etl.jobs.glue_entry, the work in energy_lake.etl.

Runs unchanged on Glue 5.1 and locally on plain pyspark:
    python src/etl/transform_to_analytics.py --landing_uri data/landing --raw_uri lake/raw ... (see jobs/args.py)
"""

import sys

from energy_lake.etl.jobs.glue_entry import main

if __name__ == "__main__":
    sys.exit(main("transform_to_analytics", sys.argv))
