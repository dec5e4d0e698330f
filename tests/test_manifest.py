"""manifest.yml is valid against Slack's published schema and matches the code's IDs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from bot.slack.listeners.commands import COMMAND
from bot.slack.views.ids import CallbackId

ROOT = Path(__file__).resolve().parent.parent
# Slack's manifest JSON Schema (slackapi/manifest-schema v0.5.0, MIT; see the LICENSE beside it).
SCHEMA = Path(__file__).resolve().parent / "schemas" / "manifest.schema.1.0.0.json"


def manifest() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((ROOT / "manifest.yml").read_text(encoding="utf-8"))
    return data


def test_manifest_matches_slacks_schema() -> None:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    validator = jsonschema.Draft7Validator(schema)
    errors = sorted(validator.iter_errors(manifest()), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors)


def test_manifest_names_what_the_code_listens_for() -> None:
    features = manifest()["features"]
    assert [c["command"] for c in features["slash_commands"]] == [COMMAND]
    assert [s["callback_id"] for s in features["shortcuts"]] == [CallbackId.FILE_SHORTCUT]
    assert manifest()["settings"]["interactivity"]["is_enabled"] is True


def test_schema_rejects_a_broken_manifest() -> None:
    broken = manifest()
    broken["features"]["shortcuts"][0]["type"] = "sideways"
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    assert list(jsonschema.Draft7Validator(schema).iter_errors(broken))
