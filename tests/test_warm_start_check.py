"""experiments/warm_start_check.py: its comparison tells a bias from a change in the parameters'
effects, its options and saved files are checked, and the saved decisive run says what
docs/sweeps.md says of it."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from support import load_script

ROOT = Path(__file__).resolve().parents[1]
SAVED = ROOT / "docs" / "warm_start_check.json"


@pytest.fixture(scope="module")
def script():
    return load_script(ROOT / "experiments" / "warm_start_check.py")


def _worlds(seed: int = 3, k: int = 6, n: int = 40):
    """Synthetic full runs: k worlds (their own level), n rows of two parameters in [0, 1],
    an outcome 10 x1 + 2 x2 with noise."""
    rng = np.random.default_rng(seed)
    Xs = rng.random((n, 2))
    full = (10 * Xs[:, 0] + 2 * Xs[:, 1] + rng.normal(0, 1, (k, 1))
            + rng.normal(0, 0.3, (k, n)))[:, :, None]
    return rng, Xs, full


def test_a_constant_bias_is_reported_as_bias_not_as_a_change_in_effects(script):
    rng, Xs, full = _worlds()
    warm = full + 5.0 + rng.normal(0, 0.3, full.shape)
    c = script.compare(full, warm, Xs, ["y"], ["x1", "x2"])["y"]
    assert c["bias"] == pytest.approx(5.0, abs=0.3) and c["bias_t"] > 10
    for name, true_slope in (("x1", 10.0), ("x2", 2.0)):
        e = c["effects"][name]
        assert e["full"] == pytest.approx(true_slope, abs=0.5)
        assert abs(e["warm_minus_full"]) < 0.5 and e["p"] > 0.001


def test_a_halved_effect_is_found_across_worlds(script):
    rng, Xs, full = _worlds()
    warm = full - 5.0 * Xs[:, 0][None, :, None] + rng.normal(0, 0.3, full.shape)  # 10 -> 5
    c = script.compare(full, warm, Xs, ["y"], ["x1", "x2"])["y"]
    e1, e2 = c["effects"]["x1"], c["effects"]["x2"]
    assert e1["warm"] == pytest.approx(5.0, abs=0.5)
    assert e1["warm_minus_full"] == pytest.approx(-5.0, abs=0.5)
    assert e1["t"] < -10 and e1["p"] < 0.001
    assert abs(e2["warm_minus_full"]) < 0.5  # the other parameter's effect is left alone


@pytest.mark.parametrize("argv, says", [
    (["--rows", "5"], "--rows must be at least 10"),
    (["--worlds", "2"], "--worlds at least 3"),
    (["--warm-days", "365"], "a multiple of 7"),
    (["--step", "160"], "hardly vary"),  # a Sobol sequence's every 16th point: a sixteenth
])
def test_an_option_that_could_not_answer_is_refused_naming_it(script, capsys, tmp_path,
                                                                argv, says):
    with pytest.raises(SystemExit) as exit_:
        script.main([*argv, "--out", str(tmp_path / "new.json")])
    assert exit_.value.code == 2
    assert says in capsys.readouterr().err
    assert not (tmp_path / "new.json").exists()


def test_an_existing_out_file_is_not_overwritten(script, capsys, tmp_path):
    out = tmp_path / "mine.json"
    out.write_text("a colleague's file")
    with pytest.raises(SystemExit) as exit_:
        script.main(["--out", str(out)])
    assert exit_.value.code == 2
    assert "not overwritten" in capsys.readouterr().err
    assert out.read_text() == "a colleague's file"


@pytest.mark.parametrize("damage", ["not json", "short rows", "one world", "infinite"])
def test_a_damaged_saved_file_is_refused_with_a_message(script, capsys, tmp_path, damage):
    saved = json.loads(SAVED.read_text())
    if damage == "short rows":
        saved["row_numbers"] = saved["row_numbers"][:5]
    elif damage == "one world":
        saved["warm"] = saved["warm"][:1]
    elif damage == "infinite":
        saved["full"][0][0][0] = float("inf")
    bad = tmp_path / "bad.json"
    bad.write_text("{" if damage == "not json" else json.dumps(saved))
    with pytest.raises(SystemExit) as exit_:
        script.main(["--analyse", str(bad)])
    assert exit_.value.code == 2
    assert "not a saved result of this script" in capsys.readouterr().err


def test_the_saved_decisive_run_shows_what_the_docs_say(script, capsys):
    """docs/sweeps.md, section 6: 64 rows x 8 worlds; no significant bias, but the warm start
    halves the volunteer-management-hours effect on utilisation and three effects pass a
    Bonferroni bound over the 24 tests."""
    assert script.main(["--analyse", str(SAVED)]) == 0
    printed = capsys.readouterr().out
    assert printed.startswith("64 rows x 8 worlds, 364 settling days")
    saved = json.loads(SAVED.read_text())
    design = script.load_design(saved["design"])
    result = script.report(saved, design, script.sample(design, "sobol"), None)
    util = result["outcomes"]["mean_frac_volunteer_utilisation"]
    vm = util["effects"]["vm_hours_per_week"]
    assert abs(util["bias_t"]) < 2.36  # t(7) at 0.05: no significant bias
    assert vm["t"] > 5 and 0.4 < vm["warm"] / vm["full"] < 0.5
    ps = [e["p"] for c in result["outcomes"].values() for e in c["effects"].values()]
    assert len(ps) == 24
    assert sum(p < 0.05 for p in ps) == 9 and sum(p < 0.05 / 24 for p in ps) == 3
