"""RBM training on the binarised digits: epoch time, log-likelihood at equal wall time, exact scoring.

Usage::

    python benchmarks/rbm.py [--quick]

Measurements for :class:`statmech_learn.meanfield.rbm.RBM` on the handwritten digits of
:func:`statmech_learn.meanfield.datasets.digits` (1797 images of 8 x 8 pixels in {0, 1}), against
scikit-learn's ``BernoulliRBM`` (persistent contrastive divergence, one Gibbs sweep per step).

1. *Epoch time.*  One training epoch over all 1797 images, 16 hidden units, minibatches of 20
   (90 gradient steps), learning rate 0.05, for the methods 'tap', 'naive', 'pcd' and 'cd'
   (``learning_curve='none'``) and for ``BernoulliRBM(n_components=16, batch_size=20,
   learning_rate=0.05)``.  Ours: the smallest wall time of several ``partial_fit(X)`` calls (one
   epoch each) after a first warm-up epoch; the repeats alternate between the methods, so that a
   change of machine load hits all.  scikit-learn's ``partial_fit(X)`` is a single gradient step
   with X as one batch, not an epoch, so its epoch is measured twice: as its own training loop,
   ``fit`` with ``n_iter=1`` (90 steps over fixed slices, plus a negligible initialisation; the
   reference of the ratios), and as ``partial_fit`` called on each minibatch of a shuffled epoch
   (the public way to train it epoch by epoch, which pays scikit-learn's input validation at
   every step).  ``learning_curve='none'``: nothing is evaluated between epochs.  For the mean-field methods
   the table counts the starts that did not converge (``n_tap_failures_``, over the warm-up and
   the timed epochs, out of 20 starts per step) and the steps skipped because none converged.
   These are the first epochs of training, while the weights are small and the mean-field solves
   take a few iterations; section 2 shows the cost of later epochs.  Target: a TAP epoch at most
   1.5x scikit-learn's epoch (its ``fit`` loop).
2. *Log-likelihood at equal wall time.*  A fixed random split (seed 0): 1500 training images,
   297 held out.  Every method gets the same wall-clock budget (10 s; 3 s with ``--quick``) and
   trains epoch by epoch from a fresh model (``random_state=0``): a new epoch starts while the
   time spent is under the budget, so each run overshoots it by less than one epoch (the time
   actually used is shown, and that of the last epoch: the mean-field solves need more iterations
   as the weights grow).  scikit-learn trains by ``partial_fit`` on shuffled minibatches of
   20; one more row gives it its own loop, a single ``fit`` whose ``n_iter`` is the budget over
   the time of one ``fit`` epoch on the training set.  Then the exact mean log-likelihood per
   image (2^16 hidden configurations summed for log Z) on the held-out and the training images;
   scikit-learn's parameters are copied into a fitted ``RBM`` (``components_``,
   ``intercept_hidden_``, ``intercept_visible_``: the same convention) and scored by ``score``,
   the copy checked through the hidden means (``transform``) and the free energy.  A reference
   row: independent pixels with the training marginals (no hidden units, no training).  A method
   whose parameters diverge is reported as such.  No target.
3. *Exact log-likelihood, 20 hidden units.*  An ``RBM(20, method='pcd')`` fitted for one epoch
   on all 1797 images (``learning_curve='none'``; the method does not matter here), then
   ``score_samples(X)`` on all of them: one exact log Z (2^20 hidden configurations, 1 048 576
   terms of 64 visible log-partitions each) plus the 1797 free energies.  Best of 3 (one with
   ``--quick``).  Target: under 5 s.

``--quick`` uses fewer repeats and the 3 s budget and finishes in well under a minute on an idle
two-core machine.  Timings depend on the machine and on its load (the load average is printed);
OPENBLAS_NUM_THREADS may matter on a shared machine.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import scipy

try:
    import statmech_learn  # noqa: F401
except ImportError:  # running from a source checkout
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import sklearn
from _tables import best_of, markdown
from sklearn.neural_network import BernoulliRBM

from statmech_learn.errors import ConvergenceWarning
from statmech_learn.meanfield.datasets import digits
from statmech_learn.meanfield.partition import log_marginal_visible
from statmech_learn.meanfield.rbm import RBM

OUR_METHODS = ("tap", "naive", "pcd", "cd")
MEAN_FIELD = ("tap", "naive")
N_HIDDEN, BATCH, LR = 16, 20, 0.05
N_TRAIN, SPLIT_SEED = 1500, 0
BUDGET_S, BUDGET_S_QUICK = 10.0, 3.0
EPOCH_REPEATS, EPOCH_REPEATS_QUICK = 5, 2
EPOCH_TARGET = 1.5
SCORE_HIDDEN, SCORE_TARGET_S = 20, 5.0

SK_FIT = "scikit-learn BernoulliRBM, fit(n_iter=1)"
SK_PARTIAL = "scikit-learn BernoulliRBM, partial_fit per minibatch"


def our_rbm(method: str, n_hidden: int = N_HIDDEN) -> RBM:
    return RBM(
        n_hidden, method=method, learning_rate=LR, n_iter=1, batch_size=BATCH, learning_curve="none", random_state=0
    )


def sk_rbm(n_iter: int = 1) -> BernoulliRBM:
    return BernoulliRBM(n_components=N_HIDDEN, batch_size=BATCH, learning_rate=LR, n_iter=n_iter, random_state=0)


def sk_epoch(model: BernoulliRBM, X: np.ndarray, rng: np.random.Generator) -> None:
    """One epoch of scikit-learn's model: ``partial_fit`` on each minibatch of a shuffled order."""
    order = rng.permutation(X.shape[0])
    for start in range(0, X.shape[0], BATCH):
        model.partial_fit(X[order[start : start + BATCH]])


