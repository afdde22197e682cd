"""Conversations kept on disk: the SQLite store (opening, schema and migrations, rows, search) and
the JSON/Markdown transcripts. Knows nothing of the chat above it."""
