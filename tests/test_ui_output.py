"""ui/output.py: the one switch between the renderers; and the shape of the ui package: the piped path loads
no rich, and the renderer modules import each other without a circle."""

from __future__ import annotations

import ast
import io
import subprocess
import sys

import pytest
from ui_helpers import REPO
from rich.console import Console

from ollama_chat.ui.output import make_output
from ollama_chat.ui.plain import PlainOutput
from ollama_chat.ui.terminal import TerminalOutput
from ollama_chat.ui.theme import make_console


def test_make_output_terminal(monkeypatch):
    monkeypatch.delenv("NO_COLOR", raising=False)
    out = io.BytesIO()
    output = make_output(stdout_is_terminal=True, plain=False, hide_thinking=True, out=out, err=io.StringIO())
    assert isinstance(output, TerminalOutput)
    assert output.hide_thinking
    assert output.console._highlight is False
    assert not output.console.no_color
    output.console.get_style("thinking")
    reply = output.reply()
    reply.content("**굵게** 본문")
    reply.finish()
    assert out.getvalue().decode("utf-8") == "굵게 본문\n"  # formatted, in UTF-8, on `out` (not a tty: no colour)


def test_make_output_terminal_uses_the_given_console():
    console = Console(file=io.StringIO())
    output = make_output(
        stdout_is_terminal=True, plain=False, hide_thinking=False, out=io.BytesIO(), err=None, console=console
    )
    assert isinstance(output, TerminalOutput) and output.console is console


def test_make_console():
    console = make_console(io.StringIO())
    assert console._highlight is False and not console.is_terminal
    for name in ("thinking", "stats", "interrupted", "notice", "hint", "warning", "error", "banner"):
        console.get_style(name)


def test_make_output_respects_no_color(monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    output = make_output(stdout_is_terminal=True, plain=False, hide_thinking=False, out=io.BytesIO(), err=None)
    assert output.console.no_color


@pytest.mark.parametrize("terminal, plain", [(False, False), (False, True), (True, True)])
def test_make_output_plain(terminal, plain):
    out, err = io.BytesIO(), io.StringIO()
    output = make_output(stdout_is_terminal=terminal, plain=plain, hide_thinking=True, out=out, err=err)
    assert isinstance(output, PlainOutput)
    assert output.out is out and output.err is err and output.hide_thinking
    assert output.sanitized is terminal  # --plain on a terminal: still no raw escape codes on it


@pytest.mark.parametrize("module", ["ollama_chat.ui.output", "ollama_chat.ui.plain", "ollama_chat.text"])
def test_the_piped_path_loads_no_rich_markdown_or_prompt_toolkit(module):
    heavy = ("rich", "markdown_it", "prompt_toolkit", "requests")
    code = f"import sys, {module}; print(sorted({{m.split('.')[0] for m in sys.modules if m.startswith({heavy!r})}}))"
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


RENDERER_MODULES = ["marks", "output", "plain", "theme", "blocks", "markdown", "live", "terminal"]


def _imports(module: str) -> set[str]:
    """The ollama_chat.ui modules `module` imports anywhere in it, inside functions too."""
    tree = ast.parse((REPO / "ollama_chat" / "ui" / f"{module}.py").read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        names = []
        if isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: from . import x / from .x import y
                base = "ollama_chat.ui" + ("." + base if base else "")
            names = [base] + [f"{base}.{alias.name}" for alias in node.names]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        found |= {name.split(".")[2] for name in names if name.startswith("ollama_chat.ui.")}
    return found & set(RENDERER_MODULES)


def test_renderer_modules_import_each_other_without_a_circle():
    graph = {module: _imports(module) for module in RENDERER_MODULES}
    assert graph["marks"] == set() and "output" not in graph["terminal"]

    def reach(start: str) -> set[str]:
        seen, todo = set(), [start]
        while todo:
            for nxt in graph[todo.pop()]:
                if nxt not in seen:
                    seen.add(nxt)
                    todo.append(nxt)
        return seen

    for module in RENDERER_MODULES:
        assert module not in reach(module), f"{module} imports itself through {graph}"
