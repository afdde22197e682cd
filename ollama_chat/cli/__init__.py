"""The command line: the Typer app (main) and its parsing (parsing, language, and plain for a command line
with nothing to parse); the wiring of one chat (app), with what it reads first (inputs, stdin) and the server
it talks to (servers); the guard that turns failures into messages and exit codes (guard); and the commands
that are not the chat itself (history, listings and models, groups). The top layer: it may import every other."""
