"""Servers that can chat. `base`: the `Backend` protocol and the error tree every backend maps into. `http`: the
one HTTP layer (session, `Client`, `Dialect`), under a deadline (`deadline`), with network failures told apart
(`network`). `streaming`: reading a response (pieces, lines, whole bodies), in either stream format (`ndjson`,
`sse`). Then per API its backend, wire format and dialect: `ollama*`, `openai*` (a new API goes beside them)."""
