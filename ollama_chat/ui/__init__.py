"""What the user sees and types: replies drawn in a terminal or written to a pipe, the REPL and its commands.

Replies: `output.make_output` chooses the renderer once per process. `plain` writes the text as received
(pipes, --plain); `terminal` formats Markdown while it streams, from `blocks` (where a block ends), `markdown`
(rich, and every workaround for its internals), `live` (the redrawn tail) and `theme` (named styles). `text`
holds what both renderers share. Nothing here imports rich on the piped path.
"""
