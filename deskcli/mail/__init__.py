"""E-mail: who hears what (notices, written to the outbox with each change), delivering the
outbox (outbox, over the transports), mail in (`mail ingest`: ingest, reading a message:
parse, its charsets: charset) and `mail check` (check).
"""
