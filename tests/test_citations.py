"""statmech_learn.cite: the BibTeX registry, the name -> keys mappings, usage tracking, JSON references."""

from __future__ import annotations

import importlib
import inspect
import json
import pickle
import re

import numpy as np
import pytest

import statmech_learn as sl
from statmech_learn import citations
from statmech_learn.citations import ENTRIES, REFERENCES, REPRODUCTIONS, cite
from statmech_learn.reproduce import REGISTRY
from statmech_learn.reproduce.base import Panel, ReproductionResult, Series

PUBLIC_MODULES = [
    "statmech_learn.capacity",
    "statmech_learn.gibbs",
    "statmech_learn.gibbs.spectra",
    "statmech_learn.replica",
    "statmech_learn.online",
    "statmech_learn.meanfield",
    "statmech_learn.meanfield.datasets",
    "statmech_learn.reweight",
    "statmech_learn.dynamics",
    "statmech_learn.gaussian",
]
HEADER = re.compile(r"@(article|book|inproceedings|incollection|misc|techreport)\{([A-Za-z0-9:_-]+),\n")
REQUIRED = {
    "article": {"journal"},
    "inproceedings": {"booktitle"},
    "incollection": {"booktitle"},
    "techreport": {"institution"},
    "book": set(),
    "misc": set(),
}


@pytest.fixture
def fresh_usage():
    """Empty usage record for the test, the previous one restored afterwards."""
    saved = dict(citations._USED)
    citations._reset_usage()
    yield
    citations._USED.clear()
    citations._USED.update(saved)


def _fields(entry: str) -> dict[str, str]:
    """Top-level ``name = {value}`` fields of one entry (values may hold nested braces)."""
    body = entry[entry.index(",") + 1 : entry.rindex("}")]
    fields: dict[str, str] = {}
    i = 0
    while True:
        m = re.compile(r"\s*([A-Za-z]+)\s*=\s*\{").match(body, i)
        if m is None:
            assert body[i:].strip() == "", f"unparsed text {body[i:]!r}"
            return fields
        depth, j = 1, m.end()
        while depth:
            depth += {"{": 1, "}": -1}.get(body[j], 0)
            j += 1
        name = m.group(1).lower()
        assert name not in fields, f"field {name} twice"
        fields[name] = body[m.end() : j - 1]
        rest = body[j:].lstrip()
        if not rest.startswith(","):
            assert rest == "", f"text after field {name}: {rest!r}"
            return fields
        i = j + body[j:].index(",") + 1


# ---------------------------------------------------------------------------------------------- registry
def test_registry_is_large_and_keys_match_headers():
    assert len(ENTRIES) >= 40
    for key, entry in ENTRIES.items():
        m = HEADER.match(entry)
        assert m is not None, f"{key}: header is not '@type{{key,'"
        assert m.group(2) == key


@pytest.mark.parametrize("key", sorted(ENTRIES))
def test_entry_is_structurally_valid_bibtex(key):
    entry = ENTRIES[key]
    depth, opened = 0, entry.index("{")
    for pos, ch in enumerate(entry):
        depth += {"{": 1, "}": -1}.get(ch, 0)
        assert depth >= 0, f"{key}: unbalanced '}}' at {pos}"
        if opened <= pos < len(entry) - 1:
            assert depth > 0, f"{key}: the entry's outer brace closes early, at {pos}"
    assert depth == 0 and entry.endswith("}"), f"{key}: braces do not close"
    assert entry.count("@") == 1
    fields = _fields(entry)
    kind = HEADER.match(entry).group(1)
    assert "title" in fields and fields["title"].strip()
    assert ("author" in fields) or ("editor" in fields), f"{key}: no author or editor"
    assert re.fullmatch(r"(19|20)\d\d", fields["year"]), f"{key}: year {fields.get('year')!r}"
    assert REQUIRED[kind] <= set(fields), f"{key}: {kind} needs {REQUIRED[kind] - set(fields)}"
    if "pages" in fields:
        assert re.fullmatch(r"[A-Z]?\d+(--\d+)?", fields["pages"]), f"{key}: pages {fields['pages']!r}"


