"""Hypothesis profiles for the property tests, chosen by ``HYPOTHESIS_PROFILE``.

- ``default`` (``make test``): few examples, derandomised, so the suite stays in its time budget and
  every clone runs the same examples;
- ``thorough``: many random examples (minutes), for a search before a release or after a change to
  the readers (``HYPOTHESIS_PROFILE=thorough .venv/bin/python -m pytest tests/property -q``);
- ``fuzz`` (``make fuzz``): at least ``FUZZ_FEEDS`` generated feeds (1,000 by default), in landing
  folders of 8 to 12 files so that each pipeline run checks many of them; random, no shrinking (a
  failing folder is printed whole: replay it under ``thorough``).
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, Phase, settings

_COMMON = {
    "deadline": None,  # each example is a Spark run: seconds, not milliseconds
    "suppress_health_check": [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
    "print_blob": True,
}

# No shrinking by default: each shrink step is a Spark run, and a search can take many minutes. The
# failing batch is printed whole; re-run it under the thorough profile to shrink it.
_NO_SHRINK = [Phase.explicit, Phase.reuse, Phase.generate]
settings.register_profile("default", max_examples=6, derandomize=True, phases=_NO_SHRINK, **_COMMON)
settings.register_profile("thorough", max_examples=150, **_COMMON)
FUZZ_FILES = (8, 12)  # files per landing folder, before copies and resends
FUZZ_FEEDS = int(os.environ.get("FUZZ_FEEDS", "1000"))
settings.register_profile("fuzz", max_examples=-(-FUZZ_FEEDS // FUZZ_FILES[0]), phases=_NO_SHRINK, **_COMMON)


def load() -> None:
    settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


def files_per_batch() -> tuple[int, int]:
    """(fewest, most) generated files per landing folder under the chosen profile."""
    return FUZZ_FILES if os.environ.get("HYPOTHESIS_PROFILE") == "fuzz" else (1, 5)
