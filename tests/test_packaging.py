"""Packaging metadata: one version, one license."""

import importlib.metadata
import re
from pathlib import Path

import pytest

import statmech_learn

ROOT = Path(__file__).resolve().parents[1]


def _pyproject():
    tomllib = pytest.importorskip("tomllib")  # Python >= 3.11
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def test_version_has_a_single_source():
    config = _pyproject()
    # pyproject does not state the version: setuptools reads statmech_learn.__version__
    assert "version" not in config["project"] and "version" in config["project"]["dynamic"]
    assert config["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "statmech_learn.__version__"}
    # ... as a literal, so that building reads it without importing the package (and numpy)
    source = (ROOT / "statmech_learn" / "__init__.py").read_text()
    assert re.findall(r'^__version__ = "([^"]+)"$', source, flags=re.M) == [statmech_learn.__version__]
    assert re.fullmatch(r"\d+\.\d+\.\d+((a|b|rc)\d+)?(\.post\d+)?(\.dev\d+)?", statmech_learn.__version__)


def test_installed_metadata_agrees_with_the_package():
    # fails only if the version was changed without reinstalling (pip install -e .)
    assert importlib.metadata.version("statmech-learn") == statmech_learn.__version__


def test_license_file_matches_the_declared_license():
    assert _pyproject()["project"]["license"] == {"text": "BSD-3-Clause"}
    text = (ROOT / "LICENSE").read_text()
    assert text.startswith("BSD 3-Clause License\n") and "statmech-learn developers" in text
    assert "Neither the name of the copyright holder" in text


def test_import_leaves_the_heavy_optional_modules_unloaded():
    # scipy.stats alone was most of the import time; it and the optional extras load on first use
    import subprocess
    import sys

    heavy = ("scipy.stats", "matplotlib", "dask", "sklearn", "sympy", "pytest")
    code = f"import sys, statmech_learn; print(sorted(m for m in {heavy!r} if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
