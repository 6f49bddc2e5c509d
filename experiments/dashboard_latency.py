"""Facilitator latencies of the war-game dashboard in a real browser (issue 13 targets).

Starts ``python -m sim.dashboard`` on a free port, drives Debian's chromium with Playwright
and times, wall clock from the click to what the room sees:

- **step**: click Step -> the charts show the new day (median of several steps);
- **play**: simulated days per second while playing (days shown on the page over 15 s);
- **pause**: click Pause -> the day shown stops changing (seconds, and days past the day shown
  at the click);
- **checkpoint**, **fork**: click -> the page shows the checkpoint / the new branch and is idle
  (two forks, B and C, from the checkpoint; ``fork_s`` is the slower).

``--ui old`` drives the dashboard before issue 13 (Mesa controller, matplotlib images) from a
source tree given with ``--source`` (e.g. ``git archive <commit> | tar -x -C DIR``); ``--ui new``
(default) drives this checkout's dashboard, or an earlier one of the same kind given with
``--source``. ``--steps-only`` measures only the steps, after ``--start-day`` days and with
``--branches`` branches: each step's wall time, the server's CPU time (its process, psutil)
and the bytes the page receives over its websocket (what a step sends to the browser, every
message until the page has received nothing for 1.5 s), also by card (``step_bytes_by_kind``:
each message named by the card whose widget it updates, see :class:`FrameKinds`).
``--play-only`` measures, after the steps, only play and pause, at the default speed and at
the fastest (the speed slider at its end), with the server's CPU time and the bytes received
(by card) per day played. Targets at a county of 100,000: step <= 1 s, play >= 2 days/s, pause
within one day, checkpoint and fork <= 2 s.

    python experiments/dashboard_latency.py --topology county \
        --out experiments/results/dashboard_latency.json
    python experiments/dashboard_latency.py --topology county --play-only --start-day 20 \
        --branches 3 --steps 3 [--source DIR]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import re
import statistics
import tempfile
import time
from pathlib import Path

from sim.dashboard.exercise import scenario_override
from sim.dashboard.local_server import serve

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run"]
TARGETS = {"step_s": 1.0, "play_days_per_s": 2.0, "pause_overshoot_days": 1,
           "checkpoint_s": 2.0, "fork_s": 2.0}


@contextlib.contextmanager
def server(source: Path | None, state_dir: Path, timeout: float = 120.0):
    """The dashboard's URL: this checkout's, or ``source``'s (the code measured "before")."""
    extra = {"PYTHONPATH": str(source)} if source is not None else None
    with serve(state_dir, timeout=timeout, env=extra, cwd=source) as port:
        yield f"http://127.0.0.1:{port}/"


def server_cpu_time() -> float:
    """CPU seconds used so far by the dashboard's server (this process's child running
    ``sim.dashboard``)."""
    import psutil

    for child in psutil.Process().children(recursive=True):
        try:
            if "sim.dashboard" in " ".join(child.cmdline()):
                times = child.cpu_times()
                return times.user + times.system
        except psutil.Error:
            continue
    return float("nan")


FRAME_KINDS = (  # (what a widget shows, a text only its content has), first match wins
    ("monitors", "day-shown"), ("localities", "sim-tile"),
    ("situation report", "yesterday"), ("situation report", "against day"),
    ("outcome table", "B - A"), ("outcome table", "residents in unmet need"),
    ("funding table", "core funding"), ("timeline", "delivered"), ("timeline", "Clock: "),
    ("branches", 'data-testid="branch-'), ("saved at", "Saved on the server"),
    ("render counter", "data-renders"),
)
"""How :class:`FrameKinds` tells the cards' widgets apart (the text they show)."""


def shown_text(state: dict) -> str:
    """The text a widget's state shows: its strings, and the HTML of a patched widget sent
    whole (``whole``: JSON of its tokens)."""
    parts = []
    for value in state.values():
        if isinstance(value, str):
            parts.append(value)
            if value.startswith('{"seq"') and '"tokens"' in value:
                parts.append("".join(json.loads(value)["tokens"]))
    return "\n".join(parts)


