"""The results folder's file names, where things go next to it, and atomic writes."""

from __future__ import annotations

import os
import re
import shutil
import stat
import uuid
from pathlib import Path
from typing import Optional

from sim.format import slug  # noqa: F401  (the results folder's file names; re-exported)

SUMMARY, REPLICATIONS, CALLS, TIMESERIES = "summary.csv", "replications.csv", "calls.parquet", "timeseries.csv"
SCENARIO, PROVENANCE, REPORT, PLOTS = "scenario.resolved.yaml", "provenance.json", "report.html", "plots"
VERDICT = "verdict.json"
"""The verdict on the sweep (``sim.verdict``): one object, or a list of them with several scenarios."""
SCENARIOS_DIR = "scenarios"
"""With several scenarios, each one's resolved file is in ``scenarios/<name>.resolved.yaml``."""


class ResultsFolderError(Exception):
    """The results folder cannot be written where asked (it exists, or is a file)."""


def partial_path(out: str | os.PathLike) -> Path:
    """Where an interrupted sweep keeps its finished runs: ``<out>.partial`` next to ``out``."""
    out = Path(out)
    return out.with_name(out.name + ".partial")


RESULT_ENTRIES = frozenset({SUMMARY, REPLICATIONS, CALLS, TIMESERIES, SCENARIO, PROVENANCE, REPORT, PLOTS,
                            SCENARIOS_DIR})
"""What a results folder holds."""


def _kind(path: Path) -> str:
    """``path`` described for a message: a symbolic link, a file, a device..."""
    try:
        mode = os.lstat(path).st_mode
    except OSError:
        return "missing"
    if stat.S_ISLNK(mode):
        return "a symbolic link"
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISREG(mode):
        return "a file"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISFIFO(mode):
        return "a named pipe"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a folder"


RESULT_FOLDERS = (PLOTS, SCENARIOS_DIR, "voipbin")
"""The folders a results folder holds (``voipbin/``: the runs in VoIPbin's record shapes, on request)."""


def not_results_folder(folder: Path, top: bool = True) -> Optional[str]:
    """Why ``--force`` must not replace the folder ``folder`` (None: it may).

    A folder ``--force`` may replace holds what a results folder holds: plain files, and the
    ``plots``, ``scenarios`` and ``voipbin`` folders with plain files (and folders) in them; it
    is not a mount point. Not a home folder, a project, or anything holding other folders of its
    own, nor a link out of it or a device.
    """
    if os.path.ismount(folder):
        return "it is a mount point"
    try:
        entries = list(os.scandir(folder))
    except OSError as exc:
        return f"it cannot be listed ({exc.strerror or exc})"
    for e in entries:
        if e.is_symlink():
            return f"it holds the symbolic link {e.name}"
        if e.is_dir(follow_symlinks=False):
            if top and e.name not in RESULT_FOLDERS:
                return f"it holds the folder {e.name}"
            inner = not_results_folder(Path(e.path), top=False)
            if inner is not None:
                return f"{e.name}/: {inner.replace('it holds', 'holds')}"
        elif not e.is_file(follow_symlinks=False):
            return f"it holds {e.name}, which is {_kind(Path(e.path))}"
    return None


def check_target(out: str | os.PathLike, *, force: bool = False) -> None:
    """Refuse an existing ``out`` unless ``force``; with ``force``, replace only a results folder.

    Anything at ``out`` that is not a folder (a file, a device, a symbolic link, even one to a
    folder) is refused in any case: nothing but a results folder is ever replaced.
    """
    out = Path(out)
    kind = _kind(out)
    if kind == "missing":
        return
    if kind == "a file":
        raise ResultsFolderError(f"{out} is a file; the results go into a folder")
    if kind != "a folder":
        raise ResultsFolderError(f"{out} is {kind}, not a results folder; choose another folder (--force "
                                 "replaces only a results folder)")
    if not force:
        raise ResultsFolderError(
            f"{out} already exists; pass force=True to replace it (only once the new results "
            "are complete), or choose another folder"
        )
    why = not_results_folder(out)
    if why is not None:
        raise ResultsFolderError(f"{out} is not a results folder ({why}); --force replaces only a results "
                                 "folder: choose another folder")


def check_output_file(path: str | os.PathLike) -> None:
    """A file the tool writes whole, renaming a new file over it (``baseline -o``): ``path`` is
    missing or a regular file; never a device, a link, a folder or a pipe (which would be replaced
    by a plain file); the folder it goes in can be written."""
    path = Path(path)
    kind = _kind(path)
    if kind == "a folder":
        raise ResultsFolderError(f"{path}: is a folder; give the file to write, e.g. {path / 'baseline.json'}")
    if kind not in ("missing", "a file"):
        raise ResultsFolderError(f"{path} is {kind}, not a file; only a plain file is ever replaced: "
                                 "choose another path")
    base = _existing_ancestor(path.parent)
    if _kind(base) != "a folder":
        raise ResultsFolderError(f"cannot write {path}: {base} is {_kind(base)}, not a folder")
    if not os.access(base, os.W_OK | os.X_OK):
        raise ResultsFolderError(f"cannot write {path}: {base}: permission denied")


