"""The prompt's own keys: Alt+Enter, Ctrl+J and Enter inside a \"\"\" block for a new line; Ctrl+G and
Ctrl+X Ctrl+E for the user's editor."""

from __future__ import annotations

from typing import Any, Callable

from prompt_toolkit.document import Document
from prompt_toolkit.filters import Condition
from prompt_toolkit.key_binding import KeyBindings

from ollama_chat.errors import ChatError
from ollama_chat.ui.editor import Editor, EditorError, EditorStopped
from ollama_chat.ui.typed import TRIPLE


def key_bindings(editor: Editor | None = None, report: Callable[[ChatError], None] | None = None) -> KeyBindings:
    """Alt+Enter and Ctrl+J: a new line. Ctrl+G (as in `ollama run`) and Ctrl+X Ctrl+E: the line in `editor`;
    what is saved is sent at once, and a line left as it was (or emptied) stays, unsent. `report`: the
    editor's failures, shown while the prompt is put away."""
    kb = KeyBindings()

    @Condition
    def in_triple_quote_block() -> bool:
        from prompt_toolkit.application import get_app

        text = get_app().current_buffer.text.strip()
        return text.startswith(TRIPLE) and (len(text) < 6 or not text.endswith(TRIPLE))

    @kb.add("enter", filter=in_triple_quote_block)
    @kb.add("escape", "enter")
    @kb.add("c-j")
    def _newline(event: Any) -> None:
        event.current_buffer.insert_text("\n")

    if editor is not None:

        @kb.add("c-g")
        @kb.add("c-x", "c-e")
        def _edit(event: Any) -> None:
            from prompt_toolkit.application import run_in_terminal

            buffer = event.current_buffer

            def edit() -> str | None:
                try:
                    return editor.edit(buffer.text)
                except EditorStopped:  # by Ctrl+C, which the prompt answers itself
                    return None
                except EditorError as e:
                    if report is not None:
                        report(e)
                    return None

            async def edit_then_send() -> None:
                # run_in_terminal puts the prompt away, hands the editor a cooked terminal, and redraws after
                text = await run_in_terminal(edit, in_executor=True)
                if text is not None:
                    buffer.document = Document(text, len(text))
                    buffer.validate_and_handle()

            event.app.create_background_task(edit_then_send())

    return kb
