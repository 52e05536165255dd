"""The Sphinx documentation (docs/): what can drift from the code without a docs build noticing."""

import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from statmech_learn.reproduce import REGISTRY

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"


def _fenced(text: str, lang: str = "") -> list[str]:
    return re.findall(rf"```{lang}\n(.*?)```", text, flags=re.DOTALL)


def _make_gallery():
    spec = importlib.util.spec_from_file_location("make_gallery", DOCS / "make_gallery.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_getting_started_has_the_readme_commands():
    readme = (ROOT / "README.md").read_text().split("```")
    main_cmd, test_cmd = (readme[k].strip().splitlines()[-1] for k in (1, 3))
    commands = [b.strip() for b in _fenced((DOCS / "getting_started.md").read_text(), "bash")]
    assert commands[:2] == [main_cmd, test_cmd]


def test_gallery_has_a_sentence_and_a_theory_note_for_every_reproduction():
    gallery = _make_gallery()
    names = list(REGISTRY())
    assert sorted(gallery.LOOK_AT) == sorted(names)
    assert sorted(gallery.THEORY) == sorted(names)
    for note in gallery.THEORY.values():
        assert (DOCS / "theory" / f"{note}.md").is_file()


def test_missing_figures_are_reported(tmp_path):
    gallery = _make_gallery()
    docs = tmp_path / "docs"
    docs.mkdir()
    problems = gallery.write_gallery(tmp_path / "no-figures", docs)
    assert len(problems) == len(REGISTRY())
    assert all("not found" in p for p in problems)
    page = (docs / gallery.PAGE).read_text()
    assert page.count("**Figure missing from this build.**") == len(REGISTRY())


def test_docs_extra_is_declared():
    tomllib = pytest.importorskip("tomllib")  # Python >= 3.11
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    assert {re.split(r"[<>=\[]", req)[0] for req in extras["docs"]} == {"sphinx", "myst-parser"}


@pytest.mark.slow
def test_getting_started_snippets_print_what_the_page_says(tmp_path):
    pytest.importorskip("matplotlib")
    text = (DOCS / "getting_started.md").read_text()
    snippets, outputs = _fenced(text, "python"), _fenced(text, "text")
    assert len(snippets) == len(outputs) == 2
    env = dict(os.environ, MPLBACKEND="Agg")
    for code, expected in zip(snippets, outputs):
        run = subprocess.run(
            [sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True, check=True
        )
        assert run.stdout.strip() == expected.strip()
    assert (tmp_path / "capacity.png").is_file()
