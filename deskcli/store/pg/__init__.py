"""PostgreSQL as a desk's store: `--db postgresql://USER@HOST/DATABASE`.

One desk per database (its `public` schema, or the first schema of the role's
search_path, e.g. `?options=-csearch_path%3Dbrand_a` to keep several desks in one
database). The same store functions run on it through deskcli.store.pg.connection, which
bridges the two dialects; the schema is deskcli/store/pg/schema.sql (generated from the
SQLite schema) with compat.sql (SQLite's functions) and the triggers of migrations.py.

The driver is psycopg2 (`pip install 'deskcli[postgres]'`): importing it costs about
12 ms here (see driver()), against about 115 ms for psycopg 3, and a command is a
short-lived process.
It is imported only for a PostgreSQL desk; SQLite desks pay nothing.

Passwords come from libpq (~/.pgpass, PGPASSFILE, a service file, PGPASSWORD), never from
the URL: a URL with a password is refused, and no message ever prints one.
"""

import os

from deskcli.errors import Busy, Conflict, DeskError, Invalid, NotFound

PASSWORD_HINT = ("leave the password out of the URL and let libpq find it: ~/.pgpass "
                 "(or $PGPASSFILE), a service file (?service=NAME), or $PGPASSWORD")


# A URL with nothing to look into (no password, options, IPv6 host or five-digit port:
# most desks' URLs) is told without urllib.parse, which costs about 2 ms to import
PLAIN_URL = (r"postgres(?:ql)?://(?:[^:@/?#\[\]%]*@)?[^:@/?#\[\]%]*(?::\d{1,4})?"
             r"(/[^?#:@%]*)?(\?[^#%:@]*)?")


def check_url(url: str) -> None:
    """Refuse a URL that carries a password (it would show in `ps`, shell history and the
    config file)."""
    import re

    if re.fullmatch(PLAIN_URL, url) and "password" not in url.lower():
        return
    from urllib.parse import parse_qs, urlsplit

    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 (a port that is not a number raises here)
    except ValueError as exc:
        raise bad_url(url, str(exc)) from None
    if parts.password is not None or "password" in {k.lower() for k in parse_qs(parts.query)}:
        raise Invalid("the desk's URL contains a password; deskcli does not take passwords "
                      "on the command line or in its config", PASSWORD_HINT)


URL_HINT = ("write it as libpq's URI: postgresql://USER@HOST[:PORT]/DATABASE, e.g. "
            "postgresql://desk@/brand_a?host=/run/postgresql for a Unix socket")


def bad_url(url: str, why: str) -> Invalid:
    return Invalid(f"the desk's URL {url} is not valid ({why})", URL_HINT)


def database_name(url: str) -> str:
    from urllib.parse import unquote, urlsplit

    path = unquote(urlsplit(url).path.lstrip("/"))
    return path or os.environ.get("PGDATABASE") or urlsplit(url).username or "postgres"


def schema_name(url: str) -> str | None:
    """The schema a URL's options put first on the search_path (`?options=-csearch_path%3D
    brand_a`): the desk's schema when several desks share a database; None: public."""
    if "options" not in url:
        return None
    import re
    from urllib.parse import parse_qs, urlsplit

    options = " ".join(parse_qs(urlsplit(url).query).get("options", []))
    found = re.search(r"search_path\s*=\s*([^\s,]+)", options)
    return found[1].strip('"') if found else None


def missing_schema(store, url: str) -> DeskError | None:
    """The error for a URL whose search_path names no schema of the database."""
    schema = schema_name(url)
    if schema is None or store.conn.execute("SELECT current_schema()").fetchone()[0]:
        return None
    return NotFound(f"no schema {schema!r} in the database {database_name(url)!r} (the URL's "
                    "search_path)", f"create it first (CREATE SCHEMA {schema} AUTHORIZATION "
                    "ROLE), then `deskcli --db URL init`")


def driver():
    import sys

    # psycopg2 imports Python's ssl module (about 8 ms with socket, base64 and uuid) only
    # to learn whether Python set up libcrypto's locking; OpenSSL 1.1 and later need no
    # such set-up. A None in sys.modules makes that import fail fast, and it is taken
    # away again at once, so a later `import ssl` (mail over TLS) gets the real module.
    stand_in = "ssl" not in sys.modules and "psycopg2" not in sys.modules
    if stand_in:
        sys.modules["ssl"] = None
    try:
        import psycopg2
    except ImportError:
        raise DeskError("this desk is on PostgreSQL, and the PostgreSQL driver is not "
                        "installed", "pip install 'deskcli[postgres]' (it adds "
                        "psycopg2-binary)") from None
    finally:
        if stand_in:
            del sys.modules["ssl"]
    return psycopg2


