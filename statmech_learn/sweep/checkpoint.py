"""The checkpoint of a sweep: an append-only JSON Lines file of finished points, held by a lock.

:class:`_Checkpoint` writes a header naming the function and the grid, then one
line per finished point; a sweep started again on the same file reads the
points back and checks that the file belongs to the same sweep (explaining a
different grid with :func:`_grid_difference`).  While a sweep writes it, the
file is held against every other sweep: in this process through a registry of
open checkpoints, across processes through an exclusive ``flock`` on
``<checkpoint>.lock`` (:func:`_same_file`, :func:`_note_holder`,
:func:`_lock_holder`).
"""

from __future__ import annotations

import errno
import json
import os
import socket
import threading
import warnings
from collections.abc import Mapping, Sequence
from typing import Any

from ..errors import CheckpointLockedError
from .grid import Grid, _dumps
from .worker import _package_version, _same

# The header's ``_checkpoint`` field, and the checkpoint format this version reads and writes.
_CHECKPOINT_TAG = "statmech_learn.sweep"
_CHECKPOINT_FORMAT = 1


#: realpath of every checkpoint a sweep of this process is writing -> its _Checkpoint
_ACTIVE_CHECKPOINTS: dict[str, _Checkpoint] = {}
_ACTIVE_GUARD = threading.Lock()


def _forget_active_checkpoints() -> None:
    """In a forked child: the parent's sweeps are not the child's (their flocks still exclude it)."""
    global _ACTIVE_GUARD
    _ACTIVE_GUARD = threading.Lock()  # the parent may have forked while another thread held it
    _ACTIVE_CHECKPOINTS.clear()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_active_checkpoints)

#: errno values meaning "not allowed to write here" (permissions, read-only file system)
_NOT_WRITABLE = (errno.EACCES, errno.EPERM, errno.EROFS)


def _linking(blocks: Sequence[tuple[tuple[str, ...], Any]]) -> str:
    """How a grid's axes are linked, e.g. ``n * zip(alpha, kappa)``."""
    return " * ".join(names[0] if len(names) == 1 else f"zip({', '.join(names)})" for names, _ in blocks)


def _grid_difference(old: Any, new: Mapping[str, Any]) -> str | None:
    """Where the grid ``old`` (a :meth:`Grid._spec` read back from a header) differs from ``new``, in words.

    Values are compared exactly, as the fingerprint does (``1`` and ``1.0``
    differ).  Returns None when ``old`` is not a readable grid description
    (a header written before headers kept one) or no difference is found.
    """
    try:
        old_seed = old["base_seed"]
        old_blocks = [(tuple(b["axes"]), [tuple(r) for r in b["values"]]) for b in old["blocks"]]
        old_cols = {n: [_dumps(r[k]) for r in rows] for names, rows in old_blocks for k, n in enumerate(names)}
    except (TypeError, KeyError, ValueError, IndexError):
        return None
    new_blocks = [(tuple(b["axes"]), [tuple(r) for r in b["values"]]) for b in new["blocks"]]
    new_cols = {n: [_dumps(r[k]) for r in rows] for names, rows in new_blocks for k, n in enumerate(names)}
    diffs = []
    if _dumps(old_seed) != _dumps(new["base_seed"]):
        diffs.append(f"base_seed is {old_seed!r} in the checkpoint, {new['base_seed']!r} here")
    if list(old_cols) != list(new_cols):
        diffs.append(f"the axes are ({', '.join(old_cols)}) in the checkpoint, ({', '.join(new_cols)}) here")
    elif [names for names, _ in old_blocks] != [names for names, _ in new_blocks]:
        diffs.append(f"the axes are linked as {_linking(old_blocks)} in the checkpoint, {_linking(new_blocks)} here")
    for name, values in new_cols.items():
        before = old_cols.get(name)
        if before is None:
            continue
        if len(before) != len(values):
            diffs.append(f"axis {name!r} has {len(before)} values in the checkpoint, {len(values)} here")
        k = next((k for k, (a, b) in enumerate(zip(before, values)) if a != b), None)
        if k is not None:
            diffs.append(f"axis {name!r} differs at position {k}: {before[k]} in the checkpoint, {values[k]} here")
    return "; ".join(diffs) or None


