"""One run at a time per lake: a lock object created only if absent (local O_EXCL, S3 If-None-Match).

A crashed run cannot hold the lake for ever. The lock records who holds it (host, process, Glue
job run) and an expiry the holder extends at every commit; it is taken over when it has expired or
when its holder is known to be dead (a process of this host that no longer exists, a Glue job run
that is no longer running). Every takeover is reported.
"""

from __future__ import annotations

import json
import os
import socket
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from types import TracebackType
from typing import Any

from energy_lake.etl.errors import LakeBusy
from energy_lake.etl.storage import Storage, join

DEFAULT_TTL = timedelta(hours=2)
HolderAlive = Callable[[dict[str, Any]], bool]


def local_process_alive(holder: dict[str, Any]) -> bool:
    """False only when the holder ran on this host and its process is gone."""
    if holder.get("host") != socket.gethostname() or "pid" not in holder:
        return True
    try:
        os.kill(int(holder["pid"]), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class LakeLock:
    def __init__(
        self,
        storage: Storage,
        state_uri: str,
        run_id: str,
        ttl: timedelta = DEFAULT_TTL,
        holder_alive: HolderAlive = local_process_alive,
        identity: dict[str, str] | None = None,
    ) -> None:
        self.storage = storage
        self.uri = join(state_uri, "LOCK.json")
        self.run_id = run_id
        self.ttl = ttl
        self.holder_alive = holder_alive
        self.identity = identity or {}
        self.taken_over: str | None = None

    def _body(self) -> str:
        now = datetime.now(UTC)
        return json.dumps(
            {
                "run_id": self.run_id,
                "host": socket.gethostname(),
                "pid": os.getpid(),
                **self.identity,
                "acquired_at": now.isoformat(),
                "expires_at": (now + self.ttl).isoformat(),
            }
        )

    def acquire(self) -> None:
        if self.storage.create_exclusive(self.uri, self._body()):
            return
        text = self.storage.read_text(self.uri)
        holder: dict[str, Any] = json.loads(text) if text else {}
        expires = datetime.fromisoformat(holder["expires_at"]) if "expires_at" in holder else None
        if expires is not None and expires > datetime.now(UTC) and self.holder_alive(holder):
            raise LakeBusy(
                f"another run ({holder.get('run_id', 'unknown')}) is using this lake until "
                f"{holder.get('expires_at')}; wait for it to finish, or delete {self.uri} "
                "if that run is known to be dead"
            )
        self.storage.delete(self.uri)
        if not self.storage.create_exclusive(self.uri, self._body()):
            raise LakeBusy(f"another run took over the stale lock first: {self.uri}")
        self.taken_over = str(holder.get("run_id", "unknown"))

    def refresh(self) -> None:
        self.storage.write_text(self.uri, self._body())

    def release(self) -> None:
        text = self.storage.read_text(self.uri)
        if text and json.loads(text).get("run_id") == self.run_id:
            self.storage.delete(self.uri)

    def __enter__(self) -> LakeLock:
        self.acquire()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.release()
