"""What the user sees and types: replies drawn in a terminal or written to a pipe, the REPL and its commands.

Replies: `output.make_output` chooses the renderer once per process. `plain` writes the text as received
(pipes, --plain); `terminal` formats Markdown while it streams, from `blocks` (where a block ends), `markdown`
(rich, and every workaround for its internals), `thinking`, `live` (the redrawn tail) and `theme` (named
styles). `marks` holds what both renderers share. Nothing here imports rich on the piped path, and
`terminal` loads `blocks` and `markdown` (markdown-it, pygments) at its first reply, not before the REPL's prompt.

The REPL: `repl` (the loop) with `completion`, `keybindings`, `input_history` and `heap` (its memory after
long replies); `chat` (what a command acts
on); `commands` (what a line does, the table) with `typed` (what a typed line says), and the commands by what
they act on: `settings`, `exchanges`, `conversations`, `attach`, `files`, `show`. One-shot: `oneshot`.
"""
