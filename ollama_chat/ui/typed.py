"""What a line typed at the prompt says before any command runs: a word that leaves, a message between two
`\"\"\"` lines, and Ollama's own spellings of our commands (`/set parameter num_ctx 4096`, `/show info`). Pure."""

from __future__ import annotations

EXIT_WORDS = ("quit", "exit", "종료", "나가기", "끝")
TRIPLE = '"""'


def is_exit_word(line: str) -> bool:
    return line.strip().casefold() in EXIT_WORDS


def strip_block_quotes(text: str) -> str:
    """A message typed between two \"\"\" lines (as in `ollama run`) is sent without the quotes."""
    stripped = text.strip()
    if stripped.startswith(TRIPLE) and stripped.endswith(TRIPLE) and len(stripped) >= 6:
        return stripped[3:-3].strip("\n")
    return text.strip("\n") if text.strip() else text


_OLLAMA_SET = {
    "verbose": ("/stats", "on"),
    "quiet": ("/stats", "off"),
    "noformat": ("/format", "off"),
    "nothink": ("/think", "off"),
}


def translate_ollama(name: str, arg: str) -> tuple[str, str]:
    """`ollama run`'s spellings as ours: `/set parameter X V` -> `/set X V`, `/set system T` -> `/system T`,
    `/set verbose` -> `/stats on`, `/set format json` -> `/format json`, `/set think` -> `/think on`,
    `/show info` -> `/show`, `/?` -> `/help`."""
    if name == "/?":
        return "/help", arg
    if name == "/show" and arg in ("info", "parameters", "modelfile", "template", "license"):
        return "/show", ""
    if name == "/show" and arg == "system":
        return "/system", ""
    if name != "/set":
        return name, arg
    word, _sep, rest = arg.partition(" ")
    rest = rest.strip()
    if word == "parameter":
        return "/set", rest
    if word in ("system", "format"):
        return f"/{word}", rest
    if word == "think":
        return "/think", rest or "on"
    if word in _OLLAMA_SET and not rest:
        return _OLLAMA_SET[word]
    if word == "verbose" and rest in ("on", "off"):
        return "/stats", rest
    return name, arg