class FrameKinds:
    """What each websocket frame the page receives carries: a kernel status, a widget made or
    closed, or a widget's update, named by the card it belongs to (:data:`FRAME_KINDS`, read
    from the widget's content when it was made or last sent whole: a patch of figures names
    no card; "other" if none)."""

    def __init__(self):
        self.widgets: dict[str, str] = {}  # comm id -> kind

    def __call__(self, payload: str | bytes) -> str:
        text = payload if isinstance(payload, str) else payload.decode("utf-8", "replace")
        try:
            msg = json.loads(text)
        except ValueError:
            return "binary or other"
        kind, content = msg.get("msg_type", ""), msg.get("content") or {}
        if kind not in ("comm_msg", "comm_open"):
            return kind or "other"
        comm = content.get("comm_id", "")
        state = content.get("data", {}).get("state", {})
        if "patch" in state and "whole" not in state:
            found = None  # figures only: the card was named when it was sent whole
        elif "update" in state or "option" in state:
            found = "charts"
        elif list(state) == ["children"] and all(isinstance(c, str) for c in state["children"]):
            found = "button labels"
        else:
            text = shown_text(state)
            found = next((name for name, mark in FRAME_KINDS if mark in text), None)
        if found:
            self.widgets[comm] = found
        return kind if kind == "comm_open" else self.widgets.get(comm, "other")


def choose(page, label: str, option: str) -> None:
    exact = re.compile(f"^{re.escape(label)}$")
    page.locator(".v-select", has=page.locator("label", has_text=exact)).first.click()
    page.locator(".menuable__content__active .v-list-item", has_text=option).first.click()


def wait_until(fn, timeout: float = 120.0, poll: float = 0.02):
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        value = fn()
        if value:
            return value
        time.sleep(poll)
    raise TimeoutError("condition not met")


# ---------------------------------------------------------------------------- the old page
def old_day(page) -> int:
    text = page.locator("text=/Day \\d+ completed/").first.inner_text()
    return int(re.search(r"Day (\d+)", text).group(1))


def old_chart(page) -> str | None:
    img = page.locator(".v-card", has_text="Key outcomes").locator("img")
    return img.first.get_attribute("src") if img.count() else None


def measure_old(page, url: str, topology: str, scenario: str, steps: int, out: dict) -> None:
    page.goto(url)
    page.get_by_text("Step or play to see the outcome charts.").wait_for()
    choose(page, "Topology", topology)
    choose(page, "Scenario", scenario)
    t = time.perf_counter()
    page.get_by_role("button", name="Reset").click()
    page.get_by_text(re.compile(r"of [\d,]+ residents")).wait_for(timeout=600_000)
    out.update(reset_s=time.perf_counter() - t, step_s=[])
    for _ in range(steps):
        day, chart = old_day(page), old_chart(page)
        t = time.perf_counter()
        page.get_by_role("button", name="Step", exact=True).click()
        wait_until(lambda d=day, c=chart: old_day(page) == d + 1 and old_chart(page) != c, 300)
        out["step_s"].append(time.perf_counter() - t)
    play_pause(page, old_day, "▶", "❚❚", out)
    old_branches(page, out)


def old_branches(page, out: dict) -> None:
    day = old_day(page)
    t = time.perf_counter()
    page.get_by_role("button", name=f"Checkpoint A (day {day})").click()
    page.get_by_text(f"Checkpoint: day {day}").wait_for(timeout=300_000)
    out["checkpoint_s"] = time.perf_counter() - t
    t = time.perf_counter()
    page.get_by_role("button", name="Fork B from checkpoint").click()
    page.get_by_text(re.compile(r"B \(day \d+, from A@")).wait_for(timeout=300_000)
    out["fork_s"] = time.perf_counter() - t


