"""The dashboard's own widgets, without a browser: the file picker's once-only delivery and the
HTML that is sent whole once and then as patches (the browser side is checked in
tests/test_dashboard_browser.py)."""

from __future__ import annotations

import json
import random
import uuid

from sim import areas
from sim.dashboard import widgets
from sim.dashboard.charts import summary_table
from sim.dashboard.exercise import Exercise
from sim.dashboard.network_view import LOCALITY_MEASURES, locality_frame, tiles_html
from sim.dashboard.widgets import (
    FileOpenWidget,
    PatchedHtmlWidget,
    apply_patch,
    html_patch,
    tokens,
)


def test_a_picked_file_is_handled_once_however_often_the_page_sends_it():
    """The page sends a pick until the server acknowledges its id (``received``); a widget
    made anew by a redraw may send it again: the server hands it on once. What the page
    sends is checked: no id, a bad id or a text larger than allowed is not passed on as is."""
    got = []
    run = uuid.uuid4().hex[:8]  # ids of this run: the server remembers ids for its lifetime
    old = FileOpenWidget(max_bytes=100, on_open=got.append, testid="t-once")
    pick = {"pick": f"k1-{run}", "name": "plan.csv", "size": 5, "text": "hello"}
    old.vue_opened(pick)
    assert got == [{"name": "plan.csv", "size": 5, "text": "hello"}]
    assert old.received == f"k1-{run}"
    again = FileOpenWidget(max_bytes=100, on_open=got.append, testid="t-once")
    again.vue_opened(dict(pick))  # the redrawn widget's resend
    assert len(got) == 1 and again.received == f"k1-{run}"  # acknowledged, not handled twice
    for bad in ("text", None, {"name": "x"}, {"pick": "", "text": "a"}, {"pick": "x" * 65}):
        again.vue_opened(bad)
    assert len(got) == 1
    again.vue_opened({"pick": f"k2-{run}", "name": 5, "size": True, "text": "x" * 101})
    assert got[-1] == {"name": "the file", "size": 101, "text": ""}  # too large: size only
    # the page's copy of the limit is the page's: raising it does not raise the server's
    again.set_state({"max_bytes": 10**9})
    again.vue_opened({"pick": f"k3-{run}", "name": "a", "size": 101, "text": "y" * 101})
    assert got[-1]["text"] == ""
    # a lone surrogate (no file's text; only a crafted message) is refused, not a crash
    again.vue_opened({"pick": f"k4-{run}", "name": "a", "size": 1, "text": "\ud800"})
    assert got[-1] == {"name": "a", "size": 1, "text": ""}


def test_html_patches_rebuild_any_change_exactly():
    """Whatever changed (figures only, rows added or removed, text rewritten), the patch
    applied to the old tokens gives the new ones."""
    rng = random.Random(5)
    words = ["<td>", "</td>", "<tr>", "12", "3.5", "1,234", " day ", "A", "255,200,180", "x"]
    for _ in range(400):
        old = [rng.choice(words) for _ in range(rng.randint(0, 30))]
        new = list(old)
        for _ in range(rng.randint(0, 6)):
            k = rng.randint(0, len(new))
            action = rng.choice(("set", "insert", "delete"))
            if action == "insert" or not new:
                new.insert(k, rng.choice(words))
            elif action == "delete":
                del new[min(k, len(new) - 1)]
            else:
                new[min(k, len(new) - 1)] = rng.choice(words)
        assert apply_patch(old, html_patch(old, new)) == new
    assert "".join(tokens('<td class="a">1,234.5</td> day 7')) == '<td class="a">1,234.5</td> day 7'
    # a tile's ink written with figures one day and letters the next: that piece only
    tile = '<div class="sim-tile" style="color:{}">{}</div>'
    old = tokens("".join(tile.format("#222", v) for v in range(40)))
    new = tokens("".join(tile.format("#fff" if v == 7 else "#222", v + 1) for v in range(40)))
    ops = html_patch(old, new)
    assert apply_patch(old, ops) == new
    assert len(ops) == 40 and sum(len(t) for _, _, t in ops) == 41  # 39 figures, one piece


def test_a_row_added_to_or_removed_from_a_long_table_costs_time_in_proportion(monkeypatch):
    """A 1,000-row table (an MSEL's timeline) losing or gaining one row: the patch is that row,
    found without comparing every row with every other (SequenceMatcher over 1,000 pieces
    took about 2 s of server CPU): only the differing middle is compared."""
    compared = []
    matcher = widgets.difflib.SequenceMatcher

    def recording(junk, a, b, **kw):
        compared.append(len(a) * len(b))
        return matcher(junk, a, b, **kw)

    monkeypatch.setattr(widgets.difflib, "SequenceMatcher", recording)
    rows = [f"<tr><td>day {d}</td><td>inject {d}: a description of {d}</td></tr>"
            for d in range(1000)]
    old = tokens("<table>" + "".join(rows) + "</table>")
    for new_rows in (rows[:500] + rows[501:],
                     rows[:500] + ["<tr><td>day x</td><td>new</td></tr>"] + rows[500:]):
        new = tokens("<table>" + "".join(new_rows) + "</table>")
        ops = html_patch(old, new)
        assert apply_patch(old, ops) == new
        assert sum(len(t) for _, _, t in ops) <= 12, ops  # about one row's tokens
    assert compared and max(compared) <= 10, compared  # pieces compared: a row's, not 1,000^2
    # many rows changed at once: the differing middle goes whole, still exact
    new = tokens("<table>" + "".join(r.replace("day", "Day") for r in rows[::2]) + "</table>")
    assert apply_patch(old, html_patch(old, new)) == new
    assert max(compared) <= widgets.MAX_PIECE_PAIRS


