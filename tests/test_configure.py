"""Typed configuration in Python without Hydra (issue 14 item 1): sim.configure,
Config.from_dict / from_manifest, scenario files as data, event parameters by dotted key, and
the same refusals (and words) as the command line."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
from support import REPO, config_options

import sim
from sim import io
from sim.params import Config, ConfigError

SCENARIOS = ["baseline", "lockdown", "funding_loss", "surge_recruitment", "flood",
             ["lockdown", "preparedness"]]


def hydra(topology: str, scenario: str | list[str], *overrides: str) -> Config:
    choice = scenario if isinstance(scenario, str) else f"[{','.join(scenario)}]"
    return sim.compose([f"topology={topology}", f"scenario={choice}", *overrides])


def exact(cfg: Config) -> str:
    """The configuration as JSON: tells 1 from 1.0, unlike dataclass equality."""
    return io.dumps(io.config_dict(cfg))


@pytest.mark.parametrize("topology", ["urban", "rural", "county"])
@pytest.mark.parametrize("scenario", SCENARIOS, ids=str)
def test_configure_equals_hydra_composition(topology, scenario):
    ours = sim.configure(topology=topology, scenario=scenario)
    theirs = hydra(topology, scenario)
    assert ours == theirs
    assert exact(ours) == exact(theirs)
    assert sim.configure((topology, scenario)) == theirs  # the pair form


@pytest.mark.parametrize("scenario", config_options("scenario"))
def test_every_scenario_file_configures_as_hydra_composes_it(scenario):
    late = {"run.allow_late_events": True}  # some scenarios run longer than the default year
    assert exact(sim.configure(scenario=scenario, **late)) == exact(
        sim.compose([f"scenario={scenario}", "run.allow_late_events=true"]))


def test_default_and_values_equal_hydra():
    assert sim.configure() == sim.compose([])
    values = {"run.days": 90, "link_worker.caseload_cap": 30, "need.mult_female": 2,
              "events.core_funding_cut.params.share": 0.8,
              "events.core_funding_cut.params.target": "lio"}
    ours = sim.configure(("rural", "funding_loss"), **values)
    theirs = hydra("rural", "funding_loss", *(f"{k}={v}" for k, v in values.items()))
    assert exact(ours) == exact(theirs)
    assert type(ours.need.mult_female) is float  # a whole number for a float, as Hydra does
    assert ours.events["core_funding_cut"] == {"day": 90, "kind": "funding_cut",
                                               "params": {"share": 0.8, "target": "lio"}}


def test_same_run_outputs_byte_for_byte(tmp_path):
    values = {"run.days": 40, "run.burn_in_days": 14, "run.seed": 5,
              "events.lockdown_starts.day": 5, "events.national_call_to_action.day": 10,
              "run.allow_late_events": True}
    ours = sim.configure(("rural", "lockdown"), **values)
    theirs = hydra("rural", "lockdown", *(f"{k}={str(v).lower() if isinstance(v, bool) else v}"
                                          for k, v in values.items()))
    assert exact(ours) == exact(theirs)
    for name, cfg in (("ours", ours), ("theirs", theirs)):
        io.write_run(sim.run(cfg), tmp_path / name, plots=False, config=cfg)
    for f in ("timeseries.parquet", "summary.json", "events.json"):
        assert (tmp_path / "ours" / f).read_bytes() == (tmp_path / "theirs" / f).read_bytes()
    manifests = [json.loads((tmp_path / n / "manifest.json").read_text())
                 for n in ("ours", "theirs")]
    assert manifests[0]["config"] == manifests[1]["config"]
    assert manifests[0]["config_hash"] == manifests[1]["config_hash"]


# a wrong type is refused on every path, naming the key, in the same words as the command line
TYPE_CASES = [
    ("link_worker.caseload_cap", "20", "must be a whole number (got '20')"),
    ("link_worker.caseload_cap", 20.7, "must be a whole number (got 20.7)"),
    ("link_worker.caseload_cap", True, "must be a whole number (got True)"),
    ("volunteers.passporting", "false", "must be true or false (got 'false')"),
    ("need.p_hidden", "0.3", "must be a number (got '0.3')"),
    ("need.p_hidden", [0.3], "must be a single value (got [0.3])"),
    ("need.p_hidden", float("nan"), "must be a finite number (got nan)"),
    ("need.p_hidden", 1.5, "must be between 0.0 and 1.0 (got 1.5)"),
    ("link_worker.caseload_cap", -3, "must be >= 1 (got -3)"),
]


@pytest.mark.parametrize("key,value,message", TYPE_CASES, ids=[f"{k}={v!r}" for k, v, _ in
                                                                TYPE_CASES])
def test_wrong_types_are_refused_naming_the_key(key, value, message):
    with pytest.raises(ConfigError) as err:
        sim.configure(**{key: value})
    assert err.value.key == key and str(err.value) == f"{key}: {message}"
    *section, leaf = key.split(".")
    with pytest.raises(ConfigError, match=f"^{key}: "):  # nested form
        sim.configure(**{section[0]: {leaf: value}})
    with pytest.raises(ConfigError, match=f"^{key}: "):  # from a dict
        Config.from_dict({section[0]: {leaf: value}})


@pytest.mark.parametrize("override,value", [("link_worker.caseload_cap=20.7", 20.7),
                                            ("volunteers.passporting=maybe", "maybe"),
                                            ("run.seed=abc", "abc")])
def test_the_command_line_uses_the_same_words(override, value):
    key = override.split("=")[0]
    with pytest.raises(ConfigError) as cli:
        sim.compose([override])
    with pytest.raises(ConfigError) as api:
        sim.configure(**{key: value})
    assert str(cli.value) == str(api.value)


def test_unknown_keys_and_options_are_named_with_what_is_allowed():
    with pytest.raises(ConfigError, match=r"^need.p_onset_per_dy: is not a parameter \(close "
                                          r"matches: need.p_onset_per_day"):
        sim.configure(**{"need.p_onset_per_dy": 0.1})
    with pytest.raises(ConfigError, match=r"^nope.x: is not a parameter"):
        sim.configure(nope={"x": 1})
    with pytest.raises(ConfigError, match=r"^scenario: no option 'nope'; options: .*lockdown"):
        sim.configure(scenario="nope")
    with pytest.raises(ConfigError, match=r"^topology: no option '../x'; options: county"):
        sim.configure(topology="../x")
    with pytest.raises(ConfigError, match=r"^topology.graph_file: is required"):
        sim.configure(topology="file")  # the file's ??? values are the user's to give


def test_event_parameters_by_dotted_key():
    cfg = sim.configure(scenario="lockdown",
                        **{"events.national_call_to_action.params.multiplier": 50.0,
                           "events.lockdown_starts.params.shielding": False})
    assert cfg.events["national_call_to_action"]["params"] == {"multiplier": 50.0, "days": 4}
    assert cfg.events["lockdown_starts"]["params"]["shielding"] is False
    assert cfg.events["lockdown_starts"]["day"] == 30  # the rest of the event is kept
    with pytest.raises(ConfigError) as err:
        sim.configure(scenario="lockdown",
                      **{"events.national_call_to_action.params.multiplier": "lots"})
    assert str(err.value) == ("events.national_call_to_action.params.multiplier: must be float "
                              "(got 'lots')")  # the event registry's words, as on the CLI
    with pytest.raises(ConfigError, match=r"^events.cut: no such event \(events: "
                                          r"core_funding_cut\)"):
        sim.configure(scenario="funding_loss", **{"events.cut.params.share": 0.3})
    with pytest.raises(ConfigError, match=r"^events.core_funding_cut.params.share: must be <= "):
        sim.configure(scenario="funding_loss", **{"events.core_funding_cut.params.share": 1.5})
    with pytest.raises(ConfigError, match=r"^events.cut.params.share: is not in the composed "
                                          r"events .* add it with \+events.cut.params.share="):
        sim.compose(["scenario=funding_loss", "events.cut.params.share=0.3"])  # the CLI's way


def test_events_added_by_name_merge_and_none_clears():
    extra = {"cut": {"day": 120, "kind": "funding_cut", "params": {"share": 0.3}}}
    cfg = sim.configure(scenario="lockdown", events=extra, **{"run.days": 200})
    assert list(cfg.events)[-1] == "cut" and len(cfg.events) == 6
    assert cfg == hydra("urban", "lockdown", "run.days=200",
                        "+events.cut={day:120,kind:funding_cut,params:{share:0.3}}")
    assert sim.configure(cfg, events=None).events == {}
    with pytest.raises(ConfigError, match=r"^events.bad.kind: unknown event kind 'bogus'"):
        sim.configure(events={"bad": {"day": 3, "kind": "bogus"}})


def test_base_config_is_copied_and_numpy_values_become_python():
    base = sim.configure(topology="rural")
    cfg = sim.configure(base, **{"link_worker.caseload_cap": np.int64(12),
                                 "need.p_hidden": np.float32(0.5),
                                 "volunteers.passporting": np.True_})
    assert (cfg.link_worker.caseload_cap, cfg.need.p_hidden) == (12, 0.5)
    assert type(cfg.link_worker.caseload_cap) is int and cfg.volunteers.passporting is True
    assert base.link_worker.caseload_cap != 12 and base.volunteers.passporting is False
    assert cfg.topology.kind == "rural"
    with pytest.raises(ConfigError, match="^base: "):
        sim.configure(("rural",))


def test_from_dict_and_manifest_round_trip(tmp_path):
    cfg = sim.configure(("county", ["lockdown", "preparedness"]),
                        **{"topology.n_residents": 3000, "topology.urban.n_residents": 1000,
                           "topology.parishes_per_practice": 1, "run.days": 160,
                           "run.burn_in_days": 0})
    assert Config.from_dict(io.config_dict(cfg)) == cfg
    assert exact(Config.from_dict(json.loads(exact(cfg)))) == exact(cfg)
    small = sim.configure(cfg, **{"run.days": 3, "run.allow_late_events": True})
    io.write_run(sim.run(small), tmp_path / "run", plots=False, config=small)
    again = Config.from_manifest(tmp_path / "run" / "manifest.json")
    assert again == small and exact(again) == exact(small)
    assert Config.from_manifest(tmp_path / "run") == small  # the run folder works too
    (tmp_path / "bad.json").write_text('{"seed": 1}')
    with pytest.raises(ConfigError, match="^manifest: .*no 'config' section"):
        Config.from_manifest(tmp_path / "bad.json")


def test_scenario_files_are_data(tmp_path):
    lockdown = sim.load_scenario("lockdown")
    assert lockdown["scenario"]["name"] == "lockdown"
    assert lockdown["events"]["lockdown_starts"]["kind"] == "emergency"
    lockdown["events"].clear()  # a private copy
    assert sim.load_scenario("lockdown")["events"]
    assert sim.load_topology("rural")["topology"]["kind"] == "rural"

    own = tmp_path / "drill.yaml"
    own.write_text("scenario: {name: drill}\nneed: {p_hidden: 1e-1}\n"
                   "events:\n  quake: {day: 3, kind: emergency, params: {need_multiplier: 2}}\n")
    cfg = sim.configure(scenario=own)
    assert cfg.scenario.name == "drill" and cfg.need.p_hidden == 0.1  # 1e-1 is a number
    assert sim.configure(scenario=[str(own), "preparedness"]).emergency.prepared
    attacks = {
        "hydra:\n  callbacks: {x: {_target_: os.system}}\n": "hydra",
        "events:\n  x: {day: 1, kind: emergency, _target_: os.system}\n": "events.x._target_",
        "defaults: [base_config]\n": "defaults",
        "scenario: {name: '${oc.env:HOME}'}\n": "scenario.name",
        "events: !!python/name:os.system\n": "scenario file",
        "need: {p_hidden: 0.1}\nneed: {p_hidden: 0.2}\n": "scenario file",
        "link_worker: {caseload_cap: '20'}\n": "link_worker.caseload_cap",
    }
    for text, key in attacks.items():
        own.write_text(text)
        with pytest.raises(ConfigError) as err:
            sim.configure(scenario=own)
        assert err.value.key == key, (text, str(err.value))


def test_configure_needs_neither_hydra_nor_omegaconf():
    code = ("import sys, sim; cfg = sim.configure(topology='rural', **{'run.days': 30}); "
            "print(cfg.topology.kind, sorted(m for m in ('hydra', 'omegaconf', 'mesa') "
            "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True,
                         text=True, check=True).stdout
    assert out.split() == ["rural", "[]"]


def test_a_manifest_from_another_version_warns(tmp_path):
    """A manifest that does not record some of today's parameters (written by an older
    version) still loads, with a warning naming them; one from another package version with
    every parameter warns that results may differ; today's own manifest loads silently."""
    import warnings

    small = sim.configure(("rural", "baseline"), **{"run.days": 2, "run.burn_in_days": 0})
    io.write_run(sim.run(small), tmp_path / "run", plots=False, config=small)
    manifest = json.loads((tmp_path / "run" / "manifest.json").read_text())
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert Config.from_manifest(tmp_path / "run") == small
    old = json.loads(json.dumps(manifest))
    del old["config"]["need"]["p_hidden"], old["config"]["groups"]["notice_days"]
    (tmp_path / "old.json").write_text(json.dumps(old))
    with pytest.warns(UserWarning, match=r"does not record 2 parameter\(s\).*need\.p_hidden"):
        cfg = Config.from_manifest(tmp_path / "old.json")
    assert cfg.need.p_hidden == Config().need.p_hidden  # today's default
    other = json.loads(json.dumps(manifest))
    other["versions"]["community-response-sim"] = "0.0.1"
    (tmp_path / "other.json").write_text(json.dumps(other))
    with pytest.warns(UserWarning, match="written by version 0.0.1"):
        assert Config.from_manifest(tmp_path / "other.json") == small
