"""Small browser widgets of the dashboard (Vue templates served by the local server)."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable

import ipyvuetify
import traitlets

MAX_PICK_ID = 64  # characters of a pick's id (the page makes ~20)
PICKS_REMEMBERED = 1000  # pick ids handled, kept so that a pick sent again is not handled twice
_HANDLED: OrderedDict[str, None] = OrderedDict()
_HANDLED_LOCK = threading.Lock()


def first_time(pick: str) -> bool:
    """True the first time ``pick`` (a pick's id) is seen by this server."""
    with _HANDLED_LOCK:
        if pick in _HANDLED:
            return False
        _HANDLED[pick] = None
        while len(_HANDLED) > PICKS_REMEMBERED:
            _HANDLED.popitem(last=False)
        return True


class FileOpenWidget(ipyvuetify.VuetifyTemplate):
    """A button that opens a file chooser; ``on_open({name, size, text})`` gets the file's
    text (empty when it is larger than ``max_bytes``: the size is reported instead).

    A pick is never lost: the page keeps the file until this side acknowledges its id
    (``received``), and sends it again from the widget that replaced this one if the card was
    redrawn while the file was read (see :file:`file_open.vue`); each id is handled once."""

    template_file = (__file__, "file_open.vue")
    label = traitlets.Unicode("Open").tag(sync=True)
    max_bytes = traitlets.Int(1_000_000).tag(sync=True)
    accept = traitlets.Unicode(".json,application/json").tag(sync=True)
    testid = traitlets.Unicode("open-file").tag(sync=True)
    received = traitlets.Unicode("").tag(sync=True)  # the id of the last pick handled
    on_open = traitlets.Callable(None, allow_none=True)

    def vue_opened(self, data):
        """The page's message (data from the browser: every field checked)."""
        if not isinstance(data, dict):
            return
        pick = data.get("pick")
        if not isinstance(pick, str) or not 0 < len(pick) <= MAX_PICK_ID:
            return
        new = first_time(pick)
        self.received = pick  # the page forgets the file
        if not new or self.on_open is None:
            return
        name = data.get("name")
        name = name[:200] if isinstance(name, str) else "the file"
        size = data.get("size")
        size = size if isinstance(size, int) and not isinstance(size, bool) and size >= 0 else 0
        text = data.get("text")
        text = text if isinstance(text, str) else ""
        if len(text) > self.max_bytes or len(text.encode("utf-8")) > self.max_bytes:
            size, text = max(size, len(text)), ""  # larger than the page claimed
        self.on_open({"name": name, "size": size, "text": text})


def FileOpen(label: str, max_bytes: int, on_open: Callable[[dict], None],
             accept: str = ".json,application/json", testid: str = "open-file"):
    """The widget as an element with a key of its own: a redraw of its card that adds or
    removes something before it keeps the same widget (a positional key would make a new
    one, and the browser would lose a file picked meanwhile but for the resend above)."""
    return FileOpenWidget.element(label=label, max_bytes=max_bytes, on_open=on_open,
                                  accept=accept, testid=testid).key(f"file-open-{testid}")
