"""Help screens in the usual click/rich style: type labels as INTEGER, FLOAT, PATH, TEXT (not
typer 0.29's `<int range>`, `<list[str]>`, `<bool>`), none for on/off flags, and flags without
their `--no-` twin. Imported by cli.py; `conventional(command)` tidies a built command."""

from __future__ import annotations

import re

from typer.core import TyperArgument, TyperOption, _TyperParameter

_LABELS = {"int": "INTEGER", "int range": "INTEGER", "float": "FLOAT", "float range": "FLOAT", "str": "TEXT",
           "path": "PATH", "file": "PATH", "directory": "PATH", "bool": None}
_original = _TyperParameter.display_type


def _display_type(self, ctx) -> str | None:
    if getattr(self, "is_flag", False) or getattr(self, "count", False):
        return None
    label = _original(self, ctx).strip("<>")
    label = re.sub(r"^list\[(.*)\]$", r"\1", label)  # repeatable options say so in their help
    if label in _LABELS:
        return _LABELS[label]
    return f"[{label}]" if "|" in label else label.upper()


for _cls in (_TyperParameter, TyperArgument, TyperOption):
    _cls.display_type_rich = _display_type


def conventional(command):
    """Drop the `--no-x` twin of each off-by-default flag (`--quiet`, not `--quiet --no-quiet`)."""
    for param in command.params:
        if getattr(param, "is_flag", False) and param.default is False and hasattr(param, "secondary_opts"):
            param.secondary_opts = []
    for sub in getattr(command, "commands", {}).values():
        conventional(sub)
    return command