def _existing_ancestor(path: Path) -> Path:
    p = Path(os.path.abspath(path))
    while not os.path.lexists(p) and p != p.parent:
        p = p.parent
    return p


def check_writable(out: str | os.PathLike) -> None:
    """Before any run: the results folder, and ``<out>.partial`` beside it, can be written.

    The nearest existing folder above ``out`` must be a folder in which a file can be made (a file
    is made there and removed at once); ``<out>.partial`` and its ``runs`` must be folders if
    they exist.
    """
    out = Path(out)
    partial = partial_path(out)
    for p in (partial, partial / "runs"):
        kind = _kind(p)
        if kind not in ("missing", "a folder"):
            raise ResultsFolderError(f"{p} is {kind}; it must be a folder (where a sweep keeps its finished "
                                     "runs): remove it or choose another folder")
    base = _existing_ancestor(out.parent)
    if _kind(base) != "a folder":
        raise ResultsFolderError(f"cannot write {out}: {base} is {_kind(base)}, not a folder")
    probe = base / f".{out.name}.probe-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    try:
        fd = os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise ResultsFolderError(f"cannot write {out}: {base}: {exc.strerror or exc}") from None


_HELD: set[int] = set()
"""File descriptors of the sweep locks this process holds."""


def _forget_locks_in_child() -> None:
    # A forked worker shares the parent's open lock file; an flock lasts until every copy is
    # closed, so a worker outliving its sweep would keep the folder locked. Close the copies.
    for fd in list(_HELD):
        try:
            os.close(fd)
        except OSError:
            pass
    _HELD.clear()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_locks_in_child)


class SweepLock:
    """Held by the sweep writing ``out`` from start to end: an ``flock`` on ``<out>.partial/lock``.

    A second sweep on the same ``out`` is refused before it runs anything (it would otherwise run
    everything and lose it when the first deletes the shared ``.partial``). The lock goes with
    the process, however it ends, so a killed sweep never leaves a lock behind.
    """

    def __init__(self, out: str | os.PathLike):
        import fcntl

        self.path = partial_path(out) / "lock"
        for _ in range(20):
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
            except OSError as exc:
                raise ResultsFolderError(f"cannot write {out}: {exc.filename or self.path}: "
                                         f"{exc.strerror or exc}") from None
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                holder = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
                os.close(fd)
                raise ResultsFolderError(
                    f"{out} is being written by another pacing-sim sweep"
                    + (f" (process {holder})" if holder.isdigit() else "")
                    + "; wait for it to finish or choose another folder") from None
            try:
                same = os.stat(self.path).st_ino == os.fstat(fd).st_ino
            except OSError:
                same = False
            if same:  # not a lock file the previous holder deleted as we opened it
                os.ftruncate(fd, 0)
                os.pwrite(fd, str(os.getpid()).encode(), 0)
                self.fd: Optional[int] = fd
                _HELD.add(fd)
                return
            os.close(fd)
        raise ResultsFolderError(f"{out}: cannot take the lock {self.path}")

    def release(self) -> None:
        """Let go of the lock; a ``.partial`` folder holding nothing but it goes (no run was kept)."""
        if self.fd is not None:
            try:
                if [e.name for e in os.scandir(self.path.parent)] == [self.path.name]:
                    self.path.unlink()
                    self.path.parent.rmdir()
            except OSError:
                pass
            _HELD.discard(self.fd)
            os.close(self.fd)
            self.fd = None


_STALE = re.compile(r"\.(?P<name>.+)\.(?P<what>tmp|old)-(?P<pid>\d+)-[0-9a-f]{8}$")


def _dead(pid: int) -> bool:
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except OSError:
        return False
    return False


def clean_stale(out: str | os.PathLike) -> list[Path]:
    """Remove what a killed writer of ``out`` left: ``.<out>.tmp-*`` folders and ``.<name>.tmp-*``
    files in ``<out>.partial/runs`` of processes no longer running (and ``.<out>.old-*`` when
    ``out`` itself is there: otherwise that is the only copy, and it stays)."""
    out = Path(out)
    removed: list[Path] = []
    places = [(out.parent, out.name), (partial_path(out) / "runs", None), (partial_path(out), None)]
    for folder, name in places:
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue
        for e in entries:
            m = _STALE.match(e.name)
            if not m or (name is not None and m["name"] != name) or not _dead(int(m["pid"])):
                continue
            if m["what"] == "old" and not os.path.isdir(out):
                continue
            try:
                if e.is_dir(follow_symlinks=False):
                    shutil.rmtree(e.path)
                elif e.is_file(follow_symlinks=False):
                    os.unlink(e.path)
                else:
                    continue
            except OSError:
                continue
            removed.append(Path(e.path))
    return removed


