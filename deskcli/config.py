"""Where the desk is, who is acting, and the settings registry. No I/O on import.

Precedence, highest first:
  database: --db PATH > --desk NAME > $DESKCLI_DB > personal `desk` > $XDG_DATA_HOME/deskcli/desk.db
            (a desk NAME is `[desks] NAME = "PATH"` in the personal file, or
            $XDG_DATA_HOME/deskcli/NAME.db)
  identity: --as LOGIN > $DESKCLI_USER > personal `user` > the OS login

Personal settings live in $XDG_CONFIG_HOME/deskcli/config.toml; desk settings live in the
desk's own `settings` table, so everyone who uses the desk shares them.
"""

import os
import re

from deskcli.errors import Invalid
from deskcli.plain import Record

DESK_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")


class Setting(Record):
    key: str
    scope: str  # 'desk' (stored in the desk) or 'personal' (the XDG config file)
    help: str
    default: str | None = None
    choices: tuple[str, ...] | None = None
    pattern: str | None = None  # the whole value must match
    example: str | None = None


SETTINGS: dict[str, Setting] = {}


def register(*settings: Setting) -> None:
    """Add settings to the registry (feature modules call this at import time)."""
    for setting in settings:
        SETTINGS[setting.key] = setting


register(
    Setting("user", "personal", "your login on your desks (when --as and $DESKCLI_USER "
            "are not given)", example="alice"),
    Setting("desk", "personal", "the desk used when neither --db, --desk nor $DESKCLI_DB "
            "is given", example="brand-a"),
    Setting("desk.name", "desk", "the desk's display name (in notices and reports)",
            example="Brand A help desk"),
    Setting("locale", "desk", "language of notices and reports", default="en",
            choices=("en", "zh")),
    Setting("timezone", "desk", "IANA time zone for dates typed without one and for "
            "business hours", default="UTC", example="Asia/Shanghai"),
    Setting("visibility", "desk", "who sees which tickets: 'all' staff see every ticket, "
            "or 'department': agents see their department's tickets, those they are "
            "involved in, and the assignment queue", default="all", choices=("all", "department")),
    Setting("attachments.max-size", "desk", "largest file `ticket attach` accepts "
            "(K, M or G suffix)", default="10M", pattern=r"\d+[KMG]?", example="25M"),
    Setting("outbox.via", "desk", "how `outbox send` delivers: smtp://HOST:PORT, "
            "smtps://HOST:PORT, maildir:DIR or stdout",
            pattern=r"(smtps?://[^\s/:]+(:\d+)?/?|maildir:.+|stdout)",
            example="smtp://127.0.0.1:25"),
    Setting("mail.from", "desk", "the From address of notices (its domain names the "
            "Message-IDs)", example="'Brand A help desk <desk@brand-a.example>'"),
    Setting("mail.tag", "desk", "the subject tag of notices: [TAG #42]", default="desk",
            pattern=r"[A-Za-z0-9][A-Za-z0-9_.-]{0,19}", example="brand-a"),
    Setting("mail.type", "desk", "the ticket type of tickets opened from e-mail "
            "(`mail ingest`)", example="email"),
    Setting("mail.max-per-hour", "desk", "`mail ingest` ignores a sender's messages beyond "
            "this many an hour (mail loops, floods)", default="20", pattern=r"[1-9]\d*",
            example="50"),
    Setting("mail.charsets", "desk", "`mail ingest` reads 8-bit text that declares no "
            "charset (or a wrong one) in the first of these that fits, in order; a guess "
            "is recorded", default="gb18030,big5",
            pattern=r"[A-Za-z0-9_.:-]+(\s*,\s*[A-Za-z0-9_.:-]+)*",
            example="gb18030,big5,koi8-r"),
    Setting("smtp.starttls", "desk", "use STARTTLS on smtp:// (auto: when offered)",
            default="auto", choices=("auto", "yes", "no")),
    Setting("smtp.user", "desk", "login for the SMTP server", example="desk@brand-a.example"),
    Setting("smtp.password-file", "desk", "file holding the SMTP password (readable by the "
            "sender only)", example="/etc/deskcli/smtp-password"),
    Setting("templates.dir", "desk", "a folder of templates overriding the shipped ones "
            "(same layout: notices/en/assigned.txt.j2 ...)", example="/srv/desk/templates"),
    Setting("queue.dispatchers", "desk", "who hears about tickets landing in the queue: "
            "logins and dept:KEY, comma-separated (default: the admins)",
            example="mgr,dept:support"),
    Setting("autoclose.waiting", "desk", "close tickets waiting on the customer this long "
            "(`remind run`; unset: never)", pattern=r"(\d+\s*[smhdw]\s*)+", example="14d"),
    Setting("autoclose.resolved", "desk", "close resolved tickets after this long "
            "(`remind run`; unset: never)", pattern=r"(\d+\s*[smhdw]\s*)+", example="3d"),
    Setting("business-hours", "desk", "working hours for SLA clocks (unset: round the "
            "clock)", example="'Mon-Fri 09:00-18:00'"),
)


def lookup_setting(key: str) -> Setting:
    """The registered setting, or Invalid naming the closest known keys."""
    if key.startswith("desks."):
        name = key[len("desks."):]
        if not DESK_NAME.fullmatch(name):
            raise Invalid(f"{name!r} is not a desk name", "use letters, digits, '.', '_', '-'")
        return Setting(key, "personal", f"path of the desk named {name}")
    try:
        return SETTINGS[key]
    except KeyError:
        import difflib

        close = difflib.get_close_matches(key, list(SETTINGS), n=3)
        hint = f"did you mean {', '.join(close)}? " if close else ""
        raise Invalid(f"unknown setting {key!r}",
                      f"{hint}run `deskcli config list --all` to see every setting") from None


