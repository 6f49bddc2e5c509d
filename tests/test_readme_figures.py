"""The README's measured figures are written by the scripts that measure them
(``experiments/readme_section.py``; ``benchmark.py`` and ``sobol_cost.py`` with ``--readme``):
only between their markers, never into a file without them, never from a file that is not
theirs."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from support import load_script

ROOT = Path(__file__).resolve().parent.parent
EXPERIMENTS = ROOT / "experiments"
section = load_script(EXPERIMENTS / "readme_section.py")

TEXT = "# Title\n\nabove \u00e9\n<!-- demo:begin -->\nold\n<!-- demo:end -->\nbelow\n"


def test_a_section_is_replaced_and_the_rest_kept_byte_for_byte(tmp_path):
    path = tmp_path / "R.md"
    path.write_text(TEXT, encoding="utf-8")
    section.replace_section(path, "demo", "| a | b |\n|---|---|\n")
    text = path.read_text(encoding="utf-8")
    assert text == ("# Title\n\nabove \u00e9\n<!-- demo:begin -->\n\n| a | b |\n|---|---|\n\n"
                    "<!-- demo:end -->\nbelow\n")
    section.replace_section(path, "demo", "new")  # again: the same frame around the new body
    assert path.read_text(encoding="utf-8") == TEXT.replace("\nold\n", "\n\nnew\n\n")


@pytest.mark.parametrize("text, found", [
    ("no markers at all\n", "found 0 and 0"),
    ("<!-- demo:begin -->\nonly a beginning\n", "found 1 and 0"),
    ("<!-- demo:begin --><!-- demo:end --><!-- demo:begin --><!-- demo:end -->",
     "found 2 and 2"),
    ("<!-- demo:end -->\nback to front\n<!-- demo:begin -->\n", "in the wrong order"),
])
def test_a_file_without_one_well_placed_section_is_refused_and_left_alone(tmp_path, text,
                                                                           found):
    path = tmp_path / "R.md"
    path.write_text(text)
    with pytest.raises(section.SectionError, match=found):
        section.replace_section(path, "demo", "new")
    assert path.read_text() == text
    with pytest.raises(section.SectionError, match="cannot be read"):
        section.check_section(tmp_path / "missing.md", "demo")


def _script(name: str, *args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(EXPERIMENTS / f"{name}.py"), *args],
                          capture_output=True, text=True, cwd=cwd, timeout=120)


@pytest.mark.parametrize("name", ["benchmark", "sobol_cost"])
def test_a_readme_without_the_section_is_refused_before_anything_is_measured(tmp_path, name):
    readme = tmp_path / "README.md"
    readme.write_text("# no section here\n")
    out = tmp_path / "figures.json"
    proc = _script(name, "--readme", str(readme), "--out", str(out), cwd=tmp_path)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    marker = "benchmark" if name == "benchmark" else "sobol"
    assert f"argument --readme: {readme}: needs exactly one '<!-- {marker}:begin -->'" \
        in proc.stderr
    assert readme.read_text() == "# no section here\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["README.md"]  # nothing measured


@pytest.mark.parametrize("name", ["benchmark", "sobol_cost"])
@pytest.mark.parametrize("content, message", [
    ("not json {", "not a readable JSON file"),
    ("[1, 2]", "a JSON object is expected"),
    ('{"date": 3}', "'date' must be a str"),
])
def test_a_results_file_that_is_not_the_scripts_own_is_refused(tmp_path, name, content,
                                                                message):
    marker = "benchmark" if name == "benchmark" else "sobol"
    readme = tmp_path / "README.md"
    text = f"a\n<!-- {marker}:begin -->\nold\n<!-- {marker}:end -->\nb\n"
    readme.write_text(text)
    saved = tmp_path / "saved.json"
    saved.write_text(content)
    proc = _script(name, "--readme", str(readme), "--from-json", str(saved), cwd=tmp_path)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert f"argument --from-json: {saved}: " in proc.stderr and message in proc.stderr
    assert readme.read_text() == text


@pytest.mark.parametrize("name", ["benchmark", "sobol_cost"])
def test_from_json_needs_a_readme(tmp_path, name):
    saved = tmp_path / "saved.json"
    saved.write_text("{}")
    proc = _script(name, "--from-json", str(saved), cwd=tmp_path)
    assert proc.returncode == 2 and "argument --from-json: needs --readme" in proc.stderr


SOBOL_RESULT = {
    "date": "2026-12-07 16:00 UTC", "git_revision": "0123456789abcdef", "n_jobs": 2,
    "command": ["experiments/sobol_cost.py", "--runs", "120", "--out", "/tmp/c.json",
                "--breakdown", "3", "--readme", "README.md"],
    "machine": {"cpu": "Some CPU", "cores": 2, "python": "3.12.1",
                "interpreter": "CPython 3.12.1 (flags)"},
    "design": "urban_year",
    "breakdown": {"runs": 3, "burn_in_cpu": 1.0, "year_cpu": 0.37, "write_run_cpu": 0.02},
    "runs": {"uptime_before": "16:00:00 up 1 day, load average: 0.5, 0.6, 0.7"},
    "projection": {"design_runs": 10240, "prefix_runs": 120, "per_run_wall_with_workers": 0.5,
                   "per_run_cpu": 1.0, "per_run_from": "runs after the workers' warm-up",
                   "startup_wall": 3.0, "workers_fixed_wall": 3.0,
                   "collect_wall_projected": 200.0, "analysis_wall": 1.0,
                   "total_hours_wall_clock": 1.49, "total_hours_cpu_over_cores": 1.5,
                   "target_hours": 1.5, "run_folders_gb_projected": 4.9,
                   "burn_in_state_gb_projected": 0.17},
}


@pytest.mark.parametrize("hours, verdict", [(1.49, "target 1.5 h: met"),
                                            (1.5, "target 1.5 h: met"),
                                            (1.51, "target 1.5 h: **not met**")])
def test_the_sobol_projection_is_written_with_its_verdict(tmp_path, hours, verdict):
    result = json.loads(json.dumps(SOBOL_RESULT))
    result["projection"]["total_hours_wall_clock"] = hours
    saved = tmp_path / "cost.json"
    saved.write_text(json.dumps(result))
    readme = tmp_path / "README.md"
    readme.write_text("a\n<!-- sobol:begin -->\n<!-- sobol:end -->\nb\n")
    proc = _script("sobol_cost", "--readme", str(readme), "--from-json", str(saved),
                   cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    text = readme.read_text()
    assert verdict in text and f"**{hours:.2f} h** on the wall clock" in text
    assert ("Made by `python experiments/sobol_cost.py --runs 120 --breakdown 3` on the code "
            "of `0123456789`") in text
    assert "Some CPU, 2 logical CPUs; CPython 3.12.1 (flags)" in text
    assert "load average 0.5, 0.6, 0.7 at the start of the runs" in text
    assert text.startswith("a\n<!-- sobol:begin -->\n") and text.endswith("-->\nb\n")


def test_sobol_cost_refuses_readme_with_base(tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text("<!-- sobol:begin --><!-- sobol:end -->")
    proc = _script("sobol_cost", "--readme", str(readme), "--base", "HEAD", cwd=tmp_path)
    assert proc.returncode == 2 and "--readme cannot be used with --base" in proc.stderr


def test_the_command_shown_is_what_was_measured_not_where_files_went():
    shown = section.shown_command("experiments/benchmark.py", [
        "--sizes", "100", "--out", "/tmp/x.json", "--readme", "README.md", "--force",
        "--repeat", "3", "--out=/tmp/y.json", "--readme=R.md", "--seed", "7"])
    assert shown == ("python experiments/benchmark.py --sizes 100 --repeat 3 --seed 7")
    # argparse's abbreviations of them too
    assert section.shown_command("b.py", ["--o", "x.json", "--readm=R.md", "--rea", "R.md",
                                          "--repeat", "2"]) == "python b.py --repeat 2"
    assert section.shown_command("s.py", ["--design", "my design.yaml"]) == \
        "python s.py --design 'my design.yaml'"


def test_line_endings_links_and_permissions_are_kept(tmp_path):
    """A CRLF file stays CRLF (its old lines byte for byte, the new ones in its ending); a
    README reached through a link is written where the link points, with its permissions."""
    crlf = tmp_path / "crlf.md"
    crlf.write_bytes(b"a\r\nb\r\n<!-- demo:begin -->\r\nold\r\n<!-- demo:end -->\r\nc\r\n")
    section.replace_section(crlf, "demo", "x\ny")
    assert crlf.read_bytes() == (b"a\r\nb\r\n<!-- demo:begin -->\r\n\r\nx\r\ny\r\n\r\n"
                                 b"<!-- demo:end -->\r\nc\r\n")
    real = tmp_path / "real.md"
    real.write_text(TEXT)
    real.chmod(0o640)
    link = tmp_path / "link.md"
    link.symlink_to(real)
    section.replace_section(link, "demo", "new")
    assert link.is_symlink() and real.read_text() == TEXT.replace("\nold\n", "\n\nnew\n\n")
    assert real.stat().st_mode & 0o777 == 0o640


def test_a_readme_that_cannot_be_written_is_refused_before_measuring(tmp_path, monkeypatch):
    readme = tmp_path / "README.md"
    readme.write_text(TEXT)
    section.check_section(readme, "demo")  # writable: accepted
    for unwritable in (readme, tmp_path):  # the file, or its folder (the atomic replace)
        monkeypatch.setattr(section.os, "access",
                            lambda p, mode, bad=unwritable: Path(p) != bad.resolve())
        with pytest.raises(section.SectionError, match="cannot be written"):
            section.check_section(readme, "demo")


def test_the_revision_shown_says_when_the_tree_had_changes():
    assert section.shown_revision("0123456789abcdef0123") == "0123456789"
    assert section.shown_revision("0123456789abcdef0123-dirty") == "0123456789-dirty"


def test_a_failed_benchmark_case_leaves_the_readme_as_it_was(tmp_path):
    """A case that fails (here a county above the size limit, refused at once) is in the
    results file, but its table is not the README's figures: the section is not written."""
    readme = tmp_path / "README.md"
    text = "a\n<!-- benchmark:begin -->\nold\n<!-- benchmark:end -->\nb\n"
    readme.write_text(text)
    out = tmp_path / "bench.json"
    proc = _script("benchmark", "--sizes", "100000000", "--no-urban", "--no-baseline",
                   "--days", "1", "--readme", str(readme), "--out", str(out), cwd=tmp_path)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert f"not written into {readme}: a case failed" in proc.stderr
    assert readme.read_text() == text
    assert "error" in json.loads(out.read_text())["results"][0]


