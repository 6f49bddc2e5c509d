"""``community-sim``: one command line for the model and its tools.

::

    community-sim run [OVERRIDES...]          one run (the Hydra job of ``python -m sim``)
    community-sim sweep [OVERRIDES...]        a Hydra multirun (``python -m sim -m``)
    community-sim replay FILE [OVERRIDES...]  a replay file (``python -m sim replay``)
    community-sim collect|compare|sensitivity ...   the sweep tools of sim.experiments
    community-sim calibrate ...               the calibration report (a source checkout)
    community-sim dashboard ...               the war-gaming dashboard
    community-sim list scenarios|events|params|outputs [PATTERN]

Each subcommand delegates to the existing entry point with its own arguments and ``--help``;
``python -m sim`` keeps working as before. Bad input is reported in one line naming the
argument and what is allowed, with exit status 2 and no traceback.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

PROG = "community-sim"
WIDTH = 100

RUN_HELP = f"""\
usage: {PROG} run [HYDRA FLAGS] [OVERRIDES...]

One run of the model: the Hydra job of `python -m sim`, with the same overrides and flags,
e.g. `{PROG} run topology=rural run.days=60 hydra.run.dir=out/rural`. Hydra's help (config
groups and the full configuration) follows.
"""
SWEEP_HELP = f"""\
usage: {PROG} sweep [HYDRA FLAGS] [OVERRIDES...]

A Hydra multirun (`python -m sim -m ...`): comma-separated values and range() sweep, e.g.
`{PROG} sweep topology=urban,rural 'run.replicate=range(5)' hydra.sweep.dir=out/s`, or a
sweep file: `{PROG} sweep +sweep=surge_vs_baseline hydra/launcher=local`. Complete runs in
hydra.sweep.dir are skipped; the tables are collected at the end (docs/sweeps.md). Hydra's
help (config groups and the full configuration) follows.
"""
REPLAY_HELP = f"""\
usage: {PROG} replay FILE.yaml [OVERRIDES...]

Run a replay file: a scenario shared as plain data (an exercise exported from the dashboard,
or written by hand; see the README, "Replay files"). Overrides on the command line win over
the file, e.g. `{PROG} replay drill.yaml run.seed=8 hydra.run.dir=out/drill`.
"""
CALIBRATE_HELP = f"""\
usage: {PROG} calibrate [--replicates N] [--days N] [--topology T] [--set KEY=VALUE] ...

The calibration report (experiments/calibrate.py): the default runs' emergent figures against
the source figures, written to docs/validation.md of a source checkout.
"""
NO_CHECKOUT = ("calibrate: needs a source checkout; experiments/calibrate.py writes the "
               "checkout's docs/validation.md and is not part of the installed package. "
               "Clone the repository, `pip install -e .` there and run `community-sim calibrate`"
               " (or `python experiments/calibrate.py`)")

LISTS = ("scenarios", "events", "params", "outputs")

COMMANDS = {  # name -> one line for the overview (the order of `community-sim --help`)
    "run": "one run: the Hydra job of `python -m sim`, with the same overrides",
    "sweep": "a Hydra multirun over comma-separated values, range() or +sweep=NAME",
    "replay": "run a replay file (a scenario shared as plain data)",
    "collect": "gather a sweep's runs into Parquet tables",
    "compare": "paired scenario-vs-baseline effects with intervals, fan and effect charts",
    "sensitivity": "Morris or Sobol sensitivity analysis (SALib) of a configs/sensitivity file",
    "executor": "a sweep on Slurm, Ray, joblib or serially, each worker composing its own jobs",
    "calibrate": "the calibration report against the source figures (a source checkout)",
    "dashboard": "the war-gaming dashboard (the dashboard extra)",
    "list": "list scenarios, events, params or outputs with their meanings",
}


# ---------------------------------------------------------------------------- delegation


def _wants_help(args: list[str]) -> bool:
    return bool(args) and args[0] in ("-h", "--help")


def _hydra(prefix: list[str], text: str) -> Callable[[list[str]], int]:
    """A subcommand handing its arguments to ``python -m sim``'s entry point."""

    def run(args: list[str]) -> int:
        from sim import cli

        if _wants_help(args):
            print(text)
            cli.main(["--help"])
            return 0
        cli.main([*prefix, *args])  # exits 2 itself on a configuration error
        return 0

    return run


def _sweep(args: list[str]) -> int:
    args = [a for a in args if a not in ("-m", "--multirun")]
    return _hydra(["--multirun"], SWEEP_HELP)(args)


