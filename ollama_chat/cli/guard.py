"""The guard every command runs inside: each expected failure becomes its message on stderr and an exit code,
and a reader that went away (`| head -1`) or a full disk ends the run quietly, never with a traceback."""

from __future__ import annotations

from collections.abc import Callable

from ollama_chat.environment import Environment, quiet_from_now_on
from ollama_chat.errors import EXIT_FAILURE, EXIT_INTERRUPTED, EXIT_OK, ChatError, Terminated
from ollama_chat.i18n import _


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
        env.error(e.message, e.hint)
        return e.exit_code
    except Terminated as e:  # SIGTERM, SIGHUP
        return e.exit_code
    except KeyboardInterrupt:
        env.stderr.write("\n")
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        return _closed_pipe(env)
    except OSError as e:  # the output on a full disk, a terminal gone away
        env.error(_("Cannot write the output: {reason}.").format(reason=e.strerror or e),
                  _("Check the disk or file it goes to."))
        _closed_pipe(env)
        return EXIT_FAILURE


def _closed_pipe(env: Environment) -> int:
    """The reader went away (`| head -1`): stop quietly, without Python's 'Exception ignored' at exit."""
    quiet_from_now_on(env.stdout)
    return EXIT_OK
