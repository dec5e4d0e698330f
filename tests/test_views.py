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


def test_home_tab_with_the_longest_inputs() -> None:
    from bot.domain.figures import ProviderFigures
    from bot.domain.home import Attention, FilesAs, HomeData, ProviderHealth, ProviderTrouble
    from bot.domain.records import LinkChange, Submission, SubmissionState, TicketRecord
    from bot.domain.tickets import Filer, Requester, RequesterSource
    from bot.slack.views.home import home_view
    from tests.fakes.slack_limits import check_home

    tickets = [
        TicketRecord(
            id=n,
            provider="p",
            provider_ticket_id=LONG,
            number=LONG,
            url=None,
            subject=LONG,
            priority=None,
            status=LONG,
            team_id="T",
            filed_by="U1",
            channel_id="C1",
            card_ts="1.2",
            thread_ts="1.2",
            created_at=0.0,
        )
        for n in range(20)
    ]
    attention = [
        Attention(
            submission=Submission(
                id=n,
                key="V1",
                team_id="T",
                user_id="U1",
                provider="p",
                channel_id="C1",
                thread_ts=None,
                draft="{}",
                state=SubmissionState.GAVE_UP,
                attempts=9,
                last_error=LONG,
                ticket_id=None,
            ),
            title=LONG,
            subject=LONG,
        )
        for n in range(10)
    ]
    providers = [
        ProviderHealth(
            name=f"p{n}",
            title=LONG,
            trouble=ProviderTrouble(retrying=3, last_error=LONG, last_error_at=1.0),
            features_off={LONG: LONG, "replies": LONG},
            figures=ProviderFigures(f"p{n}", LONG, 9, True, 3, 60.0, 600.0, 1, 7200.0, 3600.0, 0.5),
        )
        for n in range(5)
    ]
    data = HomeData(
        filer=Filer(team_id="T", user_id="U1", name=LONG),
        now=10**9,
        tickets=tickets,
        titles={"p": LONG},
        files_as=[FilesAs(LONG, Requester(id=LONG, label=LONG, source=RequesterSource.LINK), False)]
        * 5,
        providers=providers,
        is_admin=True,
        attention=attention,
        link_changes=tuple(
            LinkChange(
                user_id="U1", provider=LONG, old=LONG, new=LONG, source="admin", actor="U2", at=1.0
            )
            for _ in range(5)
        ),
    )
    links = {n: "https://fake.slack.com/archives/C1/p12" for n in range(20)}
    retry = {n: "sealed." + "7" * 100 for n in range(10)}
    view = home_view(data, thread_links=links, retry_values=retry, card_links=links)
    check_home(view)
    View(**view).validate_json()


def test_reaction_prompt_with_the_longest_reason() -> None:
    from bot.slack.views.reaction import file_prompt

    prompt = file_prompt("sealed." + "1" * 300, reason=LONG, notice=LONG)
    slack_accepts_blocks(prompt["text"], prompt["blocks"])
