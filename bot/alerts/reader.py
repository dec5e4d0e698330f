"""Reading a message with the catalogue: the team's own sources, the tools, then generic."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from bot.alerts import generic
from bot.alerts.catalogue import CATALOGUE
from bot.alerts.shape import Message, read_shape
from bot.alerts.source import GENERIC, Source, sent_by_one_of
from bot.alerts.text import clean_subject, mentioned, plain
from bot.domain.alerts import Alert


class AlertReader:
    """Reads messages with the team's own sources first, then the catalogue, then generic."""

    def __init__(self, own: Sequence[Source] = ()) -> None:
        self.sources: tuple[Source, ...] = (*own, *CATALOGUE)

    def source_of(self, shape: Message) -> Source:
        """The source a message's sender names (a PagerDuty message may link to a Datadog
        monitor: it is still PagerDuty's), else the first that recognises its content."""
        named = next((s for s in self.sources if _named(s, shape)), None)
        return named or next((s for s in self.sources if s.recognises(shape)), GENERIC)

    def read(self, message: Any, names: Mapping[str, str] | None = None) -> Alert:
        """What ``message`` says as an alert (a person's message too: its subject and body)."""
        names = names or {}
        shape = read_shape(message)
        source = self.source_of(shape)
        told = source.subject(shape)
        identity = source.identity(shape)
        body = source.body(shape, names)
        return Alert(
            source=source.name,
            subject=clean_subject(plain(told, names))
            if told
            else generic.subject(shape, names, body),
            body=body,
            severity=source.severity(shape),
            identity=f"{source.name}:{identity}"[:500] if identity else None,
            resolved=source.resolved(shape),
            update=source.update(shape),
            sender=shape.sender,
            sender_name=next(iter(shape.sender_names), None),
        )


def _named(source: Source, shape: Message) -> bool:
    return bool(source.names) and sent_by_one_of(shape, source.names)


def mentioned_users(message: Any) -> set[str]:
    """User ids mentioned anywhere in the message, so the caller can look up their names."""
    return mentioned(read_shape(message).all_text)
