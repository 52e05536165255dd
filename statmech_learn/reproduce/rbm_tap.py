r"""RBMs on the handwritten digits trained by CD-1, PCD, naive mean field and TAP.

Gabrie, Tramel & Krzakala 2015 ("Training restricted Boltzmann machines via the
Thouless-Anderson-Palmer free energy", NeurIPS 28) train a Bernoulli RBM with the gradient of the
second-order (TAP) mean-field free energy at its fixed points in place of the Monte Carlo negative
phase.  Here 16 hidden units learn the binarised 8 x 8 digits of scikit-learn (the ``data`` extra;
pixels >= 8 of 16 are on); every trainer uses the same epochs, batch size 20 and learning rate, and
so does scikit-learn's ``BernoulliRBM`` (PCD-1; an epoch is its ``partial_fit`` on each minibatch of a
shuffled pass, since its ``partial_fit`` is one step), whose parameters are evaluated by the same exact code.

(a) The exact held-out log-likelihood per image against the epoch (log Z summed over the 2^16
hidden configurations), on the last 297 images of a fixed permutation; the training images are the
first ``n_train``.
(b) For the TAP-trained machine, the training log-likelihood with the exact log Z and with the TAP
estimate of log Z (the largest TAP free entropy among the fixed points reached from the persistent
magnetisations), the comparison the seed makes ("ln Z ~ -G(m)").
(c), (d) The distinct TAP fixed points (visible magnetisations, 8 x 8, with how many of 20 random
starts reached each) of the TAP-trained and of the naive-MF-trained machine: the learned
"memories" of the seed's figure ("TAP fixed points with trained weights and biases for different
initializations" and "Now for a naive-MF machine").

Parameters.  Quick: 1000 training images, 10 epochs, learning rate 0.1; full: 1500 images, 30
epochs, learning rate 0.05 (the setting of the issue's table).

Checks in ``NAME.json``:
``tap_within_one_nat``: TAP's final held-out log-likelihood is within 1 nat per image of the best
trainer's; ``all_beat_independent``: every trainer's final held-out log-likelihood exceeds that of
the independent-pixel model fitted on the training images; ``tap_estimate`` (informative): the gap
between the TAP and exact training log-likelihoods of the TAP machine at the last epoch;
``tap_vs_naive`` (informative): the final held-out difference TAP - naive (the seed's comparison is
between the fixed points, panels (c) and (d), not the likelihoods; on these digits naive mean-field
training reaches a likelihood as good as TAP's); ``failures``: mean-field starts that did not
converge during training (left out of the gradient and counted).
"""

from __future__ import annotations

import warnings
from typing import TypedDict

import numpy as np

from ..errors import ConvergenceWarning
from ..sweep import Grid
from .base import Panel, Reproduction, ReproductionResult, RunContext, Series, Timer

N_HIDDEN, BATCH = 16, 20


class _Settings(TypedDict):
    """Training set size and schedule (quick or full)."""

    n_train: int
    epochs: int
    learning_rate: float


SETTINGS: dict[bool, _Settings] = {
    True: dict(n_train=1000, epochs=10, learning_rate=0.1),
    False: dict(n_train=1500, epochs=30, learning_rate=0.05),
}
METHODS = ("cd", "pcd", "naive", "tap", "sklearn")
N_STARTS = 20


def _split(n_train: int):
    from ..meanfield.datasets import digits

    X, _ = digits(binarize=True)
    idx = np.random.default_rng(0).permutation(len(X))
    return X[idx[:n_train]], X[idx[1500:]]


