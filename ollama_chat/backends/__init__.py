"""Servers that can chat: the `Backend` protocol and its error tree (base), and one module per wire API."""
