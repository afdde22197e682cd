"""Wiring: an Environment and the flags become settings layers, a backend and an output, then one-shot or the
REPL. Also the listings (personas, models). Returns exit codes; errors propagate as ChatError."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from ollama_chat import paths

from ollama_chat.chat.pull import pull as run_pull
from ollama_chat.cli import models
from ollama_chat.backends.base import Backend, ModelNotFound
from ollama_chat.backends.ollama import OllamaBackend
from ollama_chat.chat.configfile import load_config
from ollama_chat.chat.log import ExchangeLog
from ollama_chat.environment import Environment, quiet_from_now_on
from ollama_chat.i18n import _
from ollama_chat.errors import (EXIT_FAILURE, EXIT_INTERRUPTED, EXIT_OK, ChatError, Terminated, UsageError,
                                ctrl_c_interrupts, cut_values, signals_as_interrupts)
from ollama_chat.ui.oneshot import combine_question, decode_input
from ollama_chat.ui.oneshot import run as run_oneshot
from ollama_chat.chat.personas import BUILTIN, PersonaError, list_personas, load_persona, shown_source
from ollama_chat.chat.recorder import OFF, Recorder
from ollama_chat.chat.resume import Resumed, continue_with, from_store, read_transcript
from ollama_chat.chat.settings import (Flags, Layers, Settings, build_layers, config_layer, env_layer, flags_layer, load_format,
                                  persona_ref, server_layer)
from ollama_chat.store.sqlite import NoSuchConversation, Store, StoreError
from ollama_chat.types import Message
from ollama_chat.ui.output import make_output
from ollama_chat.text import one_line, sanitize
from ollama_chat.text import cell_width, pad, wrap

if TYPE_CHECKING:
    from ollama_chat.files.attachments import Attachment, Image


def warn(env: Environment, text: str, hint: str = "") -> None:
    say(env, _("Warning:"), "33", one_line(text), hint)


def say(env: Environment, label: str, sgr: str, text: str, hint: str = "") -> None:
    """One of our messages on stderr: wrapped at words to a terminal's width, coloured unless NO_COLOR."""
    text, hint = sanitize(cut_values(text)), sanitize(cut_values(hint))
    head = f"{label} {text}" if label else text
    if env.stderr_isatty:
        lines = wrap(head, env.columns)
        if not env.no_color:
            lines[0] = f"\033[{sgr}m{label}\033[0m" + lines[0][len(label) :]
        for h in hint.splitlines():  # an indented hint line is a command to copy: kept whole
            lines += ["  " + h] if h.startswith("  ") else wrap("  " + h, env.columns, indent="  ")
    else:
        lines = [head, *("  " + h for h in hint.splitlines())]
    env.stderr.write("\n".join(lines) + "\n")
    env.stderr.flush()


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
    attached = bool(texts or pictures)
    store = open_store(env, settings, flags)
    resumed = find_resumed(store, flags)
    off = OFF if not settings.save_history else _("Saving is off: the conversation store could not be opened (see the warning above)")
    recorder = Recorder(store if settings.save_history else None, lambda text, hint: warn(env, text, hint), off,
                        lambda text: say(env, _("Note:"), "2", text))
    continuation = None
    if resumed is not None:  # resolved once: its layers (back to a configured server it names), what to say
        continuation = continue_with(layers, resumed, paths.user_persona_dir(env.environ),
                                     keep_persona=flags.persona is not None, back_to_server=True)
        layers = continuation.layers
        settings = layers.resolve()
    backend = open_backend(env, settings)
    signals_as_interrupts()
    stdin_read = "-" in files
    if interactive or (prompt is None and env.stdin_isatty and not stdin_read and env.stdout_isatty):
        from ollama_chat.ui.repl import Start, run_repl

        ctrl_c_interrupts()
        first = None if env.stdin_isatty or stdin_read else read_stdin(env, settings, backend)
        if first is not None or prompt is not None:
            first = combine_question(first, prompt, attached=attached)
        start = Start(recorder, continuation, first_message=first, attachments=(*texts, *pictures))
        return run_repl(env, layers, backend, start)
    if prompt is None and env.stdin_isatty and not attached:
        env.stderr.write(_("Reading the question from the terminal; finish with Ctrl+D.") + "\n")
    piped = None if env.stdin_isatty or stdin_read else read_stdin(env, settings, backend)
    words = combine_question(piped, prompt, attached=attached)
    question = question_with(words, texts, pictures) if attached else Message("user", words)
    log = ExchangeLog(recorder)
    if continuation is not None:
        log.resume(continuation.resumed)
        for notice in continuation.notices:
            say(env, _("Note:"), "2", notice)
    output = make_output(
        stdout_is_terminal=env.stdout_isatty,
        plain=settings.plain,
        hide_thinking=settings.hide_thinking,
        out=env.stdout.buffer,
        err=env.stderr,
        environ=env.environ,
    )
    def ask() -> int:
        return run_oneshot(settings, question, backend, output, log,
                           note=lambda text: say(env, _("Note:"), "2", text), files=texts)

    try:
        return ask()
    except ModelNotFound:
        if not flags.pull:
            raise
    code = run_pull(backend, settings.model, models.view_for(env), lambda text: say(env, "", "2", text))
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
        warn(env, _("{reason}. The chat goes on without saving it.").format(reason=e), e.hint)
        return None
    if store.read_only and settings.save_history:
        warn(env, _("{path} cannot be written here ({reason}), so it was opened read-only: new exchanges will not be"
                    " saved.").format(path=store.path, reason=store.read_only))
    return store