def connect(url: str, timeout_ms: int):
    """A psycopg2 connection to `url` in autocommit mode, UTC, with the busy timeout as
    lock_timeout."""
    psycopg2 = driver()
    from psycopg2.extensions import parse_dsn

    try:
        options = parse_dsn(url).get("options", "")
    except psycopg2.ProgrammingError as exc:  # libpq cannot parse it
        raise bad_url(url, " ".join(str(exc).split())) from None
    options = (f"{options} -c timezone=UTC -c lock_timeout={int(timeout_ms)} "
               "-c jit=off").strip()  # (connection.py's BEGIN says why)
    try:
        raw = psycopg2.connect(url, options=options, application_name="deskcli",
                               connect_timeout=max(1, timeout_ms // 1000))
    except psycopg2.OperationalError as exc:
        raise unreachable(url, exc) from None
    raw.autocommit = True
    return raw


def unreachable(url: str, exc) -> DeskError:
    text = " ".join(str(exc).split())
    if "does not exist" in text and "database" in text:
        return NotFound(f"no database {database_name(url)!r} on the PostgreSQL server of "
                        f"{url}", "create it first (createdb -O ROLE NAME, see "
                        "\"Team server\" in the README), then `deskcli --db URL init`")
    from deskcli.errors import AccessDenied

    if "role" in text and "does not exist" in text:
        return AccessDenied(f"the PostgreSQL server of {url} has no such role ({text})",
                            "name a role of the server in the URL, or create it there "
                            "(createuser NAME, see \"Team server\" in the README)")
    if "password" in text or "authentication" in text:
        return AccessDenied(f"the PostgreSQL server refused the login for {url} ({text})",
                            PASSWORD_HINT)
    if "invalid" in text or "unrecognized configuration parameter" in text:
        return bad_url(url, text)  # a setting of the URL that libpq or the server refuses
    return Busy(f"cannot reach the PostgreSQL server of {url} ({text})",
                "check that the server runs and the URL's host and port, then try again")


def start_early(url: str, command: str) -> None:
    """Start connecting to the desk at `url` in a thread while the command (a shape, see
    deskcli.store.pg.early) is imported. psycopg2 is imported here, in the calling thread;
    a DeskError (a password in the URL, no driver) means: let the store connect as usual."""
    from deskcli.store import busy_timeout_ms
    from deskcli.store.pg import early

    check_url(url)
    driver()
    early.start(url, command, connect, busy_timeout_ms())


def open_store(cls, url: str, *, create: bool, migrate: bool):
    """The Store of the desk in the database at `url` (see deskcli.store.Store.open)."""
    from deskcli.store import busy_timeout_ms
    from deskcli.store.migrations import remind_at_sql
    from deskcli.store.pg import early, migrations
    from deskcli.store.pg.connection import Connection, lock_key

    check_url(url)
    raw = early.take(url, busy_timeout_ms())
    learn = raw is not None  # (note the reads for the next command's warm-up)
    raw = raw or connect(url, busy_timeout_ms())
    store = cls(url, Connection(raw, busy_timeout_ms(), lock_key(schema_name(url))))
    if learn:
        store.conn.reads, store.conn.remember = [], early.remember
    store.conn.remind_at_sql = remind_at_sql
    store.dialect = "postgres"
    try:
        state = migrations.state(store)
        if create or not state.created:  # (a desk to make, or none found: say why)
            error = missing_schema(store, url)
            if error:
                raise error
        if create:
            if state.created:
                raise Conflict(f"a desk already exists in the database {url}",
                               "use it as it is, or choose another database")
            migrations.upgrade(store)
        elif not state.created:
            raise NotFound(f"no desk in the database {url}",
                           "create one with `deskcli init --admin LOGIN` (with --db URL "
                           "if this database is not your default desk), or point "
                           "--db/$DESKCLI_DB at an existing desk")
        elif migrate and state.version != migrations.target():
            migrations.upgrade(store)
    except BaseException:
        store.close()
        raise
    return store
