"""Conversations kept on disk. `sqlite`: the entry point, `Store.open(path)`, one object that writes (`writer`)
and reads (`queries`) over one checked connection (`database`), with what can go wrong worded in `errors`;
`schema`: the migrations; `rows`: how an exchange sits in a row; `handover`: long text given to SQLite
without copies left behind; `search`: the deferred full-text index.
`transcript`: the JSON/Markdown files. Knows nothing of the chat above it."""
