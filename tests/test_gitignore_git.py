"""The .gitignore matcher against git itself. Hypothesis writes a tree of files and ignore files (a root
.gitignore, nested ones, .git/info/exclude: negations, anchors, trailing slashes, `**`, brackets, escapes,
trailing spaces, CRs, comments) into a real repository, and a `/read` walk of the root, and of every folder
git does not ignore, must take exactly the files `git ls-files --others --exclude-standard` lists there.
Names never start with a dot (a walk hides those whatever the rules); git runs without user or system
configuration (so no global excludes file) and case-sensitive, as the matcher is.

Needs git (CI has it); skipped without. GITIGNORE_EXAMPLES=2000 raises the number of examples for a hunt.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ollama_chat.files.filesets import expand

GIT = shutil.which("git")
pytestmark = [
    pytest.mark.skipif(GIT is None, reason="git is not installed"),
    pytest.mark.skipif(sys.platform == "win32", reason="names with * ? \\ cannot be made on Windows"),
]
EXAMPLES = int(os.environ.get("GITIGNORE_EXAMPLES", "50"))


def _plain_file_system() -> bool:
    """Whether names keep their case and their bytes (not so on macOS' default one): only then may the
    generated names differ by case alone or hold non-ASCII letters."""
    with tempfile.TemporaryDirectory() as tmp:
        Path(tmp, "Xé").touch()
        return os.listdir(tmp) == ["Xé"] and not Path(tmp, "xé").exists()


# Letters the names are made of: a few, so that patterns hit them often; every one git treats specially.
NAME_CHARS = "ab1. -*?[]\\#!" + ("Bé가" if _plain_file_system() else "")
CLASSES = ["alpha", "digit", "upper", "lower", "alnum", "space", "punct", "xdigit", "print", "graph", "bogus"]


@dataclass(frozen=True)
class Case:
    """One generated repository: its files, and ignore file texts by their place ('.git/info/exclude',
    '.gitignore', 'a/.gitignore', …)."""

    files: tuple[str, ...]
    dirs: tuple[str, ...]
    ignore_files: dict[str, str]

    def describe(self) -> str:
        lines = []
        for place, text in self.ignore_files.items():
            lines.append(f"{place}:")
            lines += [f"  {number:2}: {line!r}" for number, line in enumerate(text.split("\n"), 1)]
        lines.append("files: " + ", ".join(map(repr, self.files)))
        return "\n".join(lines)


names = st.text(NAME_CHARS, min_size=1, max_size=3).filter(lambda n: not n.startswith("."))


@st.composite
def literal(draw: st.DrawFn, pool: list[str]) -> str:
    """A name from the tree, or a piece of one, escaped not at all, where needed, or everywhere."""
    name = draw(st.sampled_from(pool))
    if draw(st.integers(0, 3)) == 0:
        start = draw(st.integers(0, len(name) - 1))
        name = name[start : draw(st.integers(start + 1, len(name)))]
    escape = draw(st.sampled_from(["none", "needed", "needed", "all"]))
    if escape == "none":
        return name
    return "".join("\\" + c if escape == "all" or c in "*?[]\\#! " else c for c in name)


@st.composite
def bracket(draw: st.DrawFn, chars: str) -> str:
    """A bracket expression: negated or not, chars, ranges, escapes, classes; sometimes left open."""
    member = st.one_of(
        st.sampled_from(chars),
        st.tuples(st.sampled_from(chars), st.sampled_from(chars)).map("-".join),
        st.sampled_from(chars).map(lambda c: "\\" + c),
        st.sampled_from(CLASSES).map(lambda name: f"[:{name}:]"),
    )
    negation = draw(st.sampled_from(["", "", "!", "^"]))
    members = "".join(draw(st.lists(member, min_size=1, max_size=3)))
    return f"[{negation}{members}" + ("" if draw(st.integers(0, 15)) == 0 else "]")


def pattern_line(pool: list[str]) -> st.SearchStrategy[str]:
    chars = "".join(sorted(set("".join(pool)) | set("a-]!^/\\")))
    token = st.one_of(literal(pool), literal(pool), st.sampled_from(["*", "**", "?"]), bracket(chars))
    component = st.lists(token, min_size=1, max_size=3).map("".join)
    body = st.lists(component, min_size=1, max_size=3).map("/".join)
    line = st.tuples(
        st.sampled_from(["", "", "", "!"]),
        st.sampled_from(["", "", "/"]),
        body,
        st.sampled_from(["", "", "/"]),
        st.sampled_from(["", "", "", "  ", "\\ ", " \\ ", "\\  ", "\t", "\r", " \r", "\\", "\\\\"]),
    ).map("".join)
    odd = st.one_of(
        st.sampled_from(["", " ", "#", "!", "/", "!/", "\\", "**", "/**", "**/", "*", "!*/", "./*", "*/../*"]),
        body.map(lambda b: "#" + b),
        st.text("a*?[]!/\\ #:^-\r", max_size=6),  # anything at all
    )
    return st.one_of(line, line, line, odd)


@st.composite
def ignore_text(draw: st.DrawFn, pool: list[str]) -> str:
    text = "\n".join(draw(st.lists(pattern_line(pool), min_size=1, max_size=5)))
    ending = draw(st.sampled_from(["\n", "\n", "", "\r\n"]))
    if ending == "\r\n":
        text = text.replace("\n", "\r\n")
    return draw(st.sampled_from(["", "", "", "\ufeff"])) + text + ending


@st.composite
def cases(draw: st.DrawFn) -> Case:
    pool = draw(st.lists(names, min_size=2, max_size=5, unique=True))
    paths = draw(st.lists(st.lists(st.sampled_from(pool), min_size=1, max_size=4).map("/".join),
                          min_size=3, max_size=12, unique=True))
    dirs = sorted({p.rsplit("/", n)[0] for p in paths for n in range(1, p.count("/") + 1)})
    files = sorted(set(paths) - set(dirs))
    places = ["", *draw(st.lists(st.sampled_from(dirs), max_size=3, unique=True))] if dirs else [""]
    ignore_files = {f"{d}/.gitignore" if d else ".gitignore": draw(ignore_text(pool)) for d in places}
    if draw(st.booleans()):
        ignore_files = {".git/info/exclude": draw(ignore_text(pool)), **ignore_files}
    return Case(tuple(files), tuple(dirs), ignore_files)


@st.composite
def flat_cases(draw: st.DrawFn) -> Case:
    """Many names, each at the root and in one folder, against one ignore file: wildcards, brackets and
    anchors meet more names per example than in `cases`."""
    pool = draw(st.lists(names, min_size=5, max_size=20, unique=True))
    files = sorted([*pool, *(f"sub/{name}" for name in pool)])
    return Case(tuple(files), ("sub",), {".gitignore": draw(ignore_text(pool))})


def git(root: Path, *args: str, stdin: str = "") -> str:
    """git in `root`, with no user or system configuration (so no global excludes file). check-ignore's
    exit status 1 only says that nothing was ignored."""
    home = root.parent / "home"
    home.mkdir(exist_ok=True)
    env = {**os.environ, "HOME": str(home), "XDG_CONFIG_HOME": str(home), "GIT_CONFIG_NOSYSTEM": "1",
           "GIT_CONFIG_GLOBAL": os.devnull}
    done = subprocess.run([GIT, "-c", "core.ignoreCase=false", "-c", "core.quotePath=false", *args], cwd=root,
                          env=env, input=stdin.encode(), capture_output=True)
    if done.returncode and not (args[0] == "check-ignore" and done.returncode == 1):
        raise AssertionError(f"git {' '.join(args)} failed: {done.stderr.decode(errors='replace')}")
    return done.stdout.decode("utf-8", "surrogateescape")


def make(root: Path, case: Case) -> None:
    git(root, "init", "-q")
    for path in case.files:
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).touch()
    for place, text in case.ignore_files.items():
        (root / place).parent.mkdir(parents=True, exist_ok=True)
        (root / place).write_bytes(text.encode())


def walked(root: Path, folder: str) -> set[str]:
    """What `/read folder` takes, relative to the root."""
    found = expand([str(root / folder)], root, limit=1000)
    return {path.relative_to(root).as_posix() for path in found.files}


def explain(root: Path, paths: set[str], taken_by_git: set[str]) -> str:
    """Each differing path with git's reason: the ignore file, line and pattern that decided it."""
    out = git(root, "check-ignore", "--no-index", "-v", "-n", "-z", "--stdin", stdin="\0".join(sorted(paths)))
    return "\n".join(
        f"  {path!r}: git {'takes' if path in taken_by_git else 'ignores'} it, /read "
        f"{'skips' if path in taken_by_git else 'takes'} it; git's deciding rule: "
        + (f"{source}:{line}: {pattern!r}" if pattern else "none")
        for source, line, pattern, path in zip(*[iter(out.split("\0"))] * 4))


def git_files_of(root: Path) -> set[str]:
    """The files git would add (untracked and not ignored) but the ignore files themselves, which a walk
    hides as dot-names."""
    listed = git(root, "ls-files", "-z", "--others", "--exclude-standard").split("\0")
    return {path for path in listed if path and not path.endswith("/.gitignore") and path != ".gitignore"}


def unignored_dirs(root: Path, dirs: tuple[str, ...]) -> list[str]:
    """The folders neither excluded nor inside an excluded one, as git's check-ignore sees them."""
    if not dirs:
        return []
    out = git(root, "check-ignore", "--no-index", "-v", "-n", "-z", "--stdin", stdin="\0".join(dirs)).split("\0")
    return [path for _, _, pattern, path in zip(*[iter(out)] * 4) if not pattern or pattern.startswith("!")]


def check(case: Case) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp, "repo")
        root.mkdir()
        make(root, case)
        expected = git_files_of(root)
        for folder in ["", *unignored_dirs(root, case.dirs)]:
            want = {path for path in expected if not folder or path.startswith(folder + "/")}
            got = walked(root, folder)
            if got != want:
                pytest.fail(f"/read {folder or '.'} differs from git:\n{explain(root, got ^ want, want)}\n"
                            f"{case.describe()}", pytrace=False)


@settings(max_examples=EXAMPLES, deadline=None)
@given(cases())
def test_a_walk_takes_exactly_the_files_git_does_not_ignore(case: Case):
    check(case)


@settings(max_examples=EXAMPLES, deadline=None)
@given(flat_cases())
def test_each_pattern_picks_the_names_git_picks(case: Case):
    check(case)
