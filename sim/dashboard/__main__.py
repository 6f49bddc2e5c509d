"""``python -m sim.dashboard [--host 127.0.0.1] [--port 8765] [--open]``: start the dashboard.

Runs ``solara run sim.dashboard.app`` in production mode, bound to localhost unless told
otherwise, with Solara's usage telemetry off (the dashboard works offline: every asset is served
by the local server).
"""

from __future__ import annotations

import argparse
import os
import sys


def build_command(args: argparse.Namespace) -> list[str]:
    cmd = [sys.executable, "-m", "solara", "run", "sim.dashboard.app", "--host", args.host,
           "--port", str(args.port), "--production", "--log-level", args.log_level,
           "--no-check-version"]
    cmd.append("--open" if args.open else "--no-open")
    return cmd


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m sim.dashboard",
        description="War-gaming dashboard: play a scenario day by day, inject events, fork "
                    "counterfactual branches and export the exercise.")
    parser.add_argument("--host", default="127.0.0.1",
                        help="address to bind (default 127.0.0.1: this machine only)")
    parser.add_argument("--port", type=int, default=8765, help="port (default 8765)")
    parser.add_argument("--open", action="store_true", help="open a browser tab")
    parser.add_argument("--log-level", default="warning",
                        choices=("critical", "error", "warning", "info", "debug"))
    args = parser.parse_args(argv)
    if not 0 <= args.port <= 65535:
        parser.error(f"--port: must be between 0 and 65535 (got {args.port})")
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    env = dict(os.environ)
    env.setdefault("SOLARA_TELEMETRY_MIXPANEL_ENABLE", "False")
    cmd = build_command(args)
    print(f"dashboard on http://{args.host}:{args.port}  (Ctrl-C to stop)", flush=True)
    os.execvpe(cmd[0], cmd, env)


if __name__ == "__main__":
    main()
