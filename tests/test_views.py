"""Every view builder's output passes Slack's limits: slack_sdk.models and the fake's checker.

The builders make plain dicts for speed (see bot/slack/views/blocks.py); this is where a block
Slack would refuse is caught, with the longest texts users and providers can supply.
"""

from __future__ import annotations

from typing import Any

import pytest
from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

from bot.domain.drafts import ModalContext
from bot.domain.forms import Choice, FieldKind, Form, FormField
from bot.slack.listeners.modal_flow import NEUTRAL_FORM
from bot.slack.views.ticket_card import gave_up_card, queued_card, staff_reply, ticket_card
from bot.slack.views.ticket_modal import loading_modal, message_modal, ticket_modal
from tests.fakes.slack_limits import check_blocks, check_message, check_view

LONG = "x" * 5000
CTX = ModalContext(
    provider="p",
    channel_id="C1",
    thread_ts="1.2",
    message_ts="1.2",
    response_url="https://hooks.slack.com/commands/T/1/abc",
)
BIG_FORM = Form(
    fields=(
        FormField(key="subject", label="Subject", max_length=255),
        FormField(key="description", label="Message", kind=FieldKind.LONG_TEXT, min_length=5),
        FormField(
            key="pick",
            label="Pick",
            kind=FieldKind.SELECT,
            choices=tuple(
                Choice(value=f"v{i}" + "x" * 200, label=f"Option {i} " + "y" * 100)
                for i in range(150)
            ),
        ),
        FormField(key="n", label="Number", kind=FieldKind.INTEGER, required=False),
        FormField(key="mail", label="E-mail", kind=FieldKind.EMAIL, required=False),
        FormField(
            key="cc",
            label="CC",
            kind=FieldKind.EMAILS,
            required=False,
            placeholder="p" * 300,
            hint="h" * 3000,
        ),
    ),
    notes=("n" * 5000,),
)


def slack_accepts_view(view: dict[str, Any]) -> None:
    check_view(view)
    View(**view).validate_json()


def slack_accepts_blocks(text: str, blocks: list[dict[str, Any]]) -> None:
    check_message(text, blocks)
    check_blocks(blocks, limit=50)
    for block in blocks:
        parsed = Block.parse(block)
        assert parsed is not None
        parsed.validate_json()


@pytest.mark.parametrize("providers", [{"p": "P"}, {"p": "P", "q": "Q" * 100}])
def test_ticket_modal_with_the_longest_inputs(providers: dict[str, str]) -> None:
    view = ticket_modal(
        CTX,
        BIG_FORM,
        providers=providers,
        values={"subject": LONG, "description": LONG, "pick": "v1", "cc": ("a@example.com",) * 500},
        errors={f.key: LONG for f in BIG_FORM.fields},
        banner=LONG,
        filed_as=LONG,
    )
    slack_accepts_view(view)


def test_neutral_form_and_the_simple_modals() -> None:
    slack_accepts_view(ticket_modal(ModalContext(), NEUTRAL_FORM, providers={"a": "A", "b": "B"}))
    slack_accepts_view(loading_modal(CTX, LONG))
    slack_accepts_view(message_modal(CTX, LONG))


def test_cards_with_the_longest_inputs() -> None:
    slack_accepts_blocks(
        *ticket_card(
            title=LONG,
            number=LONG,
            url="https://x.example/1",
            subject=LONG,
            priority=LONG,
            status=LONG,
            filer_id="U1",
        )
    )
    slack_accepts_blocks(
        *queued_card(title=LONG, subject=LONG, reason=LONG, attempt=3, filer_id="U1")
    )
    slack_accepts_blocks(
        *gave_up_card(title=LONG, subject=LONG, reason=LONG, filer_id="U1", retry_value="sealed.7")
    )
    check_message(staff_reply(title="T", number="1", url=None, author=LONG, body=LONG), None)


def test_private_metadata_stays_under_the_limit() -> None:
    huge = ModalContext(provider="p" * 100, channel_id="C", response_url="https://h/" + LONG)
    assert len(huge.dump()) <= 3000
    assert ModalContext.load(huge.dump()).provider == "p" * 100
