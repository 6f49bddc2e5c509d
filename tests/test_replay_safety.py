"""Replay files and shared scenarios are data: nothing in them (or on the command line) reaches
Hydra's callbacks, logging handlers or ``_target_``; refusals exit 2 naming the key, with no
traceback, nothing executed and no result files."""

from __future__ import annotations

import pandas as pd
import pytest
from support import leftovers, run_cli

import sim
from sim import replay
from sim.dashboard.exercise import Exercise
from sim.params import ConfigError

MARKER = "pwned.txt"
VICTIM = "victim.txt"

# (id, replay file text ({m}: marker path, {v}: victim path), the key the refusal names)
ATTACKS = [
    ("callback-runpy", """\
# @package _global_
hydra:
  callbacks:
    x:
      _target_: runpy._run_code
      code: "open('{m}', 'w').write('ran')"
      run_globals: {{}}
""", "hydra"),
    ("job-logging-file-handler", """\
# @package _global_
hydra:
  job_logging:
    version: 1
    handlers:
      f: {{class: logging.FileHandler, filename: '{v}', mode: w}}
    root: {{handlers: [f]}}
""", "hydra"),
    ("target-copyfile-in-event", """\
events:
  x:
    day: 1
    kind: emergency
    params: {{_target_: shutil.copyfile, src: /etc/hostname, dst: '{m}'}}
""", "events.x.params._target_"),
    ("target-open-in-override", """\
overrides:
  run.seed: {{_target_: builtins.open, file: '{v}', mode: w}}
""", "overrides.run.seed._target_"),
    ("python-tag", """\
scenario: {{name: x}}
overrides:
  run.seed: !!python/object/apply:os.system ["touch '{m}'"]
""", "replay"),
    ("python-name-tag", "events: !!python/name:os.system\n", "replay"),
    ("defaults-list", "defaults:\n  - override hydra/job_logging: stdout\n", "defaults"),
    ("hydra-key-in-overrides", "overrides:\n  hydra.run.dir: /tmp/elsewhere\n",
     "overrides.hydra.run.dir"),
    ("interpolation", "scenario: {{name: x, description: '${{oc.env:HOME}}'}}\n",
     "scenario.description"),
    ("unknown-top-key", "secnario: {{name: x}}\n", "secnario"),
    ("unknown-parameter", "overrides:\n  need.p_onset_per_dy: 0.1\n",
     "overrides.need.p_onset_per_dy"),
    ("events-in-overrides", "overrides:\n  events.x.day: 3\n", "overrides.events.x.day"),
    ("unknown-topology", "topology: '../../tmp/evil'\n", "topology"),
    ("not-a-mapping", "- just\n- a list\n", "replay"),
    ("bad-yaml", "overrides: {{run.seed: [1, 2\n", "replay"),
    ("billion-laughs", "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{c}: &{c} [{', '.join(['*' + p] * 10)}]\n"
        for p, c in zip("abcdefgh", "bcdefghi", strict=True)), "replay"),
    ("bad-event-value", "events:\n  boom: {{day: 5, kind: funding_cut, params: {{share: 1.5}}}}\n",
     "events.boom.params.share"),
    ("bad-parameter-value", "overrides:\n  need.p_onset_per_day: 1.5\n",
     "need.p_onset_per_day"),
]

CLI_ATTACKS = [
    (["+hydra.callbacks.x._target_=runpy._run_code", "+hydra.callbacks.x.code=print(1)"],
     "hydra.callbacks.x._target_"),
    (["+hydra.callbacks.x.foo=1"], "hydra.callbacks.x.foo"),
    (["~hydra.callbacks.sweep_report"], "hydra.callbacks.sweep_report"),
    (["+hydra.job_logging.handlers.f.class=logging.FileHandler",
      f"+hydra.job_logging.handlers.f.filename={VICTIM}"], "hydra.job_logging.handlers.f.class"),
    (["hydra.hydra_logging.root.level=DEBUG"], "hydra.hydra_logging.root.level"),
    (["+events.x={day:1,kind:emergency,params:{_target_:os.system}}"], "events.x"),
    (["hydra/launcher=joblib", "hydra.launcher._target_=builtins.print"],
     "hydra.launcher._target_"),
    (["+scenario@hydra.callbacks.x=lockdown"], "scenario"),
]


def assert_refused(proc, key: str, folder) -> None:
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert f"error: {key}" in proc.stderr, proc.stderr
    assert "Traceback" not in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
    assert not (folder / MARKER).exists()
    assert (folder / VICTIM).read_text() == "keep me"
    assert leftovers(folder / "run") == [] and not (folder / "outputs").exists()


@pytest.fixture
def folder(tmp_path):
    (tmp_path / VICTIM).write_text("keep me")
    return tmp_path


@pytest.mark.parametrize("case", [a[0] for a in ATTACKS])
def test_replay_file_is_data_only(case, folder):
    _, text, key = next(a for a in ATTACKS if a[0] == case)
    path = folder / "shared.yaml"
    path.write_text(text.format(m=folder / MARKER, v=folder / VICTIM))
    with pytest.raises(ConfigError) as err:
        replay.load(path, ["county", "file", "rural", "urban"])
        if case.startswith("bad-"):
            raise ConfigError(key, "checked by the run")  # values: validated when composed
    assert err.value.key == key or case.startswith("bad-")