def play_pause(page, day_of, play: str, pause: str, out: dict, window: float = 15.0) -> None:
    """Days per second over ``window`` seconds of play; then how long Pause takes to register
    and how many days run past the day shown at the click."""
    start = day_of(page)
    page.get_by_role("button", name=play, exact=True).click()
    t0 = time.perf_counter()
    wait_until(lambda: day_of(page) > start, 300)
    first = day_of(page)
    t1 = time.perf_counter()
    time.sleep(window)
    days = day_of(page) - first
    rate = days / (time.perf_counter() - t1)
    t = time.perf_counter()
    shown = page.evaluate("""([label, selector]) => {
        const el = document.querySelector(selector);
        const day = selector.includes('day-shown') ? +el.dataset.day
            : +el.innerText.match(/Day (\\d+)/)[1];
        [...document.querySelectorAll('button')]
            .find(b => b.textContent.trim().toLowerCase() === label.toLowerCase()).click();
        return day; }""", [pause, "[data-testid=day-shown]" if day_of is new_day else
                           "main, body"])
    last, last_change = shown, time.perf_counter()
    while time.perf_counter() - last_change < max(5.0, 3.0 / max(rate, 0.05)):
        d = day_of(page)
        if d != last:
            last, last_change = d, time.perf_counter()
        time.sleep(0.05)
    out.update(play_first_day_s=t1 - t0, play_days_per_s=rate,
               pause_registered_s=max(last_change - t, 0.0), pause_overshoot_days=last - shown)


# ---------------------------------------------------------------------------- the new page
def new_day(page) -> int:
    return int(page.locator("[data-testid=day-shown]").first.get_attribute("data-day"))


def chart_day(page) -> int:
    days = page.locator(".solara-echarts[data-day]").evaluate_all(
        "els => els.map(e => +(e.getAttribute('data-drawn-day') ?? -1))")
    return min(days) if days else -1


def choose_scenarios(page, names: list[str]) -> None:
    """Choose ``names`` (composed in this order) in the new dashboard's multiple choice, which
    starts with baseline chosen."""
    page.locator(".v-select", has=page.locator("label", has_text=re.compile("^Scenarios$"))
                 ).first.click()
    menu = page.locator(".menuable__content__active")
    for name in ([] if "baseline" in names else ["baseline"]) + [n for n in names
                                                                 if n != "baseline"]:
        menu.locator(".v-list-item", has_text=re.compile(f"^{re.escape(name)}$")).first.click()
    page.keyboard.press("Escape")


def checkpoint_button(page):
    """The button that checkpoints branch A (its label carried the day before commit
    s29's lighter step: "Checkpoint A (day 30)"; now "Checkpoint A")."""
    return page.get_by_role("button", name=re.compile(r"^Checkpoint A( \(day \d+\))?$"))


def wait_idle(page, timeout: float = 300.0) -> None:
    wait_until(lambda: page.locator("[data-testid=busy]").count() == 0, timeout)


def quiet(page, received, still: float = 1.5, limit: float = 10.0) -> None:
    """Wait until the page has received nothing for ``still`` seconds (at most ``limit``):
    every message of the step has arrived, however late the last card is drawn. Waits with
    Playwright (``wait_for_timeout``), which hands on the page's events meanwhile (its
    synchronous API delivers them only while it is called: not during ``time.sleep``)."""
    end, last, count = time.perf_counter() + limit, time.perf_counter(), received()
    while time.perf_counter() < end and time.perf_counter() - last < still:
        page.wait_for_timeout(50)
        if received() != count:
            last, count = time.perf_counter(), received()


def play_measured(page, out: dict, server_cpu, received, frames, window: float = 15.0) -> None:
    """Play at the default speed and at the fastest (the speed slider at its end): days per
    second and Pause (:func:`play_pause`), and per day played the server's CPU time and the
    bytes the page received, by card (``play_bytes_by_kind_per_day``)."""
    for prefix, fastest in (("", False), ("fastest_", True)):
        if fastest:
            slider = page.get_by_role("slider", name="Play speed (days per second)")
            slider.focus()
            slider.press("End")
        quiet(page, received)
        day, cpu, got, first = new_day(page), server_cpu(), received(), len(frames or [])
        result: dict = {}
        play_pause(page, new_day, "Play", "Pause", result, window)
        wait_idle(page)
        quiet(page, received)
        days = max(new_day(page) - day, 1)
        result.update(days_played=days, server_cpu_s_per_day=(server_cpu() - cpu) / days,
                      received_bytes_per_day=(received() - got) / days)
        if frames is not None:
            kinds, by_kind = FrameKinds(), {}
            for payload in frames[:first]:
                kinds(payload)
            for payload in frames[first:]:
                kind = kinds(payload)
                by_kind[kind] = by_kind.get(kind, 0) + len(payload)
            result["bytes_by_kind_per_day"] = {k: round(v / days) for k, v in
                                               sorted(by_kind.items())}
        out.update({f"{prefix}{k}": v for k, v in result.items()})


