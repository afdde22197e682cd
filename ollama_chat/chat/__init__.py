"""The chat itself, with no terminal in it: settings and personas, the conversation and its context window,
one turn and the session's state and actions, attachments waiting, going on with a stored conversation.
It talks to the screen only through the small protocols in `events`."""
