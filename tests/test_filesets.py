"""`/read PATH…` argument expansion over small trees in tmp_path: folders, globs, ~, the limit, what is
missing, skipped or special, and walks that must end (symlink loops, FIFOs)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from ollama_chat.files.filesets import Expansion, expand


def make(root: Path, *files: str, **texts: str) -> None:
    """Empty files at the given paths, and files with text given as keyword (`/` spelled `__`)."""
    for name in files:
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).touch()
    for name, text in texts.items():
        path = root / name.replace("__", "/")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def rel(expansion: Expansion, root: Path) -> list[str]:
    return [p.relative_to(root).as_posix() for p in expansion.files]


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A project as git sees it: .git/, a root .gitignore, a nested one with a negation, info/exclude."""
    root = tmp_path / "repo"
    make(root, "README.md", "a.log", "keep.log", "build/out.js", "dist/x.js", "src/dist/y.js", "src/tmp/z.txt",
         "src/main.py", "src/a.gen.py", "src/keep.gen.py", "src/pkg/mod.py", "src/pkg/tmp/deep.txt",
         "secret.txt", ".env", ".venv/lib.py", ".git/HEAD", "docs/guide.md")
    make(root, **{".gitignore": "build/\n*.log\n!keep.log\n/dist\n**/tmp\n",
                  "src__.gitignore": "# generated\n*.gen.py\n!keep.gen.py\n",
                  ".git__info__exclude": "secret.txt\n"})
    return root


def test_a_folder_takes_its_text_files_skipping_what_git_ignores_and_dot_names(repo):
    e = expand(["."], repo)
    assert rel(e, repo) == ["README.md", "docs/guide.md", "keep.log", "src/dist/y.js", "src/keep.gen.py",
                            "src/main.py", "src/pkg/mod.py"]
    # a.log, build/, dist/, secret.txt (info/exclude), src/a.gen.py, src/tmp/, src/pkg/tmp/
    assert e.ignored == 7
    # .env, .git/, .gitignore, .venv/, src/.gitignore
    assert e.hidden == 5
    assert (e.missing, e.empty, e.special, e.over_limit, e.incomplete) == ((), (), (), 0, False)


def test_a_subfolder_is_read_with_the_ignore_files_above_it(repo):
    e = expand(["src"], repo)
    assert rel(e, repo) == ["src/dist/y.js", "src/keep.gen.py", "src/main.py", "src/pkg/mod.py"]
    assert e.ignored == 3
    assert rel(expand(["pkg"], repo / "src"), repo) == ["src/pkg/mod.py"]


def test_what_the_user_names_is_taken_even_if_ignored_or_hidden(repo):
    e = expand(["a.log", ".env", "build", "secret.txt", ".git/HEAD"], repo)
    assert rel(e, repo) == ["a.log", ".env", "build/out.js", "secret.txt", ".git/HEAD"]
    assert e.ignored == e.hidden == 0


def test_a_named_git_folder_is_not_walked(repo):
    e = expand([".git"], repo)
    assert (e.files, e.empty, e.hidden) == ((), (".git",), 1)


def test_outside_a_repository_only_the_folders_own_ignore_files_count(tmp_path):
    make(tmp_path, "a.txt", "b.tmp", "sub/c.tmp", **{".gitignore": "*.tmp\n"})
    make(tmp_path / "inner", "x.txt", **{".gitignore": "x.txt\n"})
    assert rel(expand(["."], tmp_path), tmp_path) == ["a.txt"]
    assert rel(expand(["inner"], tmp_path), tmp_path) == []


def test_a_nested_repository_has_its_own_rules(repo):
    make(repo / "src" / "vendored", "lib.gen.py", "notes.log", ".git/HEAD", **{".gitignore": "notes.log\n"})
    e = expand(["src/vendored"], repo)
    assert rel(e, repo) == ["src/vendored/lib.gen.py"]  # src/.gitignore stops at the inner repository


