"""The Korean catalog, kept with Babel (a development dependency: `pip install -e '.[test]'`).

    python tools/po.py update     # extract the messages; add new ones (empty) to the .po, drop stale ones
    python tools/po.py update OTHER.po ...   # the same, taking translations the .po lacks from other catalogs
    python tools/po.py compile    # write the .mo the package loads with the standard library's gettext
    python tools/po.py check      # what tests/test_i18n.py asserts: every message translated, nothing stale

A message is the string literal given to `_()`, `N_()` or `ngettext()` in `ollama_chat/`; `ngettext`'s pair is
one entry with `msgid_plural` and one `msgstr[i]` per plural form of the language (Korean has one). An f-string,
a concatenation or a `.format()` inside them is a mistake the check reports: it can never be found in the
catalog. `_(name)` is the translation, where it is shown, of a string marked with `N_()` where it was defined.

The .po is sorted by message and its `#:` comments name files without line numbers, so moving code changes
only those comments, and `update` rewrites them.
"""

from __future__ import annotations

import ast
import gettext
import io
import sys
from collections.abc import Iterable
from pathlib import Path

from babel.messages.catalog import Catalog, Message
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "ollama_chat"
PO = PACKAGE / "locale" / "ko" / "LC_MESSAGES" / "ollama_chat.po"
MO = PO.with_suffix(".mo")
KEYWORDS = {"_": None, "N_": None, "ngettext": (1, 2)}  # pybabel's -k _ -k N_ -k ngettext:1,2
METHODS = [("i18n.py", "ignore"), ("**.py", "python")]  # i18n.py defines the functions, it has no message
HEADER_COMMENT = ("# The Korean catalog of ollama-chat (polite register). Fill in the msgstr entries, then run\n"
                  "# python tools/po.py compile and python tools/po.py check (README: Language).")


def literals(package: Path = PACKAGE) -> tuple[set[str], list[str]]:
    """({every string literal marked in the code}, [problems: an f-string or other non-literal where a literal
    is needed]), read from the syntax tree: the independent check of what Babel extracts."""
    found: set[str] = set()
    problems = []
    for path in sorted(package.rglob("*.py")):
        if path.name == "i18n.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Name):
                continue
            name = node.func.id
            args = node.args[:1] if name in ("_", "N_") else node.args[:2] if name == "ngettext" else []
            for arg in args:
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                    found.add(arg.value)
                elif name == "N_" or isinstance(arg, (ast.JoinedStr, ast.BinOp, ast.Call)):
                    # `_(name)` and `_(one if ... else many)` are fine: translations of strings marked by N_()
                    where = f"{path.relative_to(package.parent).as_posix()}:{node.lineno}"
                    problems.append(f"{where}: {name}() needs a plain string literal, not {type(arg).__name__}")
    return found, problems


def extract(package: Path = PACKAGE) -> Catalog:
    """The messages in the code, as a template catalog (Babel's extractor, no line numbers kept).

    Babel also picks a literal out of an expression (the "1" of `_(one if n == "1" else many)`); what the
    syntax tree does not see as a marked literal is left out."""
    marked, _problems = literals(package)
    template = Catalog(project="ollama-chat", version="", fuzzy=False)
    for filename, lineno, message, comments, context in extract_from_dir(
            package, METHODS, keywords=KEYWORDS, comment_tags=()):
        parts = message if isinstance(message, tuple) else (message,)
        if all(part in marked for part in parts):
            template.add(message, None, [(f"{package.name}/{Path(filename).as_posix()}", lineno)],
                         auto_comments=comments, context=context)
    return template


def read(path: Path = PO) -> Catalog:
    with open(path, "rb") as f:
        return read_po(f, locale="ko")


def _carry_plurals(catalog: Catalog, template: Catalog) -> None:
    """Give a new `msgid_plural` entry the translations its singular and plural had as entries of their own
    (how the catalog kept them before Babel, and how a branch from then still brings them)."""
    plain = {m.id for m in template if m.id and not m.pluralizable}
    for message in template:
        if not message.pluralizable:
            continue
        singular, plural = message.id
        old = catalog.get(singular)
        if old is not None and old.pluralizable:
            continue
        one = old.string if old is not None and not old.fuzzy else ""
        other = catalog.get(plural)
        many = other.string if other is not None and not other.pluralizable and not other.fuzzy else ""
        if not (one or many):
            continue
        count = catalog.num_plurals
        strings = (many or one,) if count == 1 else (one or many,) + (many or one,) * (count - 1)
        if old is not None:
            catalog.delete(singular)
        if other is not None and plural not in plain:
            catalog.delete(plural)
        # more than two forms cannot be guessed from two: a translator looks at it
        catalog.add(message.id, strings, message.locations, flags=("fuzzy",) if count > 2 else ())


def _take(catalog: Catalog, other: Catalog) -> None:
    """The translations `other` has and `catalog` lacks (another branch's .po, after a merge conflict)."""
    for message in other:
        if not message.id or _untranslated(message):
            continue
        mine = catalog.get(message.id)
        if mine is None:
            catalog[message.id] = message
        elif mine.pluralizable == message.pluralizable and _untranslated(mine):
            mine.string, mine.flags = message.string, set(message.flags)


