"""ConfigError, and pydantic validation errors turned into one line per problem naming the
key path, the value and what is allowed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from .strict import suggest


class ConfigError(Exception):
    """A bad config: message names file, key path, value and what is allowed."""

    def __init__(self, message: str, *, file: str | Path | None = None, path: str = "", value: Any = None):
        self.file = str(file) if file is not None else None
        self.path = path
        self.value = value
        self.message = message
        where = f"{self.file}: " if self.file else ""
        key = f"{path}: " if path else ""
        # one line per problem, each naming the file
        super().__init__("\n".join(f"{where}{key}{line}" for line in message.split("\n")))


class CrossReferenceError(ValueError):
    """Raised inside a schema validator for a cross-reference problem (a vendor, feature or
    sector that does not exist): carries its own key path, value and what is allowed."""

    def __init__(self, path: str, value: Any, allowed: str):
        self.path, self.value, self.allowed = path, value, allowed
        super().__init__(f"{path}: got {value!r}; expected {allowed}")


def format_validation_error(err: ValidationError, data: dict, root: type[BaseModel]) -> str:
    """One line per problem: key path, value, what is allowed. `root` is the schema validated."""
    lines = []
    for e in err.errors():
        loc = tuple(p for p in e["loc"] if not (isinstance(p, str) and p.startswith("function-")))
        path = _loc_path(loc)
        validator_error = (e.get("ctx") or {}).get("error")
        if isinstance(validator_error, CrossReferenceError):
            lines.append(f"{validator_error.path}: got {validator_error.value!r}; expected {validator_error.allowed}")
            continue
        if isinstance(validator_error, Exception):  # a validator's own message says what is wrong
            lines.append(f"{path}: {validator_error}")
            continue
        if e["type"] == "extra_forbidden":
            parent = _schema_at(loc[:-1], root)
            allowed = sorted(parent.model_fields) if parent else []
            lines.append(f"{path}: unknown key {suggest(loc[-1], allowed)}; allowed keys: {allowed}")
            continue
        value = e.get("input", _lookup(data, loc))
        lines.append(f"{path}: got {value!r}; expected {_describe_allowed(e)}")
    return "\n".join(lines)


def _loc_path(loc: tuple) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


def _lookup(data: Any, loc: tuple) -> Any:
    node = data
    for part in loc:
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            return None
    return node


def _schema_at(loc: tuple, root: type[BaseModel]) -> type[BaseModel] | None:
    """The schema model at a location such as ('vendors', 'moonshot', 'capability')."""
    schema: Any = root
    for part in loc:
        if isinstance(schema, type) and issubclass(schema, BaseModel):
            if not isinstance(part, str) or part not in schema.model_fields:
                return None
            schema = schema.model_fields[part].annotation
        else:  # dict[str, X] or list[X]: this part is a key or an index; step to X
            args = getattr(schema, "__args__", ())
            schema = args[-1] if args else None
    return schema if isinstance(schema, type) and issubclass(schema, BaseModel) else None


def _describe_allowed(e: dict) -> str:
    ctx = e.get("ctx") or {}
    kind = e["type"]
    if "ge" in ctx:
        bound = f">= {ctx['ge']}"
    elif "gt" in ctx:
        bound = f"> {ctx['gt']}"
    elif "le" in ctx:
        bound = f"<= {ctx['le']}"
    elif "lt" in ctx:
        bound = f"< {ctx['lt']}"
    else:
        bound = ""
    if kind.startswith(("greater", "less")):
        return f"a number {bound}"
    if kind == "literal_error":
        return f"one of {ctx.get('expected')}"
    if kind == "string_pattern_mismatch":
        return ("a month written YYYY-MM" if "\\d{4}" in str(ctx.get("pattern"))
                else f"a string matching {ctx.get('pattern')}")
    if kind == "missing":
        return "a value (this key is required)"
    return e["msg"].lower()
