"""The house rules, checked: no import circle between our modules (imports inside functions count too), the
layers' one direction, no module over 300 lines and no function over 60 without a reason, the process's
environment and streams read in environment.py alone, and nothing rich, markdown-it or prompt_toolkit on the
piped path."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

from helpers import BIN

PACKAGE = Path(__file__).resolve().parent.parent / "ollama_chat"


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path, modules: set[str]) -> set[str]:
    """Our modules that `path` imports, wherever the import statement is."""
    found = set()
    package = module_name(path) if path.name == "__init__.py" else module_name(path).rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            names = [base, *(f"{base}.{alias.name}" for alias in node.names)]
        else:
            continue
        found |= {name for name in names if name in modules}
    return found - {module_name(path)}


def graph() -> dict[str, set[str]]:
    files = {module_name(p): p for p in PACKAGE.rglob("*.py")}
    return {name: imports(path, set(files)) for name, path in files.items()}


def find_cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    cycles: list[list[str]] = []
    state: dict[str, int] = {}  # 1: on the current path, 2: done

    def visit(node: str, stack: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(edges[node]):
            if state.get(nxt) == 1:
                cycles.append(stack[stack.index(nxt) :] + [nxt])
            elif nxt not in state:
                visit(nxt, [*stack, nxt])
        state[node] = 2

    for start in sorted(edges):
        if start not in state:
            visit(start, [start])
    return cycles


def test_no_import_circles():
    assert find_cycles(graph()) == []


def test_the_checker_finds_a_circle_made_by_a_function_level_import(tmp_path, monkeypatch):
    package = tmp_path / "ollama_chat"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "a.py").write_text("from ollama_chat import b\n")
    (package / "b.py").write_text("def f():\n    from .a import x\n")
    monkeypatch.setattr(sys.modules[__name__], "PACKAGE", package)
    assert find_cycles(graph()) == [["ollama_chat.a", "ollama_chat.b", "ollama_chat.a"]]


def test_no_module_over_about_400_lines():
    sizes = {module_name(p): len(p.read_text(encoding="utf-8").splitlines()) for p in PACKAGE.rglob("*.py")}
    assert {name: n for name, n in sizes.items() if n > 420} == {}


def test_the_piped_path_imports_no_terminal_library():
    code = (
        "import sys; from ollama_chat.cli import app, main as cli; import ollama_chat.ui.output, ollama_chat.ui.plain; "
        "from ollama_chat.environment import Environment; "
        "Environment.from_process()\n"
        "try:\n    cli.main(['--version'], Environment.in_memory())\nexcept SystemExit:\n    pass\n"
        "heavy = {'rich', 'markdown_it', 'prompt_toolkit', 'pygments', 'pydantic'}\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & heavy), file=sys.stderr)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.stderr.strip().splitlines()[-1] == "[]", result.stderr


def test_history_commands_in_a_pipe_import_no_terminal_library(tmp_path, fake_ollama):
    """`ollama-chat history …` in a pipe starts as fast as a piped question: no rich, no pydantic."""
    env = {"HOME": str(tmp_path), "OLLAMA_HOST": fake_ollama.host_port, "PATH": "/usr/bin:/bin"}
    assert subprocess.run([str(BIN), "기억해 줘"], env=env, capture_output=True, timeout=60).returncode == 0
    code = (
        "import sys; from ollama_chat.cli.main import main\n"
        "for args in (['history'], ['history', 'list', '-n', '5'], ['history', 'search', '기억'], ['history', 'show', '0']):\n"
        "    try:\n        main(args)\n    except SystemExit:\n        pass\n"
        "heavy = {'rich', 'markdown_it', 'prompt_toolkit', 'pygments', 'pydantic'}\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & heavy), file=sys.stderr)"
    )
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    assert "기억해 줘" in result.stdout and result.stderr.strip().splitlines()[-1] == "[]", result.stderr


# -- MCP: the official SDK is a test dependency only ----------------------------------------------------------

MCP_PACKAGE = PACKAGE / "tools" / "mcp"
MCP_MAY_IMPORT = {"ollama_chat", "ollama_chat.errors", "ollama_chat.i18n", "ollama_chat.paths", "ollama_chat.types",
                  "ollama_chat.tools", "ollama_chat.tools.base", "ollama_chat.backends.sse"}


def test_no_module_of_ours_imports_the_mcp_sdk():
    found = []
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) and not node.level else []
            found += [f"{module_name(path)}: {n}" for n in names if n.split(".")[0] == "mcp"]
    assert found == []


def test_the_mcp_client_stands_on_the_ground_floor_only():
    """It is wired into the chat later; until then (and after) it may use only the plain modules below it."""
    edges = graph()
    ours = {name for name in edges if name.startswith("ollama_chat.tools.mcp")}
    outside = {f"{name} -> {dep}" for name in ours for dep in edges[name] - ours - MCP_MAY_IMPORT}
    assert outside == set()


def test_nothing_at_run_time_imports_the_mcp_sdk(tmp_path, fake_ollama):
    """A piped question answered with an mcp.json present; then every module of the package imported (the REPL's
    start-up among them) and a real (SDK-free) MCP server used: the `mcp` SDK and its kin stay out."""
    config = tmp_path / ".config" / "ollama-chat"
    config.mkdir(parents=True)
    fake = Path(__file__).resolve().parent / "mcp_fake_modern.py"
    (config / "mcp.json").write_text(json.dumps({"mcpServers": {"fake": {"command": sys.executable, "args": [str(fake)]}}}))
    env = {"HOME": str(tmp_path), "OLLAMA_HOST": fake_ollama.host_port, "PATH": "/usr/bin:/bin"}
    piped = subprocess.run([sys.executable, "-X", "importtime", "-m", "ollama_chat"], env=env, input="what is up?",
                           capture_output=True, text=True, timeout=120)
    imported = {line.rsplit("|", 1)[-1].strip() for line in piped.stderr.splitlines() if line.startswith("import time:")}
    assert "echo: what is up?" in piped.stdout and "ollama_chat.cli.app" in imported, piped.stderr[-2000:]
    assert sorted(m for m in imported if m.split(".")[0] in SDK_KIN) == []
    code = (
        "import importlib, os, pkgutil, sys, ollama_chat\n"
        "for m in pkgutil.walk_packages(ollama_chat.__path__, 'ollama_chat.'):\n"
        "    if not m.name.endswith('__main__'): importlib.import_module(m.name)\n"
        "from ollama_chat.tools.mcp import McpServers\n"
        "with McpServers.load(os.environ) as servers:\n"
        "    toolset = servers.tools()\n"
        "    print(len(toolset.tools), toolset.problems, servers.call('fake__busy', {}).text)\n"
        f"print(sorted(m for m in sys.modules if m.split('.')[0] in {SDK_KIN!r}))"
    )
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert result.stdout.splitlines() == ["4 () done on the second try", "[]"], result.stderr


SDK_KIN = ("mcp", "pydantic", "pydantic_core", "anyio", "starlette", "uvicorn", "httpx", "sse_starlette")


# -- the layers ---------------------------------------------------------------------------------------------------

# Lowest first. A module may import its own package and any layer below its own, never one above, and never a
# package beside it on the same floor (files and store know nothing of each other).
LAYERS: list[set[str]] = [
    {"ollama_chat", "ollama_chat.types", "ollama_chat.errors", "ollama_chat.environment", "ollama_chat.paths",
     "ollama_chat.i18n", "ollama_chat.text", "ollama_chat.options", "ollama_chat.estimate", "ollama_chat.suggest",
     "ollama_chat.tomlfile", "ollama_chat.hosts", "ollama_chat.startup"},  # the ground floor
    {"ollama_chat.files", "ollama_chat.store"},
    {"ollama_chat.backends"},  # reads images with files
    {"ollama_chat.tools"},  # the file tools read with files; MCP over HTTP uses the backends' SSE parser
    {"ollama_chat.chat"},
    {"ollama_chat.ui"},
    {"ollama_chat.cli"},
    {"ollama_chat.entry", "ollama_chat.__main__"},
]


def unit(module: str) -> str:
    """The layer member a module belongs to: its package under ollama_chat, or itself on the ground floor."""
    parts = module.split(".")
    candidate = ".".join(parts[:2])
    return candidate if any(candidate in layer for layer in LAYERS) else module


def floor(module: str) -> int:
    return next(i for i, layer in enumerate(LAYERS) if unit(module) in layer)


def layer_violations(edges: dict[str, set[str]]) -> list[str]:
    found = []
    for module, targets in edges.items():
        for target in targets:
            if unit(target) == unit(module) or floor(target) == floor(module) in (0, len(LAYERS) - 1):
                continue  # the ground floor's modules use each other (without a circle), as do the two entries
            if floor(target) >= floor(module):
                found.append(f"{module} -> {target}")
    return sorted(found)


def test_every_module_has_a_floor():
    assert [m for m in graph() if not any(unit(m) in layer for layer in LAYERS)] == []


def test_imports_point_down_the_layers_only():
    """cli -> ui -> chat -> tools -> backends -> files/store -> the ground floor, inside functions too."""
    assert layer_violations(graph()) == []


def test_the_layer_check_finds_an_import_that_points_up():
    edges = {"ollama_chat.chat.turn": {"ollama_chat.ui.output"}, "ollama_chat.files.x": {"ollama_chat.store.sqlite"},
             "ollama_chat.ui.repl": {"ollama_chat.chat.session", "ollama_chat.ui.commands"}}
    assert layer_violations(edges) == ["ollama_chat.chat.turn -> ollama_chat.ui.output",
                                       "ollama_chat.files.x -> ollama_chat.store.sqlite"]


# -- sizes --------------------------------------------------------------------------------------------------------

MAX_MODULE_LINES = 300
MAX_FUNCTION_LINES = 60
# Longer than that for a reason its docstring gives: the function -> the words of its docstring that give it.
LONG_FOR_A_REASON = {
    "ollama_chat.cli.main.chat_command": "Long because Typer reads the options from this signature",
}


def functions(tree: ast.AST, prefix: str) -> Iterator[tuple[str, ast.FunctionDef | ast.AsyncFunctionDef]]:
    """Every function and method in `tree`, named `prefix.Class.name` (`.<locals>` inside another function)."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            yield f"{prefix}.{node.name}", node
            yield from functions(node, f"{prefix}.{node.name}.<locals>")
        elif isinstance(node, ast.ClassDef):
            yield from functions(node, f"{prefix}.{node.name}")
        else:
            yield from functions(node, prefix)