def train_point(method: str, n_train: int, epochs: int, learning_rate: float, seed: int) -> dict:
    """Train one machine epoch by epoch; exact held-out and training log-likelihoods after each epoch, the TAP
    estimate of the training log-likelihood, and the distinct TAP fixed points at the end."""
    from ..meanfield.rbm import RBM

    train, test = _split(int(n_train))
    seed = int(seed)
    rbm = RBM(
        N_HIDDEN,
        method="cd" if method == "sklearn" else method,
        learning_rate=learning_rate,
        n_iter=1,
        batch_size=BATCH,
        learning_curve="none",
        random_state=seed,
    )
    sk = None
    if method == "sklearn":
        from sklearn.neural_network import BernoulliRBM

        sk = BernoulliRBM(
            n_components=N_HIDDEN, learning_rate=learning_rate, batch_size=BATCH, n_iter=1, random_state=seed % 2**32
        )
        rbm.fit(train[:BATCH])  # a fitted shell whose parameters are overwritten with scikit-learn's
    heldout, train_ll, tap_ll, failures = [], [], [], 0
    rng = np.random.default_rng(seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        for _ in range(int(epochs)):
            order = rng.permutation(len(train))
            if sk is not None:  # one epoch of scikit-learn's own minibatch steps (partial_fit is one step)
                for start in range(0, len(train), BATCH):
                    sk.partial_fit(train[order[start : start + BATCH]])
                rbm.components_ = sk.components_.copy()
                rbm.intercept_hidden_ = sk.intercept_hidden_.copy()
                rbm.intercept_visible_ = sk.intercept_visible_.copy()
            else:
                rbm.partial_fit(train)
            log_z = rbm.log_partition("exact").value
            data_term = float(np.mean(rbm.score_samples(train))) + log_z
            heldout.append(float(np.mean(rbm.score_samples(test))))
            train_ll.append(data_term - log_z)
            tz = rbm.log_partition("tap")
            tap_ll.append(data_term - tz.value if tz.converged else float("nan"))
        failures = int(getattr(rbm, "n_tap_failures_", 0)) if sk is None else 0
        fp = rbm.tap_fixed_points(n_starts=N_STARTS, rng=seed)
    keep = fp.unique[:12]
    return {
        "heldout": heldout,
        "train": train_ll,
        "tap_estimate": tap_ll,
        "failures": failures,
        "fixed_points": np.round(fp.visible[keep], 4).tolist(),
        "fixed_point_counts": fp.counts[:12].tolist(),
        "n_distinct": int(fp.unique.size),
        "n_converged": int(np.count_nonzero(fp.converged)),
    }


def compute(quick: bool = False, ctx: RunContext | None = None) -> ReproductionResult:
    """Learning curves of the five trainers, the TAP estimate, and the fixed points of TAP and naive machines."""
    ctx = ctx or RunContext(reproduction="rbm-tap")
    st = SETTINGS[bool(quick)]
    timer = Timer()
    grid = Grid(method=list(METHODS), base_seed=ctx.seed) * Grid(
        n_train=[st["n_train"]], epochs=[st["epochs"]], learning_rate=[st["learning_rate"]], seed=[0]
    )
    with timer.stage("training"):
        table = ctx.sweep(train_point, grid, "train")
    rec = {r["method"]: r for r in table.records}
    epochs = np.arange(1, st["epochs"] + 1, dtype=float)
    names = {
        "cd": "CD-1",
        "pcd": "PCD-1",
        "naive": "naive mean field",
        "tap": "TAP",
        "sklearn": "scikit-learn BernoulliRBM",
    }
    series = [
        Series(names[m], "simulation", "a", epochs, np.asarray(rec[m]["heldout"]), group=m, style="o-") for m in METHODS
    ]
    series.append(
        Series(
            "TAP machine: exact log Z",
            "simulation",
            "b",
            epochs,
            np.asarray(rec["tap"]["train"]),
            group="exact",
            style="o-",
        )
    )
    series.append(
        Series(
            "TAP machine: TAP estimate of log Z",
            "theory",
            "b",
            epochs,
            np.asarray(rec["tap"]["tap_estimate"]),
            group="tapest",
            style="--",
        )
    )
    final = {m: float(rec[m]["heldout"][-1]) for m in METHODS}
    train, test = _split(st["n_train"])
    p = np.clip(train.mean(axis=0), 1e-3, 1 - 1e-3)
    independent = float(np.mean(test @ np.log(p) + (1 - test) @ np.log1p(-p)))
    best = max(final.values())
    checks = {
        "final_heldout": final,
        "tap_within_one_nat": {
            "tap": final["tap"],
            "best": best,
            "gap": best - final["tap"],
            "pass": bool(final["tap"] >= best - 1.0),
        },
        "all_beat_independent": {
            "independent_pixels": independent,
            "worst": min(final.values()),
            "pass": bool(min(final.values()) > independent),
        },
        "tap_estimate": {
            "exact": float(rec["tap"]["train"][-1]),
            "tap": float(rec["tap"]["tap_estimate"][-1]),
            "gap": float(rec["tap"]["tap_estimate"][-1] - rec["tap"]["train"][-1]),
        },
        "tap_vs_naive": {"difference": final["tap"] - final["naive"]},
        "failures": {m: int(rec[m]["failures"]) for m in ("naive", "tap")},
        "fixed_points": {
            m: {
                "distinct": rec[m]["n_distinct"],
                "converged": rec[m]["n_converged"],
                "counts": rec[m]["fixed_point_counts"],
            }
            for m in ("tap", "naive")
        },
    }
    panels = [
        Panel(
            "a",
            "epoch",
            "held-out log-likelihood per image [nats]",
            f"(a) digits, {N_HIDDEN} hidden units, {st['n_train']} training images",
            legend="lower right",
        ),
        Panel(
            "b",
            "epoch",
            "training log-likelihood per image [nats]",
            "(b) TAP machine: exact vs TAP log Z",
            legend="lower right",
        ),
    ]
    for name, m in (("c", "tap"), ("d", "naive")):
        imgs = np.asarray(rec[m]["fixed_points"], dtype=float).reshape(-1, 8, 8)
        panels.append(
            Panel(
                name,
                "",
                "",
                f"({name}) TAP fixed points of the {m.upper() if m == 'tap' else m} "
                f"machine: {rec[m]['n_distinct']} of {N_STARTS}",
                images=imgs,
                image_labels=[str(c) for c in rec[m]["fixed_point_counts"]],
            )
        )
    params = dict(
        st,
        n_hidden=N_HIDDEN,
        batch_size=BATCH,
        n_starts=N_STARTS,
        quick=bool(quick),
        seed=ctx.seed,
        methods=list(METHODS),
        n_test=int(test.shape[0]),
    )
    return ReproductionResult(
        "rbm-tap",
        "RBMs on the digits: CD, PCD, naive mean field and TAP training",
        params,
        series,
        panels,
        timer.timings,
        checks,
    )


REPRODUCTION = Reproduction(
    "rbm-tap",
    "RBMs on the digits: exact held-out log-likelihood of CD-1, PCD, naive MF, TAP and scikit-learn; TAP fixed points",
    compute,
)
