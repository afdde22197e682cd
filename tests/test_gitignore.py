""".gitignore matching, pure: each case below was checked against `git ls-files -o --exclude-standard` by hand
(the tests themselves never run git, which may not be installed)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import PurePosixPath

import pytest

from ollama_chat.files.gitignore import Rule, excluded, ignore_rules, translate


def is_ignored(path: PurePosixPath | str, is_dir: bool, rules: Sequence[Rule]) -> bool:
    """Whether git ignores `path` (relative to the root): it or a folder above it is excluded. A file inside an
    excluded folder cannot be brought back by a negation, since git never looks inside. (The program needs
    `excluded` alone: its walk prunes an ignored folder before it looks inside.)"""
    parts = PurePosixPath(path).parts
    for depth in range(1, len(parts)):
        if excluded("/".join(parts[:depth]), True, rules):
            return True
    return bool(parts) and excluded("/".join(parts), is_dir, rules)


CASES = [
    # (.gitignore text, path, is_dir, ignored)
    ("# a comment\n\n#x\n", "#x", False, False),
    ("\\#x\n", "#x", False, True),
    ("\\!x\n", "!x", False, True),
    ("!x\n", "x", False, False),
    ("x  \n", "x", False, True),  # trailing spaces dropped
    ("x\\ \n", "x ", False, True),  # unless escaped
    ("x\\ \n", "x", False, False),
    (" x\n", "x", False, False),  # leading spaces kept
    ("\ufeffa\r\nb\r\n", "a", False, True),  # BOM and CRLF
    ("\ufeffa\r\nb\r\n", "b", False, True),
    ("*.log\n!keep.log\n", "keep.log", False, False),  # the last match wins
    ("*.log\n!keep.log\n", "deep/a.log", False, True),
    ("!keep.log\n*.log\n", "keep.log", False, True),
    ("build/\n!build/keep.txt\n", "build/keep.txt", False, True),  # no re-including inside an excluded folder
    ("build/*\n!build/keep.txt\n", "build/keep.txt", False, False),  # the folder itself is not excluded here
    ("build/*\n!build/keep.txt\n", "build/other.txt", False, True),
    ("build/\n", "build", False, False),  # a trailing slash: folders only
    ("build/\n", "src/build", True, True),
    ("build/\n", "src/build/x.js", False, True),
    ("/dist\n", "dist", True, True),  # a leading slash anchors
    ("/dist\n", "src/dist", True, False),
    ("doc/frotz\n", "doc/frotz", False, True),  # so does a slash in the middle
    ("doc/frotz\n", "a/doc/frotz", False, False),
    ("frotz\n", "a/doc/frotz", False, True),  # a bare name matches at any depth
    ("*.c\n", "src/x.c", False, True),
    ("/*.c\n", "src/x.c", False, False),
    ("src/*.c\n", "src/sub/x.c", False, False),  # * does not cross /
    ("src/?.c\n", "src/x.c", False, True),
    ("src/?\n", "src/xy", False, False),
    ("[ab].txt\n", "b.txt", False, True),
    ("[ab].txt\n", "c.txt", False, False),
    ("[!ab].txt\n", "c.txt", False, True),
    ("[^ab].txt\n", "a.txt", False, False),
    ("f[1-3]\n", "f2", False, True),
    ("f[1-3]\n", "f4", False, False),
    ("[]]\n", "]", False, True),  # a ] first is a member
    ("[a-]\n", "-", False, True),
    ("[b-a]\n", "b", False, True),  # an empty range: git has matched its start before it sees the `-`
    ("[b-a]\n", "a", False, False),  # (found by tests/test_gitignore_git.py)
    ("[!b-a]\n", "b", False, False),
    ("[c-a-z]\n", "-", False, True),  # after a range, `-` is a member again
    ("[c-a-z]\n", "b", False, False),
    ("[[:digit:]]x\n", "1x", False, True),
    ("[[:upper:]]*\n", "Ab", False, True),
    ("[[:upper:]]*\n", "ab", False, False),
    ("a[/]b\n", "a/b", False, False),  # a bracket never matches /
    ("\\[ab]\n", "[ab]", False, True),
    ("a\\*\n", "a*", False, True),
    ("a\\*\n", "ab", False, False),
    ("**/tmp\n", "tmp", True, True),
    ("**/tmp\n", "a/b/tmp", True, True),
    ("**/tmp\n", "a/b/tmp/x", False, True),
    ("abc/**\n", "abc/x/y", False, True),
    ("abc/**\n", "abc", True, False),  # /** is everything inside, not the folder
    ("abc/**\n!abc/keep\n", "abc/keep", False, False),  # so a negation can bring a file back
    ("a/**/b\n", "a/b", False, True),
    ("a/**/b\n", "a/x/y/b", False, True),
    ("a/**/b\n", "a/xb", False, False),
    ("a**\n", "ab/c", False, True),  # ** not between slashes is a plain *: matches the folder ab
    ("x/a**\n", "x/ab/c", False, True),
    ("x/a**c\n", "x/ab/c", False, False),
    ("x/a**/c\n", "x/ab/d/c", False, True),  # git's quirk: the first wildcard, if **, acts as if after a /
    ("*\n!*/\n!*.txt\n", "d/a.txt", False, False),  # the usual allow-list idiom
    ("*\n!*/\n!*.txt\n", "d/a.md", False, True),
    # git matches bytes: `?` is one byte of UTF-8, so it never matches é (2 bytes) or 가 (3); found by
    # tests/test_gitignore_git.py
    ("é/?\n", "é/é", False, False),
    ("??\n", "é", False, True),
    ("?.txt\n", "가.txt", False, False),
    ("???.txt\n", "가.txt", False, True),
    ("[가]\n", "가", False, False),
    # malformed: git matches nothing with them
    ("x[\n", "x[", False, False),
    ("[[:bogus:]]y\n", "ay", False, False),
    ("\\\n", "x", False, False),
    ("/\n", "x", True, False),
]


@pytest.mark.parametrize("text, path, is_dir, ignored", CASES)
def test_patterns_match_as_git_matches_them(text, path, is_dir, ignored):
    assert is_ignored(path, is_dir, ignore_rules(text)) is ignored


def test_a_rule_applies_only_below_the_folder_of_its_file():
    rules = ignore_rules("/dist\n*.gen\n", PurePosixPath("src"))
    assert is_ignored("src/dist", True, rules)
    assert not is_ignored("dist", True, rules)
    assert is_ignored("src/a/b.gen", False, rules)
    assert not is_ignored("b.gen", False, rules)
    assert not is_ignored("srcx/b.gen", False, rules)
    assert ignore_rules("x", ".")[0].base == ""


def test_a_deeper_file_overrides_a_shallower_one():
    rules = ignore_rules("*.log\n") + ignore_rules("!keep.log\n", "logs")
    assert not is_ignored("logs/keep.log", False, rules)
    assert is_ignored("keep.log", False, rules)
    assert is_ignored("logs/other.log", False, rules)


def test_excluded_looks_at_the_path_only_and_is_ignored_at_its_folders_too():
    rules = ignore_rules("build/\n!keep.txt\n")
    assert not excluded("build/keep.txt", False, rules)
    assert is_ignored("build/keep.txt", False, rules)
    assert not is_ignored("", True, rules)


def test_translate_keeps_single_stars_inside_one_component():
    assert translate("a/*/b") == "a/[^/]*/b"
    assert translate("**/x") == "(?:.*/)?x"
    assert translate("x/**") == "x/.*"