def oversized() -> tuple[dict[str, int], dict[str, int]]:
    """The modules over MAX_MODULE_LINES and the functions over MAX_FUNCTION_LINES, with their lengths."""
    modules, long_functions = {}, {}
    for path in PACKAGE.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        name = module_name(path)
        if len(text.splitlines()) > MAX_MODULE_LINES:
            modules[name] = len(text.splitlines())
        for qualified, node in functions(ast.parse(text), name):
            length = node.end_lineno - node.lineno + 1  # type: ignore[operator]
            if length > MAX_FUNCTION_LINES:
                long_functions[qualified] = length
    return modules, long_functions


def test_no_module_over_300_lines():
    modules, _ = oversized()
    assert {name: n for name, n in modules.items() } == {}


def test_no_function_over_60_lines_without_a_reason_in_its_docstring():
    _, long_functions = oversized()
    assert {name: n for name, n in long_functions.items() if name not in LONG_FOR_A_REASON} == {}
    docstrings = {name: ast.get_docstring(node) or "" for path in PACKAGE.rglob("*.py")
                  for name, node in functions(ast.parse(path.read_text(encoding="utf-8")), module_name(path))}
    assert {name: words for name, words in LONG_FOR_A_REASON.items() if words not in docstrings.get(name, "")} == {}


