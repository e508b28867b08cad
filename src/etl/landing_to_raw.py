"""AWS Glue job: landing -> raw. Thin: the body is energy_lake.etl.jobs.glue_entry, the work in energy_lake.etl.

Runs unchanged on Glue 5.1 and locally on plain pyspark:
    python src/etl/landing_to_raw.py --landing_uri data/landing --raw_uri lake/raw ... (see jobs/args.py)
"""

import sys

from energy_lake.etl.jobs.glue_entry import main

if __name__ == "__main__":
    sys.exit(main("landing_to_raw", sys.argv))