def is_file_ref(ref: str | None) -> bool:
    """`--resume chat.json` or a path; anything else is a conversation ID (hex digits)."""
    return ref is not None and (ref.lower().endswith(".json") or "/" in ref or ref.startswith("~"))


def find_resumed(store: Store | None, flags: Flags) -> Resumed | None:
    """What `-c` or `--resume` names, or None when neither was given."""
    if flags.resume is not None and is_file_ref(flags.resume):
        try:
            path = paths.user_path(flags.resume)
            return Resumed(read_transcript(path, one_line(str(path))))
        except FileNotFoundError:
            raise UsageError(_("--resume: there is no file {path}.").format(path=one_line(flags.resume))) from None
        except ValueError as e:
            raise UsageError(f"--resume: {one_line(str(e))}") from None
    if store is None or not (flags.continue_last or flags.resume is not None):
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


def read_attachments(env: Environment, files: Sequence[str], images: Sequence[str], settings: Settings
                     ) -> tuple[list[Attachment], list[Image]]:
    """-f and --image: each read and checked now, so a bad file stops the run before anything is sent. As in
    the chat, -f takes a file's image by its bytes, and a folder or glob for its text files (`-f -` standard
    input, read as far as it can fit `settings`' model and no further than a file may be). Imported only then:
    a plain question's start-up does not pay for them."""
    from ollama_chat.files import attachments
    from ollama_chat.estimate import Calibration
    from ollama_chat.files.filesets import expand
    from ollama_chat.chat.tray import attached_note

    cwd, seen = Path.cwd(), set()
    texts: list[attachments.Attachment] = []
    pictures = [attachments.read_image(attachments.resolve(name, cwd), name) for name in images]
    for name in files:
        if name == "-":
            if env.stdin_isatty:
                env.stderr.write(_("Reading -f - from the terminal; finish with Ctrl+D.") + "\n")
            texts.append(attachments.text_from(read_input(env, settings, None, _("standard input"), attachments.MAX_TEXT),
                                               _("standard input")))
            continue
        path = attachments.resolve(name, cwd)
        named = not os.path.isdir(path) and not any(ch in name for ch in "*?[")  # (False for a name too long)
        # a file named is taken as it is (an image by its bytes); a folder or glob gives its text files, as /read
        found = [(path, name)] if named else [(p, attachments.shown_path(p, cwd)) for p in expand([name], cwd).files]
        if not found:
            raise UsageError(_("Nothing to attach in {name}.").format(name=name))
        for p, shown in found:
            if p.resolve() in seen:
                continue
            seen.add(p.resolve())
            try:
                item = attachments.read_any(p, shown) if named else attachments.read_text(p, shown)
            except attachments.AttachmentError:
                if named:
                    raise
                continue  # a binary file in a folder is skipped, as /read skips it
            (pictures if isinstance(item, attachments.Image) else texts).append(item)  # type: ignore[arg-type]
    if env.stderr_isatty:
        for item in [*texts, *pictures]:
            tokens = Calibration().tokens(attachments.block(item)) if isinstance(item, attachments.Attachment) else None
            env.stderr.write(one_line(attached_note(item, tokens)) + "\n")
    return texts, pictures


def question_with(words: str, texts: Sequence[Attachment], pictures: Sequence[Image]) -> Message:
    from ollama_chat.files.attachments import question

    return question(words, texts, pictures)


