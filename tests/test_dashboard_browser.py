"""The dashboard in a real browser: Debian's chromium driven by Playwright (no browser download).

A facilitator's run-through on a small world (the rural village, the lockdown and preparedness
scenarios composed, seed 7): a new exercise (after a confirmation), steps, a bad and a good
inject, undo of a pending inject, play and pause, three named branches from a checkpoint, a note
on a branch, the layout at two screen sizes with and without presentation mode and in print,
the replay, after-action report and exercise downloads, a reload, a second tab with the
projector view, a server restart mid-exercise (same exercise back, same numbers), opening a
bad and a good exercise file, an MSEL, and the network picture on request. Every request must
stay on localhost and succeed: the page works offline. The latencies seen here (small world) go to
``dashboard_latency_small.json`` in the test's folder (and ``$SIM_SCREENSHOT_DIR``).

The issue's own check runs on the county of 100,000
(:func:`test_a_county_exercise_of_100000_in_a_browser`, about two minutes): the same flow at
scale, every branch replayed from the command line to the numbers on the screen, its latencies
in ``dashboard_latency_county.json`` with screenshots (``county_*.png``);
``experiments/dashboard_latency.py`` measures the same latencies alone.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import statistics
import time
from pathlib import Path

import pytest
import yaml
from support import dashboard_server

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run"]

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not Path(CHROMIUM).exists() and not os.environ.get("CI"),
                       reason="needs Debian chromium (apt-get install chromium; .ci/run does)"),
]


def choose(page, label: str, option: str) -> None:
    """Pick ``option`` in the (Vuetify) select labelled ``label``."""
    exact = re.compile(f"^{re.escape(label)}$")
    page.locator(".v-select", has=page.locator("label", has_text=exact)).first.click()
    page.locator(".menuable__content__active .v-list-item", has_text=option).first.click()
    page.locator(".menuable__content__active").first.wait_for(state="hidden")


def day_shown(page) -> int:
    return int(page.locator("[data-testid=day-shown]").first.get_attribute("data-day"))


def drawn_days(page) -> list[int]:
    """The day each outcome chart has drawn (-1 before ECharts has drawn it)."""
    return page.locator(".solara-echarts[data-day]").evaluate_all(
        "els => els.map(e => +(e.getAttribute('data-drawn-day') ?? -1))")


def wait_for(fn, timeout: float = 60.0):
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        if value := fn():
            return value
        time.sleep(0.02)
    raise AssertionError("timed out waiting")


def click_reading_day(page, label: str) -> int:
    """Click the button ``label`` and return the day on the screen at that instant."""
    return page.evaluate("""(label) => {
        const day = +document.querySelector('[data-testid=day-shown]').dataset.day;
        [...document.querySelectorAll('button')]
            .find(b => b.textContent.trim().toLowerCase() === label.toLowerCase()).click();
        return day; }""", label)


LAYOUT_PROBLEMS = (Path(__file__).with_name("dashboard_layout.js").read_text(encoding="utf-8")
                   .split("\n", 3)[3])
"""Layout faults on the page as it is now: panels (top-level cards) that overlap each other or
the sidebar, buttons that overlap, stick out of their panel or have something on top of them
(in the middle of the screen or at its bottom edge, where Solara's badge would float), and
sideways scrolling."""

PRINT_PROBLEMS = """() => {
  const problems = [];
  const cards = [...document.querySelectorAll('.v-card')].filter(
      c => !c.parentElement.closest('.v-card'));
  for (const c of cards) {
    const r = c.getBoundingClientRect();
    const title = c.innerText.trim().split('\\n')[0].slice(0, 40);
    if (r.width < 1 || r.height < 1) { problems.push(`${title}: not printed`); continue; }
    for (let e = c.parentElement; e && e !== document.documentElement; e = e.parentElement) {
      const s = getComputedStyle(e), p = e.getBoundingClientRect();
      if (s.overflowY !== 'visible' && (r.bottom > p.bottom + 1 || r.top < p.top - 1))
        problems.push(`${title}: cut off by a scrolling box`);
    }
  }
  return {problems, cards: cards.length, height: document.documentElement.scrollHeight};
}"""
"""Under print media: every panel is laid out in the page's own flow (no box that scrolls cuts
it off), so a full-page print shows them all."""


EVENT_LABELS = (Path(__file__).with_name("dashboard_event_labels.js").read_text(encoding="utf-8")
                .split("\n", 3)[3])
"""The event labels on each outcome chart as drawn (boxes read from the ECharts instance's
drawn elements) and the box of its plot."""


def check_event_labels(page, kinds: tuple[str, ...], days: tuple[int, ...],
                       together: tuple[int, tuple[str, ...]] | None = None) -> None:
    """On every chart on the screen, a label for each of ``days``; no event label (one that
    starts with its day or names one of ``kinds``) reaches into the plot, where it would hide
    the data, and none covers another; ``together`` (a day, its events): one label names
    them all and starts with the day."""
    charts = page.evaluate(EVENT_LABELS, list(kinds))
    assert len(charts) >= 6
    for c in charts:
        g, labels = c["grid"], c["labels"]
        for lab in labels:
            assert lab["bottom"] <= g["top"] and 0 <= lab["left"] and lab["right"] <= c["width"], \
                (c["title"], lab, g)
        for k, a in enumerate(labels):
            for b in labels[k + 1:]:
                assert (min(a["right"], b["right"]) <= max(a["left"], b["left"])
                        or min(a["bottom"], b["bottom"]) <= max(a["top"], b["top"])), \
                    (c["title"], a, b)
        for day in days:
            assert any(re.match(f"day {day}(:|$)", lab["text"]) for lab in labels), \
                (c["title"], c["width"], day, [(lab["text"], round(lab["left"]), round(lab["top"]))
                                               for lab in labels])
        if together:
            day, names = together
            merged = [lab["text"] for lab in labels if all(n in lab["text"] for n in names)]
            assert len(merged) == 1 and merged[0].startswith(f"day {day}:"), \
                (c["title"], labels)


CHART_DATA = """() => [...document.querySelectorAll('.solara-echarts[data-day]')]
  .filter(e => e.simChart && e.offsetParent !== null).map(e => {
    const o = e.simChart.getOption();
    return {title: o.title[0].text, xmax: o.xAxis[0].max,
            series: o.series.map(s => ({name: s.name, data: s.data,
              lines: ((s.markLine || {}).data || []).map(d => d.xAxis),
              shaded: ((s.markArea || {}).data || []).map(d => [d[0].xAxis, d[1].xAxis])}))};
  })"""
"""What each chart on the screen draws, read from its ECharts instance: its title, the x
axis's end, each line's name and points, the event lines' days and the shaded periods."""


