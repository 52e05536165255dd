"""Write docs/gallery.md, the figure gallery, from a directory of reproduction outputs.

The figures are those of ``statmech-learn reproduce all --quick --workers 2 --out DIR``: one
``NAME.png`` (and ``NAME.json``) per reproduction registered in
:mod:`statmech_learn.reproduce`.  The directory is, in order of preference,

1. the command-line argument of this script;
2. the environment variable ``STATMECH_LEARN_GALLERY`` (used as is: nothing is recomputed);
3. ``docs/_build/gallery``, filled by running the command above (several minutes) unless it
   already holds every figure.

Every registered reproduction gets a section with its figure (copied to ``docs/_gallery/``), the
command that makes it, one sentence on what to look at and the verdicts of its theory-vs-simulation
checks.  A missing figure, a reproduction without a sentence here, or a sentence for a name that
is not registered is reported as a problem: ``docs/conf.py`` turns each into a Sphinx warning (an
error under ``-W``), this script into exit status 1.

Usage::

    python docs/make_gallery.py [DIR]
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

#: environment variable naming a directory of reproduction outputs (NAME.png, NAME.json)
ENV = "STATMECH_LEARN_GALLERY"
#: the command that makes the figures, and the one-line command per reproduction
COMMAND_ALL = "statmech-learn reproduce all --quick --workers 2 --out DIR"
COMMAND_ONE = "statmech-learn reproduce {name} --quick"

#: what to look at in each figure, written from the reproduction module's docstring
LOOK_AT = {
    "gardner": "In panel (a) the capacity of ±1 weights is the Krauth–Mézard value 0.833 (zero RS entropy), "
    "well below the replica-symmetric q → 1 point 4/π of Gardner and Derrida, and in panel (d) the "
    "finite-n half-crossings of ±1 weights drift toward 0.833 as n grows, while the spherical Monte "
    "Carlo points of panel (b) sit on Cover's exact finite-n curve.",
    "cover": "The Monte Carlo separable fraction follows Cover's exact finite-n curve C(P, n)/2^P at every n: "
    "it crosses 1/2 at α = 2 and the step sharpens as n grows.",
    "teacher-student": "The simulation points (AMP for the Bayes-optimal student, scipy optimisers for logistic, "
    "hinge and ridge ERM, exact Hamiltonian Monte Carlo of the posterior for Gibbs learning at T = 0.5) "
    "sit on their replica-symmetric lines.",
    "binary-perceptron": "The free entropies of the uninformed fixed point and of perfect recovery cross at "
    "α_it = 1.245, where the thermodynamic overlap jumps to 1, while AMP stays on the "
    "uninformed branch until the spinodal α_sp = 1.493.",
    "compressed-sensing": "Between α_IT = 0.1930 and the spinodal α_sp = 0.2088 the GAMP points stay on the "
    "large-MSE uninformed branch although the informed branch is the Bayes-optimal one; "
    "panel (b) shows the two thresholds and the informed spinodal against the density ρ, "
    "above the noiseless bound α = ρ.",
    "perceptron-rules": "On log-log axes the ODE learning curves reach their asymptotes α^(−1/2) (Hebb), "
    "α^(−1/3) (perceptron) and α^(−1) (AdaTron), and the finite-N simulations follow the ODEs.",
    "saad-solla": "The error stalls on the symmetric plateau before the student units specialise; finite-N "
    "runs leave the plateau earlier than the ODE, and later at the larger N (the escape time "
    "grows like log N).",
    "overparametrization": "With the second layer fixed the final error grows with the student size K, with it "
    "learned it does not; panel (b) checks that the ODE curves have left their plateaus "
    "and are flat at the end.",
    "sk-tap": "TAP's magnetisations are far closer to exact enumeration than naive mean field at high temperature "
    "and both degrade towards the AT temperature, below which TAP does not converge on every instance "
    "(crosses); TAP's q matches the RS overlap above the AT line, drawn in panel (c).",
    "rbm-tap": "TAP training ends within a nat of the best trainer in exact held-out log-likelihood (naive mean "
    "field is not worse on these digits); panels (c) and (d) show the TAP fixed points, the learned "
    '"memories", of the TAP- and naive-trained machines.',
    "rbm-vs-rg": "The KL runs drive D_KL down while |F − F_λ| stays far from zero, and the free-energy runs reach "
    "F_λ = F within a few iterations while their KL stays near the start: the two optima differ.",
    "reweighting": "Machines trained on samples at T reweighted to T′ reach the KL of the machine trained at T′, "
    "unlike the unweighted one; error-carry batches hold the adjusted batch size at its target "
    "where fixed-size batches fluctuate, without reducing the gradient variance everywhere.",
    "sgd-temperature": "The SGD variance follows the exact discrete-time law ησ²/(h(2 − ηh)), leaving the "
    "small-learning-rate Gibbs value as η grows; plain SGD with anisotropic noise has two "
    "temperatures, and the rescaled rates η_i = η′/σ_i² bring them to one.",
    "double-descent": "At small l2 the test error peaks at the interpolation threshold P = n and the optimal "
    "penalty removes the peak; real random-features regressions (points) follow the theory "
    "(lines).",
    "structured-data": "With a teacher aligned with the salient features the ridge error has a local minimum "
    "before the interpolation peak at α = 1 (panel a), and the logistic loss gains most from "
    "the structure (panel b).",
    "real-data": "Ridge learning curves on the digits, for raw pixels and for random features, follow the "
    "Gaussian covariate model of the data set (lines) within the finite-size and non-Gaussian "
    "allowances of the check.",
    "committee": "With Gaussian weights the specialisation is continuous; with ±1 weights AMP (state evolution "
    "and finite instances) stays on the worse branch between the first-order transition and its "
    "threshold, the computational gap, which for K = 3 extends from α = 3.77 to α ≈ 13, and in the "
    "large-K limit AMP never specialises.",
}

#: the theory note behind each reproduction (docs/theory/)
THEORY = {
    "gardner": "capacity",
    "cover": "capacity",
    "teacher-student": "replica",
    "binary-perceptron": "replica",
    "compressed-sensing": "replica",
    "perceptron-rules": "online",
    "saad-solla": "online",
    "overparametrization": "online",
    "sk-tap": "meanfield",
    "rbm-tap": "meanfield",
    "rbm-vs-rg": "renormalization",
    "reweighting": "reweighting",
    "sgd-temperature": "dynamics",
    "double-descent": "gaussian_covariate",
    "structured-data": "gaussian_covariate",
    "real-data": "gaussian_covariate",
    "committee": "committee",
}

#: generated files, relative to docs/ (both ignored by git)
PAGE = "gallery.md"
FIGURES = "_gallery"


def registry() -> dict:
    """Name -> :class:`~statmech_learn.reproduce.Reproduction`, in registration order."""
    from statmech_learn.reproduce import REGISTRY

    return REGISTRY()


def resolve_source(docs: Path, log: Callable[[str], None] = print) -> Path:
    """The directory of reproduction outputs: ``$STATMECH_LEARN_GALLERY``, else ``docs/_build/gallery``,
    filled by ``statmech-learn reproduce all --quick --workers 2`` when a figure is missing there."""
    given = os.environ.get(ENV)
    if given:
        return Path(given).expanduser().resolve()
    default = docs / "_build" / "gallery"
    missing = [name for name in registry() if not (default / f"{name}.png").is_file()]
    if missing:
        cmd = [
            sys.executable,
            "-m",
            "statmech_learn",
            "reproduce",
            "all",
            "--quick",
            "--workers",
            "2",
            "--out",
            str(default),
        ]
        log(
            f"gallery: {ENV} is not set and {default} lacks {len(missing)} figure(s): running "
            f"{' '.join(cmd[2:])} (several minutes)"
        )
        default.mkdir(parents=True, exist_ok=True)
        status = subprocess.run(cmd, check=False).returncode
        log(f"gallery: reproductions finished with exit status {status}")
    return default


def _checks_line(meta: Path) -> str:
    """One line on the theory-vs-simulation checks of ``NAME.json``, or '' without it."""
    if not meta.is_file():
        return ""
    data = json.loads(meta.read_text())
    from statmech_learn.cli import _verdicts  # the command line's reading of the checks

    verdicts = dict(_verdicts(data.get("checks", {})))
    version = data.get("version", "?")
    if not verdicts:
        return f"Checks: none with a verdict (statmech-learn {version})."
    failed = [k for k, ok in verdicts.items() if not ok]
    line = f"Checks: {len(verdicts) - len(failed)} of {len(verdicts)} pass (statmech-learn {version})"
    return line + (f"; failed: {', '.join(f'`{k}`' for k in failed)}." if failed else ".")


def _copy(src: Path, dst: Path) -> None:
    """Copy ``src`` to ``dst`` unless ``dst`` already has the same content (keeps Sphinx's cache valid)."""
    if dst.is_file() and dst.stat().st_size == src.stat().st_size and dst.read_bytes() == src.read_bytes():
        return
    dst.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(src, dst)


def render(source: Path, docs: Path) -> tuple[str, list[str]]:
    """The Markdown of the gallery page (copying the figures) and the list of problems."""
    reps = registry()
    problems = [
        f"gallery: make_gallery.LOOK_AT has a sentence for {name!r}, which is not a registered reproduction"
        for name in LOOK_AT
        if name not in reps
    ]
    lines = [
        "# Figure gallery",
        "",
        "Every phase diagram registered in `statmech_learn.reproduce` (`statmech-learn list`), as drawn by its",
        "quick run: smaller sizes and fewer samples than the full run (drop `--quick`), the same code.",
        "Each reproduction also writes `NAME.csv` (every theory and simulation point) and `NAME.json`",
        "(parameters, timings, references and every theory-vs-simulation check with its tolerance).",
        "All of them at once:",
        "",
        "```bash",
        COMMAND_ALL,
        "```",
        "",
        "(The figures need the `plot` extra, `rbm-tap` and `real-data` also the `data` extra.)",
        "",
    ]
    for name, rep in reps.items():
        lines += [f"## {name}", "", f"*{rep.description}*", ""]
        sentence = LOOK_AT.get(name)
        if sentence is None:
            problems.append(
                f"gallery: no sentence for reproduction {name!r}: add it to LOOK_AT in docs/make_gallery.py"
            )
        else:
            lines += [f"**What to look at.** {sentence}", ""]
        lines += ["```bash", COMMAND_ONE.format(name=name), "```", ""]
        png = source / f"{name}.png"
        copy = docs / FIGURES / f"{name}.png"
        if png.is_file():
            _copy(png, copy)
            lines += [f"```{{figure}} {FIGURES}/{name}.png", f":alt: {rep.description}", ":width: 100%", "", "```", ""]
        else:
            copy.unlink(missing_ok=True)
            problems.append(
                f"gallery: figure of reproduction {name!r} not found: {png} (make it with "
                f"'{COMMAND_ONE.format(name=name)} --out {source}', or point {ENV} to a directory "
                f"written by '{COMMAND_ALL}')"
            )
            lines += ["**Figure missing from this build.**", ""]
        checks = _checks_line(source / f"{name}.json")
        if checks:
            lines += [checks, ""]
        if name in THEORY:
            lines += [f"Theory: [docs/theory/{THEORY[name]}.md](theory/{THEORY[name]}.md).", ""]
    return "\n".join(lines).rstrip() + "\n", problems


def write_gallery(source: Path, docs: Path) -> list[str]:
    """Write ``docs/gallery.md`` (only if its text changed) and return the problems found."""
    text, problems = render(Path(source), Path(docs))
    page = Path(docs) / PAGE
    if not page.is_file() or page.read_text() != text:
        page.write_text(text)
    return problems


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) > 1 or (argv and argv[0] in ("-h", "--help")):
        print(__doc__)
        return 0 if argv and argv[0] in ("-h", "--help") else 2
    docs = Path(__file__).resolve().parent
    source = Path(argv[0]).resolve() if argv else resolve_source(docs)
    problems = write_gallery(source, docs)
    for p in problems:
        print(f"warning: {p}", file=sys.stderr)
    print(f"wrote {docs / PAGE} from {source}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