def read_input(env: Environment, settings: Settings, backend: Backend | None, name: str,
               most_bytes: int | None = None) -> bytes:
    """Standard input, refused as soon as it clearly cannot fit (`piped.read_within`): the server is asked how
    much the model can take only when the input has grown that far."""
    from ollama_chat.cli.stdin import ceiling_for, read_within, smallest_budget

    def too_many_bytes(size: int) -> UsageError:
        return UsageError(_("Cannot attach {name}: {reason}.").format(name=name, reason=_(
            "it is larger than {size} KiB").format(size=f"{(most_bytes or 0) // 1024:,}")))

    return read_within(env.stdin.buffer, lambda: ceiling_for(backend or open_backend(env, settings), settings),
                       quiet_below=smallest_budget(settings), name=name, model=sanitize(settings.model),
                       most_bytes=most_bytes, too_many_bytes=too_many_bytes)


def read_stdin(env: Environment, settings: Settings, backend: Backend) -> str:
    decoded = decode_input(read_input(env, settings, backend, _("standard input")))
    if decoded.bad_byte_offset is not None:
        warn(
            env,
            _("standard input is not valid UTF-8 (first bad byte at offset {offset}); "
              "invalid bytes were replaced with U+FFFD.").format(offset=decoded.bad_byte_offset),
        )
    return decoded.text


def print_personas(env: Environment) -> int:
    """Name, description and where it comes from: aligned and wrapped on a terminal, tab-separated in a pipe."""
    user_dir = paths.user_persona_dir(env.environ)
    infos = list_personas(user_dir)
    out = env.stdout
    width = max(cell_width(i.name) for i in infos)
    for info in infos:
        where = shown_source(info.source)
        if info.source != BUILTIN and info.overrides_builtin:
            where += " " + _("(overrides the built-in)")
        description, where = one_line(info.description), one_line(where)
        if env.stdout_isatty:
            lines = wrap(f"{pad(info.name, width)}  {description}  [{where}]", env.columns, indent=" " * (width + 2))
            out.write("\n".join(lines) + "\n")
        else:
            out.write(f"{info.name}\t{description}\t{where}\n")
    out.flush()
    say(env, _("Add your own as"), "2", f"{user_dir}/NAME.md")
    return EXIT_OK


def open_backend(env: Environment, settings: Settings) -> Backend:
    """The server's API: Ollama's, or an OpenAI-compatible server's (vLLM, llama.cpp, LM Studio) with its key
    read from the variable the settings name (never from a flag, so it stays out of shell history)."""
    if settings.backend_api == "openai":
        from ollama_chat.backends.openai import OpenAIBackend

        from ollama_chat.backends.windows import LearntWindows

        key = env.environ.get(settings.api_key_env) or None
        return OpenAIBackend(settings.host, key, settings.api_key_env, settings.timeout,
                             LearntWindows(paths.state_dir(env.environ) / "windows.json"))
    return OllamaBackend(settings.host, settings.timeout)


def backend_for(env: Environment, flags: Flags) -> Backend:
    """The server only (for `models`): no persona is read, so a broken one is no reason not to list or pull."""
    config = load_config(paths.config_file(env.environ))
    settings = Layers(config=config_layer(config), env=env_layer(env.environ), server=server_layer(flags.server, config),
                      flags=flags_layer(flags)).resolve()
    return open_backend(env, settings)


def print_models(env: Environment, flags: Flags) -> int:
    return models.print_models(env, backend_for(env, flags))


def pull_model(env: Environment, flags: Flags, name: str) -> int:
    signals_as_interrupts()
    return run_pull(backend_for(env, flags), name, models.view_for(env), lambda text: say(env, "", "2", text))


def guarded(env: Environment, body: Callable[[], int]) -> int:
    """Run `body`, turning every expected failure into its message and exit code."""
    try:
        return _guarded(env, body)
    finally:
        try:
            env.stdout.flush()
        except (OSError, ValueError):  # a full disk, a closed pipe, a terminal gone: nothing more can go there
            quiet_from_now_on(env.stdout)


def _guarded(env: Environment, body: Callable[[], int]) -> int:
    try:
        return body()
    except ChatError as e:
        from ollama_chat.ui.wording import for_command_line

        e = for_command_line(e)
        say(env, _("Error:"), "1;31", one_line(e.message), e.hint)  # one line: a server's or a file's text in it too
        return e.exit_code
    except Terminated as e:  # SIGTERM, SIGHUP
        return e.exit_code
    except KeyboardInterrupt:
        env.stderr.write("\n")
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        return _closed_pipe(env)
    except OSError as e:  # the output on a full disk, a terminal gone away
        say(env, _("Error:"), "1;31", _("Cannot write the output: {reason}.").format(reason=e.strerror or e),
            _("Check the disk or file it goes to."))
        _closed_pipe(env)
        return EXIT_FAILURE


def _closed_pipe(env: Environment) -> int:
    """The reader went away (`| head -1`): stop quietly, without Python's 'Exception ignored' at exit."""
    quiet_from_now_on(env.stdout)
    return EXIT_OK
