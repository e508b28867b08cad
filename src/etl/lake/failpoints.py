"""Named points where a test can kill the run, to prove that a crash anywhere leaves a readable lake.

``ENERGY_LAKE_FAILPOINT=<name>`` makes the process SIGKILL itself at that point: no cleanup, no
finally blocks, exactly like a lost machine. Unset (always, outside tests) it costs one lookup.
"""

from __future__ import annotations

import os
import signal

ENV = "ENERGY_LAKE_FAILPOINT"


def failpoint(name: str) -> None:
    if os.environ.get(ENV) == name:
        os.kill(os.getpid(), signal.SIGKILL)