def chart_data(page, kinds: tuple[str, ...] = ()) -> list[dict]:
    """:data:`CHART_DATA`, with each chart's event labels as drawn (their texts)."""
    charts = page.evaluate(CHART_DATA)
    labels = {c["title"]: sorted(lab["text"] for lab in c["labels"])
              for c in page.evaluate(EVENT_LABELS, list(kinds))}
    return [{**c, "labels": labels.get(c["title"])} for c in charts]

def check_layout(page, sizes=((1280, 720), (1920, 1080)), events: dict | None = None) -> None:
    """Layout faults at each screen size; with ``events`` (:func:`check_event_labels`'s
    arguments), the event labels too."""
    for width, height in sizes:
        page.set_viewport_size({"width": width, "height": height})
        time.sleep(0.3)  # the charts follow the new size
        found = page.evaluate(LAYOUT_PROBLEMS)
        assert found["problems"] == [], (width, height, found["problems"])
        assert found["badge"] == 0 and found["buttons"] >= 5
        if events:
            check_event_labels(page, **events)


def idle(page) -> bool:
    return page.locator("[data-testid=busy]").count() == 0


def renders(page) -> int:
    """How many times the server has drawn the control page (one redraw per change)."""
    return int(page.locator("[data-testid=renders]").get_attribute("data-renders"))


def settled_quickly(page) -> int:
    """How many actions a click's batch saw finish within its wait (``Live.settle``), as the
    control page last drew it: such an action is drawn by the click's own redraw."""
    return int(page.locator("[data-testid=renders]").get_attribute("data-settled"))


def open_page(pw, outside: list, failed: list, timeout_ms: int):
    """A chromium browser and page of 1600 x 1800 that records the busy indicator (``BUSY_SEEN``),
    requests leaving this machine (``outside``) and failed requests or responses
    (``failed``; the session pings that fail when a test stops a server under the page are
    not assets and are left out)."""
    from playwright.sync_api import expect

    browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    page = browser.new_page(viewport={"width": 1600, "height": 1800}, accept_downloads=True)
    page.add_init_script(f"({BUSY_SEEN})()")
    page.add_init_script(f"({HOLD_READS})()")
    page.add_init_script(f"({COUNT_MOUNTS})()")
    page.on("request", lambda r: outside.append(r.url) if not r.url.startswith(
        ("http://127.0.0.1:", "ws://127.0.0.1:", "blob:", "data:")) else None)
    session = re.compile(r"/jupyter/api/kernels/|/_solara/api/close/")
    page.on("requestfailed", lambda r: None if session.search(r.url) else
            failed.append(r.url))
    page.on("response", lambda r: failed.append(f"{r.status} {r.url}")
            if r.status >= 400 else None)
    page.set_default_timeout(timeout_ms)
    expect.set_options(timeout=timeout_ms)
    return browser, page


