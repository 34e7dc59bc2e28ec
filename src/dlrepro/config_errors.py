"""A bad configuration explained in a few lines.

Snakemake's `validate` reports a schema violation with the whole schema and the whole config
attached (900 lines for one mistyped key), which scrolls the one useful line out of view. The
workflow catches that error and raises this summary instead: the key, the problem, that key's
schema (its allowed values), and the schema file that documents every key.
"""

from __future__ import annotations

from dataclasses import MISSING

__all__ = ["validation_summary", "check_known_keys", "check_required_keys"]

_SCHEMA_EXCERPT_CHARS = 600  # a leaf key's schema fits; a whole section's does not


def validation_summary(error: Exception, *, section: str, schema_file: str) -> str | None:
    """The summary of `error` (Snakemake's WorkflowError wrapping a jsonschema ValidationError) for
    config section `section` ("" for the top level), or None when it wraps none."""
    # WorkflowError formats its arguments into a string; the ValidationError it was raised from stays
    # reachable as the exception's context
    candidates = [*getattr(error, "args", ()), error.__cause__, error.__context__]
    cause = next((a for a in candidates if hasattr(a, "absolute_path") and hasattr(a, "message")), None)
    if cause is None:
        return None
    path = list(cause.absolute_path)
    dotted = ".".join(str(p) for p in ([section] if section else []) + path)
    where = f"config[{section!r}]" if section else "the config"
    lines = [
        f"Error validating config file: {cause.message}",
        f"  at {dotted} (On instance{''.join(f'[{p!r}]' for p in path)} of {where})"
        if path
        else f"  at the top level of {where}",
    ]
    schema = cause.schema if isinstance(cause.schema, dict) else {}
    excerpt = repr(schema)
    if len(excerpt) <= _SCHEMA_EXCERPT_CHARS:
        lines.append(f"  schema of that key: {excerpt}")
    elif isinstance(schema.get("properties"), dict):
        lines.append(f"  keys allowed here: {', '.join(schema['properties'])}")
    elif "type" in schema:
        lines.append(f"  expected there: {schema['type']}")
    lines.append(f"  every key, its type and allowed values: {schema_file}")
    return "\n".join(lines)


def check_known_keys(cls, d: dict, what: str) -> None:
    """Raise a ValueError naming the keys of `d` that the settings dataclass `cls` has no field for."""
    known = set(cls.__dataclass_fields__)
    if unknown := sorted(set(d) - known):
        raise ValueError(
            f"Unknown config key for the {what}: {', '.join(map(repr, unknown))} (known: {', '.join(sorted(known))})"
        )


def check_required_keys(cls, d: dict, what: str) -> None:
    """Raise a ValueError naming the fields of the settings dataclass `cls` that have no default and are
    missing from `d` (the schema, not the dataclass, holds the defaults: every such key must be passed)."""
    required = [
        name
        for name, f in cls.__dataclass_fields__.items()
        if f.default is MISSING and f.default_factory is MISSING and f.init
    ]
    if missing := sorted(set(required) - set(d)):
        raise ValueError(f"Missing config key for the {what}: {', '.join(map(repr, missing))}")