def test_requested_papers_are_registered():
    for key in [
        "cover1965",
        "gardner1988",
        "gardner1988derrida",
        "krauth1989",
        "seung1992",
        "engel2001",
        "zdeborova2016",
        "barbier2019",
        "aubin2018",
        "schwarze1993",
        "saad1995pre",
        "thouless1977",
        "sherrington1975",
        "plefka1982",
        "gabrie2015",
        "mehta2014",
        "mandt2017",
        "rangan2011",
        "donoho2009",
        "mei2022",
        "gerace2020",
    ]:
        assert key in ENTRIES, key
    assert "Van den Broeck" in ENTRIES["engel2001"] and "@book{" in ENTRIES["engel2001"]
    assert "Proceedings of the National Academy of Sciences" in ENTRIES["barbier2019"]


# ---------------------------------------------------------------------------------------------- mappings
def test_every_mapped_key_exists():
    for name, keys in list(REFERENCES.items()) + list(REPRODUCTIONS.items()):
        assert keys, f"{name} maps to no key"
        missing = [k for k in keys if k not in ENTRIES]
        assert not missing, f"{name}: {missing} not in ENTRIES"


def test_every_entry_is_used_by_a_mapping():
    used = {k for keys in list(REFERENCES.values()) + list(REPRODUCTIONS.values()) for k in keys}
    assert set(ENTRIES) - used == set()


def test_every_reference_name_resolves_to_a_public_object():
    for name in REFERENCES:
        obj = citations._resolve(name)
        assert callable(obj), name
        assert not name.split(".")[-1].startswith("_"), name


def test_every_registered_reproduction_has_references():
    names = set(REGISTRY())
    assert names, "no reproduction registered"
    for name in names:
        assert REPRODUCTIONS.get(name), f"reproduction {name!r} has no references"
    assert set(REPRODUCTIONS) <= names, f"stale reproduction names {set(REPRODUCTIONS) - names}"


def test_every_tracked_object_is_registered_under_its_own_name():
    index = citations._index()
    tracked = []
    for modname in PUBLIC_MODULES:
        mod = importlib.import_module(modname)
        for attr in dir(mod):
            obj = getattr(mod, attr)
            if isinstance(obj, type):
                own = "_cites_tracked" in vars(obj)
            else:
                own = getattr(obj, "_cites_tracked", False) is True
            if own:
                tracked.append(obj)
                hit = index.get(id(obj))
                assert hit is not None and hit[0] is obj, f"{modname}.{attr} is tracked but not in REFERENCES"
    assert len(tracked) >= 40


# ---------------------------------------------------------------------------------------------- cite(obj)
def test_cite_function_returns_its_entries():
    out = cite(sl.capacity.gardner_capacity)
    assert out.startswith("@article{gardner1988,") and "@article{krauth1989," in out
    assert out.count("@") == 2 and out.endswith("}\n")
    assert cite(sl.capacity.gardner_capacity, format="keys") == "gardner1988,krauth1989"
    assert cite(sl.meanfield.tap, format="keys").split(",")[:2] == ["thouless1977", "plefka1982"]
    # a function of a module the decorator was not added to is still citable
    assert "rangan2011" in cite(sl.replica.amp, format="keys").split(",")


def test_cite_class_instance_subclass_and_method():
    assert cite(sl.replica.Gibbs, format="keys") == "seung1992,engel2001"
    assert cite(sl.replica.Gibbs(0.5), format="keys") == "seung1992,engel2001"
    assert cite(sl.TeacherStudent, format="keys") == cite(sl.replica.TeacherStudent, format="keys")

    class MyRBM(sl.meanfield.RBM):
        pass

    rbm = MyRBM(n_hidden=2)
    assert cite(MyRBM, format="keys") == cite(sl.meanfield.RBM, format="keys")
    assert cite(rbm.fit, format="keys") == cite(sl.meanfield.RBM, format="keys")
    assert "gardner1988" in cite(sl.gibbs.Margin(0.5), format="keys")