def measure_new(page, url: str, topology: str, scenario: str, steps: int, out: dict,
                steps_only: bool = False, start_day: int = 0, branches: int = 1,
                server_cpu=lambda: 0.0, received=lambda: 0, frames=None,
                play_only: bool = False) -> None:
    page.goto(url)
    page.locator("[data-testid=day-shown]").wait_for()
    page.get_by_role("button", name="New exercise", exact=True).click()
    choose(page, "Topology", topology)
    names = scenario.split(",")
    choose_scenarios(page, names)
    t = time.perf_counter()
    page.get_by_role("button", name="Start new exercise").click()
    page.get_by_role("button", name="Yes, start anew").click()
    made = re.compile(f"topology={topology} {re.escape(scenario_override(names))} .*residents")
    wait_until(lambda: page.get_by_text(made).count() > 0
               and page.locator("[data-testid=busy]").count() == 0, 900)
    out.update(reset_s=time.perf_counter() - t, step_s=[])
    if start_day:
        page.get_by_label("Run to day").fill(str(start_day))
        page.get_by_role("button", name="Run", exact=True).click()
        wait_until(lambda: new_day(page) == start_day and chart_day(page) == start_day, 900)
        wait_idle(page)
    for name in "BCDEFGH"[:branches - 1]:
        if name == "B":
            checkpoint_button(page).click()
            page.get_by_text(f"A@{new_day(page)}").first.wait_for(timeout=300_000)
            wait_idle(page)
        page.get_by_label("New branch name").fill(name)
        button = page.get_by_role("button", name="Fork", exact=True)
        wait_until(button.is_enabled)
        button.click()
        page.locator(f"[data-testid=branch-{name}]").wait_for(timeout=300_000)
        wait_idle(page)
    out.update(step_server_cpu_s=[], step_received_bytes=[], step_from_day=new_day(page),
               step_bytes_by_kind=[])
    kinds, seen = FrameKinds(), 0
    for _ in range(steps):
        day = new_day(page)
        page.wait_for_timeout(1000)  # the page settled: what follows is the step's
        cpu, got = server_cpu(), received()
        first = len(frames) if frames is not None else 0
        t = time.perf_counter()
        page.get_by_role("button", name="Step", exact=True).click()
        wait_until(lambda d=day: new_day(page) == d + 1 and chart_day(page) == d + 1, 300)
        out["step_s"].append(time.perf_counter() - t)
        quiet(page, received)  # the rest of the step's messages (other cards)
        out["step_server_cpu_s"].append(server_cpu() - cpu)
        out["step_received_bytes"].append(received() - got)
        if frames is not None:
            for payload in frames[seen:first]:  # the widgets made and sent whole before
                kinds(payload)
            seen, by_kind = len(frames), {}
            for payload in frames[first:]:
                kind = kinds(payload)
                count, size = by_kind.get(kind, (0, 0))
                by_kind[kind] = (count + 1, size + len(payload))
            out["step_bytes_by_kind"].append({k: {"messages": c, "bytes": b}
                                              for k, (c, b) in sorted(by_kind.items())})
    if steps_only:
        return
    if play_only:
        play_measured(page, out, server_cpu, received, frames)
        return
    play_pause(page, new_day, "Play", "Pause", out)  # at the default speed
    wait_idle(page)
    # as fast as the server goes: the speed slider to its end (20 days per second asked)
    slider = page.get_by_role("slider", name="Play speed (days per second)")
    slider.focus()
    slider.press("End")
    fast: dict = {}
    play_pause(page, new_day, "Play", "Pause", fast)
    out.update({f"fastest_{k}": v for k, v in fast.items()})
    wait_idle(page)
    day = new_day(page)
    t = time.perf_counter()
    checkpoint_button(page).click()
    page.get_by_text(f"A@{day}").first.wait_for(timeout=300_000)
    wait_idle(page)
    out["checkpoint_s"] = time.perf_counter() - t
    out["fork_s_each"] = []
    for name in ("B", "C"):  # from the checkpoint just taken (the newest)
        page.get_by_label("New branch name").fill(name)
        button = page.get_by_role("button", name="Fork", exact=True)
        wait_until(button.is_enabled)  # the page has the name: the click is the start
        t = time.perf_counter()
        button.click()
        page.locator(f"[data-testid=branch-{name}]").wait_for(timeout=300_000)
        wait_idle(page)
        out["fork_s_each"].append(time.perf_counter() - t)
    out["fork_s"] = max(out["fork_s_each"])


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--ui", choices=("old", "new"), default="new")
    ap.add_argument("--source", type=Path, help="source tree of the old dashboard (--ui old)")
    ap.add_argument("--topology", default="county")
    ap.add_argument("--scenario", default="lockdown",
                    help="a scenario, or several composed in order: lockdown,preparedness")
    ap.add_argument("--steps", type=int, default=5)
    ap.add_argument("--out", type=Path, help="JSON file to write (merged by --ui key, or "
                    "--key)")
    ap.add_argument("--key", help="the record's key in --out (default: --ui)")
    ap.add_argument("--steps-only", action="store_true", help="measure the steps only")
    ap.add_argument("--start-day", type=int, default=0, help="run to this day first")
    ap.add_argument("--branches", type=int, default=1, help="branches when stepping (1-8)")
    ap.add_argument("--play-only", action="store_true", help="after the steps, measure play "
                    "and pause only (at the default speed and the fastest), with server CPU "
                    "and bytes per day played")
    args = ap.parse_args(argv)
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as state, \
            server(args.source, Path(state)) as url, \
            sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1600, "height": 1000})
        page.set_default_timeout(300_000)
        received, frames = [0], []

        def got(payload):
            received[0] += len(payload)
            frames.append(payload)

        page.on("websocket", lambda ws: ws.on("framereceived", got))
        cpu0, load_before = time.process_time(), list(os.getloadavg())
        result: dict = {}
        try:
            if args.ui == "old":
                measure_old(page, url, args.topology, args.scenario, args.steps, result)
            else:
                measure_new(page, url, args.topology, args.scenario, args.steps, result,
                            args.steps_only, args.start_day, args.branches,
                            server_cpu=server_cpu_time, received=lambda: received[0],
                            frames=frames, play_only=args.play_only)
        except Exception as exc:  # noqa: BLE001 - a target missed by minutes is a result too
            result["error"] = f"{type(exc).__name__}: {str(exc).splitlines()[0]}"
        browser.close()
    for key in ("step_s", "step_server_cpu_s", "step_received_bytes"):
        if result.get(key):
            result[f"{key}_median"] = statistics.median(result[key])
    if result.get("step_bytes_by_kind"):  # each kind's median over the steps (0 if absent)
        kinds = sorted({k for step in result["step_bytes_by_kind"] for k in step})
        result["step_bytes_by_kind_median"] = {
            k: statistics.median(step.get(k, {"bytes": 0})["bytes"]
                                 for step in result["step_bytes_by_kind"]) for k in kinds}
    record = {"ui": args.ui, "source": str(args.source or "this checkout"),
              "topology": args.topology, "scenario": args.scenario,
              "machine": f"{platform.processor() or platform.machine()}, "
                         f"{os.cpu_count()} vCPUs", "method": "wall clock, click to page "
              "showing the result, headless Debian chromium via Playwright",
              "driver_cpu_s": time.process_time() - cpu0, "targets": TARGETS,
              "load_average_1_5_15_min_before": load_before,
              "load_average_1_5_15_min_after": list(os.getloadavg()), **result}
    print(json.dumps(record, indent=1))
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        data = json.loads(args.out.read_text()) if args.out.exists() else {}
        data[args.key or args.ui] = record
        args.out.write_text(json.dumps(data, indent=1) + "\n")


if __name__ == "__main__":
    main()