def check_names(names: list[str]) -> None:
    """Refuse scenarios whose names are the same, or map to the same file name (``promo a``,
    ``promo-a``; case ignored, as some file systems do): their files would overwrite each other."""
    seen: dict[str, str] = {}
    for name in names:
        key = slug(name).casefold()
        if key in seen:
            other = seen[key]
            what = "the same name" if other == name else f"names that map to the same file name {slug(name)!r}"
            raise ResultsFolderError(f"scenarios {short(other)} and {short(name)} have {what}; "
                                     "rename one (a results folder keeps one file per scenario)")
        seen[key] = name


def short(text: str, limit: int = 80) -> str:
    """``repr(text)`` cut short (a message never repeats a long value whole)."""
    r = repr(text)
    return r if len(r) <= limit else r[: limit - 15] + f"...' ({len(text):,} chars)"


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to a temporary file beside ``path``, flush it to disk, then rename it over ``path``."""
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}-{uuid.uuid4().hex[:8]}")
    try:
        with open(tmp, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def atomic_write_text(path: Path, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))


# --------------------------------------------------------------------------- CSV cells

FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "'")
"""A text cell starting with one of these is written with a ``'`` before it: a spreadsheet opening
the CSV then shows it as text and never runs it as a formula (``=HYPERLINK(...)``). A cell
already starting with ``'`` gets one too, so ``read_csv_text`` takes exactly one off and every
name comes back as it was."""

_AFTER_LINE_END = re.compile(r"([\r\n])(?=[=+\-@\t\r'])")
"""A line end inside a cell followed by a ``FORMULA_START`` character. The cell is quoted, so a
CSV reader sees one cell; but its next physical line of the file starts with that character, and
a reader that splits the file into lines first (``"\n="`` as a name: the line ``=",100,...``)
would take it for a formula cell. ``_guard`` puts a ``'`` there too, ``_unguard`` takes it off."""

_UNGUARD_LINE = re.compile(r"([\r\n])'")


def _needs_guard(v: str) -> bool:
    return v.startswith(FORMULA_START) or "\r" in v or _AFTER_LINE_END.search(v) is not None


def _guard(v: str) -> str:
    """A ``'`` before the cell and after every line end in it that ``FORMULA_START`` follows.
    Every ``'`` so placed stands where a ``'`` (or a formula character) would be, so ``_unguard``
    taking one ``'`` off at the start and after each line end gives ``v`` back exactly."""
    if v.startswith(FORMULA_START):
        v = "'" + v
    return _AFTER_LINE_END.sub(r"\1'", v)


def _unguard(v: str) -> str:
    if v.startswith("'"):
        v = v[1:]
    return _UNGUARD_LINE.sub(r"\1", v) if ("\n'" in v or "\r'" in v) else v


def _text_columns(df):
    return list(df.select_dtypes(include=["object", "string"]).columns)


def csv_bytes(df) -> bytes:
    """``df`` as CSV (``\\n`` line ends) that reads back to the same names whatever they hold:
    a cell holding a carriage return is quoted, a cell a spreadsheet would run as a formula is
    written as text (see ``FORMULA_START``), and so is each line of a cell holding line ends (no
    physical line of the file starts with a formula character, see ``_AFTER_LINE_END``). Plain
    names give exactly ``df.to_csv``."""
    cols = _text_columns(df)
    cr = None
    if cols:
        cells = df[cols].astype(object)
        guard = cells.apply(lambda c: c.map(lambda v: isinstance(v, str) and _needs_guard(v)))
        if bool(guard.to_numpy().any()):
            df = df.copy()
            strings = [v for v in cells.to_numpy().ravel() if isinstance(v, str)]
            if any("\r" in v for v in strings):
                # The csv module quotes a cell holding a line end of its dialect ("\n") but not a
                # lone "\r": stand a placeholder holding "\n" in for it, put "\r" back after.
                everything = "".join(strings)
                cr = "\n" + uuid.uuid4().hex + "\n"
                while cr in everything:
                    cr = "\n" + uuid.uuid4().hex + "\n"
            for c in cols:
                def fix(v):
                    if not isinstance(v, str):
                        return v
                    v = _guard(v)
                    return v.replace("\r", cr) if cr else v
                df[c] = df[c].astype(object).map(fix)
    text = df.to_csv(index=False, lineterminator="\n")
    if cr:
        text = text.replace(cr, "\r")
    return text.encode("utf-8")


def read_csv_text(df):
    """Undo ``csv_bytes``'s guard against formulas: one ``'`` off the start of every text cell that
    starts with one, and one off every line of it that starts with one (``_unguard``)."""
    for c in _text_columns(df):
        col = df[c]
        if col.map(lambda v: isinstance(v, str) and (v.startswith("'") or "\n'" in v or "\r'" in v)).any():
            df[c] = col.astype(object).map(lambda v: _unguard(v) if isinstance(v, str) else v)
    return df
