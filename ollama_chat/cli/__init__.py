"""The command line: the Typer app and its parsing, the wiring of one run (app), and the commands that
are not the chat itself (history, models, personas). The top layer: it may import every other."""