def test_a_card_sends_its_html_whole_once_then_only_what_changed():
    """The page's patched HTML (widgets.PatchedHtmlWidget) on the cards that change every day
    (the side-by-side table, the locality tiles): each day a patch of the figures, a small
    part of the whole; applied in order they give the whole HTML. A fork (new columns) is a
    patch too; a page that missed one asks again and gets the whole text as it is now."""
    ex = Exercise("rural", "lockdown", 7)
    ex.run_to(20)

    def card() -> str:
        tables = {k: b.shown_table() for k, b in ex.branches.items()}
        frame = locality_frame(areas.snapshot(ex.branches["A"].model), "areas")
        return (summary_table(tables).to_html(index=False, border=0, na_rep="")
                + tiles_html(frame, next(iter(LOCALITY_MEASURES.values()))))

    widget = PatchedHtmlWidget(html=card())
    mirror = json.loads(widget.whole)
    assert "".join(mirror["tokens"]) == card()
    sizes = []
    for day in range(21, 31):
        if day == 25:
            ex.checkpoint("A")
            ex.fork("B")
        ex.step()
        whole, html = widget.whole, card()
        widget.html = html
        assert widget.whole == whole  # not sent again
        patch = json.loads(widget.patch)
        assert patch["seq"] == mirror["seq"] + 1
        mirror = {"seq": patch["seq"], "tokens": apply_patch(mirror["tokens"], patch["ops"])}
        assert "".join(mirror["tokens"]) == html, day
        sizes.append((day, len(widget.patch), len(html)))
    # a day's figures: a small part of the whole; the fork's new columns: less than the whole
    assert all(p < h / 3 for day, p, h in sizes if day != 25) and sizes[4][1] < sizes[4][2], sizes
    sent = (widget._seq, widget.whole, widget.patch)
    widget.html = card()  # unchanged: nothing sent
    assert (widget._seq, widget.whole, widget.patch) == sent
    widget.vue_resync()
    assert json.loads(widget.whole) == {"seq": widget._seq, "tokens": tokens(card())}


def test_the_monitors_show_the_branch_day_not_branch_a_day():
    """A branch forked from an older checkpoint is behind branch A: the monitors show its own
    day (with A's beside it), while ``data-day`` stays the exercise's day for pacing."""
    from sim.dashboard.app import day_cell

    behind = day_cell(36, 20)
    assert 'data-day="36"' in behind and 'data-branch-day="20"' in behind
    assert ">20 <" in behind and "(A: 36)" in behind
    level = day_cell(36, 36)
    assert ">36</span>" in level and "(A:" not in level


def test_a_new_exercise_puts_the_projector_back_on_branch_a(tmp_path):
    """The projector follows the branch a control page shows last; a new, opened or restored
    exercise starts again on branch A (its branches are new)."""
    from sim.dashboard import store

    live = store.Live(tmp_path)
    live.project("B")
    assert live.projected == "B"
    live._replace(Exercise("rural", "baseline", 7), save=False)
    assert live.projected == "A"


def test_number_cells_are_kept_on_one_line_and_text_cells_may_wrap():
    """A table's cells holding only a number (thousands separators, a sign, a currency or a
    percent) get ``sim-n`` (no wrapping: '3,326,992' is never split across lines in
    presentation mode); text cells do not."""
    import pandas as pd

    from sim.dashboard.app import NUMBER_CELL, TABLE_CSS

    html = pd.DataFrame({"branch": ["A"], "reserves": ["3,326,992"], "share": ["12.5%"],
                         "change": ["-1,204"], "event": ["funding_cut 30%"]}).to_html(
        index=False, border=0)
    marked = NUMBER_CELL.sub(r'<td class="sim-n">\1</td>', html)
    for number in ("3,326,992", "12.5%", "-1,204"):
        assert f'<td class="sim-n">{number}</td>' in marked
    assert "<td>A</td>" in marked and "<td>funding_cut 30%</td>" in marked
    assert ".sim-table td.sim-n {white-space: nowrap}" in TABLE_CSS


def test_the_monitors_report_the_day_their_page_shows_and_nothing_else():
    """A monitors widget made with ``on_day_shown`` asks its page to report the day it shows
    (``report_day``); what the page sends is checked: a whole day in range passes, anything
    else (a flag, text, a negative or absurd day, a float) is dropped. Without the callback,
    the page is not asked and a report goes nowhere."""
    reported = []
    widget = PatchedHtmlWidget(html="<span data-day='3'>3</span>", report_day=True,
                               on_day_shown=reported.append)
    for message in (3, True, "4", -1, 2.0, None, [5], widgets.MAX_DAY_REPORTED + 1, 0):
        widget.vue_shown(message)
    assert reported == [3, 0]
    plain = PatchedHtmlWidget(html="<span data-day='3'>3</span>")
    assert plain.report_day is False
    plain.vue_shown(3)  # no callback: nothing happens
