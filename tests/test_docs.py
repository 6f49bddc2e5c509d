"""docs/ODD.md: its generated tables match the code, and every parameter carries a source.

The parameter, event and scenario tables in the ODD document, and the data dictionary page
docs/outputs.md, are rendered by ``experiments/make_odd.py``; regenerate them with
``python experiments/make_odd.py``.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest
from support import load_script

from sim.events import event_kinds
from sim.params import Config, iter_params

ROOT = Path(__file__).resolve().parents[1]
ODD = ROOT / "docs" / "ODD.md"
SEED_KEYS = {"000", "001", "002", "003", "004"}  # SOURCES_EXTRACT.md section 0


@pytest.fixture(scope="module")
def make_odd():
    return load_script(ROOT / "experiments" / "make_odd.py")


def _block(text: str, name: str) -> str:
    m = re.search(rf"<!-- {name}:BEGIN -->\n(.*?)<!-- {name}:END -->", text, re.S)
    assert m, f"docs/ODD.md lacks the {name} markers"
    return m.group(1)


def test_generated_sections_are_up_to_date(make_odd):
    text = ODD.read_text(encoding="utf-8")
    assert make_odd.render(text) == text, (
        "docs/ODD.md is out of date with the code: run `python experiments/make_odd.py`")


def test_the_data_dictionary_page_is_up_to_date(make_odd):
    """docs/outputs.md's tables are rendered from sim/outputs.py and name every output."""
    from sim import outputs

    text = (ROOT / "docs" / "outputs.md").read_text(encoding="utf-8")
    assert make_odd.render(text, make_odd.OUTPUT_RENDERERS) == text, (
        "docs/outputs.md is out of date with sim/outputs.py: run `python experiments/make_odd.py`")
    block = _block(text, "OUTPUTS")
    for e in outputs.entries():
        assert f"| `{e.name}` |" in block, (e.table, e.name)


def test_every_parameter_is_in_the_table_with_its_default(make_odd):
    table = _block(ODD.read_text(encoding="utf-8"), "PARAMETERS")
    rows = {line.split("|")[1].strip().strip("`"): line.split("|")[2].strip()
            for line in table.splitlines() if line.startswith("| `")}
    expected = {k: make_odd.format_value(v) for k, v, _ in make_odd.model_parameters()}
    assert expected, "no parameters found"
    assert rows == expected


def test_every_model_parameter_has_a_source_or_is_an_assumption(make_odd):
    """Dev guide: model numbers come with a seed file and line, or are labelled assumptions."""
    bad = []
    for key, value, meta in make_odd.model_parameters():
        source = str(meta.get("source") or "").strip()
        cited = make_odd.SEED_CITATION.search(source) is not None
        assumed = "assumption" in source.lower()
        brief = "MODEL_BRIEF" in source and not isinstance(value, int | float)
        if not (cited or assumed or brief):
            bad.append(f"{key} (source {source!r})")
    assert not bad, "parameters without a seed citation or 'assumption': " + ", ".join(bad)


def test_seed_citations_name_known_seed_files(make_odd):
    bad = [f"{key}: {f}:{a}" for key, _, meta in make_odd.model_parameters()
           for f, a, b in make_odd.SEED_CITATION.findall(str(meta.get("source") or ""))
           if f not in SEED_KEYS or (b and int(b) < int(a))]
    assert not bad, "citations of unknown seed files or reversed line ranges: " + ", ".join(bad)


def test_every_event_kind_is_documented():
    block = _block(ODD.read_text(encoding="utf-8"), "EVENTS")
    for kind in event_kinds():
        assert f"#### `{kind['kind']}`" in block, kind["kind"]
        for name in kind["params"]:
            assert f"`{name}`" in block, f"{kind['kind']}.{name}"


def test_every_scenario_config_is_documented():
    block = _block(ODD.read_text(encoding="utf-8"), "SCENARIOS")
    files = sorted((ROOT / "configs" / "scenario").glob("*.yaml"))
    assert files
    for path in files:
        assert f"| `{path.stem}` |" in block, path.name


def test_a_changed_default_makes_the_table_stale(make_odd):
    """The up-to-date check would catch drift: a different default renders differently."""
    cfg = Config()
    changed = dataclasses.replace(cfg.gp, engagement_start=cfg.gp.engagement_start + 0.01)
    assert (make_odd.render_parameters(dataclasses.replace(cfg, gp=changed))
            != make_odd.render_parameters(cfg))


def test_classification_of_sources(make_odd):
    assert make_odd.evidence_basis("need.x", {"source": "004:359", "meaning": "m"}) == "cited"
    assert make_odd.evidence_basis("need.x", {"source": "assumption; 003:316"}) == "assumption"
    assert make_odd.evidence_basis(
        "need.x", {"source": "assumption", "meaning": "calibrated so that …"}) == "calibrated"
    assert make_odd.evidence_basis("run.seed", {"source": "assumption"}) == "setting"
    assert make_odd.evidence_basis("need.x", {"source": ""}) == "missing"
    assert make_odd.display_unit("link_worker.bespoke_days", {"unit": "count"}) == "days"
    assert make_odd.display_unit("gp.consults_per_year", {"unit": "per year"}) == "per year"
    assert make_odd.display_unit("groups.x.initial_volunteers", {"unit": "count"}) == "count"


def test_missing_markers_are_reported(make_odd):
    with pytest.raises(make_odd.MarkerError, match="PARAMETERS:BEGIN"):
        make_odd.render("# no markers here\n")


def test_check_mode_fails_on_a_stale_document(make_odd, tmp_path, capsys):
    stale = tmp_path / "ODD.md"
    stale.write_text(ODD.read_text(encoding="utf-8").replace(
        "<!-- EVENTS:BEGIN -->\n", "<!-- EVENTS:BEGIN -->\nhand-edited line\n"), encoding="utf-8")
    assert make_odd.main(["--check", "--path", str(stale)]) == 1
    assert "out of date" in capsys.readouterr().err
    assert make_odd.main(["--path", str(stale)]) == 0
    assert make_odd.main(["--check", "--path", str(stale)]) == 0
    assert "hand-edited line" not in stale.read_text(encoding="utf-8")


def test_only_the_event_timeline_is_left_out_of_the_table(make_odd):
    all_keys = {k for k, _, _ in iter_params(Config())}
    documented = {k for k, _, _ in make_odd.model_parameters()}
    assert all_keys - documented == {"events"}