def update(package: Path = PACKAGE, po: Path = PO, also: Iterable[Path] = ()) -> Catalog:
    """Merge the code's messages into the .po: new ones empty (or translated as in one of the `also`
    catalogs), stale ones gone, locations refreshed."""
    template = extract(package)
    catalog = read(po) if po.exists() else Catalog(locale="ko", fuzzy=False)
    for path in also:
        other = read(path)
        _carry_plurals(other, template)
        _take(catalog, other)
    _carry_plurals(catalog, template)
    catalog.update(template, update_creation_date=False)
    catalog.project, catalog.version, catalog.header_comment = "ollama-chat", "", HEADER_COMMENT
    catalog.msgid_bugs_address = catalog.last_translator = ""
    catalog.language_team = "Korean"
    buffer = io.BytesIO()
    # width 0: a message stays on one line, as the code has it; sorted by message, so moves do not reorder
    write_po(buffer, catalog, width=0, sort_output=True, ignore_obsolete=True, include_lineno=False)
    po.parent.mkdir(parents=True, exist_ok=True)
    po.write_bytes(buffer.getvalue())
    return catalog


def compile_mo(po: Path = PO, mo: Path = MO) -> None:
    """The .mo of the .po's translated entries (fuzzy ones are left out: they show in English)."""
    buffer = io.BytesIO()
    write_mo(buffer, read(po), use_fuzzy=False)
    mo.write_bytes(buffer.getvalue())


def _expected(catalog: Catalog) -> dict[object, str]:
    """What gettext should find in the .mo: msgid -> msgstr, (msgid, i) -> msgstr[i] for plural entries."""
    table: dict[object, str] = {}
    for m in catalog:
        if not m.id or not m.string or m.fuzzy:
            continue
        if m.pluralizable:
            table.update({(m.id[0], i): s or m.id[min(i, 1)] for i, s in enumerate(m.string)})
        else:
            table[m.id] = m.string
    return table


def _untranslated(m: Message) -> bool:
    strings = m.string if m.pluralizable else (m.string,)
    return not all(strings) or m.fuzzy


def _text(message: Message) -> str:
    return repr(message.id[0] if message.pluralizable else message.id)


def check(package: Path = PACKAGE, po: Path = PO, mo: Path = MO) -> list[str]:
    """Problems: marked strings that are not literals, messages without a (reviewed) Korean entry, stale
    entries, plural entries whose plural is not the code's, a wrong number of forms, and a .mo that is not
    compiled from the .po."""
    _found, problems = literals(package)
    template = extract(package)
    if not po.exists():
        return problems + [f"there is no {po}: run python tools/po.py update"]
    catalog = read(po)
    where = {m.id if not m.pluralizable else m.id[0]: m for m in template if m.id}
    for key, message in where.items():
        entry = catalog.get(key)
        place = message.locations[0][0]
        if entry is None:
            problems.append(f"no Korean entry: {_text(message)} ({place})")
        elif entry.pluralizable != message.pluralizable or (message.pluralizable and entry.id != message.id):
            problems.append(f"the entry for {_text(message)} is not the code's ngettext pair: run update ({place})")
        elif _untranslated(entry):
            problems.append(f"no Korean entry{' (fuzzy: review it)' if entry.fuzzy else ''}: {_text(message)}"
                            f" ({place})")
    problems += [f"stale entry (no longer in the code): {_text(m)}" for m in catalog
                 if m.id and (m.id[0] if m.pluralizable else m.id) not in where]
    problems += [f"{_text(m)}: {error}" for m, errors in catalog.check() for error in errors]
    try:
        with open(mo, "rb") as f:
            compiled = gettext.GNUTranslations(f)
        current = {k: v for k, v in compiled._catalog.items() if k != ""}  # the table gettext looks up
        plural_forms = compiled.info().get("plural-forms")
    except OSError:
        current, plural_forms = None, None
    if current != _expected(catalog) or plural_forms != catalog.plural_forms:
        problems.append(f"{_shown(mo)} is not compiled from the .po: run python tools/po.py compile")
    return problems


def _shown(path: Path) -> str:
    return path.relative_to(ROOT).as_posix() if path.is_relative_to(ROOT) else str(path)


def main(argv: Iterable[str]) -> int:
    args = list(argv)[1:]
    command = args[0] if args else "check"
    if command == "update":
        catalog = update(also=[Path(name) for name in args[1:]])
        todo = [m for m in catalog if m.id and _untranslated(m)]
        print(f"{len(catalog)} messages, {len(todo)} to translate in {_shown(PO)}")
        return 0
    if command == "compile":
        compile_mo()
        return 0
    if command != "check":
        print("usage: python tools/po.py update [OTHER.po ...] | compile | check", file=sys.stderr)
        return 2
    problems = check()
    print("\n".join(problems) or "the catalog is complete")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
