"""The chat command's wiring: an Environment and the flags become settings layers, a store, a backend and an
output, then one question answered (one-shot) or the REPL. Returns exit codes; errors propagate as ChatError
(`guard` words them). What it reads first is in `inputs`, the server in `servers`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from ollama_chat import paths
from ollama_chat.backends.base import Backend, ModelNotFound
from ollama_chat.chat.configfile import load_config
from ollama_chat.chat.log import ExchangeLog
from ollama_chat.chat.personas import PersonaError, load_persona
from ollama_chat.chat.recorder import OFF, Recorder
from ollama_chat.chat.settings import Flags, Settings, load_format
from ollama_chat.chat.layers import Layers, build_layers, persona_ref
from ollama_chat.cli.inputs import combine_question, question_with, read_attachments, read_stdin
from ollama_chat.cli.servers import open_backend
from ollama_chat.environment import Environment
from ollama_chat.errors import EXIT_OK, ChatError, UsageError, ctrl_c_interrupts, signals_as_interrupts
from ollama_chat.i18n import _
from ollama_chat.startup import collector_paused
from ollama_chat.store.sqlite import NoSuchConversation, Store, StoreError
from ollama_chat.text import one_line
from ollama_chat.types import Message
from ollama_chat.ui.output import make_output

if TYPE_CHECKING:
    from ollama_chat.chat.resume import Continuation, Resumed
    from ollama_chat.files.attachments import Attachment, Image


def layers_for(env: Environment, flags: Flags) -> Layers:
    config = load_config(paths.config_file(env.environ))
    if isinstance(flags.format, str):
        flags = replace(flags, format=load_format(flags.format))
    ref = persona_ref(flags, config)
    try:
        persona = load_persona(ref, paths.user_persona_dir(env.environ))
    except PersonaError as e:
        if flags.persona is None and config.get("persona"):
            e.hint += "\n" + _("(persona = \"{name}\" is set in {path})").format(name=ref, path=paths.config_file(env.environ))
        raise
    return build_layers(flags, config, env.environ, persona)


@dataclass(frozen=True)
class Run:
    """What one run of the chat command has set up before it asks: for the REPL or a one-shot question."""

    env: Environment
    flags: Flags
    layers: Layers
    settings: Settings
    backend: Backend
    recorder: Recorder
    continuation: Continuation | None  # a resume, resolved once
    texts: Sequence[Attachment] = ()
    pictures: Sequence[Image] = ()

    @property
    def attached(self) -> bool:
        return bool(self.texts or self.pictures)


def chat(env: Environment, flags: Flags, prompt: str | None, *, interactive: bool, files: Sequence[str] = (),
         images: Sequence[str] = ()) -> int:
    """`files`/`images`: -f and --image, read and checked before anything else happens (`-f -` is stdin)."""
    if env.stdout_closed:
        raise UsageError(
            _("Standard output is closed (>&-): there is nowhere to write the reply."),
            _("Let it write to the terminal, or send it to a file: ollama-chat \"질문\" > answer.md"),
        )
    layers = layers_for(env, flags)
    settings = layers.resolve()
    if list(files).count("-") > 1:
        raise UsageError(_("-f - reads standard input, which can be read once; give it once."))
    texts, pictures = read_attachments(env, files, images, settings) if files or images else ([], [])
    store = open_store(env, settings, flags)
    resumed = find_resumed(store, flags)
    off = OFF if not settings.save_history else _("Saving is off: the conversation store could not be opened (see the warning above)")
    recorder = Recorder(store if settings.save_history else None, env.warn, off, env.note)
    continuation = None
    if resumed is not None:  # resolved once: its layers (back to a configured server it names), what to say
        from ollama_chat.chat.resume import continue_with

        continuation = continue_with(layers, resumed, paths.user_persona_dir(env.environ),
                                     keep_persona=flags.persona is not None, back_to_server=True)
        layers = continuation.layers
        settings = layers.resolve()
    run = Run(env, flags, layers, settings, open_backend(env, settings), recorder, continuation, texts, pictures)
    signals_as_interrupts()
    stdin_read = "-" in files
    if interactive or (prompt is None and env.stdin_isatty and not stdin_read and env.stdout_isatty):
        return _in_the_repl(run, prompt, stdin_read=stdin_read)
    return _once(run, prompt, stdin_read=stdin_read)


def _in_the_repl(run: Run, prompt: str | None, *, stdin_read: bool) -> int:
    """The REPL, after a first question when one was piped in or given with -i."""
    with collector_paused():  # prompt_toolkit and rich
        from ollama_chat.ui.repl import Start, run_repl

    env = run.env
    ctrl_c_interrupts()
    first = None if env.stdin_isatty or stdin_read else read_stdin(env, run.settings, run.backend)
    if first is not None or prompt is not None:
        first = combine_question(first, prompt, attached=run.attached)
    start = Start(run.recorder, run.continuation, first_message=first, attachments=(*run.texts, *run.pictures))
    return run_repl(env, run.layers, run.backend, start)


def _once(run: Run, prompt: str | None, *, stdin_read: bool) -> int:
    """One question (piped in, PROMPT, the files), its answer streamed out; with --pull, a missing model is
    pulled and the question asked again."""
    from ollama_chat.ui.oneshot import run as run_oneshot  # here: the REPL's start-up does not pay for it

    env, settings = run.env, run.settings
    if prompt is None and env.stdin_isatty and not run.attached:
        env.stderr.write(_("Reading the question from the terminal; finish with Ctrl+D.") + "\n")
    piped = None if env.stdin_isatty or stdin_read else read_stdin(env, settings, run.backend)
    words = combine_question(piped, prompt, attached=run.attached)
    question = question_with(words, run.texts, run.pictures) if run.attached else Message("user", words)
    log = ExchangeLog(run.recorder)
    if run.continuation is not None:
        log.resume(run.continuation.resumed)
        for notice in run.continuation.notices:
            env.note(notice)
    output = make_output(
        stdout_is_terminal=env.stdout_isatty,
        plain=settings.plain,
        hide_thinking=settings.hide_thinking,
        out=env.stdout.buffer,
        err=env.stderr,
        environ=env.environ,
    )

    def ask() -> int:
        if not (settings.tools or settings.mcp):  # only then: a plain question's start-up does not pay for tools
            return run_oneshot(settings, question, run.backend, output, log, note=env.note, files=run.texts)
        from ollama_chat.chat.context import ContextTracker
        from ollama_chat.ui.oneshot_tools import oneshot_tools

        context = ContextTracker()
        with oneshot_tools(env, settings, run.backend, context) as tools:
            return run_oneshot(settings, question, run.backend, output, log, note=env.note, files=run.texts,
                               tools=tools, context=context)

    try:
        return ask()
    except ModelNotFound:
        if not run.flags.pull:
            raise
    from ollama_chat.chat.pull import pull as run_pull  # only then: a plain question's start-up does not pay
    from ollama_chat.cli import models

    code = run_pull(run.backend, settings.model, models.view_for(env), lambda text: env.say("", text))
    return ask() if code == EXIT_OK else code


def open_store(env: Environment, settings: Settings, flags: Flags) -> Store | None:
    """The conversation store, when saving is on or a conversation is to be resumed. A store that cannot be
    used is a warning when saving (the chat goes on without it) and an error when resuming."""
    resuming = flags.continue_last or flags.resume is not None
    if flags.incognito and (flags.continue_last or (flags.resume is not None and not is_file_ref(flags.resume))):
        raise UsageError(_("--incognito stores nothing, so it cannot go on with a stored conversation."),
                         _("Drop --incognito to continue, or drop -c/--resume for a chat that leaves no trace."))
    if resuming and flags.continue_last and flags.resume is not None:
        raise UsageError(_("-c/--continue and --resume both choose a conversation; give one of them."))
    reading = flags.continue_last or (flags.resume is not None and not is_file_ref(flags.resume))
    if not settings.save_history and not reading:
        return None
    try:
        store = Store.open(paths.conversations_db(env.environ), create=settings.save_history, reading=True)
    except StoreError as e:
        if reading:
            raise ChatError(_("Cannot resume: {reason}.").format(reason=e), e.hint) from None
        env.warn(_("{reason}. The chat goes on without saving it.").format(reason=e), e.hint)
        return None
    if store.read_only and settings.save_history:
        env.warn(_("{path} cannot be written here ({reason}), so it was opened read-only: new exchanges will not"
                   " be saved.").format(path=store.path, reason=store.read_only))
    return store


def is_file_ref(ref: str | None) -> bool:
    """`--resume chat.json` or a path; anything else is a conversation ID (hex digits)."""
    return ref is not None and (ref.lower().endswith(".json") or "/" in ref or ref.startswith("~"))


def find_resumed(store: Store | None, flags: Flags) -> Resumed | None:
    """What `-c` or `--resume` names, or None when neither was given. (`resume` is imported only then: a plain
    question's start-up does not pay for it.)"""
    if not (flags.continue_last or flags.resume is not None):
        return None
    from ollama_chat.chat.resume import Resumed, from_store, read_transcript

    if flags.resume is not None and is_file_ref(flags.resume):
        try:
            path = paths.user_path(flags.resume)
            return Resumed(read_transcript(path, one_line(str(path))))
        except FileNotFoundError:
            raise UsageError(_("--resume: there is no file {path}.").format(path=one_line(flags.resume))) from None
        except ValueError as e:
            raise UsageError(f"--resume: {one_line(str(e))}") from None
    if store is None:
        return None
    try:
        conversation_id = store.latest() if flags.continue_last else store.resolve(flags.resume or "")
        if conversation_id is None:
            raise UsageError(_("There is no earlier conversation to continue."), _("Start one with: ollama-chat"))
        return from_store(store.load(conversation_id))
    except NoSuchConversation as e:
        raise UsageError(_("Cannot resume: {reason}.").format(reason=one_line(str(e))),
                         _("`ollama-chat history` lists the conversations.")) from None
    except StoreError as e:
        raise ChatError(_("Cannot resume: {reason}.").format(reason=e), e.hint) from None
