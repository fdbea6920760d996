"""The one strict pydantic base of every config-like file (scenario configs, sweeps,
experiments), and the did-you-mean used in their error messages."""

from __future__ import annotations

import difflib
from collections.abc import Iterable

from pydantic import BaseModel, ConfigDict


class Strict(BaseModel):
    """Unknown keys are errors (with a did-you-mean, see errors.format_validation_error);
    assignments are validated too (config.changes.apply_change relies on it); numbers are finite."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True, allow_inf_nan=False)


def suggest(word: object, options: Iterable[object]) -> str:
    """'(did you mean ...?)' for the closest option, else the list of options."""
    options = list(options)
    close = difflib.get_close_matches(str(word), [str(o) for o in options], n=1)
    return f"(did you mean '{close[0]}'?)" if close else f"(defined: {sorted(options)})"
