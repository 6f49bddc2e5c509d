"""Small browser widgets of the dashboard (Vue templates served by the local server)."""

from __future__ import annotations

import difflib
import json
import re
import threading
from collections import OrderedDict
from collections.abc import Callable

import ipyvuetify
import traitlets

MAX_PICK_ID = 64  # characters of a pick's id (the page makes ~20)
MAX_DAY_REPORTED = 1_000_000  # a day a page may report showing (exercises run a few hundred)
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
    max_bytes = traitlets.Int(1_000_000).tag(sync=True)  # for the page's own size check
    limit = traitlets.Int(1_000_000)  # the server's: not synced, so the page cannot raise it
    accept = traitlets.Unicode(".json,application/json").tag(sync=True)
    testid = traitlets.Unicode("open-file").tag(sync=True)
    received = traitlets.Unicode("").tag(sync=True)  # the id of the last pick handled
    on_open = traitlets.Callable(None, allow_none=True)

    def __init__(self, **kwargs):
        kwargs.setdefault("limit", kwargs.get("max_bytes", 1_000_000))
        super().__init__(**kwargs)

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
        try:
            too_big = len(text) > self.limit or len(text.encode("utf-8")) > self.limit
        except UnicodeEncodeError:  # a lone surrogate: no file's text, only a crafted message
            size, too_big = 0, True
        if too_big:
            size, text = max(size, len(text)), ""  # larger than the page claimed
        self.on_open({"name": name, "size": size, "text": text})


def FileOpen(label: str, max_bytes: int, on_open: Callable[[dict], None],
             accept: str = ".json,application/json", testid: str = "open-file"):
    """The widget as an element with a key of its own: a redraw of its card that adds or
    removes something before it keeps the same widget (a positional key would make a new
    one, and the browser would lose a file picked meanwhile but for the resend above)."""
    return FileOpenWidget.element(label=label, max_bytes=max_bytes, on_open=on_open,
                                  accept=accept, testid=testid).key(f"file-open-{testid}")


# ---------------------------------------------------------------------------- patched HTML
TOKEN = re.compile(r"\d[\d.,]*|<[^<\d]*|[^<\d]+")
"""HTML split into runs of figures (``1,234.5``, ``255,200,180``) and the text between them,
cut again where a tag starts: from one day to the next mostly the figures change, the rest
(tags, styles, words) stays; a token that starts with ``<`` starts a piece (a tag and what
follows it up to the next)."""


MAX_PIECE_PAIRS = 40_000
"""Above this many (old, new) pairs of differing pieces, the differing middle is sent whole
rather than compared piece by piece (:func:`html_patch`)."""


def tokens(html: str) -> list[str]:
    return TOKEN.findall(html)


def _runs(old: list[str], new: list[str], offset: int = 0) -> list[list]:
    """The runs of tokens that differ between two lists of the same length."""
    ops, k = [], 0
    while k < len(new):
        if old[k] == new[k]:
            k += 1
            continue
        start = k
        while k < len(new) and old[k] != new[k]:
            k += 1
        ops.append([offset + start, k - start, new[start:k]])
    return ops


def _pieces(toks: list[str]) -> list[tuple[str, ...]]:
    """The tokens in pieces, each from a token that starts a tag to the next."""
    out, piece = [], []
    for t in toks:
        if t.startswith("<") and piece:
            out.append(tuple(piece))
            piece = []
        piece.append(t)
    if piece:
        out.append(tuple(piece))
    return out


