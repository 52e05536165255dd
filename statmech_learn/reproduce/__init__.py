"""Reproducible phase diagrams: ``statmech-learn list`` / ``statmech-learn reproduce NAME``.

Each module of this package declares one :class:`~.base.Reproduction`; the
registry below is what the command line lists and runs.
"""

from __future__ import annotations

import sys
from pathlib import Path

from .base import Panel, Reproduction, ReproductionResult, RunContext, Series, Timer

__all__ = [
    "Panel",
    "Reproduction",
    "ReproductionResult",
    "RunContext",
    "Series",
    "Timer",
    "REGISTRY",
    "get",
    "run",
    "prefix_curve",
]


def _registry() -> dict[str, Reproduction]:
    from . import (
        binary_perceptron,
        committee,
        compressed_sensing,
        cover,
        double_descent,
        gardner,
        overparametrization,
        perceptron_rules,
        rbm_tap,
        rbm_vs_rg,
        real_data,
        reweighting,
        saad_solla,
        sgd_temperature,
        sk_tap,
        structured_data,
        teacher_student,
    )

    return {
        r.name: r
        for r in (
            gardner.REPRODUCTION,
            cover.REPRODUCTION,
            teacher_student.REPRODUCTION,
            binary_perceptron.REPRODUCTION,
            compressed_sensing.REPRODUCTION,
            perceptron_rules.REPRODUCTION,
            saad_solla.REPRODUCTION,
            overparametrization.REPRODUCTION,
            sk_tap.REPRODUCTION,
            rbm_tap.REPRODUCTION,
            rbm_vs_rg.REPRODUCTION,
            reweighting.REPRODUCTION,
            sgd_temperature.REPRODUCTION,
            double_descent.REPRODUCTION,
            structured_data.REPRODUCTION,
            real_data.REPRODUCTION,
            committee.REPRODUCTION,
        )
    }


def get(name: str) -> Reproduction:
    """The reproduction called ``name`` (ValueError listing the valid names otherwise)."""
    reg = _registry()
    if name not in reg:
        raise ValueError(f"name must be one of {', '.join(map(repr, reg))}, got {name!r}")
    return reg[name]


def REGISTRY() -> dict[str, Reproduction]:
    """All reproductions by name."""
    return _registry()


def prefix_curve(prefixes, alphas, n: int):
    r"""Separable fraction and its standard error at each alpha from largest stored prefixes P*.

    :math:`\hat p(\alpha) = \mathrm{mean}(P^* \ge \mathrm{round}(\alpha n))`,
    stderr :math:`\sqrt{\hat p(1-\hat p)/N}`.
    """
    import numpy as np

    prefixes = np.asarray(prefixes)
    need = np.round(np.asarray(alphas, dtype=float) * n).astype(int)
    p = (prefixes[None, :] >= need[:, None]).mean(axis=1)
    return p, np.sqrt(p * (1 - p) / prefixes.size)


def run(
    name: str,
    out: str | Path = ".",
    quick: bool = False,
    executor=None,
    seed: int = 0,
    figure: bool = True,
    checkpoint_dir: str | Path | None = None,
    progress: bool | None = None,
) -> tuple[ReproductionResult, list[Path]]:
    """Compute reproduction ``name`` and write ``NAME.csv``, ``NAME.json`` and ``NAME.png`` to ``out``.

    Simulations run through :func:`statmech_learn.sweep` on ``executor``
    (None: in-process; any ``concurrent.futures.Executor``, Dask's included).
    Without matplotlib the CSV and JSON are written and one line on stderr
    says how to get the figure.  Returns the result and the written paths.
    """
    from ..plotting import have_matplotlib, plot_reproduction

    rep = get(name)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    ctx = RunContext(executor=executor, seed=seed, checkpoint_dir=checkpoint_dir, progress=progress, reproduction=name)
    result = rep.compute(quick=quick, ctx=ctx)
    paths = [result.write_csv(out / f"{name}.csv"), result.write_json(out / f"{name}.json")]
    if figure:
        if have_matplotlib():
            paths.append(plot_reproduction(result, out / f"{name}.png"))
        else:
            print(
                f"{name}.png not drawn: matplotlib is missing; install it with  pip install 'statmech-learn[plot]'",
                file=sys.stderr,
            )
    return result, paths
