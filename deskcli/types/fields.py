"""Custom fields: parsing definitions (`--field NAME:KIND[!][=A|B]`) and validating values.
Pure: no I/O."""

import re
from datetime import date

from deskcli.errors import Invalid
from deskcli.models import FIELD_KINDS, FieldDef

FIELD_NAME = re.compile(r"[a-z][a-z0-9_]*")
FIELD_SPEC_HINT = ("write --field NAME:KIND[!][=CHOICE|CHOICE...] with KIND one of "
                   f"{', '.join(FIELD_KINDS)} and ! for required, "
                   "e.g. --field 'phone_model:text!' --field 'grade:choice=P1|P2|P3'")
TRUE_WORDS = {"true", "yes", "y", "1", "on", "是"}
FALSE_WORDS = {"false", "no", "n", "0", "off", "否"}


def parse_field_spec(spec: str) -> FieldDef:
    """'phone_model:text!' / 'grade:choice!=P1|P2' -> FieldDef."""
    name, sep, rest = spec.partition(":")
    name = name.strip()
    if not sep or not FIELD_NAME.fullmatch(name):
        raise Invalid(f"bad field definition {spec!r}: the name must be lower-case letters, "
                      "digits and _ (starting with a letter), followed by :KIND",
                      FIELD_SPEC_HINT)
    kind, _, choices_text = rest.partition("=")
    kind = kind.strip()
    required = kind.endswith("!")
    kind = kind.rstrip("!").strip()
    if kind not in FIELD_KINDS:
        raise Invalid(f"bad field definition {spec!r}: unknown kind {kind!r}", FIELD_SPEC_HINT)
    choices = [c.strip() for c in choices_text.split("|") if c.strip()] if choices_text else None
    if kind == "choice" and not choices:
        raise Invalid(f"field {name!r} is a choice but lists no choices", FIELD_SPEC_HINT)
    if choices and kind != "choice":
        raise Invalid(f"field {name!r}: only kind 'choice' takes a list of choices",
                      FIELD_SPEC_HINT)
    if choices and len(set(choices)) != len(choices):
        raise Invalid(f"field {name!r} lists a choice twice")
    return FieldDef(name=name, kind=kind, required=required, choices=choices)


def check_pattern(name: str, pattern: str) -> str:
    try:
        re.compile(pattern)
    except re.error as exc:
        raise Invalid(f"the pattern for field {name!r} is not a valid regular expression: {exc}",
                      "e.g. --pattern 'phone=^1[0-9]{10}$' --hint 'phone=an 11-digit number'"
                      ) from None
    return pattern


INT_LIMIT = 2 ** 63


def cut_repr(text: str, limit: int = 60) -> str:
    """A value quoted for a message, cut so that a huge one does not flood the terminal."""
    return repr(text if len(text) <= limit else text[:limit] + "...")


def convert(fdef: FieldDef, raw):
    """One value -> its stored form (str, int, float, bool, 'YYYY-MM-DD').
    Returns (value, problem); problem is None when the value is good."""
    label = fdef.name
    if isinstance(raw, bool) and fdef.kind == "bool":
        return raw, None
    text = raw if isinstance(raw, str) else ("" if raw is None else str(raw))
    text = text.strip()
    if fdef.pattern and not re.fullmatch(fdef.pattern, text):
        hint = fdef.hint or f"it must match {fdef.pattern}"
        return None, f"{label} {text!r} is not valid: {hint}"
    kind = fdef.kind
    if kind == "text":
        return text, None
    if kind == "int":
        if isinstance(raw, int) and not isinstance(raw, bool):
            value = raw
        elif re.fullmatch(r"[+-]?\d{1,30}", text):
            value = int(text)
        else:
            return None, f"{label} must be a whole number, not {cut_repr(text)}"
        if not -INT_LIMIT <= value < INT_LIMIT:  # SQLite's (and JSON readers') integers
            return None, f"{label} is too large a number (at most 19 digits)"
        return value, None
    if kind == "number":
        try:
            value = float(text)
        except ValueError:
            return None, f"{label} must be a number, not {text!r}"
        if value != value or value in (float("inf"), float("-inf")):
            return None, f"{label} must be a finite number, not {text!r}"
        whole = value.is_integer() and "." not in text and abs(value) < 2 ** 53
        return (int(value) if whole else value), None
    if kind == "date":
        try:
            return date.fromisoformat(text).isoformat(), None
        except ValueError:
            return None, f"{label} must be a date like 2026-11-28, not {text!r}"
    if kind == "bool":
        if text.lower() in TRUE_WORDS:
            return True, None
        if text.lower() in FALSE_WORDS:
            return False, None
        return None, f"{label} must be yes or no (true/false), not {text!r}"
    if kind == "choice":
        for choice in fdef.choices or []:
            if choice.lower() == text.lower():
                return choice, None
        return None, f"{label} must be one of {', '.join(fdef.choices or [])}, not {text!r}"
    raise AssertionError(kind)


def validate(defs: list[FieldDef], given: dict, *, type_key: str,
             require_all: bool = True) -> tuple[dict, list[str]]:
    """Check given values against a type's fields. Returns (clean values, problems): every
    problem is listed, so the user can fix them all at once. With require_all=False
    (changing some fields later), missing required fields are not reported."""
    by_name = {f.name: f for f in defs}
    clean, problems = {}, []
    for name, raw in given.items():
        fdef = by_name.get(name)
        if fdef is None:
            known = ", ".join(by_name) or "none"
            problems.append(f"unknown field {name!r} for type {type_key} (its fields: {known})")
            continue
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            if fdef.required:
                problems.append(f"{name} is required and cannot be empty")
            continue
        value, problem = convert(fdef, raw)
        if problem:
            problems.append(problem)
        else:
            clean[name] = value
    if require_all:
        for fdef in defs:
            if fdef.required and fdef.name not in clean and fdef.name not in given:
                what = f" ({fdef.label})" if fdef.label else ""
                problems.append(f"{fdef.name}{what} is required")
    return clean, problems


def parse_assignments(pairs: tuple[str, ...] | list[str], option: str = "--field") -> dict:
    """('model=iPhone 15', 'ok=yes') -> {'model': 'iPhone 15', 'ok': 'yes'}."""
    result = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise Invalid(f"{option} {pair!r} must be NAME=VALUE",
                          f"e.g. {option} phone_model='iPhone 15'")
        result[name.strip()] = value
    return result
