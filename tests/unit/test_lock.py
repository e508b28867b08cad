"""The run lock: one run at a time, and a stale lock is taken over by compare-and-swap, by one run only.

Every behaviour runs on a local folder and on S3 (moto 5.1.15, which honours If-None-Match and
If-Match on PutObject). moto ignores If-Match on DeleteObject, so the conditional release on S3 is
pinned request by request with botocore's Stubber, as are the exact conditional headers and ETags.
"""

from __future__ import annotations

import io
import json
import socket
import subprocess
import sys
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast

import boto3
import pytest
from botocore.response import StreamingBody
from botocore.stub import ANY, Stubber

from energy_lake.etl.lake.lock import LakeLock
from energy_lake.etl.lake.storage import LocalStorage, S3Storage, Storage, join
from energy_lake.etl.model.errors import LakeBusy, LakeError, LakeLockLost

BUCKET = "energy-lake-test-state"
NEVER = "2999-01-01T00:00:00+00:00"


def lock_uri(state: str) -> str:
    return join(state, "LOCK.json")


def holder(storage: Storage, state: str) -> dict[str, Any] | None:
    text = storage.read_text(lock_uri(state))
    return None if text is None else cast(dict[str, Any], json.loads(text))


def write_lock(storage: Storage, state: str, **body: Any) -> None:
    storage.write_text(lock_uri(state), json.dumps(body))


def write_stale_lock(storage: Storage, state: str, run_id: str = "r-dead") -> None:
    """The lock a crashed run left behind: expired an hour ago."""
    expired = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    write_lock(storage, state, run_id=run_id, host="elsewhere", pid=1, expires_at=expired)


# --- one run at a time ------------------------------------------------------------------------------


def test_a_held_lock_is_refused_naming_the_holder_and_left_alone(store: tuple[Storage, str]) -> None:
    storage, state = store
    with LakeLock(storage, state, "r-holding"):
        before = storage.read_text(lock_uri(state))
        with pytest.raises(LakeBusy) as refused:
            LakeLock(storage, state, "r-second").acquire()
        assert str(refused.value).startswith("another run (r-holding) is using this lake until ")
        assert str(refused.value).endswith(
            f"; wait for it to finish, or delete {lock_uri(state)} if that run is known to be dead"
        )
        assert storage.read_text(lock_uri(state)) == before
    assert storage.read_text(lock_uri(state)) is None  # released
    with LakeLock(storage, state, "r-second") as second:
        assert second.taken_over is None
        assert (holder(storage, state) or {})["run_id"] == "r-second"


def test_an_expired_lock_is_taken_over_and_reported(store: tuple[Storage, str]) -> None:
    storage, state = store
    LakeLock(storage, state, "r-crashed", ttl=timedelta(seconds=-1)).acquire()  # never released
    lock = LakeLock(storage, state, "r-new")
    lock.acquire()
    assert lock.taken_over == "r-crashed"
    assert (holder(storage, state) or {})["run_id"] == "r-new"
    lock.release()
    assert storage.read_text(lock_uri(state)) is None


def test_an_unexpired_lock_whose_local_process_died_is_taken_over(store: tuple[Storage, str]) -> None:
    storage, state = store
    # A pid above the kernel's pid_max (4194304 at most): no such process can exist on this host.
    write_lock(storage, state, run_id="r-killed", host=socket.gethostname(), pid=2**22 + 12345, expires_at=NEVER)
    lock = LakeLock(storage, state, "r-new")
    lock.acquire()
    assert lock.taken_over == "r-killed"
    assert (holder(storage, state) or {})["run_id"] == "r-new"


def test_a_live_holder_on_another_host_keeps_the_lock_until_it_expires(store: tuple[Storage, str]) -> None:
    storage, state = store
    write_lock(storage, state, run_id="glue-run", host="ip-10-0-0-1", pid=1, expires_at=NEVER)
    with pytest.raises(LakeBusy, match=r"^another run \(glue-run\) is using this lake until 2999-01-01"):
        LakeLock(storage, state, "r-2").acquire()
    assert (holder(storage, state) or {})["run_id"] == "glue-run"
    # ...unless the caller can tell that holder is dead (the Glue jobs ask Glue about its job run).
    lock = LakeLock(storage, state, "r-3", holder_alive=lambda h: h["run_id"] != "glue-run")
    lock.acquire()
    assert lock.taken_over == "glue-run"


def test_release_leaves_another_runs_lock_alone(store: tuple[Storage, str]) -> None:
    storage, state = store
    LakeLock(storage, state, "r-1").acquire()
    LakeLock(storage, state, "r-2").release()  # never acquired: holds nothing to release
    assert (holder(storage, state) or {})["run_id"] == "r-1"