def mean_field_note(model: RBM, epochs: int, n_samples: int) -> str:
    """Non-converged starts out of all starts, and skipped steps, of a mean-field model."""
    if model.method not in MEAN_FIELD:
        return ""
    n_chains = model.n_chains or model.batch_size
    starts = epochs * math.ceil(n_samples / model.batch_size) * n_chains
    skipped = int(np.sum(model.learning_curve_.skipped_steps)) if hasattr(model, "learning_curve_") else 0
    extra = f", {skipped} step{'s' * (skipped > 1)} skipped" if skipped else ""
    return f"{model.n_tap_failures_:,} of {starts:,}{extra}"


# -- 1. epoch time ---------------------------------------------------------------------------------------------------
def epoch_rows(X: np.ndarray, repeats: int) -> list[dict]:
    ours = {m: our_rbm(m).partial_fit(X) for m in OUR_METHODS}  # the first epoch initialises: a warm-up
    sk_partial, sk_rng = sk_rbm(), np.random.default_rng(0)
    sk_epoch(sk_partial, X, sk_rng)
    sk_rbm().fit(X)  # warm-up
    walls = dict.fromkeys((*OUR_METHODS, SK_FIT, SK_PARTIAL), math.inf)
    for _ in range(repeats):
        for m, model in ours.items():
            walls[m] = min(walls[m], best_of(lambda mod=model: mod.partial_fit(X), 1)[0])
        walls[SK_FIT] = min(walls[SK_FIT], best_of(lambda: sk_rbm().fit(X), 1)[0])
        walls[SK_PARTIAL] = min(walls[SK_PARTIAL], best_of(lambda: sk_epoch(sk_partial, X, sk_rng), 1)[0])
    rows = []
    for m, model in ours.items():
        rows.append(
            {
                "method": f"RBM, method='{m}'",
                "key": m,
                "wall_s": walls[m],
                "note": mean_field_note(model, 1 + repeats, X.shape[0]),
            }
        )
    for name in (SK_FIT, SK_PARTIAL):
        rows.append({"method": name, "key": name, "wall_s": walls[name], "note": ""})
    for r in rows:
        r["ratio"] = r["wall_s"] / walls[SK_FIT]
    return rows


def epoch_table(rows: list[dict]) -> str:
    header = ("method", "s per epoch", "ratio to scikit-learn's fit epoch", "non-converged mean-field starts")
    body = [(r["method"], f"{r['wall_s']:.4f}", f"{r['ratio']:.2f}x", r["note"]) for r in rows]
    return markdown(header, body)


# -- 2. log-likelihood at equal wall time ----------------------------------------------------------------------------
def train_for(epoch_fn, budget: float) -> tuple[int, float, float, str]:
    """Run ``epoch_fn`` while the time spent is under ``budget``: (epochs, seconds, seconds of the last epoch,
    failure or '')."""
    epochs, start, last = 0, time.perf_counter(), math.nan
    while (now := time.perf_counter()) - start < budget:
        try:
            epoch_fn()
        except FloatingPointError as exc:
            return epochs, time.perf_counter() - start, last, f"diverged in epoch {epochs + 1}: {exc}"
        last = time.perf_counter() - now
        epochs += 1
    return epochs, time.perf_counter() - start, last, ""


