"""`.gitignore` patterns, matched as git matches them. Pure: text in, rules out, paths checked against rules.

Follows git's dir.c and wildmatch.c, so a folder read skips what `git status` would: comments, `\\#` and `\\!`
escapes, trailing spaces (unless escaped), a trailing CR, `!` negation with the last matching rule winning, a
`/` at the start or in the middle anchoring the pattern to its file's folder, a trailing `/` for folders only,
`*` `?` and `[...]` (with ranges, `!`/`^` and `[:class:]`) never crossing `/`, and `**/`, `/**`, `/**/`.
A pattern git would reject (an unclosed `[`, an unknown class, a trailing lone backslash) matches nothing.
Like git, patterns and paths are matched as UTF-8 bytes: `?` is one byte, so it never matches `é` or `가`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath

_NEVER = "(?!)"

_CLASSES = {  # the POSIX classes wildmatch knows, as the inside of a Python character class (ASCII, as git)
    "alnum": "a-zA-Z0-9", "alpha": "a-zA-Z", "blank": " \\t", "cntrl": "\\x00-\\x1f\\x7f", "digit": "0-9",
    "graph": "!-~", "lower": "a-z", "print": " -~", "punct": "!-/:-@\\[-`{-~", "space": " \\t\\n\\r\\f\\v",
    "upper": "A-Z", "xdigit": "0-9a-fA-F",
}


@dataclass(frozen=True)
class Rule:
    """One pattern line of one ignore file. `base` is that file's folder relative to the root the paths
    are given from ('' for the root itself); the rule applies only below it."""

    pattern: str
    base: str
    negate: bool
    dir_only: bool
    regex: re.Pattern[str]

    def matches(self, path: str, is_dir: bool) -> bool:
        """Whether this rule matches `path` (POSIX, relative to the root, no trailing slash)."""
        if self.dir_only and not is_dir:
            return False
        if self.base:
            if not path.startswith(self.base + "/"):
                return False
            path = path[len(self.base) + 1 :]
        return self.regex.fullmatch(_bytes(path)) is not None


def _bytes(text: str) -> str:
    """`text` as its UTF-8 bytes, one character per byte, so a regex matches byte by byte as git does."""
    return text.encode("utf-8", "surrogateescape").decode("latin-1")


def _bracket(pattern: str, i: int) -> tuple[str, int] | None:
    """The regex for the bracket expression opening at pattern[i], and the index after it; None when git
    would abort the whole match (no closing `]`, an unknown class). Never matches `/`."""
    n = len(pattern)
    i += 1
    negated = i < n and pattern[i] in "!^"
    i += negated
    members: list[str] = []
    prev: str | None = None  # the last single character, which a following `-` may turn into a range
    first = True
    while True:
        if i >= n:
            return None
        ch = pattern[i]
        if ch == "]" and not first:  # a `]` straight after the opening is a member
            break
        first = False
        if ch == "\\":
            i += 1
            if i >= n:
                return None
            prev = pattern[i]
            members.append(re.escape(prev))
        elif ch == "-" and prev is not None and i + 1 < n and pattern[i + 1] != "]":
            i += 1
            end = pattern[i]
            if end == "\\":
                i += 1
                if i >= n:
                    return None
                end = pattern[i]
            if prev <= end:  # the start stays a member even when the range is empty, as in git
                members.append(f"{re.escape(prev)}-{re.escape(end)}")
            prev = None
        elif ch == "[" and pattern.startswith(":", i + 1):
            close = pattern.find("]", i + 2)
            if close < 0:
                return None
            if close - 1 < i + 2 or pattern[close - 1] != ":":  # no ":]": an ordinary "[", as in git
                prev = ch
                members.append(re.escape(ch))
            else:
                name = pattern[i + 2 : close - 1]
                if name not in _CLASSES:
                    return None
                members.append(_CLASSES[name])
                prev = None
                i = close
        else:
            prev = ch
            members.append(re.escape(ch))
        i += 1
    body = "".join(members)
    if negated:
        return f"[^/{body}]", i + 1
    return (f"(?!/)[{body}]" if body else _NEVER), i + 1


def translate(pattern: str, anchored: bool = True) -> str:
    """A regex for the wildmatch `pattern` (WM_PATHNAME): `*`, `?` and brackets stay inside one component;
    `**` between slashes (or at either end) spans components, and `**/` may match no component at all.
    git matches an anchored pattern's literal head apart, so its first wildcard, if `**`, counts as
    starting the pattern: `x/a**/c` matches `x/ab/d/c` in git, and here."""
    out: list[str] = []
    i, n = 0, len(pattern)
    head = next((k for k, c in enumerate(pattern) if c in "*?[\\"), n) if anchored else 0
    while i < n:
        ch = pattern[i]
        if ch == "*":
            start = i
            while i < n and pattern[i] == "*":
                i += 1
            slash = 1 if pattern.startswith("/", i) else 2 if pattern.startswith("\\/", i) else 0
            at_boundary = (start in (0, head) or pattern[start - 1] == "/") and (i == n or slash)
            if i - start >= 2 and at_boundary:
                if i < n:  # `**/`: any number of whole components, none included
                    out.append("(?:.*/)?")
                    i += slash
                else:
                    out.append(".*")
            else:
                out.append("[^/]*")
            continue
        if ch == "?":
            out.append("[^/]")
        elif ch == "[":
            found = _bracket(pattern, i)
            if found is None:
                return _NEVER
            regex, i = found
            out.append(regex)
            continue
        elif ch == "\\":
            i += 1
            if i == n:
                return _NEVER
            out.append(re.escape(pattern[i]))
        else:
            out.append(re.escape(ch))
        i += 1
    return "".join(out)


def _trim_trailing_spaces(line: str) -> str:
    """Drop trailing spaces, but not one escaped by a backslash (git's trim_trailing_spaces)."""
    end = len(line.rstrip(" "))
    backslashes = len(line[:end]) - len(line[:end].rstrip("\\"))
    if backslashes % 2 and end < len(line):
        end += 1
    return line[:end]


def ignore_rules(text: str, base: PurePosixPath | str = "") -> tuple[Rule, ...]:
    """The rules of one ignore file whose folder is `base` (relative to the root), in file order."""
    base = "" if str(base) == "." else str(base).strip("/")
    rules = []
    for line in text.removeprefix("\ufeff").split("\n"):
        line = line.removesuffix("\r")
        if not line or line.startswith("#"):
            continue
        pattern = _trim_trailing_spaces(line)
        negate = pattern.startswith("!")
        body = pattern[1:] if negate else pattern
        dir_only = body.endswith("/")
        if dir_only:
            body = body[:-1]
        if not body:
            continue
        if "/" in body:  # anchored to the file's folder; a leading slash only says so
            regex = translate(_bytes(body.removeprefix("/")))
        else:  # a bare name: matched against the last component, at any depth
            regex = "(?:.*/)?" + translate(_bytes(body), anchored=False)
        rules.append(Rule(pattern, base, negate, dir_only, re.compile(regex, re.DOTALL)))
    return tuple(rules)


def excluded(path: str, is_dir: bool, rules: Sequence[Rule]) -> bool:
    """Whether the last rule matching `path` itself ignores it. Parent folders are not looked at: a walk
    that prunes ignored folders needs only this."""
    for rule in reversed(rules):
        if rule.matches(path, is_dir):
            return not rule.negate
    return False
