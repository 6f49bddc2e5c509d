"""experiments/village_council_effect.py: its options are checked and its table is paired."""

from __future__ import annotations

from pathlib import Path

import pytest
from support import load_script

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def script():
    return load_script(ROOT / "experiments" / "village_council_effect.py")


@pytest.mark.parametrize("argv, says", [
    (["--replicates", "1"], "--replicates must be between 2 and 1000"),
    (["--seed", "-1"], "--seed must be >= 0"),
    (["--days", "0"], "--days must be between 1 and 3650"),
])
def test_an_option_out_of_range_is_refused_naming_it(script, capsys, argv, says):
    assert script.main(argv) == 2
    assert says in capsys.readouterr().err


def test_an_existing_out_file_is_not_overwritten(script, tmp_path, capsys):
    out = tmp_path / "mine.json"
    out.write_text("a colleague's file")
    assert script.main(["--out", str(out)]) == 2
    assert "not overwritten" in capsys.readouterr().err
    assert out.read_text() == "a colleague's file"


def test_each_arm_is_compared_with_the_absent_arm_replicate_by_replicate(script):
    base = {o: 10.0 for o in script.OUTCOMES}
    runs = {arm: [dict(base), dict(base), dict(base)] for arm in script.ARMS}
    for k, shift in enumerate((1.0, 2.0, 3.0)):  # the present arm: absent + 1, 2, 3
        runs["present"][k] = {o: 10.0 + shift for o in script.OUTCOMES}
    rows = {(r["arm"], r["outcome"]): r for r in script.paired_rows(runs)}
    present = rows[("present", "unmet_need_days_per_1000_residents")]
    assert present["mean"] == pytest.approx(2.0) and present["below_zero"] == 0
    assert present["low"] < 2.0 < present["high"] and present["replicates"] == 3
    same = rows[("stood up on day 90", "unmet_need_days_per_1000_residents")]
    assert same["mean"] == 0.0 and same["low"] == same["high"] == 0.0
    assert {r["arm"] for r in rows.values()} == set(script.ARMS) - {"absent"}