def scorer(train: np.ndarray) -> RBM:
    """A fitted RBM whose parameters are overwritten by those of other models, to score them exactly."""
    return our_rbm("pcd").partial_fit(train)


def score_params(holder: RBM, components, intercept_visible, intercept_hidden, test, train) -> tuple[float, float]:
    holder.components_ = np.array(components, dtype=float)
    holder.intercept_visible_ = np.array(intercept_visible, dtype=float)
    holder.intercept_hidden_ = np.array(intercept_hidden, dtype=float)
    if not all(np.all(np.isfinite(a)) for a in (components, intercept_visible, intercept_hidden)):
        return math.nan, math.nan
    return holder.score(test), holder.score(train)


def likelihood_rows(X: np.ndarray, budget: float) -> tuple[list[dict], list[str]]:
    perm = np.random.default_rng(SPLIT_SEED).permutation(X.shape[0])
    train, test = X[perm[:N_TRAIN]], X[perm[N_TRAIN:]]
    holder = scorer(train)
    rows, notes = [], []

    for m in OUR_METHODS:
        model = our_rbm(m)
        epochs, used, last, failure = train_for(lambda mod=model: mod.partial_fit(train), budget)
        te, tr = (math.nan, math.nan) if failure else (model.score(test), model.score(train))
        note = failure or mean_field_note(model, epochs, train.shape[0])
        rows.append(
            {
                "method": f"RBM, method='{m}'",
                "epochs": str(epochs),
                "used_s": used,
                "last_s": last,
                "test": te,
                "train": tr,
                "note": note,
            }
        )

    sk, rng = sk_rbm(), np.random.default_rng(0)
    epochs, used, last, _ = train_for(lambda: sk_epoch(sk, train, rng), budget)
    te, tr = score_params(holder, sk.components_, sk.intercept_visible_, sk.intercept_hidden_, test, train)
    rows.append(
        {
            "method": SK_PARTIAL,
            "epochs": str(epochs),
            "used_s": used,
            "last_s": last,
            "test": te,
            "train": tr,
            "note": "" if math.isfinite(te) else "parameters not finite",
        }
    )
    hidden_diff = float(np.max(np.abs(sk.transform(test) - holder.transform(test))))
    free = getattr(sk, "_free_energy", None)
    if free is not None:
        fe_diff = float(np.max(np.abs(-free(test) - log_marginal_visible(holder.measure(), test, counting=True))))
        fe_text = f", of -free energy vs log p*(v) {fe_diff:.1e}"
    else:
        fe_text = ""
    notes.append(
        f"parameter copy check (scikit-learn -> RBM, held-out images): max |difference| of hidden means "
        f"{hidden_diff:.1e}{fe_text}"
    )

    one, _ = best_of(lambda: sk_rbm().fit(train), 3)
    n_iter = max(1, int(budget / one))
    sk_fit = sk_rbm(n_iter)
    used, _ = best_of(lambda: sk_fit.fit(train), 1)
    te, tr = score_params(holder, sk_fit.components_, sk_fit.intercept_visible_, sk_fit.intercept_hidden_, test, train)
    rows.append(
        {
            "method": f"scikit-learn BernoulliRBM, fit(n_iter={n_iter})",
            "epochs": str(n_iter),
            "used_s": used,
            "last_s": math.nan,
            "test": te,
            "train": tr,
            "note": f"n_iter = budget / {one:.4f} s",
        }
    )

    p = np.clip(train.mean(axis=0), 1e-3, 1 - 1e-3)
    log_p, log_q = np.log(p), np.log1p(-p)
    rows.append(
        {
            "method": "independent pixels (reference)",
            "epochs": "-",
            "used_s": math.nan,
            "last_s": math.nan,
            "test": float(np.mean(test @ log_p + (1 - test) @ log_q)),
            "train": float(np.mean(train @ log_p + (1 - train) @ log_q)),
            "note": "training marginals",
        }
    )
    return rows, notes


