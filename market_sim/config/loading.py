"""Loading a config: YAML files (following `extends:`), dicts or Configs, then overrides
given as {dotted.key: value} with already-typed values, then validation."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from .errors import ConfigError, format_validation_error
from .schema import Config
from .strict import suggest
from .yamlio import parse_yaml, read_text, refuse_kind


def read_yaml(path: Path) -> dict:
    """A YAML file whose top level is a mapping; every problem (missing, directory, binary or
    non-UTF-8 file, malformed YAML, duplicate keys, an alias bomb) is a one-line ConfigError."""
    data = parse_yaml(read_text(Path(path)), Path(path))
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(f"top level must be a mapping of sections, got {type(data).__name__}", file=path)
    return data


def deep_merge(base: dict, override: dict) -> dict:
    """Mappings merge key by key; anything else (lists included) is replaced."""
    out = copy.deepcopy(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def resolve_extends(path: Path, seen: tuple[Path, ...] = ()) -> dict:
    """A YAML config merged onto the file it `extends:` (recursively)."""
    path = path.resolve()
    if path in seen:
        raise ConfigError(f"extends cycle: {' -> '.join(str(p) for p in (*seen, path))}", file=path, path="extends")
    data = read_yaml(path)
    parent = data.pop("extends", None)
    if parent is None:
        return data
    if not isinstance(parent, str):
        raise ConfigError(f"got {parent!r}; expected a relative or absolute path to a YAML file",
                          file=path, path="extends")
    parent_path = (path.parent / parent) if not Path(parent).is_absolute() else Path(parent)
    if not parent_path.exists():
        raise ConfigError(f"extends file {parent_path} not found", file=path, path="extends", value=parent)
    return deep_merge(resolve_extends(parent_path, (*seen, path)), data)


def key_parts(key: str) -> list[str]:
    """'a.b.c' -> ['a', 'b', 'c']; an empty key is a ConfigError."""
    parts = [p for p in str(key).strip().split(".") if p]
    if not parts:
        raise ConfigError(f"override {key!r}: empty key", path=str(key))
    return parts


def apply_override(data: dict, key: str | list[str], value: Any, file: str | Path | None = None) -> None:
    """Set data[dotted key] = value in place; the key must already exist (in the data or as a
    schema default), else a ConfigError with a did-you-mean."""
    parts = key_parts(key) if isinstance(key, str) else key
    schema: Any = Config
    node = data
    for depth, part in enumerate(parts):
        so_far = ".".join(parts[: depth + 1])
        allowed = _allowed_keys(schema, node)
        if part not in allowed:
            raise ConfigError(
                f"--set on a key that does not exist {suggest(part, allowed)}; allowed here: {sorted(allowed)}",
                file=file, path=so_far, value=value,
            )
        schema = _child_schema(schema, part)
        if depth == len(parts) - 1:
            node[part] = value
        else:
            if not isinstance(node.get(part), dict):
                node[part] = {} if node.get(part) is None else node[part]
                if not isinstance(node[part], dict):
                    raise ConfigError("cannot descend into a non-mapping value",
                                      file=file, path=so_far, value=node[part])
            node = node[part]


def _allowed_keys(schema: Any, node: dict) -> set[str]:
    if isinstance(schema, type) and issubclass(schema, BaseModel):
        return set(schema.model_fields)
    return set(node) if isinstance(node, dict) else set()  # a dict-typed section: existing keys only


def _child_schema(schema: Any, key: str) -> Any:
    """Schema of node[key]: a model's field annotation, or a dict's value type (vendors.<id>)."""
    if isinstance(schema, type) and issubclass(schema, BaseModel):
        return schema.model_fields[key].annotation
    if getattr(schema, "__origin__", None) is dict:
        return schema.__args__[1]
    return schema


def load_config(source: str | Path | dict | Config, overrides: Mapping[str, Any] | None = None) -> Config:
    """Load and validate a config from a YAML path (following `extends:`), a dict or a Config,
    then apply `overrides` ({dotted.key: typed value}, in order) and check its dated changes.
    Raises ConfigError on any bad input."""
    from .changes import check_changes

    file: Path | None = None
    if isinstance(source, Config):
        data = source.model_dump()
    elif isinstance(source, dict):
        data = copy.deepcopy(source)
    else:
        file = Path(source)
        data = resolve_extends(file)
        refuse_kind(data, file, "scenario")
    if overrides is not None and not isinstance(overrides, Mapping):
        raise TypeError(f"overrides must map dotted keys to values, got {type(overrides).__name__}")
    for key, value in (overrides or {}).items():
        apply_override(data, key, value, file)
    cfg = validate_config(data, file)
    check_changes(cfg, data, file)
    return cfg


def validate_config(data: dict, file: str | Path | None = None) -> Config:
    """A Config from a plain dict, or a ConfigError naming every problem."""
    try:
        return Config.model_validate(data)
    except ValidationError as e:
        # each line of the message already names its key path
        raise ConfigError(format_validation_error(e, data, Config), file=file) from None


def schema_json() -> dict:
    """The JSON Schema of a config (printed by `market-sim schema`)."""
    return Config.model_json_schema()