def test_arguments_keep_their_order_and_a_file_named_twice_comes_once(repo):
    e = expand(["src/main.py", "README.md", "src", "README.md"], repo)
    assert rel(e, repo) == ["src/main.py", "README.md", "src/dist/y.js", "src/keep.gen.py", "src/pkg/mod.py"]


def test_globs_use_pathlib_semantics_and_skip_what_a_walk_skips(repo):
    assert rel(expand(["*.md"], repo), repo) == ["README.md"]
    assert rel(expand(["src/**/*.py"], repo), repo) == ["src/keep.gen.py", "src/main.py", "src/pkg/mod.py"]
    assert rel(expand(["**/*.md"], repo), repo) == ["README.md", "docs/guide.md"]
    e = expand(["*.log"], repo)
    assert (rel(e, repo), e.ignored) == (["keep.log"], 1)
    e = expand(["**/*.py"], repo)
    assert ".venv/lib.py" not in rel(e, repo) and e.hidden >= 1


def test_a_glob_takes_dot_names_only_when_its_pattern_starts_with_a_dot(repo):
    assert rel(expand(["*env"], repo), repo) == []
    assert rel(expand([".e*"], repo), repo) == [".env"]
    assert rel(expand([".*"], repo), repo) == [".env", ".gitignore", ".venv/lib.py"]  # never .git


def test_a_glob_matching_a_folder_walks_it(repo):
    assert rel(expand(["do*"], repo), repo) == ["docs/guide.md"]
    assert rel(expand(["s?c/pkg/"], repo), repo) == ["src/pkg/mod.py"]
    assert rel(expand(["src/**"], repo), repo) == rel(expand(["src"], repo), repo)


def test_a_glob_past_its_first_wildcard_and_above_the_current_folder(repo):
    assert rel(expand(["*/pkg/mod.py"], repo), repo) == ["src/pkg/mod.py"]
    assert rel(expand(["../do*/*.md"], repo / "src"), repo) == ["docs/guide.md"]
    assert rel(expand([str(repo / "src" / "*.py")], Path("/")), repo) == ["src/keep.gen.py", "src/main.py"]


def test_a_file_whose_name_looks_like_a_glob_is_taken_as_named(tmp_path):
    make(tmp_path, "a[1].txt", "a1.txt")
    assert rel(expand(["a[1].txt"], tmp_path), tmp_path) == ["a[1].txt"]
    assert rel(expand(["a[0-9].txt"], tmp_path), tmp_path) == ["a1.txt"]


def test_tilde_is_the_home_folder_of_the_user_named(tmp_path):
    homes = {"": tmp_path / "me", "bob": tmp_path / "bob"}
    make(tmp_path, "me/notes.md", "me/src/a.py", "bob/x.txt")
    e = expand(["~/notes.md", "~bob/x.txt", "~/src/*.py", "~", "~nobody/x"], tmp_path / "elsewhere",
               home=lambda user: homes.get(user, Path("~" + user)))
    assert rel(e, tmp_path) == ["me/notes.md", "bob/x.txt", "me/src/a.py"]
    assert e.missing == ("~nobody/x",)


