"""Small readers for interactivity payloads, so listeners do not dig through dicts."""

from __future__ import annotations

from typing import Any

from bot.domain.tickets import Filer


def payload_filer(body: dict[str, Any]) -> Filer:
    """The acting user as a Filer, from the payload alone (no API call)."""
    user = body.get("user") or {}
    team = body.get("team") or {}
    user_id = str(user.get("id") or body.get("user_id") or "")
    return Filer(
        team_id=str(team.get("id") or user.get("team_id") or body.get("team_id") or ""),
        user_id=user_id,
        name=str(user.get("name") or user.get("username") or body.get("user_name") or user_id),
    )


def view_state(body: dict[str, Any]) -> dict[str, Any]:
    view = body.get("view") or {}
    state = view.get("state") or {}
    values = state.get("values") or {}
    return values if isinstance(values, dict) else {}