def test_the_size_check_finds_a_long_module_and_a_long_method(tmp_path, monkeypatch):
    package = tmp_path / "ollama_chat"
    package.mkdir()
    (package / "__init__.py").write_text("")
    body = "".join(f"        x = {i}\n" for i in range(MAX_FUNCTION_LINES))
    (package / "big.py").write_text("class A:\n    def m(self):\n" + body + "\n" * (MAX_MODULE_LINES - 60))
    (package / "small.py").write_text("def f():\n" + "    pass\n" * (MAX_FUNCTION_LINES - 1))
    monkeypatch.setattr(sys.modules[__name__], "PACKAGE", package)
    assert oversized() == ({"ollama_chat.big": MAX_MODULE_LINES + 2}, {"ollama_chat.big.A.m": MAX_FUNCTION_LINES + 1})


# -- the process's environment and streams ----------------------------------------------------------------------

# Read in environment.py alone (the Environment is built once at the entry and passed down): read anywhere else,
# they would leak past the Environment a test builds, and our messages would not all go through it.
MAY_READ_THE_PROCESS = {"ollama_chat.environment"}
PROCESS_FACTS = {"os": {"environ", "environb", "getenv", "getenvb", "putenv", "unsetenv"},
                 "sys": {"stdin", "stdout", "stderr", "__stdin__", "__stdout__", "__stderr__"}}


