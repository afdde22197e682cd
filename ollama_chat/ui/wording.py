"""What to do next about a server's error, in each surface's words. The backends say what went wrong and what
was tried, and carry the facts (`backends.base`); a hint that names a command of the chat (`/pull`) or a flag
of the command line (`--pull`, `--timeout`, `--host`) is added here, once per surface: `for_repl` where the
chat shows an error, `for_command_line` where a question asked from the shell fails.

Only a hint the backend left empty is added; an error this module knows nothing of is shown as it is.
"""

from __future__ import annotations

from ollama_chat.backends.base import (
    BadAddress,
    CannotPull,
    CannotThink,
    ContextOverflow,
    ModelNotFound,
    NoThinkSwitch,
    OptionsRefused,
    ReadTimeout,
    Seen,
    ServerUnreachable,
    WrongServer,
)
from ollama_chat.errors import ChatError, cut
from ollama_chat.i18n import _
from ollama_chat.text import one_line


def for_repl(error: ChatError) -> ChatError:
    """`error` with the hint the chat gives: its own commands (/pull, /model)."""
    if isinstance(error, ModelNotFound) and _to_pull(error):
        return _hinted(error, _("/pull {model} downloads it; /model NAME switches (/models lists them).").format(
            model=one_line(error.model)))
    return _hinted(error, _either(error))


def for_command_line(error: ChatError) -> ChatError:
    """`error` with the hint for a question asked from the shell."""
    if isinstance(error, ModelNotFound) and _to_pull(error):
        return _hinted(error, _("Download it with:  ollama-chat models pull {model}\n(/pull {model} in the chat, --pull with"
                                " a question; or choose another model: `ollama-chat models` lists what you have)").format(
            model=one_line(cut(error.model))))
    return _hinted(error, _either(error))


def _to_pull(error: ModelNotFound) -> bool:
    """The server can download the missing model, and there is no close name to offer instead."""
    return error.can_pull and not error.suggestions


def _either(error: ChatError) -> str:
    """The hints both surfaces word alike (their flags and commands side by side)."""
    if isinstance(error, ReadTimeout):
        if error.silent:
            return _("A large model can take minutes to load: raise the limit with --timeout SECONDS (or `timeout` in"
                     " the config file).")
        return _("The server, or a proxy in between, is holding the reply back: check the server's log, or raise the"
                 " limit with --timeout SECONDS.")
    if isinstance(error, ContextOverflow):
        if error.fixed_window:
            return _("Shorten the question or /compact the conversation. The server set the window when it started:"
                     " start it with a bigger one (llama.cpp: --n_ctx N or -c N; vLLM: --max-model-len N).")
        return _("Shorten the question, /compact the conversation, or /set num_ctx higher.")
    if isinstance(error, CannotThink):
        return _("This model can't think: drop --think (or /think off), or choose a model that can (e.g. qwen3,"
                 " deepseek-r1).")
    if isinstance(error, NoThinkSwitch):
        return _("Leave thinking to the model (/think low sets the least effort, or drop --no-think / think = false"
                 " from the persona).")
    if isinstance(error, OptionsRefused):
        return _("Drop it (/unset NAME in the chat), or take it out of the flags, the persona or the config. It takes:"
                 " {names}.").format(names=", ".join(error.takes))
    if isinstance(error, CannotPull):
        return _("It serves the models it was started with (e.g. `vllm serve MODEL`); `ollama-chat models` lists them.")
    if getattr(error, "api", "") == "ollama":
        return _ollama_address(error)
    return ""


def _ollama_address(error: ChatError) -> str:
    """Where Ollama's address is set, when it led nowhere right."""
    if isinstance(error, BadAddress):
        return _("Give it as HOST, HOST:PORT or http(s)://HOST:PORT/PATH with --host or OLLAMA_HOST.")
    if isinstance(error, ServerUnreachable):
        return _("Is it running? Start it with `ollama serve` (or open the Ollama app), or point to it with --host /"
                 " OLLAMA_HOST.")
    if not isinstance(error, WrongServer):
        return ""
    if error.seen is Seen.TOO_LARGE:
        return _("Check --host / OLLAMA_HOST.")
    if error.seen is Seen.REDIRECT:
        return _("Point --host / OLLAMA_HOST at the Ollama API itself (e.g. http://127.0.0.1:11434, with no path).")
    if error.seen is Seen.NOT_HTTP:
        return _("Something other than Ollama listens there: check the port in --host / OLLAMA_HOST (Ollama's is"
                 " 11434), and http:// or https://.")
    return _("Check --host / OLLAMA_HOST: it should point to the Ollama API, e.g. http://127.0.0.1:11434. An"
             " OpenAI-compatible server (vLLM, llama.cpp, LM Studio) takes its base URL with /v1, or --api openai.")


def _hinted(error: ChatError, hint: str) -> ChatError:
    """A copy of `error` (its type and facts kept) with `hint`, where the backend left none."""
    if not hint or error.hint:
        return error
    worded = type(error).__new__(type(error))
    worded.__dict__.update(error.__dict__)
    worded.args = error.args
    worded.hint = hint
    return worded
