"""Small browser widgets of the dashboard (Vue templates served by the local server)."""

from __future__ import annotations

from collections.abc import Callable

import ipyvuetify
import traitlets


class FileOpenWidget(ipyvuetify.VuetifyTemplate):
    """A button that opens a file chooser; ``on_open({name, size, text})`` gets the file's
    text (empty when it is larger than ``max_bytes``: the size is reported instead)."""

    template_file = (__file__, "file_open.vue")
    label = traitlets.Unicode("Open").tag(sync=True)
    max_bytes = traitlets.Int(1_000_000).tag(sync=True)
    accept = traitlets.Unicode(".json,application/json").tag(sync=True)
    testid = traitlets.Unicode("open-file").tag(sync=True)
    on_open = traitlets.Callable(None, allow_none=True)

    def vue_opened(self, data):
        if self.on_open is not None:
            self.on_open(data)


def FileOpen(label: str, max_bytes: int, on_open: Callable[[dict], None],
             accept: str = ".json,application/json", testid: str = "open-file"):
    return FileOpenWidget.element(label=label, max_bytes=max_bytes, on_open=on_open,
                                  accept=accept, testid=testid)
