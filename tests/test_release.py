"""Release files: licence, citation metadata, changelog and version agree with pyproject."""

from __future__ import annotations

import re
import tomllib

import yaml
from support import REPO

PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text())
VERSION = PYPROJECT["project"]["version"]


def test_licence_file_is_the_mit_licence_pyproject_declares():
    text = (REPO / "LICENSE").read_text()
    assert PYPROJECT["project"]["license"] == {"text": "MIT"}
    assert text.startswith("MIT License") and "WITHOUT WARRANTY OF ANY KIND" in text


def test_citation_file_is_cff_1_2_0_with_the_package_version():
    cff = yaml.safe_load((REPO / "CITATION.cff").read_text())
    # the keys CFF 1.2.0 requires, with the types its schema gives them
    assert cff["cff-version"] == "1.2.0"
    assert isinstance(cff["message"], str) and cff["message"]
    assert isinstance(cff["title"], str) and cff["title"]
    assert cff["authors"] and all(isinstance(a, dict) and ("name" in a or "family-names" in a)
                                  for a in cff["authors"])
    assert cff["type"] in ("software", "dataset")
    assert cff["version"] == VERSION
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", str(cff["date-released"]))
    assert cff["license"] == "MIT"


def test_changelog_follows_keep_a_changelog_and_its_newest_release_is_the_version():
    text = (REPO / "CHANGELOG.md").read_text()
    assert text.startswith("# Changelog") and "Keep a Changelog" in text
    sections = re.findall(r"^## \[([^\]]+)\](?: - (\d{4}-\d{2}-\d{2}))?$", text, re.M)
    assert sections[0] == ("Unreleased", "")
    released = [(v, d) for v, d in sections[1:]]
    assert released and all(d for _, d in released)  # every release is dated
    assert released[0][0] == VERSION
    dates = [d for _, d in released]
    assert dates == sorted(dates, reverse=True)  # newest first
    for heading in re.findall(r"^### (.+)$", text, re.M):
        assert heading in ("Added", "Changed", "Deprecated", "Removed", "Fixed", "Security")
    cff = yaml.safe_load((REPO / "CITATION.cff").read_text())
    assert str(cff["date-released"]) == released[0][1]


def test_the_test_extra_brings_what_executing_the_notebooks_needs():
    extras = PYPROJECT["project"]["optional-dependencies"]
    names = {re.split(r"[<>=\[ ]", r, maxsplit=1)[0].lower() for r in extras["notebooks"]}
    assert {"ipykernel", "nbclient", "nbformat"} <= names
    assert any(r.startswith("community-response-sim[") and "notebooks" in r
               for r in extras["test"])
    assert any(r.startswith("filelock") for r in extras["test"])  # tests/notebook_runs.py
    assert "notebooks" in PYPROJECT["tool"]["pytest"]["ini_options"]["testpaths"]
    assert (REPO / "notebooks" / "test_notebooks.py").is_file()