def process_reads(source: str) -> list[str]:
    """Where `source` reads the process's environment or standard streams itself: `os.environ`, `sys.stdout`
    and their kin (under another name too), `print()` and `input()`, and click's `echo` without a `file=`."""
    tree = ast.parse(source)
    names = {"os": {"os"}, "sys": {"sys"}}  # the modules' names here, with `import os as o`
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name in names:
                    names[alias.name].add(alias.asname or alias.name)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            module = next((m for m, aliases in names.items() if node.value.id in aliases), None)
            if module is not None and node.attr in PROCESS_FACTS[module]:
                found.append(f"{node.lineno}: {module}.{node.attr}")
        elif isinstance(node, ast.ImportFrom) and node.module in PROCESS_FACTS and not node.level:
            found += [f"{node.lineno}: from {node.module} import {a.name}" for a in node.names
                      if a.name in PROCESS_FACTS[node.module]]
        elif isinstance(node, ast.Call) and not any(k.arg == "file" for k in node.keywords):
            func = node.func
            if isinstance(func, ast.Name) and func.id in ("print", "input"):
                found.append(f"{node.lineno}: {func.id}()")
            elif isinstance(func, ast.Attribute) and func.attr == "echo" and isinstance(func.value, ast.Name) \
                    and func.value.id in ("typer", "click"):
                found.append(f"{node.lineno}: {func.value.id}.echo() without file=")
    return found


def test_only_environment_py_reads_the_process_environment_and_streams():
    found = {module_name(p): process_reads(p.read_text(encoding="utf-8")) for p in PACKAGE.rglob("*.py")}
    assert {name: lines for name, lines in found.items() if lines and name not in MAY_READ_THE_PROCESS} == {}


def test_the_process_check_finds_each_way_of_reading_it():
    source = ("import os\nimport sys as system\nfrom os import getenv\nimport typer\n"
              "def f(env=os.environ):\n    system.stdout.write(os.getenv('X', ''))\n    print('hi')\n"
              "    print('ok', file=env)\n    typer.echo('no', err=True)\n    typer.echo('ok', file=env)\n")
    assert sorted(process_reads(source)) == ["3: from os import getenv", "5: os.environ", "6: os.getenv",
                                             "6: sys.stdout", "7: print()", "9: typer.echo() without file="]


# -- what each start imports (issue 22, item 5) ---------------------------------------------------------------

# Loaded at the first reply or the first option parsed, never before: each costs start-up it need not.
# (ctypes: ui/heap.py holds glibc's mmap threshold after the first prompt, once prompt_toolkit has imported it.)
NOT_BEFORE_THE_PROMPT = ("markdown_it", "pygments", "rich.markdown", "typer", "click", "ollama_chat.ui.oneshot", "ctypes")
NOT_ON_THE_PIPED_PATH = ("markdown_it", "pygments", "rich", "typer", "click", "prompt_toolkit", "ctypes")
_REPORT = "import sys\ndef heavy(names): return [name for name in names if name in sys.modules]\n"


def test_the_repl_shows_its_prompt_before_importing_markdown_or_typer(tmp_path, fake_ollama):
    """`ollama-chat` in a terminal: what is imported when the first prompt is about to be shown."""
    from helpers import spawn_in_pty, user_env

    code = _REPORT + (
        "import prompt_toolkit\n"
        "def prompt(self, *args, **kwargs):\n"
        f"    print('HEAVY', heavy({NOT_BEFORE_THE_PROMPT!r}), flush=True)\n"
        "    raise EOFError\n"
        "prompt_toolkit.PromptSession.prompt = prompt\n"
        "sys.argv = ['ollama-chat']\nfrom ollama_chat.entry import main\nmain()\n"
    )
    env = user_env(tmp_path, fake_ollama.host_port, TERM="xterm-256color", PROMPT_TOOLKIT_NO_CPR="1")
    child = spawn_in_pty(sys.executable, ["-c", code], env, cwd=str(tmp_path))
    try:
        child.expect(r"HEAVY (\[.*?\])\r?\n")
        seen = child.match.group(1)
        child.expect_exact("Bye!")
    finally:
        child.close(force=True)
    assert seen == "[]"


def test_a_piped_question_imports_no_terminal_library_and_no_typer(tmp_path, fake_ollama):
    """`echo q | ollama-chat` and `echo q | ollama-chat some words`: no option, so no parser, and no screen."""
    from helpers import default_signals, user_env

    code = _REPORT + (
        "import atexit\n"
        f"atexit.register(lambda: print('HEAVY', heavy({NOT_ON_THE_PIPED_PATH!r}), file=sys.stderr))\n"
        "from ollama_chat.entry import main\nmain()\n"
    )
    env = user_env(tmp_path, fake_ollama.host_port)
    for words in ([], ["in", "short"]):
        result = subprocess.run([sys.executable, "-c", code, *words], input="what is up?", env=env, cwd=tmp_path,
                                capture_output=True, text=True, timeout=60, preexec_fn=default_signals)
        assert result.returncode == 0 and "echo: what is up?" in result.stdout, result.stderr
        assert result.stderr.strip().splitlines()[-1] == "HEAVY []", result.stderr
