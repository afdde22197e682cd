"""`/read PATH…`: which files the arguments name. A file is taken as named; a folder or a glob takes the
files in it, skipping dot-names and what git would ignore, up to a limit. Reads no file contents.

What the user spelled out is taken as spelled (a named file even if ignored or hidden, a named folder even
if ignored, the literal part of a glob); what a walk or a wildcard finds is filtered. Walks never follow a
symlinked folder (so loops cannot hang them) and never return FIFOs, sockets or devices (opening a FIFO
blocks); a special file named directly is reported apart, for the caller to refuse.
"""

from __future__ import annotations

import fnmatch
import os
import re
import stat
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from .gitignore import Rule, excluded, ignore_rules

_MAGIC = re.compile(r"[*?[]")


@dataclass(frozen=True)
class Expansion:
    """What `expand` found. Skipped folders count once: their contents are not walked."""

    files: tuple[Path, ...]  # to attach, in argument order; a folder's or a glob's sorted by path
    special: tuple[Path, ...] = ()  # FIFOs, sockets and devices named directly
    missing: tuple[str, ...] = ()  # arguments, as typed, naming nothing, or globs that gave no file
    empty: tuple[str, ...] = ()  # arguments naming a folder that gave no file (empty, or all of it skipped)
    ignored: int = 0  # entries a walk or glob skipped by .gitignore / .git/info/exclude
    hidden: int = 0  # dot-named entries a walk or glob skipped (.git, .venv, .env, …)
    over_limit: int = 0  # files found beyond `limit`, not in `files`
    unreadable: tuple[Path, ...] = ()  # folders that could not be listed
    incomplete: bool = False  # the scan stopped at `max_scan` entries: the counts are lower bounds


@dataclass
class _Scan:
    """What the walks of one `expand` call collect; the paths are normalized strings."""

    max_scan: int
    seen: int = 0
    ignored: set[str] = field(default_factory=set)
    hidden: set[str] = field(default_factory=set)
    unreadable: list[str] = field(default_factory=list)
    incomplete: bool = False


@dataclass(frozen=True)
class _Dir:
    """A folder being walked: its path, its path under the ignore root ('' for the root), the rules in force."""

    path: str
    rel: str
    rules: tuple[Rule, ...]

    def child(self, name: str) -> tuple[str, str]:
        return os.path.join(self.path, name), f"{self.rel}/{name}" if self.rel else name


def _read_rules(path: str, base: str) -> tuple[Rule, ...]:
    if not os.path.isfile(path):  # absent, or a FIFO that open() would wait on
        return ()
    try:
        # newline="": git ends lines at LF only and strips one CR before it; a lone CR is part of a pattern
        with open(path, encoding="utf-8", errors="surrogateescape", newline="") as f:
            return ignore_rules(f.read(), base)
    except (OSError, ValueError):
        return ()


def _has_git(folder: str) -> bool:
    return os.path.lexists(os.path.join(folder, ".git"))


def _root_rules(root: str) -> tuple[Rule, ...]:
    """A repository root's own rules: .git/info/exclude first (git lets .gitignore files override it)."""
    return _read_rules(os.path.join(root, ".git", "info", "exclude"), "") + _read_rules(
        os.path.join(root, ".gitignore"), "")


def _start(folder: str) -> _Dir:
    """`folder` with the rules in force inside it: its repository's (from the folder holding `.git` down
    through every .gitignore to its own), or only its own .gitignore outside a repository."""
    chain = [folder]
    while not _has_git(chain[-1]):
        parent = os.path.dirname(chain[-1])
        if parent == chain[-1]:
            return _Dir(folder, "", _read_rules(os.path.join(folder, ".gitignore"), ""))
        chain.append(parent)
    root = chain.pop()
    rules = _root_rules(root)
    rel = ""
    for sub in reversed(chain):
        rel = os.path.relpath(sub, root).replace(os.sep, "/")
        rules += _read_rules(os.path.join(sub, ".gitignore"), rel)
    return _Dir(folder, rel, rules)


def _enter(parent: _Dir, name: str) -> _Dir:
    """The walk moving into subfolder `name`; a nested repository starts over with its own rules."""
    path, rel = parent.child(name)
    if _has_git(path):
        return _Dir(path, "", _root_rules(path))
    return _Dir(path, rel, parent.rules + _read_rules(os.path.join(path, ".gitignore"), rel))


def _list(folder: _Dir, scan: _Scan) -> list[os.DirEntry[str]]:
    """The folder's entries sorted by name, so walks go in path order; [] once the scan has stopped."""
    if scan.seen >= scan.max_scan:
        scan.incomplete = True
        return []
    try:
        with os.scandir(folder.path) as it:
            entries = sorted(it, key=lambda e: e.name)
    except OSError:
        scan.unreadable.append(folder.path)
        return []
    scan.seen += len(entries)
    return entries


def _kind(entry: os.DirEntry[str]) -> str:
    """'dir' (a real folder), 'file' (a regular file, possibly through a symlink) or 'other' (a symlinked
    folder, a broken link, a FIFO, a socket, a device): walks take files and enter folders only."""
    try:
        if entry.is_dir(follow_symlinks=False):
            return "dir"
        if entry.is_file():
            return "file"
    except OSError:
        pass
    return "other"