def _replay(args: list[str]) -> int:
    if _wants_help(args):
        print(REPLAY_HELP, end="")
        return 0
    if not args or args[0].startswith("-"):
        print(f"error: replay: needs a FILE.yaml first; usage: {PROG} replay FILE.yaml "
              "[OVERRIDES...]", file=sys.stderr)
        return 2
    from sim import cli

    cli.main(["replay", *args])
    return 0


def _module_main(module: str) -> Callable[[list[str]], int]:
    """A subcommand running ``module.main(argv, prog=...)`` (its own argparse parser)."""

    def run(args: list[str], name: str) -> int:
        import importlib

        return importlib.import_module(module).main(args, prog=f"{PROG} {name}") or 0

    return run


def load_script(path: Path, name: str):
    """A script of the checkout's ``experiments/`` (not a package module) loaded as module
    ``name`` (registered in ``sys.modules``: its dataclasses look their module up)."""
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def calibrate_script() -> Path | None:
    """``experiments/calibrate.py`` of the source checkout this package runs from, if any."""
    script = Path(__file__).resolve().parent.parent / "experiments" / "calibrate.py"
    return script if script.is_file() else None


def _calibrate(args: list[str]) -> int:
    script = calibrate_script()
    if script is None:
        if _wants_help(args):
            print(CALIBRATE_HELP + "\n" + NO_CHECKOUT)
            return 0
        print(f"error: {NO_CHECKOUT}", file=sys.stderr)
        return 2
    return load_script(script, "calibrate").main(args, prog=f"{PROG} calibrate") or 0


def _dashboard(args: list[str]) -> int:
    if importlib.util.find_spec("solara") is None and not _wants_help(args):
        print("error: dashboard: needs the dashboard extra (Solara): "
              "pip install 'community-response-sim[dashboard]'", file=sys.stderr)
        return 2
    from sim.dashboard.__main__ import main

    main(args, prog=f"{PROG} dashboard")
    return 0


DELEGATED: dict[str, Callable[[list[str]], int]] = {
    "run": _hydra([], RUN_HELP),
    "sweep": _sweep,
    "replay": _replay,
    "calibrate": _calibrate,
    "dashboard": _dashboard,
}
MODULES = {"collect": "sim.experiments.collect", "compare": "sim.experiments.compare",
           "sensitivity": "sim.experiments.sensitivity", "executor": "sim.experiments.executor"}


# ---------------------------------------------------------------------------- list


def _wrap(text: str, indent: str = "    ") -> str:
    return textwrap.fill(text, WIDTH, initial_indent=indent, subsequent_indent=indent)


def _format_scenarios(rows: list[dict]) -> list[str]:
    out = []
    for r in rows:
        events = ", ".join(f"{e.get('kind')} (day {e.get('day')})"
                           for e in (r["events"].values() if isinstance(r["events"], dict)
                                     else r["events"]) if isinstance(e, dict))
        out += [r["name"], _wrap(r["description"] or "(no description)")]
        if events:
            out.append(_wrap(f"events: {events}"))
    return out


def _format_events(rows: list[dict]) -> list[str]:
    out = []
    for r in rows:
        out += [r["kind"], _wrap(r["doc"] or "(no description)")]
        for name, a in r["params"].items():
            out.append(textwrap.fill(f"{name}: {a['type']}, default {a['default']}, allowed "
                                     f"{a['allowed']}: {a['meaning']}", WIDTH,
                                     initial_indent="    - ", subsequent_indent="      "))
        if not r["params"]:
            out.append("    (no parameters)")
    return out


def _format_params(rows: list[dict]) -> list[str]:
    out = []
    for r in rows:
        ranges = f"allowed {r['allowed']}" + (f"; plausible {r['plausible']}"
                                              if r["plausible"] else "")
        unit = f"{r['unit']}; " if r["unit"] != "–" else ""
        out += [f"{r['key']} = {r['default']}  ({unit}{ranges})", _wrap(r["meaning"]),
                _wrap(f"source: {r['source'] or 'none given'}")]
    return out


def _format_outputs(rows: list[dict]) -> list[str]:
    from sim import catalog

    out = []
    if not catalog.has_data_dictionary():
        out += ["# the data dictionary (sim.outputs) is not in this version: shown are the name",
                "# prefixes and the daily flows the model counts; docs/ODD.md section 4.11 "
                "describes every output"]
    for r in rows:
        detail = "; ".join(x for x in (r.get("table", ""), r["level"], r["unit"]) if x)
        out += [f"{r['name']}  [{detail}]" if detail else r["name"], _wrap(r["meaning"])]
    return out


