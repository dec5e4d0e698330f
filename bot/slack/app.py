"""``build_app``: the bolt AsyncApp with every listener and the one error handler."""

from __future__ import annotations

import logging

from slack_bolt.async_app import AsyncApp

from bot.slack.budget import stamp_receipt
from bot.slack.context import SlackContext
from bot.slack.listeners import (
    actions,
    add_step,
    add_to_ticket,
    commands,
    errors,
    events,
    home,
    reactions,
    shortcuts,
    submissions,
    ticket_lists,
    unfurls,
    unsure,
    workflow,
)
from bot.slack.matching import cheap_matching
from bot.slack.shapes import one_line_unhandled


def build_app(deps: SlackContext) -> AsyncApp:
    """A new app for ``deps`` (built by the composition root, ``bot/compose.py``); nothing is
    global, so tests can build as many as they like."""
    app = AsyncApp(
        # NOTE: the name bolt would give itself (its caller's file name, from inspect.stack(),
        # which reads the source of every frame on the stack: 0.17 s an app under pytest)
        name="app.py",
        client=deps.slack,
        signing_secret=deps.signing_secrets[0],
        # NOTE: the server verifies every request before bolt sees it (bot.slack.verify); Socket
        # Mode envelopes are authenticated by the connection.
        request_verification_enabled=False,
        # NOTE: every listener acks, hands its work to a task (``after_ack``) and returns, so
        # bolt answers the moment it returns instead of polling for the ack every 10 ms.
        process_before_response=True,
        logger=one_line_unhandled(logging.getLogger("bot.bolt")),
    )
    app.middleware(stamp_receipt)  # NOTE: the ack budget counts from receipt (bot.slack.budget)
    # NOTE: bolt tries listeners in this order (each try a dict look-up or two, once
    # ``cheap_matching`` has swapped bolt's matchers): the busiest (submits, then /ticket and
    # the shortcut) go first.
    submissions.register(app, deps)
    commands.register(app, deps)
    shortcuts.register(app, deps)
    add_to_ticket.register(app, deps)
    actions.register(app, deps)
    ticket_lists.register(app, deps)
    unsure.register(app, deps)
    reactions.register(app, deps)
    home.register(app, deps)
    workflow.register(app, deps)
    add_step.register(app, deps)
    unfurls.register(app, deps)
    events.register(app, deps)
    errors.register(app, deps)
    cheap_matching(app)
    return app
