"""The FAQ (知识库): keeping it (manage: categories, entries, import and export, the link to
the tickets it answered), finding answers (search: `faq search`, suggest, recommend, gaps),
why an entry was found (explain), the words search is given and learns (words, synonyms) and
FAQ files in and out (files).
"""
