"""The live status line of ``energy-lake run`` (cli.progress): its text, nothing at all off a terminal, and on a
(fake) terminal a line that follows Spark's (fake) status tracker, stays under the log lines and is erased."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field

import pytest
from pyspark.status import SparkJobInfo, SparkStageInfo

from energy_lake.cli.progress import LiveProgress, Progress, Status, clock_text, render

# ---------------------------------------------------------------- the text of the line


@pytest.mark.parametrize(
    ("status", "line"),
    [
        (Status("raw", "providers"), "run 0:00 | raw providers 0:00 | 0 stages done"),
        (
            Status("transform", "transactions", 3, 1, 5, 8, 4.9, 81.2),
            "run 1:21 | transform transactions 0:04 | 3 stages done, 1 running: tasks 5/8",
        ),
        (
            Status("analytics", "daily_position", 1, 2, 0, 400, 59.99, 3725),
            "run 1:02:05 | analytics daily_position 0:59 | 1 stage done, 2 running: tasks 0/400",
        ),
        (Status("transform", "", 0, 0, 0, 0, 0.5, 12), "run 0:12 | transform 0:00 | 0 stages done"),
    ],
)
def test_render(status: Status, line: str) -> None:
    assert render(status) == line


def test_clock_text() -> None:
    assert [clock_text(s) for s in (0, 0.99, 9, 60, 599.5, 3599, 3600, 36061, -1)] == [
        "0:00",
        "0:00",
        "0:09",
        "1:00",
        "9:59",
        "59:59",
        "1:00:00",
        "10:01:01",
        "0:00",
    ]


# ---------------------------------------------------------------- fakes: a terminal, Spark's status tracker, a clock


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@dataclass
class FakeTracker:
    """Jobs and stages as pyspark.status reports them; ``calls`` counts the look-ups."""

    jobs: dict[int, SparkJobInfo] = field(default_factory=dict)
    stages: dict[int, SparkStageInfo] = field(default_factory=dict)
    active_stages: list[int] = field(default_factory=list)
    calls: int = 0
    broken: bool = False

    def _call(self) -> None:
        self.calls += 1
        if self.broken:
            raise ConnectionError("py4j: the JVM went away")

    def job(self, job_id: int, stages: list[int], status: str = "RUNNING") -> None:
        self.jobs[job_id] = SparkJobInfo(job_id, stages, status)

    def stage(self, stage_id: int, done: int, tasks: int, *, active: bool = True) -> None:
        self.stages[stage_id] = SparkStageInfo(stage_id, 0, f"stage {stage_id}", tasks, 0, done, 0)
        if active and stage_id not in self.active_stages:
            self.active_stages.append(stage_id)
        if not active and stage_id in self.active_stages:
            self.active_stages.remove(stage_id)

    def getJobIdsForGroup(self, jobGroup: str | None = None) -> list[int]:
        self._call()
        return list(self.jobs)

    def getActiveJobsIds(self) -> list[int]:
        self._call()
        return sorted(j for j, info in self.jobs.items() if info.status == "RUNNING")

    def getActiveStageIds(self) -> list[int]:
        self._call()
        return sorted(self.active_stages)

    def getJobInfo(self, jobId: int) -> SparkJobInfo | None:
        self._call()
        return self.jobs.get(jobId)

    def getStageInfo(self, stageId: int) -> SparkStageInfo | None:
        self._call()
        return self.stages.get(stageId)


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


CONTROL = re.compile(r"(\x1b\[[0-9;?]*[A-Za-z]|\r|\n)")


def screen(output: str) -> list[str]:
    """The lines a terminal shows after ``output`` (the few controls rich uses; any other one fails the test)."""
    lines, row, col = [""], 0, 0
    for token in CONTROL.split(output):
        if token == "\r":
            col = 0
        elif token == "\n":
            row, col = row + 1, 0
            if row == len(lines):
                lines.append("")
        elif token == "\x1b[2K":
            lines[row] = ""
        elif re.fullmatch(r"\x1b\[\d*A", token):
            row = max(0, row - int(token[2:-1] or 1))
        elif token in ("\x1b[?25l", "\x1b[?25h"):  # hide, show the cursor
            pass
        elif token.startswith("\x1b"):
            raise AssertionError(f"unexpected control sequence {token!r}")
        elif token:
            line = lines[row].ljust(col)
            lines[row] = line[:col] + token + line[col + len(token) :]
            col += len(token)
    while lines and not lines[-1]:
        lines.pop()
    return lines


def live(terminal: FakeTerminal, tracker: FakeTracker, clock: FakeClock) -> LiveProgress:
    return LiveProgress(terminal, tracker, started=clock.now, clock=clock, width=100, auto=False)


# ---------------------------------------------------------------- off a terminal: nothing


def test_not_a_terminal_writes_nothing_and_steps_do_nothing() -> None:
    stream, tracker = io.StringIO(), FakeTracker()
    tracker.job(0, [0])
    tracker.stage(0, 1, 4)
    with Progress.for_stream(stream, tracker, env={}) as progress:
        assert type(progress) is Progress
        assert progress.stream is stream
        progress.step("raw", "providers")
        progress.stream.write("  raw committed hop=raw entity=providers\n")
        progress.step("transform", "providers")
    assert stream.getvalue() == "  raw committed hop=raw entity=providers\n"
    assert tracker.calls == 0


@pytest.mark.parametrize(
    ("tty", "env", "is_live"),
    [
        (True, {}, True),
        (True, {"TERM": "xterm-256color"}, True),
        (True, {"TERM": "dumb"}, False),
        (True, {"ENERGY_LAKE_PROGRESS": "0"}, False),
        (False, {"ENERGY_LAKE_PROGRESS": "1"}, True),
        (False, {"FORCE_COLOR": "1", "TTY_COMPATIBLE": "1"}, False),  # rich's switches do not turn it on
        (False, {"ENERGY_LAKE_PROGRESS": "yes"}, False),
    ],
)
def test_when_the_line_is_shown(tty: bool, env: dict[str, str], is_live: bool) -> None:
    stream = FakeTerminal() if tty else io.StringIO()
    progress = Progress.for_stream(stream, FakeTracker(), env=env)
    assert isinstance(progress, LiveProgress) is is_live
    assert stream.getvalue() == ""  # nothing before the display is entered


# ---------------------------------------------------------------- on a terminal


def test_the_line_follows_the_steps_and_spark_and_is_erased() -> None:
    terminal, tracker, clock = FakeTerminal(), FakeTracker(), FakeClock()
    tracker.job(0, [0], "SUCCEEDED")  # Spark's start, before the display: counts to no step
    tracker.stage(0, 1, 1, active=False)
    progress = live(terminal, tracker, clock)
    with progress:
        progress.poll()
        clock.now += 5
        progress.step("raw", "providers")
        tracker.job(1, [1, 2])
        tracker.stage(1, 3, 8)
        clock.now += 2
        progress.poll()
        progress.refresh()
        assert screen(terminal.getvalue()) == [
            "run 0:07 | raw providers 0:02 | 0 stages done, 1 running: tasks 3/8",
        ]

        progress.stream.write("  raw committed hop=raw entity=providers files=2 rows_read=27\n")
        assert screen(terminal.getvalue()) == [
            "  raw committed hop=raw entity=providers files=2 rows_read=27",
            "run 0:07 | raw providers 0:02 | 0 stages done, 1 running: tasks 3/8",
        ]

        tracker.stage(1, 8, 8, active=False)
        tracker.stage(2, 1, 2)
        clock.now += 1
        progress.poll()
        progress.refresh()
        assert screen(terminal.getvalue())[-1] == ("run 0:08 | raw providers 0:03 | 1 stage done, 1 running: tasks 1/2")

        tracker.stage(2, 2, 2, active=False)
        tracker.job(1, [1, 2], "SUCCEEDED")
        tracker.job(2, [3, 4], "SUCCEEDED")  # began and ended between two polls; stage 3 skipped
        tracker.stage(4, 5, 5, active=False)
        progress.poll()
        progress.refresh()
        assert screen(terminal.getvalue())[-1] == "run 0:08 | raw providers 0:03 | 3 stages done"

        progress.step("transform", "customers")
        tracker.job(3, [4, 5])  # stage 4 is reused (skipped here): not counted again
        tracker.stage(5, 0, 4)
        clock.now += 61
        progress.poll()
        progress.refresh()
        print("transform -> analytics", file=progress.stream)  # the line is redrawn under it
        assert screen(terminal.getvalue()) == [
            "  raw committed hop=raw entity=providers files=2 rows_read=27",
            "transform -> analytics",
            "run 1:09 | transform customers 1:01 | 0 stages done, 1 running: tasks 0/4",
        ]
    assert screen(terminal.getvalue()) == [
        "  raw committed hop=raw entity=providers files=2 rows_read=27",
        "transform -> analytics",
    ]
    assert terminal.getvalue().endswith("\x1b[?25h\r\x1b[1A\x1b[2K")  # cursor shown again, the line erased


def test_log_lines_print_whole_above_the_line() -> None:
    terminal, clock = FakeTerminal(), FakeClock()
    long_line = "  warning: rule broken hop=raw_to_transform " + "message=broken " * 12
    with live(terminal, FakeTracker(), clock) as progress:
        progress.step("transform", "providers")
        progress.stream.write("  transform committed ")  # a line in pieces prints once whole
        progress.stream.write("hop=transform rows=13\n" + long_line.rstrip() + "\n")
        progress.stream.write("a last line without newline")
    assert screen(terminal.getvalue()) == [
        "  transform committed hop=transform rows=13",
        long_line.rstrip(),  # longer than the 100 columns: not cut, not wrapped
        "a last line without newline",
    ]
    assert "  transform committed hop=transform rows=13\n" in terminal.getvalue()
    assert long_line.rstrip() + "\n" in terminal.getvalue()


def test_a_failing_tracker_leaves_the_line_as_it_was() -> None:
    terminal, tracker, clock = FakeTerminal(), FakeTracker(), FakeClock()
    with live(terminal, tracker, clock) as progress:
        progress.poll()
        progress.step("analytics", "daily_position")
        tracker.job(0, [0])
        tracker.stage(0, 2, 6)
        progress.poll()
        tracker.broken = True
        tracker.stage(0, 5, 6)
        clock.now += 3
        progress.poll()
        progress.refresh()
        assert screen(terminal.getvalue()) == [
            "run 0:03 | analytics daily_position 0:03 | 0 stages done, 1 running: tasks 2/6"
        ]
    assert screen(terminal.getvalue()) == []


@pytest.mark.parametrize("error", [None, KeyboardInterrupt, RuntimeError])
def test_the_poll_thread_stops_at_the_end_and_on_errors(error: type[BaseException] | None) -> None:
    terminal = FakeTerminal()
    progress = LiveProgress(terminal, FakeTracker(), width=100)
    try:
        with progress:
            assert progress._poller.is_alive()
            progress.step("raw", "providers")
            progress.stream.write("  raw committed hop=raw entity=providers\n")
            if error is not None:
                raise error()
    except BaseException as raised:
        assert error is not None and type(raised) is error
    assert not progress._poller.is_alive()
    assert screen(terminal.getvalue()) == ["  raw committed hop=raw entity=providers"]


def test_a_new_step_starts_from_nothing_running() -> None:
    terminal, tracker, clock = FakeTerminal(), FakeTracker(), FakeClock()
    with live(terminal, tracker, clock) as progress:
        progress.poll()
        progress.step("quality", "results")
        tracker.job(0, [0])
        tracker.stage(0, 1, 2)
        progress.poll()
        assert progress.status() == Status("quality", "results", 0, 1, 1, 2, 0.0, 0.0)
        clock.now += 1
        progress.step("manifest", "")  # the stage of the last step is over, whatever the last poll saw
        assert progress.status() == Status("manifest", "", 0, 0, 0, 0, 0.0, 1.0)


def test_jobs_finished_before_a_new_step_count_to_the_step_before() -> None:
    terminal, tracker, clock = FakeTerminal(), FakeTracker(), FakeClock()
    with live(terminal, tracker, clock) as progress:
        progress.poll()
        progress.step("raw", "providers")
        providers = progress._step
        progress.poll()
        tracker.job(0, [0, 1], "SUCCEEDED")  # the commit of providers, not yet seen by a poll
        tracker.stage(0, 2, 2, active=False)
        tracker.stage(1, 1, 1, active=False)
        progress.step("raw", "customers")
        tracker.job(1, [2])  # customers' first job, running
        tracker.stage(2, 0, 3)
        progress.poll()
        assert progress.status().stages_done == 0
        tracker.stage(2, 3, 3, active=False)
        tracker.job(1, [2], "SUCCEEDED")
        tracker.job(2, [3], "SUCCEEDED")  # customers again, between two polls of the same step
        tracker.stage(3, 1, 1, active=False)
        progress.poll()
        assert progress.status().stages_done == 2
    assert providers.stages_done == 2
