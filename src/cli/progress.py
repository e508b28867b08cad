"""The live status line of ``energy-lake run`` on a terminal: the hop and entity (or mart) running, the Spark
stages it has finished and the tasks of the stages running now, and how long the step and the run have taken::

    run 1:21 | transform transactions 0:04 | 3 stages done, 1 running: tasks 5/8

Why: a run over real volumes spends minutes inside one hop with no log line, and then only the elapsed time
and Spark's counters tell that it is alive and how far it got. The line is redrawn in place four times a
second and erased at the end; the run's log lines print above it, intact.

Only on a terminal. When stdout is not one (a pipe, a file, CI, the tests), :meth:`Progress.for_stream` returns
a display that does nothing: the run's output stays exactly its log lines, without a control character.
``ENERGY_LAKE_PROGRESS=0`` turns the line off on a terminal too, ``=1`` forces it on anywhere (to look at it
through a pipe); ``TERM=dumb`` counts as no terminal.

How: rich's Live display draws the line (rich measures the terminal, hides the cursor, and erases and redraws
the line around anything printed through its console). The log lines go through :attr:`Progress.stream`, which
hands each whole line to that console unwrapped and unstyled. Spark's counters come from its status tracker,
polled by a daemon thread of its own twice a second: a slow or failing py4j call delays or freezes the
counters, never a log line nor the run. A stage counts to the step its job ran in: the hops call
``RunContext.step`` between their Spark actions, and a new step wakes the poll to settle the last step's jobs
first. The thread stops when the display closes, on an error or Ctrl-C too.
Spark's own console bar stays off (``spark.ui.showConsoleProgress=false``, session.local_session): the two
would draw over each other.
"""

from __future__ import annotations

import io
import os
import threading
import time
from collections.abc import Callable, Mapping
from contextlib import suppress
from dataclasses import dataclass
from types import TracebackType
from typing import TYPE_CHECKING, Protocol, TextIO, cast

if TYPE_CHECKING:
    from pyspark.status import SparkJobInfo, SparkStageInfo
    from rich.console import Console
    from rich.text import Text

ENV = "ENERGY_LAKE_PROGRESS"
REFRESH_PER_SECOND = 4
POLL_SECONDS = 0.5  # a poll costs ~10 ms of py4j calls (measured): 2% of a core
# At most this many new Spark jobs are looked up per poll (more wait for the next one).
_JOBS_PER_POLL = 100


class Tracker(Protocol):
    """What the display reads of ``SparkContext.statusTracker()`` (pyspark.status.StatusTracker)."""

    def getJobIdsForGroup(self, jobGroup: str | None = None) -> list[int]: ...

    def getActiveJobsIds(self) -> list[int]: ...

    def getActiveStageIds(self) -> list[int]: ...

    def getJobInfo(self, jobId: int) -> SparkJobInfo | None: ...

    def getStageInfo(self, stageId: int) -> SparkStageInfo | None: ...


@dataclass(frozen=True)
class Status:
    """What the line shows: the step (hop and entity or mart), Spark's counters, the elapsed seconds."""

    hop: str
    name: str = ""
    stages_done: int = 0  # stages of the step's Spark jobs that finished all their tasks
    active_stages: int = 0  # stages running now, and their tasks:
    tasks_done: int = 0
    tasks_total: int = 0
    step_seconds: float = 0.0
    run_seconds: float = 0.0


def clock_text(seconds: float) -> str:
    """Elapsed whole seconds as m:ss, or h:mm:ss from an hour."""
    minutes, secs = divmod(max(0, int(seconds)), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def render(status: Status) -> str:
    """The status line of ``status``: run time, step and its time, Spark's counters (the display cuts the line to
    the terminal's width, so the counters go last)."""
    step = " ".join(part for part in (status.hop, status.name, clock_text(status.step_seconds)) if part)
    stages = f"{status.stages_done} stage{'' if status.stages_done == 1 else 's'} done"
    if status.active_stages:
        stages += f", {status.active_stages} running: tasks {status.tasks_done}/{status.tasks_total}"
    return f"run {clock_text(status.run_seconds)} | {step} | {stages}"


def _isatty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError, OSError):  # no isatty, or a closed stream
        return False


