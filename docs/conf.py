"""Sphinx configuration of the statmech-learn documentation.

Build (warnings are errors)::

    pip install -e ".[docs,plot,data]"
    STATMECH_LEARN_GALLERY=/path/to/reproductions python -m sphinx -W --keep-going -b html docs docs/_build/html

``STATMECH_LEARN_GALLERY`` names a directory written by
``statmech-learn reproduce all --quick --workers 2 --out DIR`` (``NAME.png`` and ``NAME.json``
for every reproduction).  Without it the build runs that command itself into
``docs/_build/gallery`` (several minutes), unless that directory already holds every figure.
See ``docs/make_gallery.py``.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
sys.path.insert(0, str(DOCS))  # make_gallery

import statmech_learn  # noqa: E402  (after the path set-up)

# -- Project ---------------------------------------------------------------------------------------

project = "statmech-learn"
author = "statmech-learn developers"
copyright = "statmech-learn developers, BSD-3-Clause"
release = statmech_learn.__version__
version = ".".join(release.split(".")[:2])

# -- General ---------------------------------------------------------------------------------------

extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.napoleon",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
]
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store"]
language = "en"

# Markdown (the existing notes in docs/*.md and docs/theory/*.md are plain Markdown)
myst_heading_anchors = 3

# -- autodoc / napoleon ----------------------------------------------------------------------------

# ":members:" is written on each automodule of docs/api/ (a default "members" would override an
# explicit member list there)
autodoc_default_options = {
    "member-order": "bysource",  # a module's __all__ order
    "show-inheritance": True,
}
autodoc_typehints = "signature"
autodoc_preserve_defaults = True
autosummary_generate = False  # the API pages are written by hand (docs/api/*.rst)

napoleon_google_docstring = False
napoleon_numpy_docstring = True
napoleon_use_rtype = False
# Section headings of the documented docstrings besides numpydoc's own: shown as rubrics.  "Attributes"
# is numpydoc's, but its entries are rewritten as a list first (_attributes_as_list below).
napoleon_custom_sections = [
    "Attributes",
    "Randomness",  # statmech_learn.sweep
    "Records",  # statmech_learn.sweep
    "Subpackages",  # statmech_learn
]


def _attributes_as_list(app, what, name, obj, options, lines) -> None:
    """Render the "Attributes" section of a docstring as a bulleted list (autodoc-process-docstring).

    The result classes document their fields either the numpydoc way (``alpha : float`` and an
    indented description) or as ``alpha : load P/N of the instance.``, a description where numpydoc
    puts a type, often for several fields at once (``m, q : overlaps ...``).  napoleon would print
    such a description as a type and split ``m, q`` into a type and a name, so the entries are
    turned into one bullet each before napoleon runs, and napoleon shows the section as it is
    (``"Attributes"`` in ``napoleon_custom_sections``); an entry's text after " : " is shown as a
    type only when it looks like one (``float or ndarray``, ``(n,) array``).
    """
    out, k = [], 0
    while k < len(lines):
        line = lines[k]
        nxt = lines[k + 1] if k + 1 < len(lines) else ""
        if line.strip() != "Attributes" or line.startswith(" ") or not (nxt.strip() and set(nxt.strip()) == {"-"}):
            out.append(line)
            k += 1
            continue
        out += [line, nxt, ""]  # kept for napoleon, which shows it as a rubric (napoleon_custom_sections)
        k += 2
        while k < len(lines):
            line = lines[k]
            nxt = lines[k + 1] if k + 1 < len(lines) else ""
            if line and not line.startswith(" ") and nxt.strip() and set(nxt.strip()) == {"-"}:
                break  # the next section
            if not line.strip():
                k += 1
                continue
            if line.startswith(" "):  # a paragraph after the entries, or stray indentation
                out.append(line.strip())
                k += 1
                continue
            names, sep, text = line.partition(" : ")
            names, text = names.strip(), text.strip()
            head = ", ".join(f"``{n.strip()}``" for n in names.split(","))
            body = []
            k += 1
            while k < len(lines) and (lines[k].startswith(" ") or not lines[k].strip()):
                body.append(lines[k])
                k += 1
            while body and not body[-1].strip():
                body.pop()
            if sep and _type_like(text):
                first = f"* {head} (*{text}*)" + (" --" if body else "")
            else:
                first = f"* {head}" + (f" -- {text}" if text else (" --" if body else ""))
            out.append(first)
            out += ["  " + b[4:] if b.startswith("    ") else "  " + b.strip() for b in body]
        out.append("")
    lines[:] = out


#: the text after " : " in an Attributes entry that is a type, not a description
_TYPE_LIKE = re.compile(r"^(\([^)]*\)\s*)?[\w\[\].|, ]*$")


def _type_like(text: str) -> bool:
    return bool(text) and bool(_TYPE_LIKE.match(text)) and len(text.split()) <= 6 and not text.endswith(".")


# -- HTML ------------------------------------------------------------------------------------------

html_theme = "alabaster"
html_title = f"statmech-learn {release}"
html_theme_options = {
    "description": "Statistical mechanics of learning: theory next to the simulations that test it.",
    "fixed_sidebar": True,
    "page_width": "1100px",
    "sidebar_width": "240px",
}
html_static_path: list[str] = []


# -- The gallery and the API coverage check ----------------------------------------------------------


def _gallery(app) -> None:
    """Write docs/gallery.md from a directory of reproduction outputs (builder-inited)."""
    import make_gallery
    from sphinx.util import logging

    log = logging.getLogger("statmech_learn.gallery")
    source = make_gallery.resolve_source(DOCS, log=log.info)
    for problem in make_gallery.write_gallery(source, DOCS):
        log.warning(problem, type="statmech_learn", subtype="gallery")


def _api_coverage(app, env) -> None:
    """Warn about every public name (``__all__``) that no page of docs/api/ documents (env-check-consistency)."""
    import importlib
    import types

    from sphinx.util import logging

    log = logging.getLogger("statmech_learn.api")
    objects = env.get_domain("py").objects
    documented_ids = {}
    for fullname in objects:
        modname, _, attr = fullname.rpartition(".")
        mod = sys.modules.get(modname)
        if mod is not None and hasattr(mod, attr):
            documented_ids.setdefault(id(getattr(mod, attr)), fullname)
    for modname in API_MODULES:
        mod = importlib.import_module(modname)
        for name in getattr(mod, "__all__", []):
            obj = getattr(mod, name)
            if f"{modname}.{name}" in objects:
                continue
            if isinstance(obj, types.ModuleType) and obj.__name__ in objects:
                continue
            if modname == "statmech_learn" and id(obj) in documented_ids:
                continue  # a top-level re-export, documented where it is defined
            log.warning(
                f"public name {modname}.{name} is not documented in docs/api/", type="statmech_learn", subtype="api"
            )


#: modules whose ``__all__`` must be documented (docs/api/*.rst)
API_MODULES = [
    "statmech_learn",
    "statmech_learn.gaussian",
    "statmech_learn.gibbs",
    "statmech_learn.capacity",
    "statmech_learn.replica",
    "statmech_learn.online",
    "statmech_learn.meanfield",
    "statmech_learn.meanfield.datasets",
    "statmech_learn.reweight",
    "statmech_learn.dynamics",
    "statmech_learn.sweep",
    "statmech_learn.results",
    "statmech_learn.errors",
    "statmech_learn.citations",
    "statmech_learn.reproduce",
    "statmech_learn.plotting",
    "statmech_learn.cli",
]


def setup(app):
    app.connect("builder-inited", _gallery)
    app.connect("autodoc-process-docstring", _attributes_as_list, priority=400)  # before napoleon
    app.connect("env-check-consistency", _api_coverage)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
