"""Configuration problems in plain words: each one line, ``where: what is wrong; what to do``.

Pydantic's validation errors are translated here (never with the value that was given: it may
be a secret pasted in the wrong place), with the valid choices listed and a "did you mean" for
keys and kinds that are near a valid one.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from bot.domain.errors import ConfigError

# Values the example files (.env.example, ticketbot.example.toml, compose.yaml) carry for the
# reader to replace; copied as they are, they would pass for real ones.
EXAMPLE_VALUES = frozenset({"change-me", "U0123ADMIN", "C0ALERTS"})


def is_placeholder(value: str) -> bool:
    """``value`` is one of the example files' stand-ins (``your-…``, ``change-me``, …)."""
    return value.strip() in EXAMPLE_VALUES or "your-" in value


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f" (did you mean {close[0]}?)" if close else ""


def unknown(where: str, key: str, valid: Sequence[str], what: str = "key") -> ConfigError:
    return ConfigError(
        where,
        f"unknown {what}{did_you_mean(key, valid)}; valid {what}s: {', '.join(sorted(valid))}",
    )


def _field_names(model: type[BaseModel] | None) -> list[str]:
    if model is None:
        return []
    return [name for name in model.model_fields if name != "name"]


def _allowed(model: type[BaseModel] | None, field: str) -> list[str]:
    """Keys a provider table also takes: ``<secret>_env`` for each secret field."""
    secrets: Sequence[str] = getattr(model, "secret_fields", ())
    names = [n for n in _field_names(model) if n not in secrets]
    return names + [f"{s}_env" for s in secrets]


def _problem(error: ErrorDetails, model: type[BaseModel] | None, leaf: str) -> str:
    kind = error["type"]
    msg = error["msg"].removeprefix("Value error, ")
    ctx: dict[str, Any] = dict(error.get("ctx") or {})
    if kind == "missing" and leaf in getattr(model, "secret_fields", ()):
        return (
            f'required; add {leaf}_env = "<VARIABLE>", naming the environment variable that '
            "holds it"
        )
    if kind == "missing":
        return "required; add it"
    if kind == "extra_forbidden":
        valid = _allowed(model, leaf)
        return f"unknown key{did_you_mean(leaf, valid)}; valid keys: {', '.join(sorted(valid))}"
    if kind == "string_pattern_mismatch":
        return f"not of the form {ctx.get('pattern', '')}"
    if kind in ("url_parsing", "url_scheme", "url_type"):
        return "not an http(s) URL; give one like https://api.example.com/v1"
    if kind in ("int_parsing", "int_type", "int_from_float"):
        return "must be a whole number"
    if kind in ("float_parsing", "float_type"):
        return "must be a number"
    if kind in ("bool_parsing", "bool_type"):
        return "must be true or false"
    if kind in ("tuple_type", "list_type"):
        return 'must be a list, like ["a", "b"]'
    if kind in ("string_type",):
        return 'must be text in quotes, like "abc"'
    if kind in ("dict_type", "model_type", "model_attributes_type"):
        return "must be a table, like { key = 1 }"
    return msg[:1].lower() + msg[1:]


def describe(
    exc: ValidationError, prefix: str, model: type[BaseModel] | None = None, *, env: bool = False
) -> list[ConfigError]:
    """One ``ConfigError`` per problem in ``exc`` (``env``: keys are environment variables)."""
    found: list[ConfigError] = []
    for error in exc.errors(include_url=False, include_input=False):
        loc = [str(part) for part in error["loc"]]
        msg = error["msg"].removeprefix("Value error, ")
        if error["type"] == "value_error" and ":" in msg:
            # NOTE: a validator of ours names its own key: "api_key_env: …" or "admins[0]: …"
            sub, text = (part.strip() for part in msg.split(":", 1))
            last = loc[-1] if loc else ""
            if last and (sub.lower() in (last, f"{last}_env") or sub.startswith(f"{last}[")):
                parts = [*loc[:-1], sub]
            elif sub.endswith("_env") or not loc:
                parts = [*loc, sub]
            else:
                parts, text = loc, msg
            found.append(_error(prefix, ".".join(parts), text, env))
            continue
        leaf = loc[-1] if loc else ""
        if error["type"] == "missing" and leaf in getattr(model, "secret_fields", ()):
            loc = [*loc[:-1], f"{leaf}_env"]  # the key to add: the secret is never in the file
        found.append(_error(prefix, ".".join(loc), _problem(error, model, leaf), env))
    return found


def _error(prefix: str, loc: str, problem: str, env: bool) -> ConfigError:
    if env:
        return ConfigError(loc.upper() or "environment", problem)
    return ConfigError(".".join(part for part in (prefix, loc) if part) or "config", problem)
