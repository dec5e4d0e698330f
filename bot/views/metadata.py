"""Context that survives a modal's round trip, in ``private_metadata`` (≤3,000 characters)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, ValidationError

# NOTE: Slack allows 3,000 characters; the seal (bot.seal.OVERHEAD) takes 23 of them.
PRIVATE_METADATA_LIMIT = 3000 - 23


class FileRef(BaseModel):
    """A file on the message a shortcut was used on (downloaded only when filing)."""

    model_config = ConfigDict(frozen=True)

    id: str
    name: str
    size: int = 0


class ModalContext(BaseModel):
    """Where the modal was opened from and which provider it shows."""

    model_config = ConfigDict(frozen=True)

    provider: str | None = None
    channel_id: str | None = None
    thread_ts: str | None = None
    message_ts: str | None = None  # the message a shortcut was used on
    permalink: str | None = None  # …and its link, found once when the modal opened
    severity: str | None = None  # read from the alert; maps onto each provider's priorities
    fingerprint: str | None = None  # the alert's identity across messages, for duplicates
    files: tuple[FileRef, ...] = ()  # at most 10 (a checkbox group's limit)
    response_url: str | None = None

    def dump(self) -> str:
        text = self.model_dump_json(exclude_none=True)
        if len(text) > PRIVATE_METADATA_LIMIT:  # only a freak response_url could do this
            text = self.model_copy(update={"response_url": None}).model_dump_json(exclude_none=True)
        return text

    @classmethod
    def load(cls, text: str | None) -> ModalContext:
        if not text:
            return cls()
        try:
            return cls.model_validate_json(text)
        except ValidationError:
            return cls()

    def with_provider(self, provider: str | None) -> ModalContext:
        if provider == self.provider:
            return self  # NOTE: frozen, so shared safely; a copy on every submit is waste
        return self.model_copy(update={"provider": provider})
