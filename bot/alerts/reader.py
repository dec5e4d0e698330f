"""Reading a message with the catalogue: the team's own sources, the tools, then generic."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from bot.alerts import generic
from bot.alerts.catalogue import CATALOGUE
from bot.alerts.shape import Message, read_shape
from bot.alerts.source import GENERIC, Source
from bot.alerts.text import clean_subject, mentioned, plain
from bot.domain.alerts import Alert, Severity


class AlertReader:
    """Reads messages with the team's own sources first, then the catalogue, then generic."""

    def __init__(self, own: Sequence[Source] = ()) -> None:
        self.sources: tuple[Source, ...] = (*own, *CATALOGUE)
        # a sender's name, lower-cased → the first source (in order) that goes by it
        self._named: dict[str, int] = {}
        for n, source in enumerate(self.sources):
            for name in filter(None, source.names):
                self._named.setdefault(name.lower(), n)

    def source_of(self, shape: Message) -> Source:
        """The source a message's sender names (a PagerDuty message may link to a Datadog
        monitor: it is still PagerDuty's), else the first that recognises its content."""
        senders = (*shape.sender_names, shape.bot_id, shape.app_id)
        named = [self._named[key] for name in senders if (key := name.lower()) in self._named]
        if named:
            return self.sources[min(named)]
        return next((s for s in self.sources if s.recognises(shape)), GENERIC)

    def read(self, message: Any, names: Mapping[str, str] | None = None) -> Alert:
        """What ``message`` says as an alert (a person's message too: its subject and body)."""
        names = names or {}
        shape = read_shape(message)
        source = self.source_of(shape)
        told = source.subject(shape)
        body = source.body(shape, names)
        return self._alert(
            shape,
            source,
            subject=clean_subject(plain(told, names))
            if told
            else generic.subject(shape, names, body),
            body=body,
            severity=source.severity(shape),
        )

    def glance(self, message: Any) -> Alert:
        """``read`` without what a person reads (subject and body empty, severity None): which
        alert it is, whether it resolved, whether it is news only. Following an alert up
        needs no more, and a glance costs half a read."""
        shape = read_shape(message)
        return self._alert(shape, self.source_of(shape), subject="", body="", severity=None)

    @staticmethod
    def _alert(
        shape: Message, source: Source, *, subject: str, body: str, severity: Severity | None
    ) -> Alert:
        identity = source.identity(shape)
        return Alert(
            source=source.name,
            subject=subject,
            body=body,
            severity=severity,
            identity=f"{source.name}:{identity}"[:500] if identity else None,
            resolved=source.resolved(shape),
            update=source.update(shape),
            sender=shape.sender,
            sender_name=next(iter(shape.sender_names), None),
        )


def mentioned_users(message: Any) -> set[str]:
    """User ids mentioned anywhere in the message, so the caller can look up their names."""
    return mentioned(read_shape(message).all_text)
