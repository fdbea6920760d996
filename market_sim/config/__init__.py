"""The experiment configuration: one typed schema (schema.py, on the strict base of
strict.py), YAML loading with `extends:` and {dotted.key: value} overrides (loading.py),
dated changes (changes.py) and error messages (errors.py).

Every error a user can make in a config ends up as a `ConfigError` that names the file, the
key path, the value and what is allowed; the CLI turns it into exit status 2.
"""

from .changes import (
    LIVE_SECTIONS,
    LIVE_VENDOR_KEYS,
    NOT_LIVE,
    apply_change,
    check_changes,
    is_live_key,
)
from .errors import ConfigError, format_validation_error
from .loading import (
    apply_override,
    deep_merge,
    load_config,
    read_yaml,
    resolve_extends,
    schema_json,
    validate_config,
)
from .schema import (
    FEATURES,
    Change,
    Config,
    FeatureConfig,
    FinancingConfig,
    PriceWarConfig,
    ScheduledRelease,
    VendorConfig,
)
from .strict import Strict, suggest

__all__ = [
    "FEATURES", "LIVE_SECTIONS", "LIVE_VENDOR_KEYS", "NOT_LIVE", "Change", "Config", "ConfigError", "FeatureConfig",
    "FinancingConfig", "PriceWarConfig", "ScheduledRelease", "Strict", "VendorConfig", "apply_change",
    "apply_override", "check_changes", "deep_merge", "format_validation_error", "is_live_key",
    "load_config", "read_yaml", "resolve_extends", "schema_json",
    "suggest", "validate_config",
]
