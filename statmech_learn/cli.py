"""The ``statmech-learn`` command line.

Examples
--------
::

    statmech-learn capacity --kappa 0.5
    statmech-learn capacity --weights binary --json
    statmech-learn list
    statmech-learn reproduce gardner --quick --out results/
    statmech-learn reproduce all --quick --workers 2 --out results/
    statmech-learn reproduce gardner --workers 2 --checkpoint-dir runs/
    statmech-learn reproduce gardner --scheduler tcp://scheduler:8786 --scheduler-timeout 30
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import tempfile
import time
import traceback
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from pathlib import Path

from .errors import StatmechLearnError

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
        print(f"alpha_c(kappa={args.kappa:g}, {args.weights} weights) = {alpha_c:.10g}")
        if "alpha_gardner_derrida" in record:
            print(
                f"  (RS q -> 1 at the Gardner-Derrida load {record['alpha_gardner_derrida']:.10g}; "
                "the zero-entropy load above is the capacity)"
            )
    return 0


def _cmd_list(args: argparse.Namespace) -> int:
    from .reproduce import REGISTRY

    for name, rep in REGISTRY().items():
        print(f"{name:<12} {rep.description}")
    return 0


class CommandLineError(StatmechLearnError):
    """A problem with the command line's environment (paths, scheduler): one line on stderr, exit 1."""


#: Most local processes ``--workers`` accepts (more would only exhaust the machine).
MAX_WORKERS = 1024


def _writable_dir(option: str, path: str) -> Path:
    """Create directory ``path`` if needed and check that files can be written in it."""
    p = Path(path)
    if p.exists() and not p.is_dir():
        raise CommandLineError(f"{option} must name a directory, but {str(p)!r} is an existing file")
    try:
        p.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=p):  # os.access is unreliable for root, ACLs and read-only mounts
            pass
    except OSError as exc:
        raise CommandLineError(f"{option}: cannot write in directory {str(p)!r}: {exc.strerror or exc}") from exc
    return p


@contextmanager
def _executor(workers: int, scheduler: str | None, timeout: float) -> Iterator[object]:
    """None (in-process), a process pool of ``workers``, or a Dask cluster's executor."""
    if scheduler is not None:
        try:
            from dask.distributed import Client
        except ImportError as exc:
            from .errors import MissingExtraError

            raise MissingExtraError("dask.distributed", "distributed", "--scheduler") from exc
        try:
            client = Client(scheduler, timeout=timeout)
        except Exception as exc:  # unreachable, not a scheduler, malformed address: all mean "cannot use it"
            raise CommandLineError(
                f"--scheduler: cannot connect to the Dask scheduler at {scheduler!r} "
                f"({type(exc).__name__}: {exc}); is it running, and is --scheduler-timeout ({timeout:g} s) long enough?"
            ) from exc
        with client:
            yield client.get_executor()
    elif workers > 1:
        with ProcessPoolExecutor(workers) as pool:
            yield pool
    else:
        yield None


def _verdicts(checks: dict, prefix: str = "") -> Iterator[tuple[str, bool]]:
    """(dotted key, pass) for every check dict carrying a ``"pass"`` verdict, at any depth."""
    for key, value in checks.items():
        if isinstance(value, dict):
            if "pass" in value:
                yield prefix + key, bool(value["pass"])
            yield from _verdicts(value, prefix + key + ".")


def _print_checks(result) -> list[str]:
    """Print a result's checks and its verdict line; return the dotted keys of the failed checks."""
    for key, value in result.checks.items():
        print(f"  {key}: {json.dumps(value)}")
    verdicts = dict(_verdicts(result.checks))
    failed = [k for k, ok in verdicts.items() if not ok]
    if verdicts:
        print(
            f"theory vs simulation: {len(verdicts) - len(failed)} of {len(verdicts)} checks pass"
            + (f"; FAILED: {', '.join(failed)}" if failed else "")
        )
    return failed


#: ``reproduce`` runs every registered reproduction when given this name
ALL = "all"

#: Exceptions reported in one line (the package's own, bad values, file system); others with a traceback
_ONE_LINE_ERRORS = (ValueError, StatmechLearnError, OSError)