def test_a_refresh_extends_the_lock_it_still_holds(store: tuple[Storage, str]) -> None:
    storage, state = store
    lock = LakeLock(storage, state, "r-1", ttl=timedelta(minutes=5))
    lock.acquire()
    first = (holder(storage, state) or {})["expires_at"]
    lock.ttl = timedelta(hours=3)
    lock.refresh()
    lock.refresh()  # conditional on the version the previous refresh wrote
    assert (holder(storage, state) or {})["expires_at"] > first
    lock.release()
    assert storage.read_text(lock_uri(state)) is None


def test_a_run_whose_lock_was_taken_over_can_neither_refresh_nor_release_it(store: tuple[Storage, str]) -> None:
    storage, state = store
    slow = LakeLock(storage, state, "r-slow", ttl=timedelta(seconds=-1))  # expired as soon as written
    slow.acquire()
    new = LakeLock(storage, state, "r-new")
    new.acquire()
    assert new.taken_over == "r-slow"
    taken = storage.read_text(lock_uri(state))

    with pytest.raises(LakeLockLost) as lost:
        slow.refresh()
    assert isinstance(lost.value, LakeError)  # the CLI prints it as an error, without a traceback
    assert str(lost.value) == (
        f"run r-slow lost the lake's lock {lock_uri(state)}: another run took it over, or it was deleted "
        "(it had expired, or this run looked dead); this run stops here"
    )
    assert storage.read_text(lock_uri(state)) == taken  # the refresh did not steal it back
    slow.release()
    assert storage.read_text(lock_uri(state)) == taken  # nor did the release delete it
    with pytest.raises(LakeLockLost, match=r"^run r-slow does not hold the lake's lock "):
        slow.refresh()

    new.refresh()  # the new holder is unaffected
    new.release()
    assert storage.read_text(lock_uri(state)) is None


def test_a_refresh_after_the_lock_was_deleted_raises(store: tuple[Storage, str]) -> None:
    storage, state = store
    lock = LakeLock(storage, state, "r-1")
    lock.acquire()
    storage.delete(lock_uri(state))  # an operator freed the lake, believing r-1 dead
    with pytest.raises(LakeLockLost, match=r"^run r-1 lost the lake's lock "):
        lock.refresh()
    assert storage.read_text(lock_uri(state)) is None  # not created again


def test_release_after_an_unnoticed_takeover_leaves_the_new_lock(tmp_path: Path) -> None:
    """The release is a conditional delete. Local here; on S3 see the Stubber test of the 412 below."""
    storage, state = LocalStorage(), str(tmp_path / "_lake")
    slow = LakeLock(storage, state, "r-slow", ttl=timedelta(seconds=-1))
    slow.acquire()
    LakeLock(storage, state, "r-new").acquire()
    slow.release()
    assert (holder(storage, state) or {})["run_id"] == "r-new"


def test_the_local_guard_is_a_hidden_sibling_made_by_the_first_check_and_swap(tmp_path: Path) -> None:
    storage, state = LocalStorage(), str(tmp_path / "_lake")
    lock = LakeLock(storage, state, "r-1")
    lock.acquire()
    assert sorted(p.name for p in (tmp_path / "_lake").iterdir()) == ["LOCK.json"]  # a plain create
    lock.refresh()
    lock.release()
    assert sorted(p.name for p in (tmp_path / "_lake").iterdir()) == [".LOCK.json.cas"]
    assert storage.list_files(state) == []


# --- the race: two runs that both found the same stale lock -----------------------------------------


class AnotherRunActsAfterTheRead:
    """Storage through which a run reads the lock, and then, before it can act on what it read,
    another run does its whole ``acquire``. Deterministic, one thread.

    The old lock read with ``read_text``, the new one with ``read_versioned``: both are hooked, so the
    same interleaving runs against either."""

    def __init__(self, inner: Storage, uri: str, other: LakeLock) -> None:
        self.inner, self.uri, self.other = inner, uri, other
        self.other_outcome: BaseException | None | str = "not run"

    def _let_the_other_run_act(self, uri: str) -> None:
        if uri == self.uri and self.other_outcome == "not run":
            try:
                self.other.acquire()
                self.other_outcome = None
            except LakeError as err:
                self.other_outcome = err

    def read_text(self, uri: str) -> str | None:
        text = self.inner.read_text(uri)
        self._let_the_other_run_act(uri)
        return text

    def read_versioned(self, uri: str) -> tuple[str, str] | None:
        seen = self.inner.read_versioned(uri)
        self._let_the_other_run_act(uri)
        return seen

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def test_two_runs_that_read_the_same_stale_lock_cannot_both_take_it_over(store: tuple[Storage, str]) -> None:
    """B reads the stale lock; A reads it too and takes it over; then B acts on what it read: B loses."""
    storage, state = store
    write_stale_lock(storage, state)
    a = LakeLock(storage, state, "r-a")
    gate = AnotherRunActsAfterTheRead(storage, lock_uri(state), other=a)
    b = LakeLock(cast(Storage, gate), state, "r-b")

    try:
        b.acquire()
        b_outcome: LakeError | None = None
    except LakeError as err:
        b_outcome = err

    winners = [run for run, outcome in (("r-a", gate.other_outcome), ("r-b", b_outcome)) if outcome is None]
    assert winners == ["r-a"], f"exactly one run may take over the stale lock; won: {winners}"
    assert isinstance(b_outcome, LakeBusy)
    assert str(b_outcome) == f"another run took over the stale lock of run r-dead first: {lock_uri(state)}"
    assert a.taken_over == "r-dead" and b.taken_over is None
    assert (holder(storage, state) or {})["run_id"] == "r-a"
    b.release()  # the loser holds nothing: the winner's lock stays
    assert (holder(storage, state) or {})["run_id"] == "r-a"