def test_a_facilitated_exercise_in_a_browser(tmp_path):
    from playwright.sync_api import expect, sync_playwright

    state = tmp_path / "state"
    outside, failed, timings = [], [], {"step_s": []}
    with sync_playwright() as pw:
        browser, page = open_page(pw, outside, failed, timeout_ms=90_000)
        log = page.locator(".v-card", has_text="Exercise log")

        with dashboard_server(state_dir=state) as port:
            server = f"http://127.0.0.1:{port}/"
            page.goto(server)
            page.locator("[data-testid=day-shown]").wait_for()
            wait_for(lambda: idle(page), 120)

            # a new exercise replaces the one on the screen only after a confirmation
            page.get_by_role("button", name="New exercise", exact=True).click()
            page.get_by_role("button", name="Start new exercise").wait_for()
            choose(page, "Topology", "rural")
            # scenarios composed in the order chosen, as scenario=[lockdown,preparedness]
            page.locator(".v-select", has=page.locator("label", has_text="Scenarios")
                         ).first.click()
            menu = page.locator(".menuable__content__active")
            for option in ("baseline", "lockdown", "preparedness"):  # baseline: unchosen
                menu.locator(".v-list-item", has_text=re.compile(f"^{option}$")).first.click()
            page.keyboard.press("Escape")
            expect(page.get_by_text("Now: [lockdown,preparedness]")).to_be_visible()
            seed = page.get_by_label("Seed")
            seed.fill("7")
            page.get_by_role("button", name="Start new exercise").click()
            expect(page.get_by_text("This replaces the exercise on the screen")).to_be_visible()
            page.get_by_role("button", name="Yes, start anew").click()
            expect(page.get_by_text("scenario=[lockdown,preparedness] run.seed=7: 380 residents")
                   ).to_be_visible()
            wait_for(lambda: idle(page))
            assert day_shown(page) == 0
            expect(page.get_by_text("Step or play to see the outcome charts.")).to_be_visible()

            for k in range(1, 4):
                t = time.perf_counter()
                page.get_by_role("button", name="Step", exact=True).click()
                wait_for(lambda k=k: day_shown(page) == k and set(drawn_days(page)) == {k})
                timings["step_s"].append(time.perf_counter() - t)
            assert len(drawn_days(page)) == 7  # six outcome panels and the money chart
            outcomes = page.locator(".v-card", has_text="Key outcomes").locator("table")
            table_before = outcomes.inner_text()
            assert "residents in unmet need\t" in table_before

            # an inject with a bad parameter is reported, not applied
            choose(page, "Event", "surge_campaign")
            multiplier = page.get_by_label("multiplier (float)", exact=False)
            multiplier.fill("-5")
            page.get_by_role("button", name="Inject on branch A from the next day").click()
            expect(page.get_by_text("must be >= 0.0 (got -5.0)")).to_be_visible()
            expect(page.get_by_text("No injects or notes yet.")).to_be_visible()
            multiplier.fill("200")
            page.get_by_role("button", name="Inject on branch A from the next day").click()
            expect(page.get_by_text("surge_campaign scheduled on branch A for the start of day 4")
                   ).to_be_visible()
            assert "surge_campaign" in log.locator("table").inner_text()  # same render

            # a pending inject can be undone before it takes effect
            choose(page, "Event", "funding_cut")
            page.get_by_label("share (float)", exact=False).fill("0.5")
            page.get_by_role("button", name="Inject on branch A from the next day").click()
            expect(page.get_by_role("button", name="Undo funding_cut (day 4)")).to_be_visible()
            page.get_by_role("button", name="Undo funding_cut (day 4)").click()
            expect(page.get_by_text("Undone: funding_cut")).to_be_visible()
            expect(page.get_by_role("button", name=re.compile("^Undo"))).to_have_count(1)
            timeline = page.locator(".v-card", has_text="Timeline of branch A").locator("table")
            expect(timeline).to_contain_text("emergency")  # the scenario's own, day 30
            expect(timeline).not_to_contain_text("funding_cut")
            # the exports' table: the clock time the inject was made, its whole description
            expect(timeline).to_contain_text("onboarding capacity does not change.")
            expect(timeline).to_contain_text(re.compile(r"surge_campaign\s+inject\s+planned\s+"
                                                        r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d"))

            # the play speed and redraw interval are on the screen, not only while dragged
            expect(page.get_by_text("Play speed (days per second): 2.5")).to_be_visible()
            expect(page.get_by_text("Redraw every (days): 1")).to_be_visible()
            slider = page.get_by_role("slider", name="Play speed (days per second)")
            slider.focus()
            slider.press("ArrowRight")
            expect(page.get_by_text("Play speed (days per second): 3")).to_be_visible()
            slider.press("ArrowLeft")
            expect(page.get_by_text("Play speed (days per second): 2.5")).to_be_visible()
            # play in the background; pause registers within a day
            page.get_by_role("button", name="Play", exact=True).click()
            wait_for(lambda: day_shown(page) >= 8, 60)
            t = time.perf_counter()
            at_click = click_reading_day(page, "Pause")
            page.get_by_role("button", name="Play", exact=True).wait_for()
            timings["pause_s"] = time.perf_counter() - t
            time.sleep(1.0)
            paused = day_shown(page)
            timings["pause_overshoot_days"] = paused - at_click
            assert paused - at_click <= 1
            time.sleep(1.0)
            assert day_shown(page) == paused

            run_to = page.get_by_label("Run to day")
            run_to.fill("20")
            page.get_by_role("button", name="Run", exact=True).click()
            wait_for(lambda: day_shown(page) == 20 and set(drawn_days(page)) == {20})
            expect(outcomes).not_to_have_text(table_before)
            # one branch: the inject's label above the plots (the scenario's days are ahead)
            check_layout(page, events={"kinds": ("surge_campaign",), "days": (4,)})
            page.set_viewport_size({"width": 1600, "height": 1800})

            # three branches from one checkpoint; each new branch is shown when made
            t = time.perf_counter()
            page.get_by_role("button", name="Checkpoint A", exact=True).click()
            expect(page.get_by_text("Checkpoints: A@20")).to_be_visible()
            wait_for(lambda: idle(page))
            timings["checkpoint_s"] = time.perf_counter() - t
            for name in ("B", "C"):
                choose(page, "Fork from", "A@20")
                page.get_by_label("New branch name").fill(name)
                fork = page.get_by_role("button", name="Fork", exact=True)
                wait_for(fork.is_enabled)
                page.evaluate("window.__busySeen = []")
                before, settled = renders(page), settled_quickly(page)
                t = time.perf_counter()
                fork.click()
                page.locator(f"[data-testid=branch-{name}]").wait_for()
                wait_for(lambda: idle(page))
                timings[f"fork_{name}_s"] = time.perf_counter() - t
                expect(page.get_by_text(f"Timeline of branch {name}")).to_be_visible()
                time.sleep(0.5)  # a second redraw of the page would come by now
                timings[f"fork_{name}_page_renders"] = renders(page) - before
                # a fork that finished within the click's wait (forks take a few hundredths
                # of a second) is drawn once, by the click's redraw, with no busy indicator;
                # one that outlasted the wait (a stalled machine) may take a second redraw
                quick = settled_quickly(page) - settled
                timings[f"fork_{name}_settled"] = quick
                assert quick in (0, 1), timings
                if quick:
                    assert renders(page) - before == 1, timings
                    assert not page.evaluate("window.__busySeen"), timings
            expect(page.locator("[data-testid=branch-C]")).to_have_text(
                "C: day 20, forked from A@20")
            choose(page, "Show branch", "B")
            choose(page, "Event", "funding_cut")
            page.get_by_label("share (float)", exact=False).fill("0.9")
            page.get_by_role("button", name="Inject on branch B from the next day").click()
            expect(page.get_by_text("funding_cut scheduled on branch B for the start of day 21")
                   ).to_be_visible()
            note = page.get_by_label("Note on branch B")
            note.fill("Groups lose core funding: who picks up their clients?")
            page.get_by_role("button", name="Add note").click()
            expect(log.locator("table")).to_contain_text("who picks up their clients")
            run_to.fill("35")
            page.get_by_role("button", name="Run", exact=True).click()
            wait_for(lambda: day_shown(page) == 35 and set(drawn_days(page)) == {35})
            expect(outcomes).to_contain_text("B - A")
            expect(outcomes).to_contain_text("C - A")
            expect(page.locator(".v-card", has_text="Since yesterday")).to_contain_text(
                "day 35 against day 34")
            funding = page.locator(".v-card", has_text="Funding and reserves").locator("table")
            expect(funding).to_contain_text("groups closed for want of money")
            summary = outcomes.inner_text()

            # legible: nothing overlaps at 1280x720 and 1920x1080, in presentation mode (large
            # type, larger charts) too, and a full-page print lays out every panel
            t = time.perf_counter()
            # three branches, B shown; the event labels above the plots, covering no data and
            # no other label; the lockdown's two day-30 events in one label
            events = {"kinds": ("surge_campaign", "funding_cut", "emergency",
                                "nhs_volunteers_stand_down"), "days": (4, 21, 30, 31),
                      "together": (30, ("emergency", "nhs_volunteers_stand_down"))}
            check_layout(page, events=events)
            present = page.get_by_label("Presentation mode")
            present.check(force=True)
            expect(page.locator(".sim-big").first).to_have_css("font-size", "60px")
            expect(page.locator(".solara-echarts[data-day]").first).to_have_css("height",
                                                                                "440px")
            check_layout(page, events=events)
            page.emulate_media(media="print")
            printed = page.evaluate(PRINT_PROBLEMS)
            assert printed["problems"] == [] and printed["cards"] >= 11, printed
            pages = len(re.findall(rb"/Type\s*/Page[^s]", page.pdf(format="A4")))
            assert pages >= 4  # the whole page, not the visible screenful
            page.emulate_media(media="screen")
            present.uncheck(force=True)
            expect(page.locator(".sim-big").first).to_have_css("font-size", "34px")
            page.set_viewport_size({"width": 1600, "height": 1800})
            timings["layout_and_print_checks_s"] = time.perf_counter() - t

            with page.expect_download() as info:
                page.get_by_role("button", name="Replay file (B)").click()
            replay = yaml.safe_load(Path(info.value.path()).read_text())
            assert [e["kind"] for e in replay["events"].values()][-2:] == ["surge_campaign",
                                                                           "funding_cut"]
            assert replay["overrides"]["run.days"] == 35 and "hydra" not in replay
            with page.expect_download() as info:
                page.get_by_role("button", name="After-action report").click()
            report = Path(info.value.path()).read_text()
            assert "<svg" in report and "who picks up their clients" in report
            unmet = summary.split("residents in unmet need\t")[1].split("\n")[0].split()
            assert all(f"<td>{v}</td>" in report for v in unmet)  # the numbers on the screen
            # the report alone in the browser: it asks for nothing, shows the event labels on
            # its charts as text and prints to PDF
            sheet, asked = browser.new_page(), []
            sheet.on("request", lambda r: asked.append(r.url))
            sheet.set_content(report)
            assert sheet.locator("svg text", has_text="day 30: emergency").count() >= 1
            assert sheet.locator("svg text", has_text="funding_cut (B)").count() >= 1
            assert len(re.findall(rb"/Type\s*/Page[^s]", sheet.pdf(format="A4"))) >= 2
            assert asked == []
            sheet.close()
            with page.expect_download() as info:
                page.get_by_role("button", name="Save exercise").click()
            saved = json.loads(Path(info.value.path()).read_text())
            assert list(saved["branches"]) == ["A", "B", "C"]
            assert saved["branches"]["B"]["day"] == 35

            # a reload shows the same exercise; the charts, updated day by day since the fork
            # (the new days' points only), draw what the whole option sent afresh draws
            kinds = ("surge_campaign", "funding_cut", "emergency")
            choose(page, "Show branch", "A")  # as a new page shows (A's events on the charts)
            wait_for(lambda: "funding_cut" not in str(chart_data(page, kinds)))
            drawn = chart_data(page, kinds)
            assert len(drawn) == 7 and all(len(s["data"]) == 35 for c in drawn
                                           for s in c["series"])
            cards = patched_cards(page)
            page.reload()
            wait_for(lambda: page.locator("[data-testid=day-shown]").count() and
                     day_shown(page) == 35 and set(drawn_days(page)) == {35})
            assert chart_data(page, kinds) == drawn
            assert patched_cards(page) == cards  # the cards, patched day by day: the same
            expect(page.locator("[data-testid=branch-C]")).to_be_visible()
            expect(log.locator("table")).to_contain_text("who picks up their clients")

            # a second tab: the projector view follows the same exercise, read-only
            room = browser.new_page(viewport={"width": 1920, "height": 1080})
            room.goto(server + "projector")
            wait_for(lambda: room.locator("[data-testid=day-shown]").count() and
                     day_shown(room) == 35 and set(drawn_days(room)) == {35})
            assert room.get_by_role("button", name="Step", exact=True).count() == 0
            assert room.evaluate(LAYOUT_PROBLEMS)["problems"] == []
            page.get_by_role("button", name="Step", exact=True).click()
            wait_for(lambda: day_shown(room) == 36 and set(drawn_days(room)) == {36})
            wait_for(lambda: day_shown(page) == 36 and set(drawn_days(page)) == {36})
            # both updated with day 36's points: the same lines (the room's six panels)
            lines = [[(s["name"], s["data"]) for s in c["series"]] for c in chart_data(page)]
            assert [[(s["name"], s["data"]) for s in c["series"]]
                    for c in chart_data(room)] == lines[:6]
            assert all(len(data) == 36 for c in lines for _, data in c)
            # the room follows the branch the facilitator shows: its monitors and events
            expect(room.get_by_text("Events (branch A)")).to_be_visible()
            choose(page, "Show branch", "B")
            expect(room.get_by_text("Events (branch B)")).to_be_visible()
            expect(room.get_by_text("(branch B)").first).to_be_visible()
            expect(room.locator("table").last).to_contain_text("funding_cut")  # B's inject
            choose(page, "Show branch", "A")
            expect(room.get_by_text("Events (branch A)")).to_be_visible()
            room.close()
            summary = outcomes.inner_text()

        # ... and so does a restarted server (the exercise is rebuilt by replay)
        good = tmp_path / "good.json"
        bad = tmp_path / "bad.json"
        bad.write_text(json.dumps({**saved, "settings": {**saved["settings"],
                                                         "_target_": "os.system"}}))
        saved["branches"] = {"A": {**saved["branches"]["A"], "day": 12}}
        saved["checkpoints"] = []
        good.write_text(json.dumps(saved))
        with dashboard_server(state_dir=state) as port:
            server = f"http://127.0.0.1:{port}/"
            page.goto(server)
            # a file picked at once, while the page restores the exercise, is read slowly (as a
            # large file is): its card is redrawn meanwhile (the exercise appears), and the
            # pick must still reach the server once the read ends; here its widget is also
            # replaced while the file is read (the old one gone when the read ends: it cannot
            # send), so the file reaches the server only if the new widget sends it when it
            # mounts (file_open.vue's resend)
            page.locator("[data-testid=open-exercise]").wait_for(state="attached")
            page.evaluate("window.__holdReads = true")
            page.locator("[data-testid=open-exercise]").set_input_files(str(good))
            expect(page.get_by_text(re.compile("Restored the exercise saved at"))).to_be_visible()
            assert day_shown(page) == 36
            expect(page.locator(".v-card", has_text="Key outcomes").locator("table")
                   ).to_have_text(summary)  # rebuilt by replay: the same numbers
            expect(log.locator("table")).to_contain_text("who picks up their clients")
            wait_for(lambda: idle(page) and set(drawn_days(page)) == {36})
            time.sleep(1.0)  # the card redrawn by now
            mounts = page.evaluate("window.__pickerMounts['open-exercise']")
            page.evaluate(TAKE_PICKER_OFF, "open-exercise")
            expect(page.locator("[data-testid=open-exercise]")).to_have_count(0)
            page.evaluate("window.__releaseReads()")
            page.evaluate("window.__busySeen = []")
            page.wait_for_timeout(500)  # the read ended with no widget on the page to send it
            # nothing was sent: the server would show its busy line within 0.15 s of a send
            assert "Opening the exercise file" not in page.evaluate("window.__busySeen")
            assert "Opened the exercise" not in page.inner_text("body")
            assert page.evaluate("!!window.simFileOpenPending['open-exercise']")
            page.evaluate("window.__putPickerBack()")
            expect(page.get_by_text("Opened the exercise")).to_be_visible()
            assert page.evaluate("window.__pickerMounts['open-exercise']") == mounts + 1
            wait_for(lambda: day_shown(page) == 12)
            expect(page.locator("[data-testid=branch-B]")).to_have_count(0)
            # a bad file is refused with the reason
            page.locator("[data-testid=open-exercise]").set_input_files(str(bad))
            expect(page.get_by_text(re.compile("'_target_' is not allowed"))).to_be_visible()
            assert day_shown(page) == 12  # unchanged

            # a Master Scenario Events List: planned injects, undoable until they happen
            plan = tmp_path / "plan.csv"
            plan.write_text('day,kind,params,description,audience\n'
                            '14,surge_campaign,"{""multiplier"": 40}",Radio appeal,volunteers\n')
            # its picker's widget replaced while the file is read: the read, when it ends,
            # hands the file to the new widget (file_open.vue's resend)
            mounts = page.evaluate("window.__pickerMounts['load-msel']")
            page.evaluate("window.__holdReads = true")
            page.locator("[data-testid=load-msel]").set_input_files(str(plan))
            page.evaluate(TAKE_PICKER_OFF, "load-msel")
            page.evaluate("window.__putPickerBack()")
            wait_for(lambda: page.evaluate("window.__pickerMounts['load-msel']") == mounts + 1)
            page.evaluate("window.__releaseReads()")
            expect(page.get_by_text("MSEL plan.csv: 1 inject(s) planned on branch A")
                   ).to_be_visible()
            expect(page.get_by_role("button", name="Undo surge_campaign (day 14)")).to_be_visible()
            expect(log.locator("table")).to_contain_text("Radio appeal - to: volunteers")

            # the localities as tiles (the village is one parish), coloured by a chosen outcome
            expect(page.locator(".sim-tile")).to_have_count(1)
            choose(page, "Colour the tiles by", "active volunteers per 1,000 residents")
            localities = page.locator(".v-card", has_text="Localities")
            expect(localities).to_contain_text("rural-1 (parish, 380)")
            # drawn from the area outputs: rolled up, here to the village's deprivation quintile
            choose(page, "One tile per", "deprivation quintiles")
            expect(localities).to_contain_text(re.compile(r"IMD quintile \d \(1 area, 380\)"))

            # the network picture is drawn only when asked for
            card = page.locator(".v-card", has_text="Network picture")
            expect(card.locator("img")).to_have_count(0)
            page.get_by_role("button", name=re.compile("^Draw the network picture")).click()
            expect(card.locator("img")).to_have_count(1)
            expect(card).to_contain_text("of 380 residents")

            page.evaluate("document.querySelectorAll('*').forEach(e => { e.scrollTop = 0; })")
            page.screenshot(path=str(tmp_path / "dashboard.png"), full_page=True)
        browser.close()

    timings["step_s_median"] = statistics.median(timings["step_s"])
    (tmp_path / "dashboard_latency_small.json").write_text(json.dumps(timings, indent=1))
    if os.environ.get("SIM_SCREENSHOT_DIR"):  # keep copies to look at
        for name in ("dashboard.png", "dashboard_latency_small.json"):
            shutil.copy(tmp_path / name, os.environ["SIM_SCREENSHOT_DIR"])
    assert outside == [], f"requests left localhost: {outside}"
    assert failed == [], f"failed requests: {failed}"


# ---------------------------------------------------------------------------- county of 100,000
COUNTY_MSEL = ('day,kind,params,description,audience\n'
               '3,surge_campaign,"{""multiplier"": 40}",Radio appeal for volunteers,volunteers\n'
               '26,funding_cut,"{""share"": 0.3}",Council trims small grants,VCSE groups\n')
BUSY_SEEN = """() => {
  window.__busySeen = [];
  const look = () => {
    const el = document.querySelector('[data-testid=busy]');
    const text = el ? el.textContent.trim() : '';
    if (text && !window.__busySeen.includes(text)) window.__busySeen.push(text);
  };
  new MutationObserver(look).observe(document, {subtree: true, childList: true,
                                                characterData: true});
}"""
"""Every busy indicator the page has shown (its text), kept in ``window.__busySeen``: a
MutationObserver sees one that comes and goes between two polls of the test."""


HOLD_READS = """() => {
  const text = Blob.prototype.text, held = [];
  window.__holdReads = false;
  Blob.prototype.text = function () {
    if (!window.__holdReads) return text.call(this);
    return new Promise((done, failed) => held.push(() => text.call(this).then(done, failed)));
  };
  window.__releaseReads = () => { window.__holdReads = false; held.splice(0).forEach(f => f()); };
}"""
"""A slow file read on demand: while ``window.__holdReads`` is true, reading a picked file's
text waits for ``window.__releaseReads()`` (as reading a large file takes a while)."""


COUNT_MOUNTS = """() => {
  window.__pickerMounts = {};
  window.simFileOpen = new Proxy({}, {set(on, testid, widget) {
    window.__pickerMounts[testid] = (window.__pickerMounts[testid] || 0) + 1;
    on[testid] = widget;
    return true; }});
}"""
"""How many times a file picker (sim/dashboard/file_open.vue) has been mounted on the page, by
test id, in ``window.__pickerMounts``: each mount registers the widget in
``window.simFileOpen``, which this counts."""

TAKE_PICKER_OFF = """async (testid) => {
  const vm = document.querySelector(`[data-testid="${testid}"]`).closest('.sim-file-open').__vue__;
  const manager = vm.viewCtx.getView().model.widget_manager;
  const models = await Promise.all(Object.values(manager._models));
  const picker = models.find(m => m.get('testid') === testid);
  const column = models.find(m => Array.isArray(m.get('children'))
                                  && m.get('children').includes(picker));
  const children = column.get('children');
  column.set('children', children.filter(c => c !== picker));
  window.__putPickerBack = () => { column.set('children', children); };
}"""
"""Take the picker ``testid`` off the page, as a redraw of its card that replaces its widget
does (its Vue component destroyed), until ``window.__putPickerBack()`` mounts a new one for it:
what the page does when the server has replaced the widget. Page-side only (the widget models'
``set`` without ``save_changes``): the server sees nothing of it."""


def patched_cards(page) -> list[str]:
    """The HTML each patched card shows (sim.dashboard.widgets.PatchedHtmlWidget: the tables,
    the locality tiles, the monitors, the branch list), in page order."""
    page.locator(".sim-html").first.wait_for(state="attached")
    return page.evaluate("() => [...document.querySelectorAll('.sim-html')].map(e => e.innerHTML)")


def page_table(page, card: str) -> list[list[str]]:
    """The cells of the first table in the card titled ``card``, row by row."""
    return page.locator(".v-card", has_text=card).locator("table").first.evaluate(
        "t => [...t.querySelectorAll('tr')].map(r => [...r.cells].map(c => c.innerText.trim()))"
        ".filter(r => r.length)")


def html_table(text: str) -> list[list[str]]:
    """The cells of the first HTML table in ``text``, row by row (what a browser shows)."""
    import html as html_module

    body = text[text.index("<table"):text.index("</table>")]
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", body, flags=re.S)
    return [[html_module.unescape(re.sub(r"<[^>]+>", "", c)).strip()
             for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", r, flags=re.S)] for r in rows]


def play_for(page, seconds: float, timings: dict, key: str) -> None:
    """Play for ``seconds`` at the page's speed, then pause: simulated days per second while
    playing, and how far the model runs past the day on the screen at the click (at most one
    day: the behaviour asserted; the rate is recorded, not asserted)."""
    start = day_shown(page)
    page.get_by_role("button", name="Play", exact=True).click()
    wait_for(lambda: day_shown(page) > start, 60)
    first, t = day_shown(page), time.perf_counter()
    time.sleep(seconds)
    timings[f"{key}_days_per_s"] = (day_shown(page) - first) / (time.perf_counter() - t)
    t = time.perf_counter()
    at_click = click_reading_day(page, "Pause")
    page.get_by_role("button", name="Play", exact=True).wait_for()
    timings[f"{key}_pause_s"] = time.perf_counter() - t
    time.sleep(1.0)
    paused = day_shown(page)
    timings[f"{key}_pause_overshoot_days"] = paused - at_click
    assert 0 <= paused - at_click <= 1
    time.sleep(1.0)
    assert day_shown(page) == paused  # stopped


def replay_from_command_line(files: dict[str, Path], out: Path) -> dict:
    """``python -m sim replay FILE`` for each branch's replay file, two at a time; the daily
    tables. Branch A's replay runs its burn-in afresh, as on another computer; the others reuse
    the dashboard's burn-in cache (the same signed state the dashboard started from)."""
    import subprocess
    import sys

    import pandas as pd

    from sim.burn_in import default_cache_dir

    procs = {}
    for name, path in files.items():
        cache = [] if name == "A" else [f"run.burn_in_cache={default_cache_dir()}"]
        procs[name] = subprocess.Popen(
            [sys.executable, "-m", "sim", "replay", str(path), f"hydra.run.dir={out / name}",
             "run.plots=false", *cache], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            text=True)
    for proc in procs.values():
        output, _ = proc.communicate(timeout=600)
        assert proc.returncode == 0, output
    return {name: pd.read_parquet(out / name / "timeseries.parquet") for name in files}


def test_a_county_exercise_of_100000_in_a_browser(tmp_path):
    """The issue's check at scale: a facilitator's run-through on the county of 100,000
    (topology=county scenario=lockdown, seed 20201): an MSEL, steps, an inject and an undo,
    play and pause with one and three branches, a checkpoint and three branches (one undoing a
    pending inject it carried), a note, the busy indicator, the projector view, a reload and a
    server restart mid-exercise (the same numbers back), the after-action report and every
    branch's replay file run from the command line, all to the numbers on the screen. The
    latencies (Step, Play, Pause, Checkpoint, Fork) are recorded, not asserted (a shared
    machine): ``dashboard_latency_county.json`` next to the screenshots."""
    from playwright.sync_api import expect, sync_playwright

    from sim.dashboard.charts import echarts_panels, summary_table

    state = tmp_path / "state"
    outside, failed = [], []
    timings: dict = {"step_s": [], "load_average_before": list(os.getloadavg())}
    wall = time.perf_counter()
    with sync_playwright() as pw:
        browser, page = open_page(pw, outside, failed, timeout_ms=180_000)
        log = page.locator(".v-card", has_text="Exercise log")
        outcomes = page.locator(".v-card", has_text="Key outcomes").locator("table")

        def shot(name: str) -> None:
            page.evaluate("document.querySelectorAll('*').forEach(e => { e.scrollTop = 0; })")
            page.screenshot(path=str(tmp_path / f"county_{name}.png"), full_page=True)

        with dashboard_server(state_dir=state, timeout=180) as port:
            server = f"http://127.0.0.1:{port}/"
            page.goto(server)
            page.locator("[data-testid=day-shown]").wait_for()
            wait_for(lambda: idle(page), 300)

            page.get_by_role("button", name="New exercise", exact=True).click()
            choose(page, "Topology", "county")
            page.locator(".v-select", has=page.locator("label", has_text="Scenarios")
                         ).first.click()
            menu = page.locator(".menuable__content__active")
            for option in ("baseline", "lockdown"):  # baseline chosen: unchosen
                menu.locator(".v-list-item", has_text=re.compile(f"^{option}$")).first.click()
            page.keyboard.press("Escape")
            page.get_by_label("Seed").fill("20201")
            t = time.perf_counter()
            page.get_by_role("button", name="Start new exercise").click()
            page.get_by_role("button", name="Yes, start anew").click()
            expect(page.get_by_text("topology=county scenario=lockdown run.seed=20201: "
                                    "100,000 residents")).to_be_visible()
            wait_for(lambda: idle(page), 600)
            timings["new_exercise_s"] = time.perf_counter() - t  # build, or the cached state

            # the planners' Master Scenario Events List, loaded before play
            plan = tmp_path / "county_msel.csv"
            plan.write_text(COUNTY_MSEL)
            page.locator("[data-testid=load-msel]").set_input_files(str(plan))
            expect(page.get_by_text("MSEL county_msel.csv: 2 inject(s) planned on branch A")
                   ).to_be_visible()
            expect(log.locator("table")).to_contain_text("Council trims small grants")

            for k in range(1, 6):
                t = time.perf_counter()
                page.get_by_role("button", name="Step", exact=True).click()
                wait_for(lambda k=k: day_shown(page) == k and set(drawn_days(page)) == {k})
                timings["step_s"].append(time.perf_counter() - t)
            timeline = page.locator(".v-card", has_text="Timeline of branch A").locator("table")
            expect(timeline).to_contain_text(re.compile(r"surge_campaign\s+inject\s+delivered"))
            # an inject made at the table, then undone before it takes effect
            choose(page, "Event", "funding_cut")
            page.get_by_label("share (float)", exact=False).fill("0.5")
            page.get_by_role("button", name="Inject on branch A from the next day").click()
            page.get_by_role("button", name="Undo funding_cut (day 6)").click()
            expect(page.get_by_text("Undone: funding_cut")).to_be_visible()
            expect(page.get_by_role("button", name=re.compile("^Undo"))).to_have_text(
                ["Undo funding_cut (day 26)"])  # the MSEL's, still planned

            play_for(page, 4.0, timings, "play")  # from day 5: about day 16
            run_to = page.get_by_label("Run to day")
            run_to.fill("22")
            page.get_by_role("button", name="Run", exact=True).click()
            wait_for(lambda: day_shown(page) == 22 and set(drawn_days(page)) == {22})
            shot("day22")

            # a checkpoint and two more branches from it; C drops the cut B keeps
            page.evaluate("window.__busySeen = []")
            t = time.perf_counter()
            page.get_by_role("button", name="Checkpoint A", exact=True).click()
            expect(page.get_by_text("Checkpoints: A@22")).to_be_visible()
            wait_for(lambda: idle(page))
            timings["checkpoint_s"] = time.perf_counter() - t
            for name in ("B", "C"):
                choose(page, "Fork from", "A@22")
                page.get_by_label("New branch name").fill(name)
                fork = page.get_by_role("button", name="Fork", exact=True)
                wait_for(fork.is_enabled)  # the page has the name: the click is the start
                before = renders(page)
                t = time.perf_counter()
                fork.click()
                page.locator(f"[data-testid=branch-{name}]").wait_for()
                expect(page.get_by_text(f"Timeline of branch {name}")).to_be_visible()
                wait_for(lambda: idle(page) and set(drawn_days(page)) == {22})
                timings[f"fork_{name}_s"] = time.perf_counter() - t
                time.sleep(0.5)
                timings[f"fork_{name}_page_renders"] = renders(page) - before
            timings["busy_shown_checkpoint_fork"] = page.evaluate("window.__busySeen")
            expect(log.locator("table")).to_contain_text(
                "forked from A@22; carries pending inject(s) funding_cut (day 26)")
            page.get_by_role("button", name="Undo funding_cut (day 26)").click()  # on C
            expect(page.get_by_text("Undone: funding_cut")).to_be_visible()
            choose(page, "Show branch", "B")
            choose(page, "Event", "emergency")
            page.get_by_label("need_multiplier (float)", exact=False).fill("2.5")
            page.get_by_role("button", name="Inject on branch B from the next day").click()
            expect(page.get_by_text("emergency scheduled on branch B for the start of day 23")
                   ).to_be_visible()
            page.get_by_label("Note on branch B").fill("Early surge and a grants cut: who "
                                                       "picks up the groups' clients?")
            page.get_by_role("button", name="Add note").click()
            expect(log.locator("table")).to_contain_text("who picks up the groups' clients")

            # a long action shows the busy indicator while it runs (three branches, 25 days)
            page.evaluate("window.__busySeen = []")
            run_to.fill("45")
            page.get_by_role("button", name="Run", exact=True).click()
            wait_for(lambda: day_shown(page) == 45 and set(drawn_days(page)) == {45})
            assert "Working: Running to day 45..." in page.evaluate("window.__busySeen")
            expect(outcomes).to_contain_text("B - A")
            expect(outcomes).to_contain_text("C - A")
            play_for(page, 6.0, timings, "play_three_branches")
            wait_for(lambda: idle(page) and len(set(drawn_days(page))) == 1)
            events = {"kinds": ("emergency", "nhs_volunteers_stand_down", "funding_cut"),
                      "days": (23, 26, 30, 31),
                      "together": (30, ("emergency", "nhs_volunteers_stand_down"))}
            check_event_labels(page, **events)
            shot("three_branches")
            # legible at scale, with three branches: the page's panels, buttons and event
            # labels neither overlap nor are covered, and nothing scrolls sideways, at 1280x720
            # and 1920x1080, in presentation mode too (tests/dashboard_layout.js; it does not
            # look inside the tiles or the timeline)
            t = time.perf_counter()
            check_layout(page, events=events)
            present = page.get_by_label("Presentation mode")
            present.check(force=True)
            expect(page.locator(".sim-big").first).to_have_css("font-size", "60px")
            check_layout(page, events=events)
            present.uncheck(force=True)
            expect(page.locator(".sim-big").first).to_have_css("font-size", "34px")
            page.set_viewport_size({"width": 1600, "height": 1800})
            wait_for(lambda: len(set(drawn_days(page))) == 1)
            timings["layout_checks_s"] = time.perf_counter() - t

            # the projector view in a second tab follows the control page
            room = browser.new_page(viewport={"width": 1920, "height": 1080})
            room.goto(server + "projector")
            day = day_shown(page)
            wait_for(lambda: room.locator("[data-testid=day-shown]").count() and
                     day_shown(room) == day and set(drawn_days(room)) == {day})
            assert room.get_by_role("button", name="Step", exact=True).count() == 0
            page.get_by_role("button", name="Step", exact=True).click()
            day += 1
            wait_for(lambda: day_shown(room) == day and set(drawn_days(room)) == {day})
            room.screenshot(path=str(tmp_path / "county_projector.png"), full_page=True)
            room.close()
            wait_for(lambda: day_shown(page) == day and set(drawn_days(page)) == {day})
            on_screen = page_table(page, "Key outcomes")
            kinds = ("emergency", "nhs_volunteers_stand_down", "funding_cut")
            choose(page, "Show branch", "A")  # as a new page shows (A's events on the charts)
            wait_for(lambda: 23 not in chart_data(page, kinds)[0]["series"][0]["lines"])
            drawn = chart_data(page, kinds)  # updated with each day's points since the fork
            cards = patched_cards(page)  # the tables, tiles and monitors: patched day by day
            assert len(cards) >= 8 and any("sim-tile" in c for c in cards)

            # a reload mid-exercise shows the same exercise (the charts and cards sent whole:
            # the same)
            page.reload()
            wait_for(lambda: page.locator("[data-testid=day-shown]").count() and
                     day_shown(page) == day and set(drawn_days(page)) == {day})
            assert page_table(page, "Key outcomes") == on_screen
            assert chart_data(page, kinds) == drawn
            assert patched_cards(page) == cards
            expect(page.locator("[data-testid=branch-C]")).to_have_text(
                f"C: day {day}, forked from A@22")
            expect(log.locator("table")).to_contain_text("who picks up the groups' clients")

        # a restarted server rebuilds every branch by replay: the same numbers
        with dashboard_server(state_dir=state, timeout=180) as port:
            t = time.perf_counter()
            page.goto(f"http://127.0.0.1:{port}/")
            expect(page.get_by_text(re.compile("Restored the exercise saved at"))
                   ).to_be_visible()
            wait_for(lambda: day_shown(page) == day and set(drawn_days(page)) == {day})
            timings["restart_restore_s"] = time.perf_counter() - t
            assert page_table(page, "Key outcomes") == on_screen
            assert on_screen[0] == ["outcome", "unit", "A", "B", "C", "B - A", "C - A"]
            shot("restored")

            with page.expect_download() as info:
                page.get_by_role("button", name="After-action report").click()
            report = Path(info.value.path()).read_text()
            assert "who picks up the groups' clients" in report and "<svg" in report
            side_by_side = report[report.index("<h2>Branches side by side</h2>"):]
            assert html_table(side_by_side) == on_screen  # every number on the screen
            files = {}
            for name in ("A", "B", "C"):
                with page.expect_download() as info:
                    page.get_by_role("button", name=f"Replay file ({name})").click()
                files[name] = tmp_path / f"exercise_{name.lower()}.yaml"
                shutil.copy(info.value.path(), files[name])
        browser.close()

    t = time.perf_counter()
    replayed = replay_from_command_line(files, tmp_path / "replays")
    timings["command_line_replays_s"] = time.perf_counter() - t
    assert {len(ts) for ts in replayed.values()} == {day}
    again = summary_table(replayed).to_html(index=False, border=0, na_rep="")
    assert html_table(again) == on_screen  # each branch replayed to the same numbers
    # ... and the charts drew each branch's whole table, point by point
    panels = echarts_panels(replayed, [], [], day)
    assert [[(s["name"], s["data"]) for s in c["series"]] for c in drawn[:6]] == [
        [(s["name"], s["data"]) for s in option["series"]] for _, option in panels]
    b_minus_a = {row[0]: row[5] for row in on_screen[1:]}
    assert b_minus_a["residents in unmet need"] not in ("0", "0.0")  # the branches differ

    timings.update(step_s_median=statistics.median(timings["step_s"]),
                   fork_s=max(timings["fork_B_s"], timings["fork_C_s"]),
                   test_wall_s=time.perf_counter() - wall,
                   load_average_after=list(os.getloadavg()))
    (tmp_path / "dashboard_latency_county.json").write_text(json.dumps(timings, indent=1))
    if os.environ.get("SIM_SCREENSHOT_DIR"):
        for path in tmp_path.glob("county_*.png"):
            shutil.copy(path, os.environ["SIM_SCREENSHOT_DIR"])
        shutil.copy(tmp_path / "dashboard_latency_county.json", os.environ["SIM_SCREENSHOT_DIR"])
    assert outside == [], f"requests left localhost: {outside}"
    assert failed == [], f"failed requests: {failed}"
