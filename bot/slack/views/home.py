"""The App Home tab: a pure function of ``HomeData`` (plus the links and sealed button values
the Slack layer looked up for it)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.domain.home import HomeData
from bot.domain.records import AlertPhase, SubmissionState
from bot.domain.text import truncate
from bot.slack.views.alert_notes import hours
from bot.slack.views.blocks import Block, actions, button, context, section
from bot.slack.views.ids import ActionId
from bot.slack.views.links import change_text
from bot.slack.views.stats import figures_line
from bot.slack.views.text import escape, link

MAX_BLOCKS = 100


def header(text: str) -> Block:
    return {"type": "header", "text": {"type": "plain_text", "text": text[:150], "emoji": True}}


def divider() -> Block:
    return {"type": "divider"}


def _checking_lines(data: HomeData) -> list[Block]:
    """The filer's submissions that may already be tickets: the bot looks before it files."""
    return [
        section(
            f":mag: *Checking* · {escape(truncate(item.subject, 200))}\nThis ticket may already "
            f"exist at {escape(item.title)}: a request went out and no answer came back. The bot "
            f"is looking for it in {escape(item.title)}'s ticket list before it files again."
        )
        for item in data.checking
    ]


def _ticket_lines(data: HomeData, thread_links: Mapping[int, str]) -> list[Block]:
    if data.checking and not data.tickets:
        return _checking_lines(data)
    if not data.tickets:
        return [
            section(
                "You have no open tickets. File one with `/ticket`, with *File a ticket* in any "
                "message's ⋯ menu, or by reacting to a message with the ticket emoji."
            )
        ]
    blocks = _checking_lines(data)
    for ticket in data.tickets:
        title = data.titles.get(ticket.provider, ticket.provider)
        target = ticket.url or thread_links.get(ticket.id)
        number = link(target, f"{title} #{ticket.number}")
        age = hours(max(0.0, data.now - ticket.created_at))
        status = escape(ticket.status or "open")
        resolved = ticket.alert is not None and ticket.alert.phase is AlertPhase.RESOLVED
        alert = " · alert resolved" if resolved else ""
        blocks.append(
            section(
                f"{number} · {escape(truncate(ticket.subject, 200))}\n"
                f"*{status}*{alert} · filed {age} ago"
            )
        )
    return blocks


def _files_as(data: HomeData) -> Block:
    lines = []
    for row in data.files_as:
        if row.requester is not None:
            lines.append(f"• {escape(row.title)}: {escape(row.requester.label)}")
        elif row.must_link:
            lines.append(f"• {escape(row.title)}: not linked yet; an admin links you")
        else:
            lines.append(f"• {escape(row.title)}: found by your e-mail when you first file")
    return section("\n".join(lines) or "No providers are configured.")


def _provider_lines(data: HomeData) -> list[Block]:
    blocks = []
    for health in data.providers:
        trouble = health.trouble
        state = (
            f":hourglass_flowing_sand: retrying {trouble.retrying} submission"
            + ("s" if trouble.retrying != 1 else "")
            if trouble.retrying
            else ":large_green_circle: ok"
        )
        lines = [f"*{escape(health.title)}* · {state}"]
        if trouble.checking:
            lines.append(
                f"{trouble.checking} of them may already exist at {escape(health.title)}: a"
                " request went out unanswered, so the bot is looking for each in its ticket"
                " list before it files again."
            )
        if trouble.last_error and trouble.last_error_at is not None:
            ago = hours(max(0.0, data.now - trouble.last_error_at))
            lines.append(f"Last error {ago} ago: {escape(truncate(trouble.last_error, 300))}")
        for feature, why in health.features_off.items():
            because = f" ({escape(truncate(why, 200))})" if why else ""
            lines.append(f"Off: {escape(feature)}{because}")
        lines.append(figures_line(health.figures, "Last 30 days"))
        blocks.append(section("\n".join(lines)))
    return blocks


def _attention(
    data: HomeData, retry_values: Mapping[int, str], card_links: Mapping[int, str]
) -> list[Block]:
    if not data.attention:
        return [section("Nothing needs attention.")]
    blocks: list[Block] = []
    for item in data.attention:
        sub = item.submission
        what = "given up" if sub.state is SubmissionState.GAVE_UP else "unsure whether filed"
        blocks.append(
            section(
                f"*{escape(item.title)}* · {escape(truncate(item.subject, 150))} · "
                f"<@{sub.user_id}> · {what}: {escape(truncate(sub.last_error or '', 200))}"
            )
        )
        buttons: list[dict[str, Any]] = []
        if sub.id in retry_values:  # NOTE: the card's own actions: the form again, or file now
            retry = (
                ActionId.EDIT_RETRY
                if sub.state is SubmissionState.GAVE_UP
                else ActionId.UNSURE_FILE_NOW
            )
            buttons.append(button(retry, "Retry", retry_values[sub.id]))
        if sub.id in card_links:
            thread = button(ActionId.OPEN_THREAD, "Open thread", str(sub.id))
            thread["url"] = card_links[sub.id]
            buttons.append(thread)
        if buttons:
            blocks.append(actions(f"attention:{sub.id}", *buttons))
    return blocks


def home_view(
    data: HomeData,
    *,
    thread_links: Mapping[int, str],
    retry_values: Mapping[int, str],
    card_links: Mapping[int, str],
) -> dict[str, Any]:
    """The home tab of ``data.filer``; ``thread_links``: ticket id → its thread's permalink;
    ``retry_values``: submission id → its sealed Retry value (the card's *Edit & retry* for
    one given up on, *File it now* for an unsure one); ``card_links``: submission id →
    its card's permalink."""
    blocks: list[Block] = [header("Your open tickets"), *_ticket_lines(data, thread_links)]
    blocks += [divider(), header("You file as"), _files_as(data)]
    blocks += [divider(), header("Providers"), *_provider_lines(data)]
    if data.is_admin:
        blocks += [divider(), header("Needs attention")]
        blocks += _attention(data, retry_values, card_links)
        if data.link_changes:
            blocks.append(context(*(change_text(c) for c in data.link_changes)))
    if len(blocks) > MAX_BLOCKS:
        blocks = [*blocks[: MAX_BLOCKS - 1], context("…more than fits here.")]
    return {"type": "home", "blocks": blocks}