def _skipped(folder: _Dir, entry: os.DirEntry[str], kind: str, scan: _Scan, dots: bool = False) -> bool:
    """Whether a walk passes over `entry` as hidden (a dot-name, unless `dots`; `.git` always) or ignored,
    counting it if so."""
    if entry.name.startswith(".") and (not dots or entry.name == ".git"):
        scan.hidden.add(entry.path)
        return True
    if excluded(folder.child(entry.name)[1], kind == "dir", folder.rules):
        scan.ignored.add(entry.path)
        return True
    return False


def _walk(folder: _Dir, scan: _Scan, out: list[str]) -> None:
    """Every file under `folder` that is neither hidden nor ignored, in path order."""
    for entry in _list(folder, scan):
        kind = _kind(entry)
        if kind == "other" or _skipped(folder, entry, kind, scan):
            continue
        if kind == "file":
            out.append(entry.path)
        else:
            _walk(_enter(folder, entry.name), scan, out)


def _glob(folder: _Dir, parts: Sequence[str], dirs_only: bool, scan: _Scan, out: list[str]) -> None:
    """The files `parts` match under `folder`, pathlib-style: `**` spans any number of folders (none
    included), another component matches one name, and a matching folder is walked. A wildcard
    component matches dot-names only if it starts with a dot; a spelled-out one is taken as it is."""
    if not parts:
        _walk(folder, scan, out)
        return
    head, rest = parts[0], parts[1:]
    if head == "**":
        _glob(folder, rest, dirs_only, scan, out)  # no folder at all
        if rest:  # a trailing `**` has just walked everything below
            for entry in _list(folder, scan):
                kind = _kind(entry)
                if kind == "dir" and not _skipped(folder, entry, kind, scan):
                    _glob(_enter(folder, entry.name), parts, dirs_only, scan, out)
        return
    if not _MAGIC.search(head):
        path = os.path.join(folder.path, head)
        if os.path.isdir(path):
            inner = _start(os.path.normpath(path)) if head == ".." else _enter(folder, head)
            _glob(inner, rest, dirs_only, scan, out)
        elif os.path.isfile(path) and not (rest or dirs_only):
            out.append(path)
        return
    match = re.compile(fnmatch.translate(head)).match
    for entry in _list(folder, scan):
        if not match(entry.name):
            continue
        kind = _kind(entry)
        if kind == "other" or (kind == "file" and (rest or dirs_only)):
            continue
        if _skipped(folder, entry, kind, scan, dots=head.startswith(".")):
            continue
        if kind == "file":
            out.append(entry.path)
        else:
            _glob(_enter(folder, entry.name), rest, dirs_only, scan, out)


def _default_home(user: str) -> Path:
    return Path(os.path.expanduser("~" + user))


def _expand_user(arg: str, home: Callable[[str], Path]) -> str:
    """`~` and `~user` at the start of `arg` replaced by that home folder (`home('')` is the user's own)."""
    if not arg.startswith("~"):
        return arg
    user, slash, rest = arg[1:].partition("/")
    return os.path.join(home(user), rest) if slash else str(home(user))


def _expand_glob(pattern: str, cwd: str, scan: _Scan) -> list[str] | None:
    """The files glob `pattern` gives; None when the folder before its first wildcard does not exist."""
    parts = [part for part in pattern.split("/") if part not in ("", ".")]
    first = next(i for i, part in enumerate(parts) if _MAGIC.search(part))
    base = os.path.normpath(os.path.join(cwd, "/" if pattern.startswith("/") else "", *parts[:first]))
    if not os.path.isdir(base):
        return None
    out: list[str] = []
    _glob(_start(base), parts[first:], pattern.endswith("/"), scan, out)
    return out


def _order(path: str) -> list[str]:
    return path.split(os.sep)  # component by component, as pathlib sorts: a/b.py before a.py


def expand(args: Sequence[str], cwd: Path, *, limit: int = 50, home: Callable[[str], Path] | None = None,
           max_scan: int = 20_000) -> Expansion:
    """The files `/read args…` attaches, relative to `cwd`, at most `limit` of them. `home(user)` gives the
    home folder of `~user` (`~` alone asks for ''); by default the system's, as os.path.expanduser.
    Walks stop after listing `max_scan` entries, so `/read /` returns rather than reading the disk."""
    home = home or _default_home
    scan = _Scan(max_scan)
    found: list[str] = []
    special: list[Path] = []
    missing: list[str] = []
    empty: list[str] = []
    for arg in args:
        spelled = _expand_user(arg, home)
        path = os.path.normpath(os.path.join(cwd, spelled))
        try:
            mode = os.stat(path).st_mode
        except (OSError, ValueError):
            mode = None
        out: list[str] = []
        if mode is None:
            got = _expand_glob(spelled, str(cwd), scan) if _MAGIC.search(spelled) else None
            if not got:
                missing.append(arg)
            out = got or []
        elif stat.S_ISDIR(mode):
            if os.path.basename(path) == ".git":
                scan.hidden.add(path)
            else:
                _walk(_start(path), scan, out)
            if not out:
                empty.append(arg)
        elif stat.S_ISREG(mode):
            out = [path]
        else:
            special.append(Path(path))
        found.extend(sorted((os.path.normpath(p) for p in out), key=_order))
    files = [Path(p) for p in dict.fromkeys(found)]
    return Expansion(
        files=tuple(files[: max(limit, 0)]), special=tuple(special), missing=tuple(missing), empty=tuple(empty),
        ignored=len(scan.ignored), hidden=len(scan.hidden), over_limit=max(0, len(files) - max(limit, 0)),
        unreadable=tuple(Path(p) for p in scan.unreadable), incomplete=scan.incomplete)