class Progress:
    """The display when there is no terminal: ``stream`` is the stream itself and :meth:`step` does nothing.

    Use :meth:`for_stream`, which picks this or :class:`LiveProgress`, as a context manager.
    """

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream  # where the run writes its lines while the display is open

    @classmethod
    def for_stream(
        cls,
        stream: TextIO,
        tracker: Tracker,
        *,
        started: float | None = None,
        env: Mapping[str, str] | None = None,
    ) -> Progress:
        """A live line on ``stream`` when it is a terminal (see the module docstring), else the no-op display.

        ``tracker`` is Spark's status tracker; ``started`` the run's start on ``time.monotonic()`` (default now).
        """
        env = os.environ if env is None else env
        wanted = env.get(ENV, "")
        if wanted == "0":
            return cls(stream)
        if wanted != "1" and (env.get("TERM") == "dumb" or not _isatty(stream)):
            return cls(stream)
        try:
            return LiveProgress(stream, tracker, started=started)
        except ImportError:  # rich missing (an install without requirements.txt): no line rather than no run
            return cls(stream)

    def step(self, hop: str, name: str) -> None:
        """The run moved on to ``name`` of ``hop`` (RunContext.on_step)."""

    def __enter__(self) -> Progress:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        return None


@dataclass
class _Step:
    hop: str
    name: str
    started: float
    stages_done: int = 0