@pytest.mark.parametrize("case", ["callback-runpy", "job-logging-file-handler",
                                  "target-copyfile-in-event", "target-open-in-override",
                                  "python-tag", "bad-event-value", "bad-parameter-value"])
def test_replay_command_refuses_attack_files(case, folder):
    _, text, key = next(a for a in ATTACKS if a[0] == case)
    path = folder / "shared.yaml"
    path.write_text(text.format(m=folder / MARKER, v=folder / VICTIM))
    proc = run_cli("replay", str(path), "run.days=5", f"hydra.run.dir={folder / 'run'}",
                   cwd=folder)
    assert_refused(proc, key, folder)


@pytest.mark.parametrize("args,key", CLI_ATTACKS, ids=[a[1] for a in CLI_ATTACKS])
def test_command_line_cannot_reach_hydra_callbacks_or_targets(args, key, folder):
    proc = run_cli("run.days=5", *args, f"hydra.run.dir={folder / 'run'}", cwd=folder)
    assert_refused(proc, key, folder)


def test_replay_refuses_config_dir(folder):
    path = folder / "r.yaml"
    path.write_text("scenario: {name: r}\n")
    proc = run_cli("replay", str(path), f"--config-dir={folder}", cwd=folder)
    assert_refused(proc, "--config-dir", folder)


def test_oversized_and_deep_files_are_refused(tmp_path):
    big = tmp_path / "big.yaml"
    big.write_text("scenario: {description: '" + "x" * (replay.MAX_BYTES + 1) + "'}\n")
    with pytest.raises(ConfigError, match="larger than"):
        replay.load(big)
    deep = tmp_path / "deep.yaml"
    deep.write_text("events: " + "[" * 50 + "]" * 50 + "\n")
    with pytest.raises(ConfigError, match="nested more than"):
        replay.load(deep)


def test_file_values_then_command_line_overrides(tmp_path):
    """A replay composes on the default configuration; the command line wins over the file."""
    from hydra.core.config_store import ConfigStore

    path = tmp_path / "r.yaml"
    path.write_text("scenario: {name: drill, description: a drill}\ntopology: rural\n"
                    "overrides: {run.days: 30, run.seed: 5, need.p_onset_per_day: 0.002}\n"
                    "events: [{day: 3, kind: emergency, params: {need_multiplier: 2}}]\n")
    data = replay.load(path, ["rural", "urban"])
    ConfigStore.instance().store(group="replay", name="file", node=data.node(),
                                 package="_global_")
    cfg = sim.compose(["topology=rural", "+replay=file", "run.days=12"])
    assert (cfg.scenario.name, cfg.topology.kind, cfg.run.days, cfg.run.seed) == (
        "drill", "rural", 12, 5)
    assert cfg.need.p_onset_per_day == 0.002
    assert cfg.events == {"event_1": {"day": 3, "kind": "emergency",
                                      "params": {"need_multiplier": 2}}}


def test_exported_exercise_replays_to_identical_numbers(tmp_path):
    ex = Exercise("rural", "baseline", 3, n_residents=400)
    assert ex.error == ""
    ex.run_to(6)
    ex.inject("emergency", {"need_multiplier": "2", "shielding": True})
    ex.run_to(12)
    ex.inject("set_parameter", {"key": "need.p_onset_per_day", "value": "0.003"})
    ex.run_to(20)
    path = ex.save_scenario(tmp_path, "A", "drill")
    out = tmp_path / "run"
    proc = run_cli("replay", str(path), f"hydra.run.dir={out}", "run.plots=false",
                   cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    pd.testing.assert_frame_equal(pd.read_parquet(out / "timeseries.parquet"),
                                  ex.branches["A"].timeseries().reset_index(drop=True),
                                  check_dtype=False)
    assert "drill on rural" in proc.stdout


def test_replay_type_errors_name_the_key_and_file_name_becomes_the_scenario(tmp_path):
    path = tmp_path / "my drill.yaml"
    path.write_text("overrides: {run.seed: [1, 2]}\n")
    with pytest.raises(ConfigError, match=r"^overrides.run.seed: must be a whole number"):
        replay.load(path)
    path.write_text("overrides: {run.days: 3}\n")
    assert replay.load(path).name == "my_drill"


def test_replay_runs_as_a_sweep(tmp_path):
    path = tmp_path / "sweep.yaml"
    path.write_text("topology: rural\noverrides: {run.days: 2, topology.n_residents: 300}\n"
                    "events: [{day: 1, kind: emergency}]\n")
    out = tmp_path / "sweep"
    proc = run_cli("replay", str(path), "-m", "run.replicate=range(2)", "run.plots=false",
                   f"hydra.sweep.dir={out}", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert len(pd.read_parquet(out / "tables" / "summary.parquet")) == 2
