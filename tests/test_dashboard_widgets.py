"""The dashboard's own widgets, without a browser: the file picker's once-only delivery (the
browser side is checked in tests/test_dashboard_browser.py)."""

from __future__ import annotations

from sim.dashboard.widgets import FileOpenWidget


def test_a_picked_file_is_handled_once_however_often_the_page_sends_it():
    """The page sends a pick until the server acknowledges its id (``received``); a widget
    made anew by a redraw may send it again: the server hands it on once. What the page
    sends is checked: no id, a bad id or a text larger than allowed is not passed on as is."""
    got = []
    old = FileOpenWidget(max_bytes=100, on_open=got.append, testid="t-once")
    pick = {"pick": "k1-abc", "name": "plan.csv", "size": 5, "text": "hello"}
    old.vue_opened(pick)
    assert got == [{"name": "plan.csv", "size": 5, "text": "hello"}]
    assert old.received == "k1-abc"
    again = FileOpenWidget(max_bytes=100, on_open=got.append, testid="t-once")
    again.vue_opened(dict(pick))  # the redrawn widget's resend
    assert len(got) == 1 and again.received == "k1-abc"  # acknowledged, not handled twice
    for bad in ("text", None, {"name": "x"}, {"pick": "", "text": "a"}, {"pick": "x" * 65}):
        again.vue_opened(bad)
    assert len(got) == 1
    again.vue_opened({"pick": "k2", "name": 5, "size": True, "text": "x" * 101})
    assert got[-1] == {"name": "the file", "size": 101, "text": ""}  # too large: size only