@pytest.mark.parametrize("name", ["benchmark", "sobol_cost"])
def test_markers_gone_when_the_figures_are_written_give_a_message_not_a_traceback(tmp_path,
                                                                                   name, capsys):
    """The README is checked before measuring and read again when written (edits made
    meanwhile are kept); if its markers went meanwhile, the script says so, exit status 2,
    and says how to write the saved results later."""
    module = load_script(EXPERIMENTS / f"{name}.py")
    readme = tmp_path / "README.md"
    readme.write_text("the markers were removed\n")
    saved = tmp_path / "saved.json"
    result = SOBOL_RESULT if name == "sobol_cost" else BENCHMARK_REPORT
    assert not module.write_readme(readme, result, saved)
    assert readme.read_text() == "the markers were removed\n"
    err = capsys.readouterr().err
    assert "argument --readme: " in err and "found 0 and 0" in err
    assert f"--readme {readme} --from-json {saved}" in err


BENCHMARK_REPORT = {
    "date": "2026-12-07T16:00:00+00:00", "git_revision": "0123456789abcdef", "days": 365,
    "repeat": 3, "command": ["benchmark.py", "--repeat", "3"],
    "machine": {"cpu": "Some CPU", "logical_cpus": 2, "memory_gb": 8.0,
                "load_average_at_start": [0.1, 0.2, 0.3]},
    "versions": {"python": "3.12.1", "numpy": "2", "mesa": "3.5"},
    "results": [], "comparisons": [], "targets": [],
}