def test_tilde_defaults_to_the_system_home(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    make(tmp_path, "n.md")
    assert expand(["~/n.md"], Path("/")).files == (tmp_path / "n.md",)


def test_the_limit_keeps_the_first_files_and_counts_the_rest(tmp_path):
    make(tmp_path, *(f"f{i}.txt" for i in range(5)), "z.txt")
    e = expand(["z.txt", "."], tmp_path, limit=3)
    assert rel(e, tmp_path) == ["z.txt", "f0.txt", "f1.txt"]
    assert e.over_limit == 3


def test_missing_arguments_and_folders_that_give_nothing(repo, tmp_path):
    (tmp_path / "hollow").mkdir()
    e = expand(["nope.txt", "nope/*.py", "*.rs", "build/*.js", str(tmp_path / "hollow"), "README.md"], repo)
    assert rel(e, repo) == ["build/out.js", "README.md"]
    assert e.missing == ("nope.txt", "nope/*.py", "*.rs")
    assert e.empty == (str(tmp_path / "hollow"),)


def test_the_literal_part_of_a_glob_is_taken_as_named(repo):
    assert rel(expand(["build/*.js"], repo), repo) == ["build/out.js"]  # build/ is ignored, but spelled out


def test_a_fifo_is_never_walked_into_and_is_reported_when_named(tmp_path):
    make(tmp_path, "a.txt")
    os.mkfifo(tmp_path / "pipe")
    e = expand(["."], tmp_path)
    assert rel(e, tmp_path) == ["a.txt"] and e.special == ()
    assert rel(expand(["*"], tmp_path), tmp_path) == ["a.txt"]
    e = expand(["pipe", "a.txt"], tmp_path)
    assert (rel(e, tmp_path), e.special, e.missing) == (["a.txt"], (tmp_path / "pipe",), ())


def test_symlinks_to_folders_are_not_followed_so_loops_end(tmp_path):
    make(tmp_path, "d/a.txt", "real.txt")
    os.symlink(tmp_path, tmp_path / "d" / "loop")
    os.symlink(tmp_path / "real.txt", tmp_path / "d" / "link.txt")
    os.symlink(tmp_path / "gone", tmp_path / "d" / "broken")
    assert rel(expand(["d"], tmp_path), tmp_path) == ["d/a.txt", "d/link.txt"]
    assert rel(expand(["**/*.txt"], tmp_path), tmp_path) == ["d/a.txt", "d/link.txt", "real.txt"]
    assert rel(expand(["d/loop"], tmp_path), tmp_path) == ["d/loop/d/a.txt", "d/loop/d/link.txt",
                                                           "d/loop/real.txt"]  # named: followed, once
    assert expand(["d/broken"], tmp_path).missing == ("d/broken",)


def test_a_huge_walk_stops_and_says_so(tmp_path):
    make(tmp_path, *(f"d{i}/f{j}.txt" for i in range(5) for j in range(5)))
    e = expand(["."], tmp_path, limit=100, max_scan=12)
    assert e.incomplete and 0 < len(e.files) < 25
    assert not expand(["."], tmp_path, limit=100).incomplete


def test_a_folder_that_cannot_be_listed_is_reported(tmp_path, monkeypatch):
    make(tmp_path, "a.txt", "locked/b.txt")
    scandir = os.scandir

    def refuse(path):
        if Path(path).name == "locked":
            raise PermissionError(13, "Permission denied", str(path))
        return scandir(path)

    monkeypatch.setattr(os, "scandir", refuse)  # chmod 0 does not stop root
    e = expand(["."], tmp_path)
    assert rel(e, tmp_path) == ["a.txt"] and e.unreadable == (tmp_path / "locked",)


def test_an_ignore_file_that_is_a_fifo_is_not_read(tmp_path):
    make(tmp_path, "a.txt")
    os.mkfifo(tmp_path / ".gitignore")
    assert rel(expand(["."], tmp_path), tmp_path) == ["a.txt"]


def test_only_a_line_feed_ends_an_ignore_line_as_in_git(tmp_path):
    """Found by tests/test_gitignore_git.py: git strips one CR before each LF, and a lone CR is part of the
    pattern, so `*\\r\\r\\n` and old Mac line ends `a\\rb\\r` ignore nothing (they were read as `*`, `a`, `b`)."""
    make(tmp_path, "a", "b", "sub/c")
    (tmp_path / ".gitignore").write_bytes(b"a\rb\r")
    (tmp_path / "sub" / ".gitignore").write_bytes(b"*\r\r\n")
    assert rel(expand(["."], tmp_path), tmp_path) == ["a", "b", "sub/c"]
