"""Host and Origin checks for the dashboard server (DNS-rebinding and cross-site WebSocket
protection): a pure ASGI middleware for both HTTP and WebSocket connections."""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urlsplit

LOCAL_NAMES = ("localhost", "127.0.0.1", "::1")
ANY_ADDRESS = ("0.0.0.0", "::", "")


def hostname(value: str) -> str:
    """``Host``-header or URL authority -> lower-case host name without port or brackets."""
    try:
        name = urlsplit(f"//{value.strip()}").hostname
    except ValueError:
        return ""
    return (name or "").lower()


def allowed_names(bound_host: str, extra: Iterable[str] = ()) -> frozenset[str]:
    """The localhost names, the bound address (unless it is a wildcard) and ``extra``."""
    names = {*LOCAL_NAMES, *(hostname(h) or h.lower() for h in extra)}
    if bound_host not in ANY_ADDRESS:
        names.add(hostname(bound_host) or bound_host.lower())
    return frozenset(names)


class HostGuard:
    """Refuse requests whose ``Host`` (or, when sent, ``Origin``) names another host: HTTP gets
    403, a WebSocket upgrade is closed before it is accepted (403 too)."""

    def __init__(self, app, allowed: Iterable[str]):
        self.app = app
        self.allowed = frozenset(allowed)

    def permits(self, headers: dict[bytes, bytes]) -> bool:
        host = headers.get(b"host", b"").decode("latin-1")
        if hostname(host) not in self.allowed:
            return False
        origin = headers.get(b"origin")
        if origin is None:  # not a browser's cross-site request (same-origin GETs send none)
            return True
        parts = urlsplit(origin.decode("latin-1").strip())
        return parts.scheme in ("http", "https") and (parts.hostname or "") in self.allowed

    async def __call__(self, scope, receive, send):
        if scope["type"] not in ("http", "websocket") or self.permits(dict(scope["headers"])):
            await self.app(scope, receive, send)
            return
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008})
            return
        body = (b"Forbidden: this dashboard answers only to localhost, its --host address and "
                b"names given with --allow-host\n")
        await send({"type": "http.response.start", "status": 403,
                    "headers": [(b"content-type", b"text/plain; charset=utf-8"),
                                (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})
