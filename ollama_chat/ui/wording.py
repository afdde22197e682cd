"""What to do next, in each surface's words. The backends say what went wrong and what was tried, and carry
the facts (`backends.base`); the chat says what it will not send as facts (`chat.refusals`). A hint that
names a command of the chat (`/pull`, `/set num_ctx`) or a flag of the command line (`--pull`, `--num-ctx`) is
added here, once per surface: `for_repl` where the chat shows it, `for_command_line` where a question asked
from the shell fails.

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
from ollama_chat.chat.context import Plan
from ollama_chat.chat.refusals import CannotSee, NotSent, Refusal, TooBig
from ollama_chat.errors import ChatError, UsageError, cut
from ollama_chat.i18n import _
from ollama_chat.text import one_line


def for_repl(error: ChatError | Refusal) -> ChatError:
    """`error` with the hint the chat gives: its own commands (/pull, /model, /set num_ctx)."""
    if not isinstance(error, ChatError):
        return _refusal(error, chat=True)
    if isinstance(error, ModelNotFound) and _to_pull(error):
        return _hinted(error, _("/pull {model} downloads it; /model NAME switches (/models lists them).").format(
            model=one_line(error.model)))
    return _hinted(error, _either(error))


def for_command_line(error: ChatError | Refusal) -> ChatError:
    """`error` with the hint for a question asked from the shell (a refusal is the user's to fix: exit 2)."""
    if not isinstance(error, ChatError):
        return _refusal(error, chat=False)
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


# -- what the chat would not send ----------------------------------------------------------------------------


def _refusal(refusal: Refusal, *, chat: bool) -> ChatError:
    kind = ChatError if chat else UsageError
    if isinstance(refusal, TooBig):
        return kind(*_too_big(refusal, chat))
    if isinstance(refusal, CannotSee):
        return kind(*_cannot_see(refusal, chat))
    return kind(not_sent(refusal.plan), not_sent_hint(refusal, chat))


def _too_big(r: TooBig, chat: bool) -> tuple[str, str]:
    model = one_line(r.model)
    message = _("Not attached: {name} is about {tokens} tokens, and the {window}-token context window of {model} has"
                " room for about {room} beside the system prompt{others}.").format(
        name=one_line(r.name), tokens=f"{r.tokens:,}", window=f"{r.window:,}", model=model, room=f"{r.room:,}",
        others=_(" and the other attachments") if r.others else "")
    if r.fixed:
        hint = _("Attach a part of it: the server set {model}'s window when it started (start it with a bigger one:"
                 " llama.cpp --n_ctx N or -c N, vLLM --max-model-len N).").format(model=model)
    elif r.bigger is not None:
        hint = (_("Attach a part of it, or give the model a bigger window: /set num_ctx {size}.") if chat else
                _("Attach a part of it, or give the model a bigger window: --num-ctx {size}.")).format(size=r.bigger)
    else:
        hint = _("Attach a part of it: {model} cannot take a bigger window.").format(model=model)
    return message, hint


def _cannot_see(r: CannotSee, chat: bool) -> tuple[str, str]:
    model = one_line(r.model)
    if not r.seeing:
        return (_("{model} cannot see images.").format(model=model),
                _("Use a vision model (gemma3, llava, qwen2.5vl: /pull gemma3:4b), or drop the image (/read --clear).")
                if chat else _("Ask a vision model (gemma3, llava, qwen2.5vl): ollama-chat models pull gemma3:4b,"
                               " then -m gemma3:4b."))
    names = ", ".join(one_line(n) for n in r.seeing[:3])
    hint = (_("Ask a model that can: -m {name}.") if not chat else
            _("Switch with /model {name}, or drop the image (/read --clear).") if r.waiting else
            _("Switch with /model {name}, then send it again."))
    return _("{names} can see images; {model} cannot.").format(names=names, model=model), hint.format(
        name=one_line(r.seeing[0]))


def not_sent(plan: Plan) -> str:
    """Why a question was not sent, each part's share in tokens."""
    question = plan.fit.tokens - plan.pinned - plan.summary
    values = dict(question=f"{question:,}", pinned=f"{plan.pinned:,}", summary=f"{plan.summary:,}",
                  total=f"{plan.fit.tokens:,}", window=f"{plan.window.tokens:,}", budget=f"{plan.fit.budget:,}")
    if plan.summary:
        text = _("Not sent: the question (about {question} tokens) with the system prompt and examples ({pinned})"
                 " and the /compact summary ({summary}) come to about {total} tokens, more than the {window}-token"
                 " context window leaves for them ({budget}, keeping room for the answer).")
    else:
        text = _("Not sent: the question (about {question} tokens) with the system prompt and examples ({pinned})"
                 " come to about {total} tokens, more than the {window}-token context window leaves for them"
                 " ({budget}, keeping room for the answer).")
    return text.format(**values)


def not_sent_hint(refusal: NotSent, chat: bool) -> str:
    """What to do about a question that cannot fit: shorten it, or a window that holds it (--num-ctx in one-shot,
    /set num_ctx in the chat), never a size that cannot; for a server that set its window when it started, how
    to start it with a bigger one."""
    plan, model, size = refusal.plan, one_line(refusal.model), refusal.bigger
    if refusal.fixed:
        hint = (_("Shorten it, or /clear to start afresh: the server set the model's window when it started (start"
                  " it with a bigger one: llama.cpp --n_ctx N or -c N, vLLM --max-model-len N). ↑ brings your"
                  " text back.") if chat else
                _("Shorten it: the server set the model's window when it started (start it with a bigger one:"
                  " llama.cpp --n_ctx N or -c N, vLLM --max-model-len N)."))
    elif size is None:
        hint = (_("Shorten it: not even {model}'s largest window ({max} tokens) can hold it; /clear starts"
                  " afresh. ↑ brings your text back.") if chat else
                _("Shorten it: not even {model}'s largest window ({max} tokens) can hold it."))
    elif not chat:
        hint = _("Shorten it, or give the model a bigger window: --num-ctx {size}.")
    elif plan.summary:
        hint = _("Shorten it, or give the model a bigger window: /set num_ctx {size}; /clear starts afresh"
                 " without the summary. ↑ brings your text back.")
    else:
        hint = _("Shorten it, or give the model a bigger window: /set num_ctx {size}. ↑ brings your text back.")
    return hint.format(size=size, model=model, max=f"{plan.window.model_max or 0:,}")
