"""The ``statmech-learn`` command line.

Examples
--------
::

    statmech-learn capacity --kappa 0.5
    statmech-learn capacity --weights binary --json
    statmech-learn list
    statmech-learn reproduce gardner --quick --out results/
    statmech-learn reproduce gardner --workers 2 --checkpoint-dir runs/
    statmech-learn reproduce gardner --scheduler tcp://scheduler:8786
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from typing import Iterator, Sequence

__all__ = ["main", "build_parser"]


def _cmd_capacity(args: argparse.Namespace) -> int:
    from . import capacity

    alpha_c = capacity.gardner_capacity(args.kappa, args.weights)
    record = {"kappa": args.kappa, "weights": args.weights, "alpha_c": alpha_c}
    if args.weights == "binary":
        record["method"] = "zero of the replica-symmetric entropy (Krauth & Mezard 1989)"
        record["alpha_gardner_derrida"] = capacity.gardner_derrida_capacity(args.kappa)
    else:
        record["method"] = "Gardner (1988): 1 / int_{-kappa}^inf Dt (t + kappa)^2"
    if args.json:
        print(json.dumps(record))
    else:
        print(f"alpha_c(kappa={args.kappa:g}, {args.weights} weights) = {alpha_c:.10f}")
        if "alpha_gardner_derrida" in record:
            print(f"  (RS q -> 1 at the Gardner-Derrida load {record['alpha_gardner_derrida']:.10f}; "
                  "the zero-entropy load above is the capacity)")
    return 0


def _cmd_list(args: argparse.Namespace) -> int:
    from .reproduce import REGISTRY

    for name, rep in REGISTRY().items():
        print(f"{name:<12} {rep.description}")
    return 0


@contextmanager
def _executor(workers: int, scheduler: str | None) -> Iterator[object]:
    """None (in-process), a process pool of ``workers``, or a Dask cluster's executor."""
    if scheduler is not None:
        try:
            from dask.distributed import Client
        except ImportError as exc:
            from .errors import MissingExtraError

            raise MissingExtraError("dask.distributed", "distributed", "--scheduler") from exc
        with Client(scheduler) as client:
            yield client.get_executor()
    elif workers > 1:
        with ProcessPoolExecutor(workers) as pool:
            yield pool
    else:
        yield None


def _cmd_reproduce(args: argparse.Namespace) -> int:
    from .reproduce import get, run

    get(args.name)  # fail fast on an unknown name
    if args.workers < 1:
        raise ValueError(f"workers must be >= 1, got {args.workers}")
    t0 = time.perf_counter()
    with _executor(args.workers, args.scheduler) as executor:
        result, paths = run(args.name, out=args.out, quick=args.quick, executor=executor, seed=args.seed,
                            figure=not args.no_figure, checkpoint_dir=args.checkpoint_dir)
    for p in paths:
        print(f"wrote {p}")
    for key, value in result.checks.items():
        print(f"  {key}: {json.dumps(value)}")
    print(f"done in {time.perf_counter() - t0:.1f} s")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``statmech-learn``."""
    parser = argparse.ArgumentParser(prog="statmech-learn", description="Statistical mechanics of learning.")
    sub = parser.add_subparsers(dest="command", required=True)

    cap = sub.add_parser("capacity", help="perceptron storage capacity alpha_c(kappa)")
    cap.add_argument("--kappa", type=float, default=0.0, help="margin kappa >= 0 (default 0)")
    cap.add_argument("--weights", default="spherical", help="'spherical' (default) or 'binary'")
    cap.add_argument("--json", action="store_true", help="print a JSON object")
    cap.set_defaults(func=_cmd_capacity)

    lst = sub.add_parser("list", help="list the reproducible phase diagrams")
    lst.set_defaults(func=_cmd_list)

    rep = sub.add_parser("reproduce", help="reproduce a phase diagram: NAME.csv, NAME.json, NAME.png")
    rep.add_argument("name", help="diagram name (see 'statmech-learn list')")
    rep.add_argument("--quick", action="store_true", help="smaller sizes and fewer samples (under a minute)")
    rep.add_argument("--out", default=".", help="output directory (default: current directory)")
    rep.add_argument("--workers", type=int, default=1, help="local processes for the simulations (default 1)")
    rep.add_argument("--scheduler", default=None,
                     help="address of a Dask scheduler (e.g. tcp://host:8786): run the simulations on that cluster")
    rep.add_argument("--checkpoint-dir", default=None,
                     help="checkpoint every simulation point there; rerunning the same command resumes")
    rep.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    rep.add_argument("--no-figure", action="store_true", help="write only the CSV and JSON")
    rep.set_defaults(func=_cmd_reproduce)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``statmech-learn`` console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except ValueError as exc:
        print(f"statmech-learn: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
