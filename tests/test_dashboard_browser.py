"""The dashboard in a real browser: Debian's chromium driven by Playwright (no browser download).

Starts ``python -m sim.dashboard`` on a free port, picks a topology and scenario, steps, applies
an inject (first a bad one), checks that the charts and the exercise log change, forks a branch,
downloads the replay scenario and saves a screenshot. Every request must stay on localhost and
succeed: the page works offline.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest
import yaml
from support import dashboard_server

from sim.dashboard.exercise import scenario_names

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run"]

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not Path(CHROMIUM).exists() and not os.environ.get("CI"),
                       reason="needs Debian chromium (apt-get install chromium; .ci/run does)"),
]


@pytest.fixture
def server():
    with dashboard_server() as port:
        yield f"http://127.0.0.1:{port}/"


def choose(page, label: str, option: str) -> None:
    """Pick ``option`` in the (Vuetify) select labelled ``label``."""
    exact = re.compile(f"^{re.escape(label)}$")
    page.locator(".v-select", has=page.locator("label", has_text=exact)).first.click()
    page.locator(".menuable__content__active .v-list-item", has_text=option).first.click()


def chart_source(page) -> str:
    return page.locator(".v-card", has_text="Key outcomes").locator("img").first.get_attribute(
        "src")


def test_dashboard_plays_an_exercise_in_a_browser(server, tmp_path):
    from playwright.sync_api import expect, sync_playwright

    scenario = scenario_names()[-1]
    outside, failed = [], []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1600, "height": 1800}, accept_downloads=True)
        page.on("request", lambda r: outside.append(r.url) if not r.url.startswith(
            (server, server.replace("http", "ws"), "blob:", "data:")) else None)
        page.on("requestfailed", lambda r: failed.append(r.url))
        page.on("response", lambda r: failed.append(f"{r.status} {r.url}")
                if r.status >= 400 else None)
        page.set_default_timeout(60_000)
        expect.set_options(timeout=60_000)
        page.goto(server)
        expect(page.get_by_text("Step or play to see the outcome charts.")).to_be_visible()

        # a new exercise: rural village, the chosen scenario, seed 7
        choose(page, "Topology", "rural")
        choose(page, "Scenario", scenario)
        seed = page.get_by_label("Seed")
        seed.fill("7")
        seed.press("Enter")
        page.get_by_role("button", name="Reset").click()
        expect(page.get_by_text("of 380 residents")).to_be_visible()

        for _ in range(3):
            page.get_by_role("button", name="Step", exact=True).click()
        expect(page.get_by_text("Day 3 completed.")).to_be_visible()
        charts_before = chart_source(page)
        assert charts_before and charts_before.startswith(("blob:", "data:image/png"))
        outcomes = page.locator(".v-card", has_text="Key outcomes").locator("table")
        table_before = outcomes.inner_text()
        assert "residents in unmet need now" in table_before

        # an inject with a bad parameter is reported, not applied
        choose(page, "Event", "surge_campaign")
        multiplier = page.get_by_label("multiplier (float)")
        multiplier.fill("-5")
        page.get_by_role("button", name="Inject at start of day 4").click()
        expect(page.get_by_text("must be >= 0.0 (got -5.0)")).to_be_visible()
        expect(page.get_by_text("No injects or notes yet.")).to_be_visible()
        multiplier.fill("200")
        page.get_by_role("button", name="Inject at start of day 4").click()
        expect(page.get_by_text("surge_campaign scheduled on branch A for the start of day 4")
               ).to_be_visible()
        log = page.locator(".v-card", has_text="Exercise log")
        expect(log.locator("table")).to_contain_text("surge_campaign")

        run_to = page.get_by_label("Run to day")
        run_to.fill("20")
        page.get_by_role("button", name="Run", exact=True).click()
        expect(page.get_by_text("Day 20 completed.")).to_be_visible()
        expect(page.locator(".v-card", has_text="Key outcomes").locator("img").first
               ).not_to_have_attribute("src", charts_before)
        expect(outcomes).not_to_have_text(table_before)
        assert outcomes.inner_text().split("\n")[1].split()[-1] == "20"  # the "day" row

        # a counterfactual branch from a checkpoint, side by side
        page.get_by_role("button", name="Checkpoint A (day 20)").click()
        page.get_by_role("button", name="Fork B from checkpoint").click()
        expect(page.get_by_text("Branch B, day 20.")).to_be_hidden()
        expect(page.get_by_text("B (day 20, from A@20)")).to_be_visible()
        choose(page, "Event", "funding_cut")
        page.get_by_label("share (float)").fill("0.9")
        choose(page, "Branch", "B")
        page.get_by_role("button", name="Inject at start of day 21").click()
        expect(page.get_by_text("funding_cut scheduled on branch B")).to_be_visible()
        choose(page, "Show branch", "B")
        expect(page.get_by_text("Branch B, day 20.")).to_be_visible()
        run_to.fill("40")
        page.get_by_role("button", name="Run", exact=True).click()
        expect(page.get_by_text("Day 40 completed.")).to_be_visible()
        expect(outcomes).to_contain_text("B - A")

        note = page.get_by_label("Facilitator note")
        note.fill("Groups lose core funding: who picks up their clients?")
        page.get_by_role("button", name="Add note").click()
        expect(log.locator("table")).to_contain_text("who picks up their clients")
        expect(log.locator("table")).to_contain_text("funding_cut")

        with page.expect_download() as info:
            page.get_by_role("button", name="Replay scenario YAML (B)").click()
        replay = yaml.safe_load(Path(info.value.path()).read_text())
        assert [e["kind"] for e in replay["events"].values()][-2:] == ["surge_campaign",
                                                                       "funding_cut"]
        assert replay["overrides"]["run.days"] == 40 and "hydra" not in replay

        with page.expect_download() as info:
            page.get_by_role("button", name="Log as CSV").click()
        assert "surge_campaign" in Path(info.value.path()).read_text()

        page.evaluate("document.querySelectorAll('*').forEach(e => { e.scrollTop = 0; })")
        page.screenshot(path=str(tmp_path / "dashboard.png"), full_page=True)
        browser.close()
    if os.environ.get("SIM_SCREENSHOT_DIR"):  # keep a copy to look at
        shutil.copy(tmp_path / "dashboard.png", os.environ["SIM_SCREENSHOT_DIR"])
    assert outside == [], f"requests left localhost: {outside}"
    assert failed == [], f"failed requests: {failed}"
