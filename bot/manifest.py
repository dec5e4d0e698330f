"""``ticketbot manifest``: the Slack app manifest for this configuration. ``manifest.yml`` is
the default; this adds ``unfurl_domains`` (the hosts of the providers' ``ticket_url``) and
leaves out the scopes and events of the features the configuration turns off."""

from __future__ import annotations

import copy
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from bot.domain.errors import ConfigError
from bot.settings import Settings, load_settings
from bot.tickets.previews import ticket_hosts

HEADER = (
    "# The Slack app manifest for this configuration (ticketbot manifest).\n"
    "# Paste it into https://api.slack.com/apps → your app → App Manifest.\n"
)
# a feature the configuration can turn off: its scopes, and its events
Feature = tuple[tuple[str, ...], tuple[str, ...]]
PREVIEWS: Feature = (("links:read", "links:write"), ("link_shared",))
EMOJI: Feature = (("reactions:read",), ("reaction_added",))
GROUPS: Feature = (("usergroups:read",), ())
NO_SLACK_YET = {"SLACK_BOT_TOKEN": "xoxb-manifest-only", "SLACK_SIGNING_SECRET": "manifest-only"}
MAX_DOMAINS = 5  # NOTE: Slack's manifest takes at most 5 unfurl_domains (its JSON schema)


def manifest_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """The configuration as ``load_settings`` reads it, minus Slack's token and signing secret:
    the manifest comes before the app that issues them (placeholders stand in, unused)."""
    if environ is None:
        from dotenv import dotenv_values

        dotenv = {k: v for k, v in dotenv_values(".env").items() if v is not None}
        environ = {**dotenv, **os.environ}
    given = dict(environ)
    for name, stand_in in NO_SLACK_YET.items():
        value = given.get(name, "").strip()
        if not value or "your-" in value:
            given[name] = stand_in
    return load_settings(given)


def default_manifest() -> dict[str, Any]:
    """``manifest.yml``: packaged beside the code, or at the top of a source checkout."""
    here = Path(__file__).resolve().parent
    for path in (here / "manifest.yml", here.parent / "manifest.yml"):
        if path.is_file():
            data: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
            return data
    raise ConfigError("manifest.yml", "not installed with ticketbot; reinstall the package")


def manifest_for(settings: Settings, default: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """The manifest for ``settings``, and warnings for the operator (one line each)."""
    data = copy.deepcopy(default)
    options = settings.options
    templates = {name: cfg.ticket_url for name, cfg in settings.providers.items()}
    hosts = ticket_hosts(templates) if options.link_previews else []
    domains = hosts[:MAX_DOMAINS]
    warnings = []
    if len(hosts) > MAX_DOMAINS:
        left = ", ".join(hosts[MAX_DOMAINS:])
        warnings.append(f"Slack takes {MAX_DOMAINS} unfurl_domains; links to {left} stay bare")
    off: list[Feature] = []
    if domains:
        data.setdefault("features", {})["unfurl_domains"] = domains
    else:
        off.append(PREVIEWS)
        if options.link_previews:
            warnings.append("no provider has a ticket_url: link previews are off")
    if not options.file_emoji:
        off.append(EMOJI)
    if not (options.admin_group or options.allowed_groups):
        off.append(GROUPS)
    scopes = data["oauth_config"]["scopes"]["bot"]
    events = data["settings"]["event_subscriptions"]["bot_events"]
    for unused_scopes, unused_events in off:
        scopes[:] = [s for s in scopes if s not in unused_scopes]
        events[:] = [e for e in events if e not in unused_events]
    return data, warnings


def manifest_text(settings: Settings) -> tuple[str, list[str]]:
    data, warnings = manifest_for(settings, default_manifest())
    return HEADER + yaml.safe_dump(data, sort_keys=False, allow_unicode=True), warnings