def html_patch(old: list[str], new: list[str]) -> list[list]:
    """What turns the tokens ``old`` into ``new``: ``[start, count, tokens]`` operations (the
    ``count`` old tokens from ``start`` replaced by ``tokens``; starts in ``old``, increasing,
    not overlapping). The usual day (only figures changed, as many tokens): the runs that
    differ. Otherwise piece by piece (a tag and what follows it): with as many pieces, each
    changed piece's runs, or the piece whole where its tokens changed in number (a colour
    written another way); pieces added or removed (a new row): :class:`difflib.SequenceMatcher`
    over the pieces. Linear but for that last case."""
    if len(old) == len(new):
        return _runs(old, new)
    a, b = _pieces(old), _pieces(new)
    starts = [0]
    for piece in a:
        starts.append(starts[-1] + len(piece))
    if len(a) == len(b):
        ops = []
        for k, (p, q) in enumerate(zip(a, b, strict=True)):
            if p == q:
                continue
            if len(p) == len(q):
                ops += _runs(list(p), list(q), starts[k])
            else:
                ops.append([starts[k], len(p), list(q)])
        return ops
    # the pieces both keep at the start and at the end are left out of the comparison, so a
    # row added to or removed from a long table costs time in proportion to the table
    lo = 0
    while lo < min(len(a), len(b)) and a[lo] == b[lo]:
        lo += 1
    hi = 0
    while hi < min(len(a), len(b)) - lo and a[len(a) - 1 - hi] == b[len(b) - 1 - hi]:
        hi += 1
    mid_a, mid_b = a[lo:len(a) - hi], b[lo:len(b) - hi]
    if len(mid_a) * len(mid_b) > MAX_PIECE_PAIRS:  # SequenceMatcher's time grows as this
        return [[starts[lo], starts[len(a) - hi] - starts[lo],
                 [t for piece in mid_b for t in piece]]]
    matcher = difflib.SequenceMatcher(None, mid_a, mid_b, autojunk=False)
    return [[starts[lo + i1], starts[lo + i2] - starts[lo + i1],
             [t for piece in mid_b[j1:j2] for t in piece]]
            for tag, i1, i2, j1, j2 in matcher.get_opcodes() if tag != "equal"]


def apply_patch(old: list[str], ops: list[list]) -> list[str]:
    """``old`` with ``ops`` (:func:`html_patch`) applied, as :file:`patched_html.vue` applies
    them (from the last to the first)."""
    out = list(old)
    for start, count, new in reversed(ops):
        out[start:start + count] = new
    return out


def _json(value) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


class PatchedHtmlWidget(ipyvuetify.VuetifyTemplate):
    """Static HTML (as ``solara.HTML``'s div) that goes to the browser whole once and then,
    when it changes, as a patch (:func:`html_patch`): a card whose figures change every day
    sends the figures, not the whole table again. Numbered (``seq``): the page applies the
    patches in order and asks for the whole text again (``resync``) if it missed one.

    With ``on_day_shown``, the page reports the ``data-day`` of what it has just put in its
    document (the first element that has one), each time the text changes: the day on the
    screen, as the browser has it, not as the server last rendered it (play paces on it:
    :meth:`sim.dashboard.store.Live.day_shown`)."""

    template_file = (__file__, "patched_html.vue")
    html = traitlets.Unicode("")  # what the page shows; not sent as such
    whole = traitlets.Unicode("").tag(sync=True)  # {seq, tokens}
    patch = traitlets.Unicode("").tag(sync=True)  # {seq, ops}
    report_day = traitlets.Bool(False).tag(sync=True)  # the page reports data-day (shown)
    on_day_shown = traitlets.Callable(None, allow_none=True)

    def __init__(self, **kwargs):
        self._tokens: list[str] = []
        self._seq = 0
        self._lock = threading.RLock()  # a render and a resync (the page's message) in turn
        super().__init__(**kwargs)
        with self._lock:
            self._send_html(self.html)

    @traitlets.observe("html")
    def _html_changed(self, change):
        with self._lock:
            self._send_html(change["new"])

    def _send_html(self, html: str) -> None:
        new = tokens(html)
        if new == self._tokens and self.whole:
            return
        self._seq += 1
        ops = html_patch(self._tokens, new) if self.whole else None
        if ops is not None and len(_json(ops)) < len(html):
            self.patch = _json({"seq": self._seq, "ops": ops})
        else:
            self.whole = _json({"seq": self._seq, "tokens": new})
        self._tokens = new

    def vue_shown(self, day):
        """The page's message (from the browser: checked): it now shows ``day``."""
        if (self.on_day_shown is not None and isinstance(day, int)
                and not isinstance(day, bool) and 0 <= day <= MAX_DAY_REPORTED):
            self.on_day_shown(day)

    def vue_resync(self, _data=None):
        with self._lock:
            self.whole = _json({"seq": self._seq, "tokens": self._tokens})
            self.send_state("whole")  # even if it is the text sent last


def PatchedHtml(html: str, on_day_shown: Callable[[int], None] | None = None):
    """:class:`PatchedHtmlWidget` as an element (in place of ``solara.HTML``)."""
    if on_day_shown is None:
        return PatchedHtmlWidget.element(html=html)
    return PatchedHtmlWidget.element(html=html, report_day=True, on_day_shown=on_day_shown)
