"""One run at a time per lake: a lock object created only if absent (local O_EXCL, S3 If-None-Match).

A crashed run cannot hold the lake forever: the lock carries an expiry that the holder extends
while it works; an expired lock is taken over and the takeover is logged.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from types import TracebackType

from energy_lake.etl.errors import LakeBusy
from energy_lake.etl.storage import Storage, join

DEFAULT_TTL = timedelta(hours=2)


class LakeLock:
    def __init__(self, storage: Storage, state_uri: str, run_id: str, ttl: timedelta = DEFAULT_TTL) -> None:
        self.storage = storage
        self.uri = join(state_uri, "LOCK.json")
        self.run_id = run_id
        self.ttl = ttl
        self.taken_over: str | None = None

    def _body(self) -> str:
        now = datetime.now(UTC)
        return json.dumps(
            {"run_id": self.run_id, "acquired_at": now.isoformat(), "expires_at": (now + self.ttl).isoformat()}
        )

    def acquire(self) -> None:
        if self.storage.create_exclusive(self.uri, self._body()):
            return
        text = self.storage.read_text(self.uri)
        holder = json.loads(text) if text else {}
        expires = (
            datetime.fromisoformat(holder["expires_at"]) if "expires_at" in holder else datetime.min.replace(tzinfo=UTC)
        )
        if expires > datetime.now(UTC):
            raise LakeBusy(
                f"another run ({holder.get('run_id', 'unknown')}) is using this lake until {holder.get('expires_at')}; "
                "wait for it to finish, or delete the lock file if that run is known to be dead: " + self.uri
            )
        self.storage.delete(self.uri)
        if not self.storage.create_exclusive(self.uri, self._body()):
            raise LakeBusy(f"another run took the expired lock first: {self.uri}")
        self.taken_over = holder.get("run_id")

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
