"""Reading a YAML config file safely: one-line errors for a directory, an unreadable, binary or
non-UTF-8 file; duplicate keys refused (the second would silently win); alias expansion bounded
(a "billion laughs" file of a few lines would otherwise expand to gigabytes); and the kind of
file (scenario config, sweep, experiment) recognised, so that the wrong kind is named as such."""

from __future__ import annotations

from pathlib import Path

import yaml
from yaml.nodes import MappingNode, Node, SequenceNode

from .errors import ConfigError

MAX_FILE_BYTES = 5_000_000        # a config is a few KB; anything this big is not one
MAX_EXPANDED_NODES = 200_000      # the baseline config expands to ~2,000 nodes


class _DuplicateKey(yaml.YAMLError):
    def __init__(self, key: object, first: int, again: int):
        super().__init__(f"duplicate key {key!r} at line {again} (first given at line {first}); "
                         "the second would silently replace the first: merge them into one")


class StrictLoader(yaml.SafeLoader):
    """SafeLoader that refuses duplicate keys in a mapping (YAML merge keys `<<` excepted)."""

    def construct_mapping(self, node: MappingNode, deep: bool = False) -> dict:
        seen: dict[object, int] = {}
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue
            key = key_node.value if isinstance(key_node.value, str) else id(key_node)
            line = key_node.start_mark.line + 1
            if key in seen:
                raise _DuplicateKey(key, seen[key], line)
            seen[key] = line
        return super().construct_mapping(node, deep=deep)


def expanded_size(node: Node | None, limit: int = MAX_EXPANDED_NODES) -> int:
    """Nodes in the document once every alias is expanded (memoised, so it costs the size of
    the graph, not of its expansion); stops counting past `limit`."""
    memo: dict[int, int] = {}

    def size(n: Node) -> int:
        if id(n) in memo:
            return memo[id(n)]
        memo[id(n)] = limit + 1  # a recursive alias expands forever
        total = 1
        if isinstance(n, SequenceNode):
            children = n.value
        elif isinstance(n, MappingNode):
            children = [c for pair in n.value for c in pair]
        else:
            children = []
        for c in children:
            total += size(c)
            if total > limit:
                break
        memo[id(n)] = min(total, limit + 1)
        return memo[id(n)]

    return 0 if node is None else size(node)


def read_text(path: Path, what: str = "config") -> str:
    """The file's text, or a one-line ConfigError saying why it cannot be a YAML file."""
    if not path.exists():
        raise ConfigError("file not found", file=path)
    if path.is_dir():
        raise ConfigError(f"is a directory, not a YAML {what} file", file=path)
    try:
        raw = path.read_bytes()
    except OSError as e:
        raise ConfigError(f"cannot read: {e.strerror or e}", file=path) from None
    if len(raw) > MAX_FILE_BYTES:
        raise ConfigError(f"{len(raw):,} bytes is too big for a YAML {what} file (at most {MAX_FILE_BYTES:,})",
                          file=path)
    if b"\0" in raw:
        raise ConfigError(f"binary file (it holds NUL bytes), not a YAML {what} file", file=path)
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise ConfigError(f"not UTF-8 text (byte 0x{raw[e.start]:02x} at offset {e.start}); "
                          "save the file as UTF-8", file=path) from None


def parse_yaml(text: str, path: Path) -> object:
    """The YAML document in `text`; every problem a ConfigError naming the file and line."""
    loader = StrictLoader(text)
    try:
        node = loader.get_single_node()
        if expanded_size(node) > MAX_EXPANDED_NODES:
            raise ConfigError(f"YAML aliases expand to more than {MAX_EXPANDED_NODES:,} values (an alias bomb?); "
                              "write the values out instead", file=path)
        return loader.construct_document(node) if node is not None else None
    except _DuplicateKey as e:
        raise ConfigError(str(e), file=path) from None
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise ConfigError(f"malformed YAML{where}: {getattr(e, 'problem', None) or e}", file=path) from None
    finally:
        loader.dispose()


def file_kind(data: dict) -> str:
    """What a YAML mapping looks like: 'sweep', 'experiment', 'scenario' or 'unknown'."""
    if "design" in data and "base" in data:
        return "sweep"
    if "question" in data and data.get("kind") in ("scenarios", "sweep"):
        return "experiment"
    if {"vendors", "features", "enterprises", "extends"} & set(data):
        return "scenario"
    return "unknown"


COMMAND_FOR = {"sweep": "market-sim sweep FILE", "experiment": "market-sim experiment FILE",
               "scenario": "market-sim run FILE (or check FILE)"}


def refuse_kind(data: dict, path: Path, expected: str) -> None:
    """A ConfigError naming the kind of file when `data` is clearly another kind than `expected`."""
    kind = file_kind(data)
    if kind not in ("unknown", expected):
        article = "an" if expected[0] in "aeiou" else "a"
        raise ConfigError(f"this is a {kind} file, not {article} {expected} file; use {COMMAND_FOR[kind]}", file=path)