class _Checkpoint:
    """Append-only JSON Lines file of finished points, with a header identifying the sweep.

    While open for writing, the checkpoint is held against every other sweep:
    in this process by an entry in ``_ACTIVE_CHECKPOINTS`` (keyed by the real
    path), across processes by an exclusive :func:`fcntl.flock` on the lock
    file ``<path>.lock``.  A flock belongs to the open file description, so
    no other open and close, of the data file or of the lock file (a refused
    sweep opens it too), in this process or any other, releases it.  The
    lock is released with ``LOCK_UN`` (not merely by closing, which would
    leave it held by process-pool workers forked meanwhile) and the lock file
    removed, by :meth:`close`, which runs on every exit path.  A lock file
    left behind by a killed sweep is not a held lock (the kernel drops a
    flock with its process): the next sweep takes it over, so stale locks
    never need clearing.  Without :mod:`fcntl` (not POSIX) only the
    in-process registry applies.

    A checkpoint that cannot be written (the file is not writable, or the lock
    file cannot be created) is opened read-only, without a lock: it loads if
    it holds every point, and is refused with :class:`PermissionError` if the
    sweep would have to write to it.

    Parameters
    ----------
    path : str or path-like
        The checkpoint file; its parent directories are created.
    function : str
        The swept function's name, as :func:`_function_name` gives it.
    grid : Grid
        The grid of the sweep.
    points : list of dict
        ``list(grid)``.

    Raises
    ------
    RuntimeError
        If another sweep (a thread of this process or another process) is
        writing the checkpoint.
    ValueError
        If ``path`` is a directory, or the file is not a checkpoint of this
        sweep: not JSON Lines with a sweep header, another format, function,
        grid or point count, or a corrupt line before the last, or an empty
        file this sweep did not create.
    PermissionError
        If the checkpoint is read-only and the sweep would have to write to it.
    """

    def __init__(self, path: str | os.PathLike, function: str, grid: Grid, points: list[dict]) -> None:
        self.path = os.fspath(path)
        if os.path.isdir(self.path):
            raise ValueError(
                f"checkpoint must be a file path, but {self.path!r} is a directory; "
                f"name a file in it, e.g. {os.path.join(self.path, 'sweep.jsonl')!r}"
            )
        self.lock_path = self.path + ".lock"
        self.records: dict[int, dict] = {}
        self.repaired_bytes = 0
        self.duplicates = 0
        #: why the checkpoint is open read-only, or None when it is open for writing
        self.read_only: str | None = None
        self._fh: Any = None
        self._lock_fd: int | None = None
        self._pid = os.getpid()
        self._key = os.path.realpath(self.path)
        try:
            parent = os.path.dirname(self.path)
            if parent:
                os.makedirs(parent, exist_ok=True)
            if os.path.exists(self.path) and not os.access(self.path, os.W_OK):
                self.read_only = "the file is not writable"
            else:
                self._register()
                self._lock()
            self._open()
            self._load(function, grid, points)
        except BaseException:
            self.close()
            raise

    # -- locking

    def _busy(self, holder: str = "") -> RuntimeError:
        return CheckpointLockedError(
            f"checkpoint {self.path} is being written by another running sweep{holder}; wait for it to "
            "finish, or give this sweep another checkpoint path"
        )

    def _register(self) -> None:
        with _ACTIVE_GUARD:
            if self._key in _ACTIVE_CHECKPOINTS:
                raise self._busy(" in this process")
            _ACTIVE_CHECKPOINTS[self._key] = self

    def _unregister(self) -> None:
        with _ACTIVE_GUARD:
            if _ACTIVE_CHECKPOINTS.get(self._key) is self:
                del _ACTIVE_CHECKPOINTS[self._key]

    def _lock(self) -> None:
        """Take the exclusive flock on ``<path>.lock``, or fall back to read-only if it cannot be created."""
        try:
            import fcntl
        except ImportError:  # not POSIX: the in-process registry only
            return
        flags = os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0)
        for _ in range(100):
            try:
                fd = os.open(self.lock_path, flags, 0o644)
            except OSError as exc:
                if exc.errno not in _NOT_WRITABLE:
                    raise
                self.read_only = f"its lock file {self.lock_path} cannot be created: {exc.strerror}"
                return
            try:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except OSError as exc:
                    if exc.errno not in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                        raise
                    raise self._busy(_lock_holder(fd)) from exc
                if _same_file(fd, self.lock_path):
                    self._lock_fd = fd
                    _note_holder(fd)
                    return
            except BaseException:
                os.close(fd)
                raise
            # the previous holder removed this lock file between our open and our flock: retry
            os.close(fd)
        raise RuntimeError(
            f"could not lock checkpoint {self.path}: its lock file {self.lock_path} keeps being replaced"
        )

    def _unlock(self) -> None:
        fd, self._lock_fd = self._lock_fd, None
        if fd is None:
            return
        if os.getpid() != self._pid:  # a forked copy: the lock (shared with the parent) is the parent's
            os.close(fd)
            return
        import fcntl

        try:
            if _same_file(fd, self.lock_path):
                try:
                    os.unlink(self.lock_path)
                except OSError:  # e.g. the directory became read-only: an unlocked lock file is harmless
                    pass
            # explicitly: closing alone would leave the lock held by workers forked since it was taken
            fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)

    # -- file access

    def _open(self) -> None:
        self._created = not os.path.exists(self.path)  # an empty file is only acceptable if this sweep made it
        if self.read_only is None:
            try:
                self._fh = open(self.path, "a+b")  # noqa: SIM115 (held open until close())
                return
            except OSError as exc:
                if exc.errno not in _NOT_WRITABLE or not os.path.exists(self.path):
                    raise
                self.read_only = f"the file cannot be opened for writing: {exc.strerror}"
        if not os.path.exists(self.path):
            raise PermissionError(f"cannot start checkpoint {self.path}: {self.read_only}")
        self._fh = open(self.path, "rb")  # noqa: SIM115 (held open until close())

    def _need_write(self, what: str) -> None:
        if self.read_only is not None:
            raise PermissionError(
                f"checkpoint {self.path} can only be read ({self.read_only}), but {what}; "
                "make it writable, or use another checkpoint path"
            )

    def _write_line(self, obj: Mapping[str, Any]) -> None:
        self._need_write("a record must be appended")
        self._fh.write((json.dumps(obj, allow_nan=True) + "\n").encode("utf-8"))
        self._fh.flush()
        os.fsync(self._fh.fileno())

    def _truncate(self, size: int) -> None:
        self._fh.truncate(size)
        self._fh.flush()
        os.fsync(self._fh.fileno())

    def _load(self, function: str, grid: Grid, points: list[dict]) -> None:
        header = {
            "_checkpoint": _CHECKPOINT_TAG,
            "format": _CHECKPOINT_FORMAT,
            "function": function,
            "grid": grid.fingerprint(),
            "grid_repr": repr(grid),
            "grid_spec": grid._spec(),
            "n_points": len(grid),
            "version": _package_version(),
        }
        self._fh.seek(0)
        data = self._fh.read()
        lines = data.split(b"\n")
        complete, tail = lines[:-1], lines[-1]
        if not complete:
            if not tail and not self._created:
                raise ValueError(
                    f"checkpoint {self.path} is an empty file, not a sweep checkpoint (a sweep writes its "
                    "header as it creates the file); delete it or choose another path"
                )
            if tail and not tail.startswith(b'{"_checkpoint"'):
                raise ValueError(f"checkpoint {self.path} exists and is not a sweep checkpoint; choose another path")
            self._need_write("it has no header yet and one must be written")
            self.repaired_bytes = len(tail)
            self._truncate(0)
            self._write_line(header)
            return
        try:
            found = json.loads(complete[0])
        except ValueError:
            found = None
        if not isinstance(found, dict) or found.get("_checkpoint") != _CHECKPOINT_TAG:
            raise ValueError(f"checkpoint {self.path} exists and is not a sweep checkpoint; choose another path")
        fmt = found.get("format")
        if type(fmt) is not int or fmt != _CHECKPOINT_FORMAT:
            raise ValueError(
                f"checkpoint {self.path} has format {fmt!r}; this version of statmech-learn "
                f"({header['version']}) reads format {_CHECKPOINT_FORMAT} only"
            )
        if found.get("function") != function:
            raise ValueError(
                f"checkpoint {self.path} holds a sweep of {found.get('function')}, not of {function}; "
                "use another checkpoint path, or delete the file to start afresh"
            )
        if found.get("grid") != header["grid"]:
            raise ValueError(self._different_grid(found, header))
        n_found = found.get("n_points")
        if type(n_found) is not int or n_found != len(grid):
            raise ValueError(
                f"checkpoint {self.path} has a header with n_points={n_found!r}, but its grid has "
                f"{len(grid)} points; the header was modified by something other than a sweep"
            )
        if found.get("version") != header["version"]:
            warnings.warn(
                f"checkpoint {self.path} was started with statmech-learn {found.get('version')}, this is "
                f"{header['version']}; each record keeps the version that computed it in '_version'",
                UserWarning,
                stacklevel=4,
            )
        valid_end = len(complete[0]) + 1
        n = len(points)
        for k, line in enumerate(complete[1:], start=2):
            try:
                record = json.loads(line)
                index = record["_index"]
                if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < n:
                    raise ValueError(f"index {index!r} out of range")
            except (ValueError, KeyError, TypeError) as exc:
                if k == len(complete):  # an unreadable last line is a torn write: recompute that point
                    break
                raise ValueError(
                    f"line {k} of checkpoint {self.path} is corrupt ({exc}) and is not the last line; "
                    "the file was modified by something other than a sweep"
                ) from exc
            valid_end += len(line) + 1
            point = points[index]
            if any(not _same(record.get(name), value) for name, value in point.items()):
                raise ValueError(
                    f"line {k} of checkpoint {self.path} records point {index} with parameters "
                    f"{ {name: record.get(name) for name in point} }, but the grid has {point} there"
                )
            if "_error" in record:
                continue
            if index in self.records:
                self.duplicates += 1
                continue
            self.records[index] = record
        missing = n - len(self.records)
        if missing:
            self._need_write(f"{missing} of its {n} points are missing and would have to be appended")
        if valid_end < len(data) and self.read_only is None:  # read-only and complete: the torn tail is moot
            self.repaired_bytes = len(data) - valid_end
            self._truncate(valid_end)

    def _different_grid(self, found: Mapping[str, Any], header: Mapping[str, Any]) -> str:
        """The message for a header ``found`` of another grid: both grids, and where they differ."""
        old_repr, new_repr = found.get("grid_repr"), header["grid_repr"]
        where = _grid_difference(found.get("grid_spec"), header["grid_spec"])
        if where is None:
            where = "the checkpoint does not list its grid's values"
            if old_repr == new_repr:
                where += ", and the two grids print alike (they differ in values their printed form leaves out)"
        return (
            f"checkpoint {self.path} holds a sweep over a different grid: {where}. "
            f"The checkpoint's grid is {old_repr} (fingerprint {str(found.get('grid'))[:12]}); "
            f"this sweep's is {new_repr} (fingerprint {header['grid'][:12]}). "
            "Use another checkpoint path, or delete the file to start afresh"
        )

    def append(self, record: Mapping[str, Any]) -> None:
        self._write_line(record)

    def close(self) -> None:
        """Close the file, release the lock and the registry entry (safe to call more than once)."""
        fh, self._fh = self._fh, None
        try:
            if fh is not None:
                fh.close()
        finally:
            try:
                self._unlock()
            finally:
                self._unregister()


def _same_file(fd: int, path: str) -> bool:
    """Whether ``path`` still names the file open as ``fd``."""
    try:
        st = os.stat(path)
    except OSError:  # removed, or no longer reachable: not ours to remove
        return False
    own = os.fstat(fd)
    return (st.st_dev, st.st_ino) == (own.st_dev, own.st_ino)


def _note_holder(fd: int) -> None:
    """Write ``pid host`` into a lock file just taken (for the message another sweep gets)."""
    try:
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()} {socket.gethostname()}\n".encode("utf-8", "replace"))
    except OSError:  # informational only (e.g. a full disk)
        pass


def _lock_holder(fd: int) -> str:
    """`` (pid N on host H)`` from a lock file held by another sweep, or ``""``."""
    try:
        text = os.pread(fd, 200, 0).decode("utf-8", "replace").split()
    except OSError:
        return ""
    if len(text) == 2 and text[0].isdigit():
        return f" (pid {text[0]} on {text[1]})"
    return ""
