"""Tools the model may call, with the user's consent: the built-in file and web tools and the tools of MCP
servers. This package owns what a tool is and how it runs; the chat's turn loop asks for approval and sends
the results back; nothing here draws on a terminal."""
