"""Text search, the pure part (no SQL is run here): tokens and queries (tokens), ranking terms,
snippets around a match (snippets), the English stemmer (stemmer) and the word and character
tables (tables). Used by the FAQ, ticket search and the search index the store keeps.
"""
