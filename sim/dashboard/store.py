"""The live exercise of a dashboard server: one per server, shared by every tab, saved on disk.

:class:`Live` holds the current :class:`~sim.dashboard.exercise.Exercise` and runs everything
that takes time (building, stepping, play, checkpoints, forks, injects) in background threads,
so the page stays responsive and shows what is running (``busy``). Pages wait on
:meth:`Live.wait` for the ``version`` to change and then redraw.

The exercise is saved as it goes (:meth:`Exercise.state`, a few kilobytes of JSON) to
``exercise.json`` in the state folder (``$SIM_DASHBOARD_STATE_DIR``, else
``$XDG_STATE_HOME/community-sim/dashboard``, else ``~/.local/state/community-sim/dashboard``):
after every action, every few days of play, and on pause. A reload, a new tab or a restarted
server shows the same exercise (a restarted server rebuilds it by replay).
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

from sim.dashboard.exercise import Exercise, read_state
from sim.params import ConfigError

log = logging.getLogger(__name__)
DEFAULT = {"topology": "urban", "scenario_name": "baseline", "seed": 20201, "n_residents": 0}
SAVE_EVERY_DAYS = 5  # while playing
MAX_SPEED = 50.0  # simulated days per second asked for
BUSY_AFTER_S = 0.15  # an action running longer than this shows the busy indicator


def state_dir() -> Path:
    if os.environ.get("SIM_DASHBOARD_STATE_DIR"):
        return Path(os.environ["SIM_DASHBOARD_STATE_DIR"])
    base = os.environ.get("XDG_STATE_HOME") or Path.home() / ".local" / "state"
    return Path(base) / "community-sim" / "dashboard"


def write_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".exercise-", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise



# How long play waits for a page to draw a day before simulating the next. A county of
# 100,000 with three branches on a busy 2-vCPU machine took over 2 s to draw a day (the bound
# was 2 s: the screen fell two days behind and Pause overshot by two, 2026-12-02); any one
# page drawing is enough, so only pages that have all stalled meet the bound.
DRAW_WAIT_S = 10.0


class Live:
    """The server's exercise and what is running on it."""

    def __init__(self, folder: Path | None = None):
        self.folder = folder or state_dir()
        self.exercise: Exercise | None = None
        self.version = 0
        self.data_version = 0  # changes of the exercise itself (see bump)
        self.busy = ""  # what is running now ("" when idle)
        self.playing = False
        self.speed = 2.5  # days per second while playing (the room's target: 2 or more)
        self.render_every = 1  # pages redraw every N days while playing
        self.message: tuple[str, str] = ("", "")  # (ok | error, text) of the last action
        self.saved_at = ""
        self.shown = -1  # the newest exercise day a page's browser reports showing
        self.viewers = 0  # pages watching
        self.network: tuple | None = None  # (id of exercise, PNG, caption), on request
        self.projected = "A"  # the branch the projector view shows (see project)
        self._changed = threading.Condition()
        self._worker: threading.Thread | None = None
        self._done = threading.Event()  # set when the last action has finished
        self.settled_quickly = 0  # actions a page's settle() saw finish within its wait
        self._done.set()
        self._player: threading.Thread | None = None
        self._started = False

    @property
    def path(self) -> Path:
        return self.folder / "exercise.json"

    # ------------------------------------------------------------------ change notification
    def bump(self, data: bool = True) -> None:
        """Tell the pages something changed: the exercise (``data``), or only what is running
        or the last message (pages then redraw only those)."""
        with self._changed:
            self.version += 1
            if data:
                self.data_version += 1
            self._changed.notify_all()

    def day_shown(self, day: int) -> None:
        """A page's browser has put the exercise's ``day`` in its document (the monitors
        report it: :class:`~sim.dashboard.widgets.PatchedHtmlWidget`); play waits for that
        (:meth:`_wait_drawn`). A report of a day this exercise has not reached (a late one
        from an exercise replaced since, or a forged message) or of no whole day is dropped:
        taken, it would let play run ahead of every page until the next Play."""
        if type(day) is not int or day < 0:
            return
        with self._changed:
            ex = self.exercise
            if ex is not None and self.shown < day <= ex.day:
                self.shown = day
                self._changed.notify_all()

    def watching(self, delta: int) -> None:
        with self._changed:
            self.viewers += delta

    def _wait_drawn(self, day: int, timeout: float | None = None) -> None:
        """Let an open page show ``day`` before the next day is simulated, so the day on the
        screen is never more than one day behind the model (Pause then stops within a day of
        what the room sees). The page's browser tells (:meth:`day_shown`): a render the
        server had finished is not yet on the screen (paced on the server's renders, Pause
        overshot by two days in CI under load, 2026-12-04). Only if no page shows it within
        ``timeout`` (``DRAW_WAIT_S``) does play go on: pages that have all stalled must not
        stop the room's exercise."""
        timeout = DRAW_WAIT_S if timeout is None else timeout
        deadline = time.monotonic() + timeout
        with self._changed:
            while (self.playing and self.viewers > 0 and self.shown < day
                   and time.monotonic() < deadline):
                self._changed.wait(0.05)

    def wait(self, seen: int, timeout: float = 1.0) -> int:
        """Block until the version differs from ``seen`` (or ``timeout``); the version."""
        with self._changed:
            if self.version == seen:
                self._changed.wait(timeout)
            return self.version

    def project(self, branch: str) -> None:
        """Show ``branch`` on the projector view: the branch a control page has chosen to
        show last (the room follows the facilitator; not saved: after a restart, A)."""
        if branch != self.projected:
            self.projected = branch
            self.bump(data=False)

    # ------------------------------------------------------------------ start and save
    def start(self) -> None:
        """First page load: restore the saved exercise, or build the default one."""
        if self._started:
            return
        self._started = True
        if self.path.exists():
            self.submit("Restoring the saved exercise", self._restore)
        else:
            self.submit("Building the exercise", lambda: self._replace(Exercise(**DEFAULT)))

    def _restore(self) -> str:
        try:
            doc = read_state(self.path.read_bytes())
            ex = Exercise.from_state(doc)
        except (ConfigError, OSError, ValueError) as exc:
            # keep the unreadable file for inspection; start the default exercise
            bad = self.path.with_name(f"exercise-unreadable-{int(time.time())}.json")
            self.path.replace(bad)
            self._replace(Exercise(**DEFAULT))
            raise ConfigError("saved exercise", f"could not be restored ({exc}); kept as "
                                                f"{bad.name}, started a new exercise") from None
        self._replace(ex, save=False)
        return f"Restored the exercise saved at {self.path} (day {ex.day})"

    def _replace(self, ex: Exercise, save: bool = True) -> None:
        self.exercise = ex
        self.projected = "A"  # a new, opened or restored exercise starts on branch A
        if save and not ex.error:
            self.save()

    def save(self) -> None:
        ex = self.exercise
        if ex is None or ex.error:
            return
        write_atomic(self.path, ex.state_json())
        self.saved_at = time.strftime("%H:%M:%S")

    # ------------------------------------------------------------------ actions
    def submit(self, label: str, fn: Callable[[], str | None]) -> bool:
        """Run ``fn`` in the background (one action at a time; refused while another runs or
        while playing). ``fn`` returns a success message or raises ConfigError/ValueError."""
        if self.busy or self.playing:
            self.message = ("error", f"wait: {self.busy or 'playing'} (pause first)")
            self.bump(data=False)
            return False
        self.busy = label
        self.message = ("", "")
        done = self._done = threading.Event()

        def show_busy():  # only for actions that take a while: a quick one redraws once
            if not done.is_set() and self.busy:
                self.bump(data=False)

        threading.Timer(BUSY_AFTER_S, show_busy).start()

        def run():
            try:
                text = fn()
                self.message = ("ok", text) if text else ("", "")
                self.save()
            except (ConfigError, ValueError, TypeError) as exc:
                self.message = ("error", str(exc))
            except Exception as exc:  # noqa: BLE001 - shown on the page, logged in full
                log.exception("dashboard action %s failed", label)
                self.message = ("error", f"{label} failed: {type(exc).__name__}: {exc}")
            finally:
                self.busy = ""
                self.bump()  # before done: a page that settles on it then reads the result
                done.set()

        self._worker = threading.Thread(target=run, name=f"dashboard: {label}", daemon=True)
        self._worker.start()
        return True

    def settle(self, timeout: float = BUSY_AFTER_S) -> bool:
        """Wait up to ``timeout`` seconds for the running action to finish (True if it has).
        A page that changes its own state after a click waits so, inside one batch of
        changes: a quick action (a fork of a county takes a few hundredths of a second) is
        then drawn by the same redraw as the click's changes, not by one redraw for the click
        and another for the result (the action's change is announced before it counts as
        finished, so that redraw reads it); a slow one shows the busy indicator as before."""
        finished = self._done.wait(timeout)
        if finished:
            self.settled_quickly += 1  # shown to the browser tests beside the page's renders
        return finished

    def new_exercise(self, **kwargs) -> bool:
        def build():
            ex = Exercise(**kwargs)
            if ex.error:
                raise ConfigError("new exercise", ex.error)
            self._replace(ex)
            return f"New exercise: {' '.join(ex.overrides)}"
        self.pause()
        return self.submit("Building the new exercise", build)

    def open_state(self, data: bytes) -> bool:
        def load():
            ex = Exercise.from_state(read_state(data))
            self._replace(ex)
            return f"Opened the exercise ({' '.join(ex.overrides)}, day {ex.day})"
        self.pause()
        return self.submit("Opening the exercise file", load)

    # ------------------------------------------------------------------ play
    def set_speed(self, days_per_second: float) -> None:
        self.speed = min(max(float(days_per_second), 0.1), MAX_SPEED)
        self.bump(data=False)  # every page shows the new speed

    def set_render_every(self, days: int) -> None:
        self.render_every = min(max(int(days), 1), 100)
        self.bump(data=False)

    def play(self) -> bool:
        if self.playing or self.busy or self.exercise is None or self.exercise.error:
            return False
        self.playing = True
        with self._changed:  # a report from an exercise replaced since is not this day's
            self.shown = min(self.shown, self.exercise.day)
        self.message = ("", "")
        self.bump()
        self._player = threading.Thread(target=self._play, name="dashboard: play", daemon=True)
        self._player.start()
        return True

    def pause(self) -> None:
        """Stop playing: the day being simulated finishes, no other starts."""
        self.playing = False
        player = self._player
        if player is not None and player is not threading.current_thread():
            player.join(timeout=30)

    def _play(self) -> None:
        ex = self.exercise
        played = 0
        try:
            while self.playing:
                start = time.perf_counter()
                ex.step()
                played += 1
                if played % self.render_every == 0:
                    self.bump()
                    self._wait_drawn(ex.day)
                if played % SAVE_EVERY_DAYS == 0:
                    self.save()
                rest = 1.0 / self.speed - (time.perf_counter() - start)
                end = time.perf_counter() + rest
                while self.playing and time.perf_counter() < end:
                    time.sleep(min(0.02, max(end - time.perf_counter(), 0)))
        except Exception as exc:  # noqa: BLE001
            log.exception("play failed")
            self.message = ("error", f"play stopped: {type(exc).__name__}: {exc}")
        finally:
            self.playing = False
            self.save()
            self.bump()


LIVE: Live | None = None
_LIVE_LOCK = threading.Lock()


def live() -> Live:
    """The server's live exercise (made on first use)."""
    global LIVE
    with _LIVE_LOCK:
        if LIVE is None:
            LIVE = Live()
        return LIVE


def state_text(ex: Exercise) -> str:
    """The saved-exercise file's text (what "Save exercise" downloads)."""
    return json.dumps(ex.state(), indent=1, allow_nan=False) + "\n"
