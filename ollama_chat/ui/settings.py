"""The slash commands that show or change what the chat is set to: /system, /persona(s), /model(s), /pull,
/set, /unset, /format, /stats and /think. The settings themselves are the session's (`chat.settings`)."""

from __future__ import annotations

from ollama_chat.backends.base import BackendError
from ollama_chat.chat.personas import BUILTIN, list_personas, load_persona, shown_source
from ollama_chat.errors import ChatError
from ollama_chat.i18n import _
from ollama_chat.options import OPTIONS, THINK_WORDS, OptionError, parse_option_text
from ollama_chat.text import cell_width, one_line, pad, sanitize
from ollama_chat.ui.chat import Chat
from ollama_chat.ui.show import think_text


def system(chat: Chat, arg: str) -> None:
    if arg:
        chat.session.set(system=arg)
        chat.say(_("System prompt replaced for this session."))
    else:
        chat.say(sanitize(chat.session.settings.system) or _("(no system prompt)"), "plain")


def persona(chat: Chat, arg: str) -> None:
    session = chat.session
    if not arg:
        p = session.settings.persona
        chat.say(f"{p.name}: {one_line(p.description)} [{one_line(shown_source(p.source))}]")
        return
    try:
        chosen = load_persona(arg, session.user_persona_dir)
    except ChatError as e:
        session.notify.error(e)
        return
    session.switch_persona(chosen)
    chat.say(_("Persona: {name} — {description}. A fresh conversation starts.").format(
        name=chosen.name, description=one_line(chosen.description)))


def personas(chat: Chat, arg: str) -> None:
    current = chat.session.settings.persona.name
    infos = list_personas(chat.session.user_persona_dir)
    width = max(12, *(cell_width(info.name) for info in infos))
    for info in infos:
        where = "" if info.source == BUILTIN else f"  [{one_line(info.source)}]"
        mark = "*" if info.name == current else " "
        chat.say(f"{mark} {pad(info.name, width)} {one_line(info.description)}{where}", "plain")


def model(chat: Chat, arg: str) -> None:
    if arg:
        chat.session.switch_model(arg)
    else:
        chat.say(_("Model: {model}").format(model=one_line(chat.session.settings.model)))


def models(chat: Chat, arg: str) -> None:
    try:
        names = chat.session.models(refresh=True)
    except BackendError as e:
        chat.session.notify.error(e)
        return
    for name in names:
        chat.say(("* " if name == chat.session.settings.model else "  ") + one_line(name), "plain")
    if not names:
        chat.say(_("The server has no models yet: `ollama pull llama3.2`."), "hint")


def pull(chat: Chat, arg: str) -> None:
    from ollama_chat.ui.progress import PullView

    name = arg or chat.session.settings.model
    if chat.session.pull(name, PullView(chat.console)) and not arg:
        chat.session.check_model()


def set_option(chat: Chat, arg: str) -> None:
    name, _sep, value = arg.partition(" ")
    if not name or not value.strip():
        chat.say(_("Usage: /set PARAM VALUE, e.g. /set temperature 0.2 (PARAM is any of: {options})").format(
            options=", ".join(OPTIONS)), "error")
        return
    try:
        typed = parse_option_text(name, value)
    except OptionError as e:
        chat.say(f"/set: {one_line(str(e))}", "error")
        return
    chat.session.set_option(name, typed)
    chat.say(f"{name} = {typed!r}")


def unset_option(chat: Chat, arg: str) -> None:
    options = chat.session.settings.options
    if arg not in options:
        chat.say(_("/unset: {name} is not set. Set: {options}").format(
            name=one_line(arg) or "PARAM", options=", ".join(options) or _("nothing")), "error")
        return
    chat.session.unset_option(arg)
    chat.say(_("{name} unset (the model's default applies).").format(name=arg))


def answer_format(chat: Chat, arg: str) -> None:
    if arg not in ("json", "off"):
        chat.say(_("Usage: /format json|off"), "error")
        return
    chat.session.set(format="json" if arg == "json" else None)
    chat.say(f"format: {arg}")


def stats(chat: Chat, arg: str) -> None:
    if arg not in ("on", "off"):
        chat.say(_("Usage: /stats on|off"), "error")
        return
    chat.session.set(verbose=arg == "on")
    chat.say(f"stats: {arg}")


def think(chat: Chat, arg: str) -> None:
    if arg not in THINK_WORDS:
        chat.say(_("Usage: /think {choices} (now: {now})").format(
            choices="|".join(THINK_WORDS), now=think_text(chat.session.settings.think)), "error")
        return
    chat.say(f"think: {arg}")
    chat.session.set_think(THINK_WORDS[arg])