def _name(what: str, row: dict) -> str:
    return str(row.get({"scenarios": "name", "events": "kind", "params": "key",
                        "outputs": "name"}[what]))


def list_rows(what: str, pattern: str | None = None) -> list[dict]:
    """The rows of ``community-sim list WHAT``, filtered by a case-insensitive substring of
    the name."""
    from sim import catalog

    rows = getattr(catalog, what)()
    if pattern:
        rows = [r for r in rows if pattern.lower() in _name(what, r).lower()]
    return rows


def _list(args: argparse.Namespace) -> int:
    rows = list_rows(args.what, args.pattern)
    if not rows:
        print(f"no {args.what} match {args.pattern!r}", file=sys.stderr)
        return 1
    if args.format == "json":
        print(json.dumps(rows, indent=1, ensure_ascii=False, default=str))
    elif args.format == "names":
        print("\n".join(_name(args.what, r) for r in rows))
    else:
        formatter = {"scenarios": _format_scenarios, "events": _format_events,
                     "params": _format_params, "outputs": _format_outputs}[args.what]
        print("\n".join(formatter(rows)))
    return 0


# ---------------------------------------------------------------------------- parser


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("community-response-sim")
    except PackageNotFoundError:
        return "unknown"


def parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(
        prog=PROG, formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Agent-based simulation of community-response capacity: run it, sweep\n"
                    "it, compare and analyse sweeps, play it on the dashboard, list what it\n"
                    "offers.",
        epilog=f"`{PROG} COMMAND --help` describes a command. Examples:\n"
               f"  {PROG} run topology=rural run.days=60 hydra.run.dir=out/rural\n"
               f"  {PROG} sweep scenario=baseline,surge_recruitment 'run.replicate=range(5)'\n"
               f"  {PROG} compare outputs/sweeps/DIR\n"
               f"  {PROG} list params link_worker\n"
               "`python -m sim [OVERRIDES...]` is the same as `community-sim run`.")
    ap.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    sub = ap.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, line in COMMANDS.items():
        if name != "list":  # the others parse their own arguments
            sub.add_parser(name, help=line, add_help=False)
    ls = sub.add_parser("list", help=COMMANDS["list"], description=(
        "List what the model offers, with meanings: scenarios (configs/scenario), events (the "
        "registered kinds and their parameters), params (dotted key, default, unit, allowed "
        "and plausible range, meaning, source) or outputs (the data dictionary)."),
        epilog=f"e.g. `{PROG} list params need.`, `{PROG} list events --format json`. "
               "Exit status 1 when nothing matches PATTERN.")
    ls.add_argument("what", choices=LISTS, help="what to list")
    ls.add_argument("pattern", nargs="?", default=None,
                    help="only names containing this text (case-insensitive)")
    ls.add_argument("--format", choices=("text", "names", "json"), default="text",
                    help="text (default, with meanings), names (one a line) or json")
    ap.list_parser = ls  # parsed on its own (_dispatch): options may come between WHAT and PATTERN
    return ap


def main(argv: list[str] | None = None) -> None:
    if argv is None:  # the `community-sim` program (not a caller's list): exit quickly,
        from sim.experiments.gc_freeze import freeze_at_exit  # with one BLAS thread
        from sim.startup import one_blas_thread

        one_blas_thread()
        freeze_at_exit()
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        status = _dispatch(argv)
        sys.stdout.flush()
    except BrokenPipeError:  # `community-sim list params | head`: the reader has gone
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        status = 0
    sys.exit(status)


def _dispatch(argv: list[str]) -> int:
    ap = parser()
    if argv and argv[0] in DELEGATED:
        return DELEGATED[argv[0]](argv[1:])
    if argv and argv[0] in MODULES:
        return _module_main(MODULES[argv[0]])(argv[1:], argv[0])
    if argv and "=" in argv[0] and not argv[0].startswith("-"):
        ap.error(f"argument COMMAND: {argv[0]!r} is not a command; overrides follow `run` or "
                 f"`sweep`, e.g. `{PROG} run {argv[0]}`")
    if argv and argv[0] == "list":
        # intermixed: `list outputs --format names referral` keeps PATTERN (plain parse_args
        # takes the optional PATTERN as absent when an option follows WHAT)
        return _list(ap.list_parser.parse_intermixed_args(argv[1:]))
    return _list(ap.parse_args(argv))


if __name__ == "__main__":
    main()
