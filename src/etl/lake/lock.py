"""One run at a time per lake: a lock object created only if absent (local link, S3 If-None-Match).

A crashed run cannot hold the lake for ever. The lock records who holds it (host, process, Glue
job run) and an expiry the holder extends at every commit; it is taken over when it has expired or
when its holder is known to be dead (a process of this host that no longer exists, a Glue job run
that is no longer running). Every takeover is reported.

Every change after creation is a compare-and-swap on the version this run saw or last wrote
(``Storage.replace_if`` / ``delete_if``): of two runs that find the same stale lock, one replaces it
and the other is refused; a run whose lock was taken over cannot extend it (``LakeLockLost``) nor
delete the new holder's.
"""

from __future__ import annotations

import json
import os
import socket
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from types import TracebackType
from typing import Any

from energy_lake.etl.lake.storage import Storage, join
from energy_lake.etl.model.errors import LakeBusy, LakeLockLost

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
        self._version: str | None = None  # of the lock this run last wrote; None when it holds none

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
        self._version = self.storage.create_exclusive(self.uri, self._body())
        if self._version is None:
            self._take_over_if_stale()

    def _take_over_if_stale(self) -> None:
        seen = self.storage.read_versioned(self.uri)
        if seen is None:  # released since our create: the lake is free, try once more
            self._version = self.storage.create_exclusive(self.uri, self._body())
            if self._version is None:
                raise LakeBusy(f"another run acquired the lake's lock just now: {self.uri}")
            return
        text, version = seen
        holder: dict[str, Any] = json.loads(text) if text else {}
        expires = datetime.fromisoformat(holder["expires_at"]) if "expires_at" in holder else None
        if expires is not None and expires > datetime.now(UTC) and self.holder_alive(holder):
            raise LakeBusy(
                f"another run ({holder.get('run_id', 'unknown')}) is using this lake until "
                f"{holder.get('expires_at')}; wait for it to finish, or delete {self.uri} "
                "if that run is known to be dead"
            )
        previous = str(holder.get("run_id", "unknown"))
        # Replace exactly the stale lock we inspected: if another run replaced it first, we lose.
        self._version = self.storage.replace_if(self.uri, self._body(), version)
        if self._version is None:
            raise LakeBusy(f"another run took over the stale lock of run {previous} first: {self.uri}")
        self.taken_over = previous

    def refresh(self) -> None:
        """Extend this run's lock; LakeLockLost if it is no longer the lock this run wrote last."""
        if self._version is None:
            raise LakeLockLost(f"run {self.run_id} does not hold the lake's lock {self.uri}")
        self._version = self.storage.replace_if(self.uri, self._body(), self._version)
        if self._version is None:
            raise LakeLockLost(
                f"run {self.run_id} lost the lake's lock {self.uri}: another run took it over, or it was "
                "deleted (it had expired, or this run looked dead); this run stops here"
            )

    def release(self) -> None:
        """Delete the lock only if it is still the one this run wrote last."""
        if self._version is not None:
            self.storage.delete_if(self.uri, self._version)
            self._version = None

    def __enter__(self) -> LakeLock:
        self.acquire()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.release()
