"""The dashboard answers only to its own address: Host and WebSocket Origin are checked (DNS
rebinding, cross-site WebSocket hijacking); a busy port is one clear line and exit status 2."""

from __future__ import annotations

import asyncio
import http.client
import socket
import subprocess
import sys

import pytest
from support import dashboard_server

from sim.dashboard.guard import HostGuard, allowed_names, hostname

UPGRADE = {"Connection": "Upgrade", "Upgrade": "websocket", "Sec-WebSocket-Version": "13",
           "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ=="}


def call(guard: HostGuard, kind: str, headers: dict[str, str]) -> list[dict]:
    sent: list[dict] = []
    reached: list[bool] = []

    async def app(scope, receive, send):
        reached.append(True)

    async def send(message):
        sent.append(message)

    async def receive():
        return {}

    scope = {"type": kind, "headers": [(k.lower().encode(), v.encode())
                                       for k, v in headers.items()]}
    asyncio.run(HostGuard(app, guard.allowed)(scope, receive, send))
    return sent if not reached else [{"reached": True}]


@pytest.mark.parametrize("headers,ok", [
    ({"Host": "127.0.0.1:8765"}, True),
    ({"Host": "localhost:8765"}, True),
    ({"Host": "[::1]:8765"}, True),
    ({"Host": "LOCALHOST"}, True),
    ({"Host": "evil.example"}, False),
    ({"Host": "evil.example:8765"}, False),
    ({"Host": "127.0.0.1.evil.example"}, False),
    ({}, False),
    ({"Host": "127.0.0.1:8765", "Origin": "http://127.0.0.1:8765"}, True),
    ({"Host": "127.0.0.1:8765", "Origin": "http://evil.example"}, False),
    ({"Host": "127.0.0.1:8765", "Origin": "null"}, False),
    ({"Host": "lab.example:8765"}, True),  # added with --allow-host
])
def test_guard_allows_only_local_names_and_added_hosts(headers, ok):
    guard = HostGuard(None, allowed_names("127.0.0.1", ["lab.example"]))
    http_reply = call(guard, "http", headers)
    ws_reply = call(guard, "websocket", headers)
    if ok:
        assert http_reply == ws_reply == [{"reached": True}]
    else:
        assert http_reply[0]["status"] == 403
        assert ws_reply == [{"type": "websocket.close", "code": 1008}]


def test_bound_address_is_allowed_but_a_wildcard_is_not_a_name():
    assert "192.168.1.5" in allowed_names("192.168.1.5")
    assert allowed_names("0.0.0.0") == allowed_names("127.0.0.1")
    assert hostname("[::1]:80") == "::1" and hostname("Example.org:1") == "example.org"


@pytest.fixture(scope="module")
def server():
    with dashboard_server() as port:
        yield port


def request(port: int, path: str, headers: dict, host: str | None = None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        if host is not None:
            conn.putrequest("GET", path, skip_host=True)
            conn.putheader("Host", host)
            for k, v in headers.items():
                conn.putheader(k, v)
            conn.endheaders()
        else:
            conn.request("GET", path, headers=headers)
        response = conn.getresponse()
        response.read() if response.status != 101 else None
        return response
    finally:
        conn.close()


@pytest.mark.slow
def test_real_server_refuses_forged_host_and_cross_origin_websocket(server):
    port = server
    assert request(port, "/", {}).status == 200
    assert request(port, "/", {}, host=f"localhost:{port}").status == 200
    assert request(port, "/", {}, host="evil.example").status == 403
    assert request(port, "/", {}, host=f"evil.example:{port}").status == 403
    ws = "/jupyter/api/kernels/test/channels?session_id=test"
    assert request(port, ws, {**UPGRADE, "Origin": "http://evil.example"}).status == 403
    assert request(port, ws, {**UPGRADE, "Origin": f"http://evil.example:{port}"}).status == 403
    assert request(port, ws, {**UPGRADE, "Origin": f"http://127.0.0.1:{port}"}).status == 101


def test_busy_port_is_one_clear_line_and_exit_2():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        proc = subprocess.run([sys.executable, "-m", "sim.dashboard", "--port", str(port)],
                              capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert proc.stderr.strip().splitlines() == [
        f"error: cannot listen on 127.0.0.1:{port} (Address already in use); choose another "
        "port with --port N"]
