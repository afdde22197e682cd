"""The built-in tools by name, the groups `--tools read,web` names, and their construction for one chat: the
folder it was started in, its Ollama host (None when the server is not Ollama) and its environment (where
OLLAMA_API_KEY is read, never a flag). Off until asked for; every one of them needs approval per call (see
files.py and web.py)."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping

from ollama_chat.estimate import Calibration
from ollama_chat.tools.base import Tool
from ollama_chat.tools.confine import Folder
from ollama_chat.tools.files import ListDirectory, ReadFile, SearchFiles
from ollama_chat.tools.fit import DEFAULT_BUDGET, Tokens
from ollama_chat.tools.names import FILE_TOOLS, GROUPS, NAMES, WEB_TOOLS, chosen
from ollama_chat.tools.web import WebFetch, WebSearch
from ollama_chat.tools.webapi import CLOUD, WebAccess, WebApi

__all__ = ["FILE_TOOLS", "GROUPS", "NAMES", "WEB_TOOLS", "build", "chosen"]


def build(names: Iterable[str], *, root: str | os.PathLike[str], host: str | None, env: Mapping[str, str],
          budget: Callable[[], int] = lambda: DEFAULT_BUDGET, tokens: Tokens = Calibration().tokens,
          cloud: str = CLOUD) -> tuple[Tool, ...]:
    """The tools named (from `chosen`), in NAMES order. `budget()` is asked at each call for the tokens a
    result may take (the room left in the window); `cloud` is ollama.com but for tests."""
    wanted = set(names)
    unknown = wanted - set(NAMES)
    if unknown:
        raise ValueError(f"not built-in tools: {sorted(unknown)}")
    folder = Folder(root) if wanted & set(FILE_TOOLS) else None
    api = WebApi(WebAccess.from_env(host, env, cloud)) if wanted & set(WEB_TOOLS) else None
    makers: dict[str, Callable[[], Tool]] = {
        "read_file": lambda: ReadFile(folder, budget, tokens),
        "list_directory": lambda: ListDirectory(folder, budget, tokens),
        "search_files": lambda: SearchFiles(folder, budget, tokens),
        "web_search": lambda: WebSearch(api, budget, tokens),
        "web_fetch": lambda: WebFetch(api, budget, tokens),
    }
    return tuple(makers[n]() for n in NAMES if n in wanted)
