"""Ollama's model options: names, types and ranges, in one table. Pure.

The server ignores unknown option names (it only logs them), so a typo like `temprature` would silently do
nothing. Every path that sets an option (persona header, config file, flags, `/set`) goes through here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from ollama_chat.i18n import _
from ollama_chat.suggest import did_you_mean


class OptionError(ValueError):
    pass


THINK_LEVELS = ("low", "medium", "high")  # how hard a model may think: `--think high`, `/think low`, `think = "low"`
# what each word /think takes means (the command line's --think takes "on" and the levels)
THINK_WORDS: dict[str, bool | str] = {"on": True, "off": False, **{level: level for level in THINK_LEVELS}}
MAX_WINDOW = 100_000_000  # tokens: past any model's context window (the largest are about 10 million)
INT32 = 2**31 - 1  # llama.cpp takes its counts as 32-bit C ints
INT64 = 2**63 - 1  # a seed: Go's int (Ollama) and vLLM's bound


@dataclass(frozen=True)
class OptionSpec:
    kind: type  # int, float, or list (a list of strings)
    low: float | None = None
    high: float | None = None
    help: str = ""

    @property
    def kind_name(self) -> str:
        """What the option takes, as shown (in the interface's language)."""
        if self.kind is int:
            return _("a whole number")
        return _("a number") if self.kind is float else _("a list of strings")

    @property
    def finite_kind_name(self) -> str:
        return _("a finite whole number") if self.kind is int else _("a finite number")


OPTIONS: dict[str, OptionSpec] = {
    "temperature": OptionSpec(float, 0.0, 2.0, "randomness; 0 = deterministic (default 0.8)"),
    "top_p": OptionSpec(float, 0.0, 1.0, "nucleus sampling: keep tokens up to this cumulative probability"),
    "top_k": OptionSpec(int, 1, INT32, "consider only the K most likely tokens"),
    "min_p": OptionSpec(float, 0.0, 1.0, "drop tokens below this fraction of the top token's probability"),
    "typical_p": OptionSpec(float, 0.0, 1.0, "locally typical sampling"),
    "num_ctx": OptionSpec(int, 1, MAX_WINDOW, "context window in tokens"),
    "num_predict": OptionSpec(int, -2, MAX_WINDOW, "maximum tokens to generate (-1 = unlimited)"),
    "seed": OptionSpec(int, -INT64 - 1, INT64, "random seed, for repeatable answers"),
    "stop": OptionSpec(list, help="stop sequences"),
    "repeat_penalty": OptionSpec(float, 0.0, None, "penalty for repeated tokens"),
    "repeat_last_n": OptionSpec(int, -1, MAX_WINDOW, "how far back to look for repeats"),
    "presence_penalty": OptionSpec(float, None, None, "penalty for tokens already present"),
    "frequency_penalty": OptionSpec(float, None, None, "penalty by token frequency"),
    "num_keep": OptionSpec(int, -1, MAX_WINDOW, "tokens of the prompt kept when the context is shifted"),
    "num_batch": OptionSpec(int, 1, INT32, "prompt processing batch size"),
    "num_gpu": OptionSpec(int, -1, INT32, "layers to offload to the GPU"),
    "num_thread": OptionSpec(int, 0, INT32, "CPU threads"),
}
# Every whole-number option has both bounds: a number past them would not reach the server as sent (Go's int
# and llama.cpp's C ints overflow; JSON decoders refuse it), or would ask for an absurd window.

# The names OpenAI-compatible servers (/v1/chat/completions) give the options above. The standard API's names
# first; top_k, min_p and repetition_penalty are vLLM's extra sampling parameters, sent beside them (llama.cpp
# takes them too; OpenAI itself refuses them). num_predict -1 or -2 (no limit) is sent as no max_tokens.
OPENAI_NAMES: dict[str, str] = {
    "temperature": "temperature",
    "top_p": "top_p",
    "seed": "seed",
    "stop": "stop",
    "num_predict": "max_tokens",
    "presence_penalty": "presence_penalty",
    "frequency_penalty": "frequency_penalty",
    "top_k": "top_k",
    "min_p": "min_p",
    "repeat_penalty": "repetition_penalty",
}
# Not sent, and not refused either: the server fixes the window when it starts; ollama-chat budgets with num_ctx
# when the server does not say what it is. Every other option has no equivalent there and is refused.
OPENAI_CLIENT_SIDE = frozenset({"num_ctx"})

# The seed's four combinations of temperature / top_p / top_k.
PRESETS: dict[str, dict[str, Any]] = {
    "precise": {"temperature": 0.0, "top_p": 0.1, "top_k": 10},
    "chat": {"temperature": 0.7, "top_p": 0.9, "top_k": 40},
    "creative": {"temperature": 1.0, "top_p": 0.95, "top_k": 100},
    "code": {"temperature": 0.2, "top_p": 0.5, "top_k": 20},
}


def _unknown(name: str) -> OptionError:
    guess = did_you_mean(name, OPTIONS, quote="'")
    names = ", ".join(OPTIONS)
    if guess:
        return OptionError(_("unknown option '{name}'. {guess} Known options: {names}").format(
            name=name, guess=guess, names=names))
    return OptionError(_("unknown option '{name}'. Known options: {names}").format(name=name, names=names))


def _takes(name: str, kind: str, value: str) -> OptionError:
    return OptionError(_("option '{name}' takes {kind}, not {value}").format(name=name, kind=kind, value=value))


def check_option(name: str, value: Any) -> Any:
    """A typed value (from TOML or a flag) checked against the table; returns it normalised."""
    spec = OPTIONS.get(name)
    if spec is None:
        raise _unknown(name)
    if spec.kind is list:
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise _takes(name, spec.kind_name, repr(value))
        return value
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise _takes(name, spec.kind_name, repr(value))
    if isinstance(value, float) and not math.isfinite(value):
        raise _takes(name, spec.finite_kind_name, repr(value))
    if spec.kind is int:
        if isinstance(value, float):
            if not value.is_integer():
                raise _takes(name, spec.kind_name, repr(value))
            value = int(value)
    if spec.low is not None and value < spec.low or spec.high is not None and value > spec.high:
        raise OptionError(_("option '{name}' must be {range}, not {value}").format(
            name=name, range=_range(spec), value=_shown(value)))
    return value if spec.kind is int else float(value)


def _number(spec: OptionSpec, bound: float) -> str:
    return f"{int(bound):,}" if spec.kind is int else f"{bound:g}"


def _shown(value: int | float) -> str:
    """A number as the message quotes it: a whole number of more than 24 digits by its first digits and length."""
    text = repr(value)
    if isinstance(value, int) and len(text) > 24:
        digits = len(text.lstrip("-"))
        return _("{start}… (a number of {digits} digits)").format(start=text[:12], digits=f"{digits:,}")
    return text


def _range(spec: OptionSpec) -> str:
    if spec.low is not None and spec.high is not None:
        return _("between {low} and {high}").format(low=_number(spec, spec.low), high=_number(spec, spec.high))
    if spec.low is not None:
        return _("at least {low}").format(low=_number(spec, spec.low))
    return _("at most {high}").format(high=_number(spec, spec.high))


def parse_option_text(name: str, text: str) -> Any:
    """A value typed by a person (`--option num_ctx=8192`, `/set stop "###"`), converted by the table."""
    spec = OPTIONS.get(name)
    if spec is None:
        raise _unknown(name)
    text = text.strip()
    if spec.kind is list:
        try:
            return check_option(name, split_words(text))
        except ValueError as e:
            raise OptionError(_("option '{name}': {error}").format(name=name, error=e)) from None
    try:
        value: Any = int(text) if spec.kind is int else float(text)
    except ValueError:
        raise _takes(name, spec.kind_name, f"'{text}'") from None
    return check_option(name, value)


_ESCAPES = {"n": "\n", "t": "\t", "\\": "\\"}


def split_words(text: str) -> list[str]:
    """Words as a shell splits them ("### END" is one), where \\n and \\t mean a newline and a tab, so that
    `/set stop "\\n\\n"` stops on a blank line."""
    import re
    import shlex

    lexer = shlex.shlex(text, posix=True)
    lexer.whitespace_split = True
    lexer.commenters = ""  # "###" is a stop word, not a comment
    lexer.escape = ""  # keep backslashes for the escapes below, inside quotes or not
    return [re.sub(r"\\([nt\\])", lambda m: _ESCAPES[m.group(1)], word) for word in lexer]


def parse_assignment(text: str) -> tuple[str, Any]:
    """`KEY=VALUE` as given to --option."""
    name, sep, value = text.partition("=")
    if not sep or not name.strip():
        raise OptionError(_("expected KEY=VALUE, got '{text}'").format(text=text))
    name = name.strip()
    return name, parse_option_text(name, value)
