"""The Korean catalog: find the messages in the code, check the catalog against them, compile it.

    python tools/po.py check      # every message has a Korean entry, and no entry is stale
    python tools/po.py update     # add new messages (empty) to the .po and drop stale ones
    python tools/po.py compile    # write the .mo the package loads

A message is the string literal given to `_()`, `N_()` or `ngettext()` in `ollama_chat/` (an f-string there is
a mistake the check reports: it cannot be looked up; `_(name)` is the translation, where it is shown, of a
string marked with `N_()` where it was defined). Translators edit `ollama_chat/locale/ko/LC_MESSAGES/
ollama_chat.po`; msgfmt-compatible `.mo` output, written with the standard library only.
"""

from __future__ import annotations

import ast
import struct
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "ollama_chat"
PO = PACKAGE / "locale" / "ko" / "LC_MESSAGES" / "ollama_chat.po"
MO = PO.with_suffix(".mo")
MARKERS = {"_", "N_"}
HEADER = 'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n"Language: ko\\n"\n"Plural-Forms: nplurals=1; plural=0;\\n"\n'


def messages(package: Path = PACKAGE) -> tuple[dict[str, list[str]], list[str]]:
    """({message: [where, ...]}, [problems]) for every marked string in the package."""
    found: dict[str, list[str]] = {}
    problems = []
    for path in sorted(package.rglob("*.py")):
        if path.name == "i18n.py":  # the functions themselves
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Name):
                continue
            name = node.func.id
            where = f"{path.relative_to(package.parent)}:{node.lineno}"
            if name in MARKERS:
                args = node.args[:1]
            elif name == "ngettext":
                args = node.args[:2]
            else:
                continue
            for arg in args:
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                    found.setdefault(arg.value, []).append(where)
                elif name == "N_" or isinstance(arg, (ast.JoinedStr, ast.BinOp, ast.Call)):
                    # an f-string, a concatenation or "...".format() inside _() can never be found in the catalog;
                    # a name or an expression is fine: the translate-where-shown of a string marked with N_()
                    problems.append(f"{where}: {name}() needs a plain string literal, not {type(arg).__name__}")
    return found, problems


def _unquote(line: str) -> str:
    return ast.literal_eval(line)


def read_po(path: Path = PO) -> dict[str, str]:
    """msgid -> msgstr (plural forms: the msgid is the singular; msgstr[0] is used), header excluded."""
    entries: dict[str, str] = {}
    msgid = msgstr = None
    field = None
    plural = None

    def flush() -> None:
        if msgid:
            entries[msgid] = msgstr or ""
            if plural:
                entries[plural] = msgstr or ""

    for raw in path.read_text(encoding="utf-8").splitlines() + [""]:
        line = raw.strip()
        if not line or line.startswith("#"):
            if field is not None and not line:
                flush()
                msgid = msgstr = field = plural = None
            continue
        if line.startswith("msgid_plural "):
            plural, field = _unquote(line[13:]), "plural"
        elif line.startswith("msgid "):
            if field is not None:
                flush()
                msgstr = plural = None
            msgid, field = _unquote(line[6:]), "msgid"
        elif line.startswith("msgstr[0] "):
            msgstr, field = _unquote(line[10:]), "msgstr"
        elif line.startswith("msgstr[") :
            field = "other"
        elif line.startswith("msgstr "):
            msgstr, field = _unquote(line[7:]), "msgstr"
        elif line.startswith('"'):
            text = _unquote(line)
            if field == "msgid":
                msgid += text
            elif field == "msgstr":
                msgstr += text
            elif field == "plural":
                plural += text
    return entries


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\t", "\\t") + '"'


def write_po(entries: dict[str, str], where: dict[str, list[str]], path: Path = PO) -> None:
    parts = [HEADER]
    for msgid in sorted(entries, key=lambda m: (where.get(m, ["~"])[0], m)):
        refs = " ".join(where.get(msgid, []))
        parts.append((f"#: {refs}\n" if refs else "") + f"msgid {_quote(msgid)}\nmsgstr {_quote(entries[msgid])}\n")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(parts), encoding="utf-8")


def compile_mo(entries: dict[str, str]) -> bytes:
    """GNU .mo bytes (what gettext.GNUTranslations reads) for the translated entries."""
    catalog = {"": "Content-Type: text/plain; charset=UTF-8\nLanguage: ko\nPlural-Forms: nplurals=1; plural=0;\n"}
    catalog.update({k: v for k, v in entries.items() if v})
    keys = sorted(catalog)
    ids = b"".join(k.encode() + b"\0" for k in keys)
    strs = b"".join(catalog[k].encode() + b"\0" for k in keys)
    start = 7 * 4 + len(keys) * 16
    offsets, pos = [], 0
    for k in keys:
        offsets.append((len(k.encode()), start + pos))
        pos += len(k.encode()) + 1
    str_offsets, pos = [], 0
    for k in keys:
        str_offsets.append((len(catalog[k].encode()), start + len(ids) + pos))
        pos += len(catalog[k].encode()) + 1
    head = struct.pack("Iiiiiii", 0x950412DE, 0, len(keys), 7 * 4, 7 * 4 + len(keys) * 8, 0, 0)
    table = b"".join(struct.pack("ii", n, o) for n, o in offsets) + b"".join(struct.pack("ii", n, o) for n, o in str_offsets)
    return head + table + ids + strs


def check() -> list[str]:
    """Problems: marked strings that are not literals, messages without a Korean entry, stale entries, and a
    compiled catalog that is not the .po's."""
    found, problems = messages()
    entries = read_po() if PO.exists() else {}
    problems += [f"no Korean entry: {m!r} ({found[m][0]})" for m in found if not entries.get(m)]
    problems += [f"stale entry (no longer in the code): {m!r}" for m in entries if m not in found]
    if not MO.exists() or MO.read_bytes() != compile_mo(entries):
        problems.append(f"{MO.relative_to(ROOT)} is not compiled from the .po: run python tools/po.py compile")
    return problems


def main(argv: list[str]) -> int:
    command = argv[1] if len(argv) > 1 else "check"
    if command == "update":
        found, problems = messages()
        old = read_po() if PO.exists() else {}
        write_po({m: old.get(m, "") for m in found}, found)
        print(f"{len(found)} messages, {sum(1 for m in found if not old.get(m))} without a translation")
        return 0
    if command == "compile":
        MO.write_bytes(compile_mo(read_po()))
        return 0
    problems = check()
    print("\n".join(problems) or "the catalog is complete")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