class LiveProgress(Progress):
    """The live line on a terminal. ``auto=False`` (tests) starts no thread: call :meth:`poll` and :meth:`refresh`."""

    def __init__(
        self,
        stream: TextIO,
        tracker: Tracker,
        *,
        started: float | None = None,
        clock: Callable[[], float] = time.monotonic,
        width: int | None = None,
        auto: bool = True,
    ) -> None:
        from rich.console import Console
        from rich.live import Live

        self._clock = clock
        self._started = clock() if started is None else started
        self._tracker = tracker
        self._auto = auto
        self._lock = threading.Lock()  # guards _step and _active between the run, the poll thread and rich's
        self._step = _Step("starting", "", self._started)
        self._active = (0, 0, 0)  # stages running, their tasks done, their tasks
        self._last_line = ""
        self._console = Console(
            file=stream,
            width=width,
            force_terminal=True,
            force_interactive=True,
            force_jupyter=False,
            color_system=None,
            markup=False,
            emoji=False,
            highlight=False,
        )
        self._live = Live(
            console=self._console,
            get_renderable=self._renderable,
            auto_refresh=auto,
            refresh_per_second=REFRESH_PER_SECOND,
            transient=True,
            redirect_stdout=True,  # a stray print() lands above the line too
            redirect_stderr=False,  # errors stay on stderr
        )
        self._above = _LinesAbove(self._console)
        super().__init__(cast(TextIO, self._above))
        # Spark's jobs as the poll thread follows them (touched by that thread only, or by poll() in tests).
        self._next_job: int | None = None  # the first job id not looked up yet; None before the first poll
        self._jobs: dict[int, _Step] = {}  # jobs not finished when last looked at -> the step they count to
        self._done_stages: set[int] = set()
        self._polled: _Step | None = None  # the step at the last poll
        self._stop = threading.Event()
        self._wake = threading.Event()  # a new step: poll now, to count the last step's jobs to it
        self._poller = threading.Thread(target=self._poll_loop, name="energy-lake-progress", daemon=True)

    def step(self, hop: str, name: str) -> None:
        with self._lock:
            self._step = _Step(hop, name, self._clock())
            self._active = (0, 0, 0)  # the last step's Spark actions are over (until the next poll says otherwise)
        self._wake.set()

    def status(self) -> Status:
        """What the line shows now."""
        now = self._clock()
        with self._lock:
            step, (stages, done, total) = self._step, self._active
        return Status(
            step.hop, step.name, step.stages_done, stages, done, total, now - step.started, now - self._started
        )

    def poll(self) -> None:
        """Read Spark's counters once; an error of the tracker leaves them as they were."""
        with suppress(Exception):  # best effort: the line must never fail the run
            self._poll()

    def refresh(self) -> None:
        self._live.refresh()

    def __enter__(self) -> LiveProgress:
        self._live.start(refresh=True)
        if self._auto:
            self._poller.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._stop.set()
        self._wake.set()
        if self._poller.is_alive():
            self._poller.join(timeout=2 * POLL_SECONDS + 1)  # a py4j call hung: the daemon thread dies with us
        with suppress(Exception):  # the terminal went away: nothing left to show, and the run's own error wins
            self._live.stop()  # erases the line
            self._above.end()

    # ------------------------------------------------------------ the poll thread

    def _poll_loop(self) -> None:
        while not self._stop.is_set():
            self.poll()
            self._wake.wait(POLL_SECONDS)
            self._wake.clear()

    def _poll(self) -> None:
        tracker = self._tracker
        with self._lock:
            current = self._step
        before, self._polled = self._polled, current
        active_jobs = tracker.getActiveJobsIds()
        if self._next_job is None:  # the first poll: the jobs finished so far ran before the display opened
            known = [*tracker.getJobIdsForGroup(None), *active_jobs]
            self._next_job = max(known, default=-1) + 1
            self._jobs.update(dict.fromkeys(active_jobs, current))
        # The jobs started since the last poll (Spark numbers them 0, 1, 2, ...) count to the step now; when the
        # step changed since, the finished ones to the step before (a step's Spark actions end before the next
        # step starts, and a new step wakes the poll at once).
        job = self._next_job
        for _ in range(_JOBS_PER_POLL):
            info = tracker.getJobInfo(job)
            if info is None:  # not started, or not yet known to the tracker: next poll
                break
            owner = before if before is not None and info.status != "RUNNING" else current
            self._jobs.setdefault(job, owner)
            job += 1
        for running in active_jobs:  # past an id the tracker does not know (it never should)
            if running >= job:
                self._jobs.setdefault(running, current)
        self._next_job = max([job, *(j + 1 for j in active_jobs)])
        for job_id, step in list(self._jobs.items()):
            info = tracker.getJobInfo(job_id)
            if info is None:
                del self._jobs[job_id]
                continue
            for stage in info.stageIds:
                if stage not in self._done_stages and _finished(tracker.getStageInfo(stage)):
                    self._done_stages.add(stage)
                    with self._lock:
                        step.stages_done += 1
            if info.status != "RUNNING":  # its stages not finished by now were skipped
                del self._jobs[job_id]
        infos = [tracker.getStageInfo(stage) for stage in tracker.getActiveStageIds()]
        stages = [i for i in infos if i is not None]
        active = (len(stages), sum(i.numCompletedTasks for i in stages), sum(i.numTasks for i in stages))
        with self._lock:
            self._active = active

    # ------------------------------------------------------------ rich's refresh thread

    def _renderable(self) -> Text:
        from rich.text import Text

        with suppress(Exception):  # keep the line as it was
            self._last_line = render(self.status())
        return Text(self._last_line, no_wrap=True, overflow="ellipsis")


def _finished(info: SparkStageInfo | None) -> bool:
    return info is not None and info.numTasks > 0 and info.numCompletedTasks >= info.numTasks


class _LinesAbove(io.TextIOBase):
    """A text stream printing each whole line above the live line, as written (rich's console wraps nothing)."""

    def __init__(self, console: Console) -> None:
        self._console = console
        self._partial = ""

    def writable(self) -> bool:
        return True

    def isatty(self) -> bool:
        return True

    def write(self, text: str) -> int:
        *lines, self._partial = (self._partial + text).split("\n")
        if lines:
            self._console.out("\n".join(lines), highlight=False)
        return len(text)

    def flush(self) -> None:
        """Nothing to do: whole lines are written at once; a partial line waits for its newline (or :meth:`end`)."""

    def end(self) -> None:
        """Write a last line that never got its newline (the live line is gone by then)."""
        if self._partial:
            self._console.out(self._partial, end="", highlight=False)
            self._partial = ""
