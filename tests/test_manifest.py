"""manifest.yml is valid against Slack's published schema and matches the code's IDs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from bot.slack.listeners.commands import COMMAND
from bot.slack.views.ids import ActionId, BlockId, CallbackId, FunctionId
from bot.slack.workflow_step import INPUTS, OUTPUTS

ROOT = Path(__file__).resolve().parent.parent
# Slack's manifest JSON Schema (slackapi/manifest-schema v0.5.0, MIT; see the LICENSE beside it).
# NOTE: 2.0.0: its functions block (input_parameters.properties/required) is the shape Slack's
# custom-step docs use; 1.0.0 describes an older, flat one.
SCHEMA = Path(__file__).resolve().parent / "schemas" / "manifest.schema.2.0.0.json"


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
    assert [s["callback_id"] for s in features["shortcuts"]] == [
        CallbackId.FILE_SHORTCUT,
        CallbackId.ADD_SHORTCUT,
    ]
    assert manifest()["settings"]["interactivity"]["is_enabled"] is True


def test_no_id_is_another_ids_alias() -> None:
    """Two members of one enum with one value are one member (``FILE_STEP is FILE_SHORTCUT``):
    a step's id and its shortcut's live in enums of their own."""
    for ids in (CallbackId, FunctionId, ActionId, BlockId):
        assert list(ids.__members__) == [member.name for member in ids], ids.__name__


def test_manifest_declares_the_workflow_step_and_events_the_code_uses() -> None:
    data = manifest()
    assert data["_metadata"]["major_version"] == 2
    step = data["functions"][FunctionId.FILE_TICKET]
    assert tuple(step["input_parameters"]["properties"]) == INPUTS
    assert tuple(step["output_parameters"]["properties"]) == OUTPUTS
    assert step["output_parameters"]["required"] == ["ticket_number"]
    assert data["settings"]["function_runtime"] == "remote"
    events = data["settings"]["event_subscriptions"]["bot_events"]
    assert {"reaction_added", "app_home_opened", "function_executed"} <= set(events)
    assert "reactions:read" in data["oauth_config"]["scopes"]["bot"]
    assert data["features"]["app_home"]["home_tab_enabled"] is True


def test_schema_rejects_a_broken_manifest() -> None:
    broken = manifest()
    broken["features"]["shortcuts"][0]["type"] = "sideways"
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    assert list(jsonschema.Draft7Validator(schema).iter_errors(broken))
