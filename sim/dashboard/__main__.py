"""``python -m sim.dashboard [--host 127.0.0.1] [--port 8765] [--allow-host NAME] [--open]``.

Runs ``solara run sim.dashboard.app`` in production mode (in this process), bound to localhost
unless told otherwise, with Solara's usage telemetry off (the dashboard works offline: every
asset is served by the local server). Requests whose ``Host`` or ``Origin`` names another host
are refused (:mod:`sim.dashboard.guard`); a busy port is reported in one line (exit status 2).
"""

from __future__ import annotations

import argparse
import os
import socket
import sys

APP = "sim.dashboard.app"


def build_command(args: argparse.Namespace) -> list[str]:
    cmd = [sys.executable, "-m", "solara", "run", APP, "--host", args.host,
           "--port", str(args.port), "--production", "--log-level", args.log_level,
           "--no-check-version"]
    cmd.append("--open" if args.open else "--no-open")
    return cmd


def parse_args(argv: list[str] | None = None,
               prog: str = "python -m sim.dashboard") -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog=prog,
        description="War-gaming dashboard: play a scenario day by day, inject events, fork "
                    "counterfactual branches and export the exercise.")
    parser.add_argument("--host", default="127.0.0.1",
                        help="address to bind (default 127.0.0.1: this machine only)")
    parser.add_argument("--port", type=int, default=8765, help="port (default 8765)")
    parser.add_argument("--allow-host", action="append", default=[], metavar="NAME",
                        help="another host name the browser may use to reach the dashboard "
                             "(repeatable; localhost names and --host are always allowed)")
    parser.add_argument("--open", action="store_true", help="open a browser tab")
    parser.add_argument("--log-level", default="warning",
                        choices=("critical", "error", "warning", "info", "debug"))
    args = parser.parse_args(argv)
    if not 0 <= args.port <= 65535:
        parser.error(f"--port: must be between 0 and 65535 (got {args.port})")
    return args


def port_problem(host: str, port: int) -> str:
    """Why ``host:port`` cannot be bound now (empty if it can)."""
    if port == 0:
        return ""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the server will
        try:
            s.bind((host, port))
        except OSError as exc:
            return exc.strerror or str(exc)
    return ""


def main(argv: list[str] | None = None, prog: str = "python -m sim.dashboard") -> None:
    args = parse_args(argv, prog)
    if problem := port_problem(args.host, args.port):
        print(f"error: cannot listen on {args.host}:{args.port} ({problem}); choose another "
              "port with --port N", file=sys.stderr)
        sys.exit(2)
    # as `solara run` does before its server imports the app (here: before we add the guard)
    os.environ.setdefault("SOLARA_TELEMETRY_MIXPANEL_ENABLE", "False")
    # Solara's "This website runs on Solara" banner floats over the page's bottom-right corner
    # (over buttons and charts); the page credits Solara in its sidebar instead
    os.environ.setdefault("SOLARA_THEME_SHOW_BANNER", "False")
    os.environ["SOLARA_APP"] = APP
    from solara.__main__ import cli
    from solara.server import settings

    settings.main.mode = "production"
    from solara.server import starlette

    from sim.dashboard.guard import ANY_ADDRESS, HostGuard, allowed_names

    starlette.app.add_middleware(HostGuard, allowed=allowed_names(args.host, args.allow_host))
    print(f"dashboard on http://{args.host}:{args.port}  (Ctrl-C to stop)", flush=True)
    if args.host in ANY_ADDRESS and not args.allow_host:
        print("note: reached by another name or address? add it with --allow-host NAME",
              flush=True)
    cli.main(args=build_command(args)[3:], prog_name="solara")


if __name__ == "__main__":
    main()