def check_value(setting: Setting, value: str) -> str:
    """Validate a value for a setting; returns it (stripped) or raises Invalid."""
    value = value.strip()
    if setting.choices and value not in setting.choices:
        raise Invalid(f"{setting.key} must be one of {', '.join(setting.choices)}, not {value!r}")
    if setting.pattern and not re.fullmatch(setting.pattern, value):
        raise Invalid(f"{value!r} is not a valid {setting.key}",
                      f"example: deskcli config set {setting.key} {setting.example}")
    if setting.key == "timezone":
        from deskcli.clock import zone

        zone(value)
    if setting.key == "mail.charsets":
        from deskcli.mail.charset import check_fallbacks

        try:
            value = ",".join(check_fallbacks(value))
        except ValueError as exc:
            raise Invalid(f"mail.charsets: {exc}", "name charsets Python knows, in order, "
                          "e.g. gb18030,big5,koi8-r,windows-1251,shift_jis") from None
    if setting.key == "business-hours":
        from deskcli.reminders.sla import parse_hours

        parse_hours(value)
    if setting.key.startswith("desks."):
        from deskcli.store import is_url

        if is_url(value):  # a password never goes to the config file
            from deskcli.store.pg import check_url

            check_url(value)
    return value


# --- files ------------------------------------------------------------------------------
# Paths are plain strings here and in the store: pathlib (with the urllib.parse and
# ipaddress it imports) was a tenth of the start-up of every command.

def config_dir() -> str:
    base = os.environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    return os.path.join(base, "deskcli")


def data_dir() -> str:
    base = os.environ.get("XDG_DATA_HOME") or os.path.join(os.path.expanduser("~"), ".local",
                                                           "share")
    return os.path.join(base, "deskcli")


def config_file() -> str:
    return os.path.join(config_dir(), "config.toml")


def read_personal() -> dict:
    """The personal config file as a dict ({} when there is none)."""
    path = config_file()
    if not os.path.exists(path):
        return {}
    import tomllib

    try:
        with open(path, "rb") as handle:
            return tomllib.load(handle)
    except (tomllib.TOMLDecodeError, OSError) as exc:
        raise Invalid(f"cannot read {path}: {exc}", "fix or remove the file") from None


def write_personal(data: dict) -> str:
    """Write the personal config file (flat keys plus a [desks] table).

    tomli-w writes it (imported here, only by `config set` of a personal setting: 3 ms):
    the hand-written writer it replaced escaped only backslashes and quotes, so a desk
    path holding a newline or another control character made a file tomllib refused."""
    import tomli_w

    path = config_file()
    os.makedirs(os.path.dirname(path), exist_ok=True)
    doc = {key: str(value) for key, value in sorted(data.items())
           if not isinstance(value, dict)}
    desks = data.get("desks") or {}
    if desks:
        doc["desks"] = {name: str(desk_path) for name, desk_path in sorted(desks.items())}
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as handle:
        handle.write(tomli_w.dumps(doc))
    os.replace(tmp, path)
    return path


# --- resolution ---------------------------------------------------------------------------

def resolve_db(db: str | None, desk: str | None) -> str:
    """The desk file to use, by the documented precedence."""
    if db:
        return os.path.expanduser(db)
    if desk:
        return desk_path(desk)
    env = os.environ.get("DESKCLI_DB")
    if env:
        return os.path.expanduser(env)
    personal = read_personal()
    if personal.get("desk"):
        return desk_path(personal["desk"], personal)
    return os.path.join(data_dir(), "desk.db")


def desk_path(name: str, personal: dict | None = None) -> str:
    """The file of a named desk: `[desks] NAME` in the personal file, else the data dir."""
    if not DESK_NAME.fullmatch(name):
        raise Invalid(f"{name!r} is not a desk name", "use letters, digits, '.', '_', '-'")
    desks = (read_personal() if personal is None else personal).get("desks") or {}
    if name in desks:
        return os.path.expanduser(desks[name])
    return os.path.join(data_dir(), f"{name}.db")


def desk_stem(path: str) -> str:
    """A desk's short name from its file: /srv/desks/brand-a.db -> brand-a."""
    return os.path.splitext(os.path.basename(path))[0]


def known_desks() -> dict[str, str]:
    """Every desk named in the personal file or present in the data folder."""
    folder = data_dir()
    found = {}
    if os.path.isdir(folder):
        found = {desk_stem(name): os.path.join(folder, name)
                 for name in sorted(os.listdir(folder)) if name.endswith(".db")}
    for name, path in (read_personal().get("desks") or {}).items():
        found[name] = os.path.expanduser(path)
    return found


def resolve_login(as_login: str | None) -> tuple[str, str]:
    """The acting login and where it came from (for `whoami` and error messages)."""
    if as_login:
        return as_login, "--as"
    env = os.environ.get("DESKCLI_USER")
    if env:
        return env, "$DESKCLI_USER"
    personal = read_personal()
    if personal.get("user"):
        return str(personal["user"]), str(config_file())
    import getpass

    try:
        return getpass.getuser(), "the OS login"
    except (KeyError, OSError):
        return "", "the OS login"
