"""The desk file itself: backup and integrity checks (maintenance: `db backup`, `db check`),
a desk shared by a Unix group (sharing) and the demo desk (demo: `deskcli demo`).
"""
