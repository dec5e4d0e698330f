"""What a user reads when something fails: plain words, a reference id, never a stack trace.

Error messages are mrkdwn written by us; whatever a user or provider wrote inside them was
escaped where it was put in (``FieldErrors`` texts come from providers and are escaped here).
"""

from __future__ import annotations

from bot.domain.errors import AdminFixable, FieldErrors, RateLimited, Transient, UserFixable
from bot.slack.views.text import escape


def error_text(error: BaseException, *, ref: str, is_admin: bool, draft_kept: bool) -> str:
    """mrkdwn for ``error``; admins also see the admin detail of configuration problems."""
    kept = " Your draft is kept: submit again when ready." if draft_kept else ""
    if isinstance(error, FieldErrors):
        lines = [f"• {escape(text)}" for text in error.fields.values()]
        if error.general:
            lines.append(f"• {escape(error.general)}")
        return "The provider rejected the ticket:\n" + "\n".join(lines)
    if isinstance(error, UserFixable):
        return error.message
    if isinstance(error, AdminFixable):
        text = f"{error.message} (ref `{ref}`)"
        if is_admin and error.admin_detail:
            text += f"\n*For admins:* {escape(error.admin_detail)}"
        return text + kept
    if isinstance(error, Transient) and error.maybe_created:
        return (
            f"{escape(error.message)} It may have received the ticket anyway, so check "
            f"before filing again (ref `{ref}`).{kept}"
        )
    if isinstance(error, RateLimited):
        wait = f" for {error.retry_after:.0f}s" if error.retry_after else ""
        return (
            f"{escape(error.message)} It asked us to wait{wait}. Nothing was filed "
            f"(ref `{ref}`).{kept}"
        )
    if isinstance(error, Transient):
        return f"{escape(error.message)} Nothing was filed (ref `{ref}`).{kept}"
    return f"Something went wrong on the bot's side (ref `{ref}`).{kept}"
