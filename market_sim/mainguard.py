"""Is the current call made from the unguarded top level of a script run as __main__?

Worker processes are started with the spawn method: each re-imports the main script, so a
script that starts workers at its top level without `if __name__ == "__main__":` starts them
again in every worker, without end. We find the __main__ module's frame on the stack and look
at the top-level statement it is executing in the script's source."""

from __future__ import annotations

import ast
import sys
from pathlib import Path


def _is_main_test(test: ast.expr) -> bool:
    # `__name__ == "__main__"` (either order)
    if not (isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.ops[0], ast.Eq)):
        return False
    sides = [test.left, test.comparators[0]]
    names = {s.id for s in sides if isinstance(s, ast.Name)}
    consts = {s.value for s in sides if isinstance(s, ast.Constant)}
    return names == {"__name__"} and consts == {"__main__"}


def unguarded_call_site() -> str | None:
    """'file:line' of the script's top-level statement running now when it is not under a
    `__name__ == "__main__"` test; None otherwise (guarded, in a function defined and called
    under the guard, not a script: a notebook, the REPL, `python -c`, a spawned worker)."""
    main = sys.modules.get("__main__")
    file = getattr(main, "__file__", None)
    if not file or not file.endswith(".py") or Path(file).name in ("__main__.py",):
        return None
    frame = sys._getframe(1)
    while frame is not None:
        if frame.f_code.co_name == "<module>" and frame.f_globals is vars(main):
            break
        frame = frame.f_back
    if frame is None:
        return None
    try:
        tree = ast.parse(Path(file).read_text())
    except (OSError, SyntaxError, ValueError):
        return None
    line = frame.f_lineno
    for stmt in tree.body:
        if stmt.lineno <= line <= (stmt.end_lineno or stmt.lineno):
            if isinstance(stmt, ast.If) and _is_main_test(stmt.test):
                return None
            return f"{file}:{line}"
    return None
