"""The catalogue: every alert tool the bot knows, most specific first (docs/alerts.md).

A message is read by the first source that recognises it; the generic reader takes the rest.
Order matters only where two formats look alike: Alertmanager's ``[FIRING:n]`` and
``[RESOLVED]`` titles are copied by Grafana and by many hand-made templates, so tools
recognised by their own links come first and Alertmanager last.
"""

from __future__ import annotations

from bot.alerts.source import Source
from bot.alerts.tools import (
    alertmanager,
    azure_monitor,
    checkmk,
    cloudwatch,
    datadog,
    falco,
    gatus,
    gcp_monitoring,
    grafana,
    healthchecks,
    icinga2,
    netdata,
    newrelic,
    opsgenie,
    pagerduty,
    sentry,
    uptime_kuma,
    zabbix,
)

CATALOGUE: tuple[Source, ...] = (
    grafana.SOURCE,
    datadog.SOURCE,
    pagerduty.SOURCE,
    opsgenie.SOURCE,
    newrelic.SOURCE,
    sentry.SOURCE,
    zabbix.SOURCE,
    cloudwatch.SOURCE,
    checkmk.SOURCE,
    icinga2.SOURCE,
    netdata.SOURCE,
    uptime_kuma.SOURCE,
    healthchecks.SOURCE,
    gatus.SOURCE,
    falco.SOURCE,
    gcp_monitoring.SOURCE,
    azure_monitor.SOURCE,
    alertmanager.SOURCE,  # last: a bare [FIRING:n]/[RESOLVED] title is its weakest sign
)