def test_cite_names_modules_and_reproductions():
    assert cite("gardner", format="keys") == ",".join(REPRODUCTIONS["gardner"])
    assert cite("gardner") == "\n\n".join(ENTRIES[k] for k in REPRODUCTIONS["gardner"]) + "\n"
    assert cite("plefka1982") == ENTRIES["plefka1982"] + "\n"
    assert cite("statmech_learn.capacity.cover_fraction", format="keys") == "cover1965"
    assert cite("statmech_learn.TeacherStudent", format="keys") == "engel2001,zdeborova2016"
    assert "cover1965" in cite(sl.capacity, format="keys").split(",")
    keys = cite(sl.online, format="keys").split(",")
    assert len(keys) == len(set(keys)) and "saad1995pre" in keys
    assert cite(REGISTRY()["saad-solla"], format="keys") == ",".join(REPRODUCTIONS["saad-solla"])


def test_unknown_names_raise_value_error_naming_them():
    with pytest.raises(ValueError, match="no-such-reproduction"):
        cite("no-such-reproduction")
    with pytest.raises(ValueError, match="statmech_learn.capacity.no_such_function"):
        cite("statmech_learn.capacity.no_such_function")
    with pytest.raises(ValueError, match=r"statmech_learn\.gaussian\.phi"):
        cite(sl.gaussian.phi)  # public but cites nothing
    with pytest.raises(ValueError, match="obj"):
        cite(lambda x: x)
    with pytest.raises(ValueError, match="format.*'latex'"):
        cite("gardner", format="latex")


# ---------------------------------------------------------------------------------------------- cite()
def test_cite_without_argument_lists_what_was_used_in_order(fresh_usage):
    assert cite() == "" and cite(format="keys") == ""
    sl.capacity.gardner_capacity(0.0)
    sl.capacity.gardner_capacity(1.0)
    assert cite(format="keys") == "gardner1988,krauth1989"
    sl.capacity.cover_fraction(10, 5)
    sl.replica.Gibbs(0.5)
    assert cite(format="keys") == "gardner1988,krauth1989,cover1965,seung1992,engel2001"
    out = cite()
    assert out.count("@") == 5 and out.index("@article{gardner1988,") < out.index("@article{cover1965,")


def test_cite_without_argument_records_subclass_instances(fresh_usage):
    sl.online.SoftCommittee(2, 2)
    assert cite(format="keys") == cite(sl.online.SoftCommittee, format="keys")


def test_decorated_functions_keep_identity_signature_and_results():
    f = sl.capacity.gardner_capacity
    assert f.__name__ == "gardner_capacity" and f.__module__ == "statmech_learn.capacity.gardner"
    assert "kappa" in str(inspect.signature(f)) and f.__doc__
    assert pickle.loads(pickle.dumps(f)) is f
    assert f(0.0) == pytest.approx(2.0, rel=1e-12)
    erm = sl.replica.ERM("hinge", 0.1)
    assert pickle.loads(pickle.dumps(erm)) == erm
    assert sl.meanfield.RBM(n_hidden=3).get_params()["n_hidden"] == 3


# ---------------------------------------------------------------------------------------------- JSON
def _result(name: str) -> ReproductionResult:
    s = Series("curve", "theory", "a", np.array([0.0, 1.0]), np.array([1.0, 2.0]))
    return ReproductionResult(
        name=name,
        title="t",
        parameters={"quick": True},
        series=[s],
        panels=[Panel("a", "x", "y")],
        timings={"all": 0.0},
    )


def test_reproduction_json_lists_its_references(tmp_path):
    res = _result("gardner")
    refs = res.metadata()["references"]
    assert [r["key"] for r in refs] == REPRODUCTIONS["gardner"]
    assert all(r["bibtex"] == ENTRIES[r["key"]] for r in refs)
    meta = json.loads(res.write_json(tmp_path / "gardner.json").read_text())
    assert [r["key"] for r in meta["references"]] == REPRODUCTIONS["gardner"]
    assert meta["references"][0]["bibtex"].startswith("@article{gardner1988,")
    assert _result("not-a-reproduction").metadata()["references"] == []


def test_cite_is_exported():
    assert sl.cite is cite and "cite" in sl.__all__