class AllReadBeforeAnyActs:
    """Storage that holds every contender after its read of the lock until all have read it; then lets
    them act all at once, or one whole ``acquire`` after another (``turn``, released by the caller)."""

    def __init__(self, inner: Storage, uri: str, contenders: int, one_by_one: bool) -> None:
        self.inner, self.uri, self.one_by_one = inner, uri, one_by_one
        self.all_read = threading.Barrier(contenders, timeout=20)
        self.turn = threading.Lock()

    def _hold(self, uri: str) -> None:
        if uri == self.uri:
            self.all_read.wait()
            if self.one_by_one:
                assert self.turn.acquire(timeout=20)

    def read_text(self, uri: str) -> str | None:
        text = self.inner.read_text(uri)
        self._hold(uri)
        return text

    def read_versioned(self, uri: str) -> tuple[str, str] | None:
        seen = self.inner.read_versioned(uri)
        self._hold(uri)
        return seen

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


@pytest.mark.parametrize("one_by_one", [False, True], ids=["all-at-once", "one-by-one"])
def test_of_eight_threads_that_read_the_same_stale_lock_exactly_one_takes_it_over(
    tmp_path: Path, one_by_one: bool
) -> None:
    storage, state, contenders = LocalStorage(), str(tmp_path / "_lake"), 8
    write_stale_lock(storage, state)
    gate = AllReadBeforeAnyActs(storage, lock_uri(state), contenders, one_by_one)
    outcomes: dict[str, LakeError | None] = {}

    def contend(run_id: str) -> None:
        try:
            LakeLock(cast(Storage, gate), state, run_id).acquire()
            outcomes[run_id] = None
        except LakeError as err:
            outcomes[run_id] = err
        finally:
            if one_by_one:
                gate.turn.release()

    threads = [threading.Thread(target=contend, args=(f"r-{i}",)) for i in range(contenders)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    winners = sorted(run for run, outcome in outcomes.items() if outcome is None)
    assert len(outcomes) == contenders and len(winners) == 1, f"won: {winners}"
    assert (holder(storage, state) or {})["run_id"] == winners[0]
    assert all(isinstance(outcome, LakeBusy) for run, outcome in outcomes.items() if run not in winners)


CONTENDER = """
import sys
from energy_lake.etl.lake.storage import LocalStorage
uri, version, text = sys.argv[1:]
print("ready", flush=True)
sys.stdin.readline()
print("won" if LocalStorage().replace_if(uri, text, version) else "lost", flush=True)
"""


def test_of_eight_processes_replacing_the_same_version_exactly_one_succeeds(tmp_path: Path) -> None:
    """The local compare-and-swap holds across processes (the flock), not only across threads."""
    storage, uri = LocalStorage(), str(tmp_path / "_lake" / "LOCK.json")
    storage.write_text(uri, '{"run_id": "r-dead"}')
    _, version = storage.read_versioned(uri) or ("", "")
    children = [
        subprocess.Popen(
            [sys.executable, "-c", CONTENDER, uri, version, f'{{"run_id": "p-{i}"}}'],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for i in range(8)
    ]
    for child in children:  # every child has the version and waits
        assert child.stdout is not None and child.stdout.readline() == "ready\n"
    for child in children:
        assert child.stdin is not None
        child.stdin.write("go\n")
        child.stdin.flush()
    results = [child.communicate(timeout=30)[0].strip() for child in children]
    assert sorted(results) == ["lost"] * 7 + ["won"]
    assert json.loads(storage.read_text(uri) or "{}")["run_id"] == f"p-{results.index('won')}"


# --- the exact S3 requests --------------------------------------------------------------------------

KEY = "_lake/LOCK.json"
STATE = f"s3://{BUCKET}/_lake"


def stubbed() -> tuple[Any, Stubber]:
    client = boto3.session.Session(
        region_name="us-east-1", aws_access_key_id="testing", aws_secret_access_key="testing"
    ).client("s3")
    return client, Stubber(client)


def put(**condition: str) -> dict[str, Any]:
    return {"Bucket": BUCKET, "Key": KEY, "Body": ANY, "ContentType": "application/json", **condition}


def get_returns(text: str, etag: str) -> dict[str, Any]:
    return {"Body": StreamingBody(io.BytesIO(text.encode()), len(text.encode())), "ETag": etag}


def test_s3_create_is_if_none_match_and_refresh_and_release_are_if_match_on_our_last_etag() -> None:
    client, stub = stubbed()
    stub.add_response("put_object", {"ETag": '"e1"'}, put(IfNoneMatch="*"))
    stub.add_response("put_object", {"ETag": '"e2"'}, put(IfMatch='"e1"'))
    stub.add_response("delete_object", {}, {"Bucket": BUCKET, "Key": KEY, "IfMatch": '"e2"'})
    with stub:
        lock = LakeLock(S3Storage(client), STATE, "r-1")
        lock.acquire()
        lock.refresh()
        lock.release()
    stub.assert_no_pending_responses()


def test_s3_takeover_replaces_only_the_etag_it_inspected_and_a_412_means_busy() -> None:
    stale = json.dumps({"run_id": "r-dead", "expires_at": "2000-01-01T00:00:00+00:00"})
    client, stub = stubbed()
    stub.add_client_error(
        "put_object", "PreconditionFailed", http_status_code=412, expected_params=put(IfNoneMatch="*")
    )
    stub.add_response("get_object", get_returns(stale, '"stale"'), {"Bucket": BUCKET, "Key": KEY})
    stub.add_client_error(
        "put_object", "PreconditionFailed", http_status_code=412, expected_params=put(IfMatch='"stale"')
    )
    with stub, pytest.raises(LakeBusy, match=rf"^another run took over the stale lock of run r-dead first: {STATE}/"):
        LakeLock(S3Storage(client), STATE, "r-late").acquire()
    stub.assert_no_pending_responses()


@pytest.mark.parametrize(
    "code,status,attempts",
    [("PreconditionFailed", 412, 1), ("NoSuchKey", 404, 1), ("ConditionalRequestConflict", 409, 3)],
)
def test_s3_a_refresh_that_loses_raises_and_the_release_sends_nothing(code: str, status: int, attempts: int) -> None:
    client, stub = stubbed()
    stub.add_response("put_object", {"ETag": '"mine"'}, put(IfNoneMatch="*"))
    for _ in range(attempts):  # a 409 is sent again; after the last one the lock counts as lost
        stub.add_client_error("put_object", code, http_status_code=status, expected_params=put(IfMatch='"mine"'))
    with stub:
        lock = LakeLock(S3Storage(client), STATE, "r-1")
        lock.acquire()
        with pytest.raises(LakeLockLost):
            lock.refresh()
        lock.release()
    stub.assert_no_pending_responses()


def test_s3_a_409_is_sent_again_and_succeeds_if_our_etag_is_still_current() -> None:
    client, stub = stubbed()
    stub.add_response("put_object", {"ETag": '"mine"'}, put(IfNoneMatch="*"))
    stub.add_client_error(
        "put_object", "ConditionalRequestConflict", http_status_code=409, expected_params=put(IfMatch='"mine"')
    )
    stub.add_response("put_object", {"ETag": '"mine2"'}, put(IfMatch='"mine"'))
    stub.add_response("delete_object", {}, {"Bucket": BUCKET, "Key": KEY, "IfMatch": '"mine2"'})
    with stub, LakeLock(S3Storage(client), STATE, "r-1") as lock:
        lock.refresh()
    stub.assert_no_pending_responses()


def test_s3_release_after_an_unnoticed_takeover_is_a_412_and_nothing_more() -> None:
    client, stub = stubbed()
    stub.add_response("put_object", {"ETag": '"mine"'}, put(IfNoneMatch="*"))
    stub.add_client_error(
        "delete_object",
        "PreconditionFailed",
        http_status_code=412,
        expected_params={"Bucket": BUCKET, "Key": KEY, "IfMatch": '"mine"'},
    )
    with stub:
        lock = LakeLock(S3Storage(client), STATE, "r-slow")
        lock.acquire()
        lock.release()  # the lock is another run's now: S3 refuses the delete, quietly
    stub.assert_no_pending_responses()