def likelihood_table(rows: list[dict]) -> str:
    header = (
        "method",
        "epochs",
        "training time [s]",
        "last epoch [s]",
        "held-out log-likelihood / image",
        "train log-likelihood / image",
        "note",
    )

    def sec(x: float, digits: int) -> str:
        return "" if math.isnan(x) else f"{x:.{digits}f}"

    body = [
        (
            r["method"],
            r["epochs"],
            sec(r["used_s"], 2),
            sec(r["last_s"], 3),
            f"{r['test']:.3f}",
            f"{r['train']:.3f}",
            r["note"],
        )
        for r in rows
    ]
    return markdown(header, body)


# -- 3. exact scoring with 20 hidden units ---------------------------------------------------------------------------
def score_row(X: np.ndarray, repeats: int) -> dict:
    model = our_rbm("pcd", SCORE_HIDDEN).fit(X)
    wall, ll = best_of(lambda: model.score_samples(X), repeats)
    return {
        "hidden": SCORE_HIDDEN,
        "terms": 2**SCORE_HIDDEN,
        "images": X.shape[0],
        "wall_s": wall,
        "ll": float(np.mean(ll)),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats, a 3 s budget, one scoring run")
    args = parser.parse_args(argv)
    repeats = EPOCH_REPEATS_QUICK if args.quick else EPOCH_REPEATS
    budget = BUDGET_S_QUICK if args.quick else BUDGET_S
    score_repeats = 1 if args.quick else 3
    t_start = time.perf_counter()
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else math.nan
    print(
        f"python {sys.version.split()[0]}, numpy {np.__version__}, scipy {scipy.__version__}, scikit-learn "
        f"{sklearn.__version__}, {os.cpu_count()} CPUs, load average {load:.2f}, OPENBLAS_NUM_THREADS="
        f"{os.environ.get('OPENBLAS_NUM_THREADS', 'unset')}; epoch times best of {repeats}, budget {budget:g} s"
        + (", --quick" if args.quick else "")
    )
    X, _ = digits(binarize=True)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # the failures are counted in the tables

        print(
            f"\n## One epoch: binarised digits ({X.shape[0]} x {X.shape[1]}), {N_HIDDEN} hidden units, "
            f"batch size {BATCH}, learning rate {LR:g}\n"
        )
        rows = epoch_rows(X, repeats)
        print(epoch_table(rows))
        by_key = {r["key"]: r for r in rows}
        tap_ratio = by_key["tap"]["ratio"]
        print(
            f"\nTAP epoch {by_key['tap']['wall_s']:.4f} s = {tap_ratio:.2f}x scikit-learn's fit epoch "
            f"({by_key[SK_FIT]['wall_s']:.4f} s); target <= {EPOCH_TARGET:g}x: "
            f"{'PASS' if tap_ratio <= EPOCH_TARGET else 'MISS'}"
        )
        print(
            f"TAP epoch against scikit-learn's partial_fit epoch ({by_key[SK_PARTIAL]['wall_s']:.4f} s): "
            f"{by_key['tap']['wall_s'] / by_key[SK_PARTIAL]['wall_s']:.2f}x (not the target)"
        )
        print(f"TAP mean-field starts that did not converge: {by_key['tap']['note']}")

        print(
            f"\n## Log-likelihood after {budget:g} s of training: {N_TRAIN} training images, "
            f"{X.shape[0] - N_TRAIN} held out (seed {SPLIT_SEED})\n"
        )
        rows, notes = likelihood_rows(X, budget)
        print(likelihood_table(rows))
        print()
        for note in notes:
            print(note)

    print(f"\n## Exact log-likelihood, {SCORE_HIDDEN} hidden units, all {X.shape[0]} images\n")
    r = score_row(X, score_repeats)
    print(
        markdown(
            (
                "hidden units",
                "configurations summed",
                "images",
                "score_samples wall time [s]",
                "mean log-likelihood / image",
            ),
            [(str(r["hidden"]), f"{r['terms']:,}", str(r["images"]), f"{r['wall_s']:.3f}", f"{r['ll']:.3f}")],
        )
    )
    print(
        f"\nscore_samples with {SCORE_HIDDEN} hidden units: {r['wall_s']:.3f} s; target < {SCORE_TARGET_S:g} s: "
        f"{'PASS' if r['wall_s'] < SCORE_TARGET_S else 'MISS'}"
    )
    print(f"\ntotal wall time: {time.perf_counter() - t_start:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