def _run_all(args: argparse.Namespace, names: list[str], out: Path, checkpoint_dir: Path | None) -> int:
    """Run every reproduction in ``names`` in turn, print a summary table; 1 if any raised or failed a check."""
    from .reproduce import run

    rows = []  # (name, status, seconds, failed checks or the exception)
    with _executor(args.workers, args.scheduler, args.scheduler_timeout) as executor:
        for k, name in enumerate(names, start=1):
            print(f"== [{k}/{len(names)}] {name}", flush=True)
            t0 = time.perf_counter()
            try:
                result, paths = run(
                    name,
                    out=out,
                    quick=args.quick,
                    executor=executor,
                    seed=args.seed,
                    figure=not args.no_figure,
                    checkpoint_dir=checkpoint_dir,
                )
            except Exception as exc:  # one reproduction's failure must not stop the others
                error = f"{type(exc).__name__}: {exc}"
                if isinstance(exc, _ONE_LINE_ERRORS):
                    print(f"statmech-learn: error: reproduce {name}: {error}", file=sys.stderr)
                else:
                    traceback.print_exc()
                rows.append((name, "error", time.perf_counter() - t0, error.splitlines()[0]))
                continue
            for p in paths:
                print(f"wrote {p}")
            failed = _print_checks(result)
            rows.append((name, "failed" if failed else "ok", time.perf_counter() - t0, ", ".join(failed) or "-"))
    width = max(len("name"), *(len(r[0]) for r in rows))
    print(f"\n{'name':<{width}}  {'status':<6}  {'seconds':>8}  failed checks / error")
    for name, status, seconds, detail in rows:
        print(f"{name:<{width}}  {status:<6}  {seconds:8.1f}  {detail}")
    bad = [r[0] for r in rows if r[1] != "ok"]
    print(f"{len(rows) - len(bad)} of {len(rows)} reproductions pass" + (f"; FAILED: {', '.join(bad)}" if bad else ""))
    return 1 if bad else 0


def _cmd_reproduce(args: argparse.Namespace) -> int:
    from .reproduce import REGISTRY, run

    names = list(REGISTRY())
    if args.name != ALL and args.name not in names:  # fail fast on an unknown name
        raise ValueError(f"name must be {ALL!r} or one of {', '.join(map(repr, names))}, got {args.name!r}")
    if not 1 <= args.workers <= MAX_WORKERS:
        raise ValueError(f"workers must be >= 1 and <= {MAX_WORKERS}, got {args.workers}")
    if not (math.isfinite(args.scheduler_timeout) and args.scheduler_timeout > 0):
        raise ValueError(f"scheduler-timeout must be finite and > 0 seconds, got {args.scheduler_timeout:g}")
    # check the paths before any computation, so that a typo does not cost a run
    out = _writable_dir("--out", args.out)
    checkpoint_dir = None if args.checkpoint_dir is None else _writable_dir("--checkpoint-dir", args.checkpoint_dir)
    if args.name == ALL:
        return _run_all(args, names, out, checkpoint_dir)
    t0 = time.perf_counter()
    with _executor(args.workers, args.scheduler, args.scheduler_timeout) as executor:
        result, paths = run(
            args.name,
            out=out,
            quick=args.quick,
            executor=executor,
            seed=args.seed,
            figure=not args.no_figure,
            checkpoint_dir=checkpoint_dir,
        )
    for p in paths:
        print(f"wrote {p}")
    failed = _print_checks(result)
    print(f"done in {time.perf_counter() - t0:.1f} s")
    return 1 if failed else 0  # like `reproduce all`: a failed theory-vs-simulation check is a failure


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
    rep.add_argument(
        "name",
        help="diagram name (see 'statmech-learn list'), or 'all': every diagram in turn, "
        "then a summary; exit 1 if any raised or failed a check",
    )
    rep.add_argument("--quick", action="store_true", help="smaller sizes and fewer samples (under a minute)")
    rep.add_argument("--out", default=".", help="output directory (default: current directory)")
    where = rep.add_mutually_exclusive_group()
    where.add_argument("--workers", type=int, default=1, help="local processes for the simulations (default 1)")
    where.add_argument(
        "--scheduler",
        default=None,
        help="address of a Dask scheduler (e.g. tcp://host:8786): run the simulations on that cluster",
    )
    rep.add_argument(
        "--scheduler-timeout",
        type=float,
        default=10.0,
        metavar="SECONDS",
        help="give up connecting to --scheduler after this long (default 10)",
    )
    rep.add_argument(
        "--checkpoint-dir",
        default=None,
        help="checkpoint every simulation point there; rerunning the same command resumes",
    )
    rep.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    rep.add_argument("--no-figure", action="store_true", help="write only the CSV and JSON")
    rep.set_defaults(func=_cmd_reproduce)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``statmech-learn`` console script.

    Returns 0 on success.  A bad argument value prints one line
    ``statmech-learn: error: ...`` on stderr and returns 2 (argparse's own
    usage errors exit with 2 too); a problem with the environment (an output
    path that cannot be written, an unreachable scheduler, a missing optional
    package, a solver that did not converge) prints one such line and returns 1.
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except ValueError as exc:
        print(f"statmech-learn: error: {exc}", file=sys.stderr)
        return 2
    except (StatmechLearnError, OSError) as exc:
        print(f"statmech-learn: error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
