"""Text search, the pure part (no SQL is run here): the tokens an index holds (tokens),
queries and ranking terms from what people type (queries), snippets around a match
(snippets), the English stemmer (stemmer) and the word and character tables (tables). Used
by the FAQ, ticket search and the search index the store keeps.
"""
