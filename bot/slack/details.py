"""What a saved draft still needs from Slack before it is filed: the filer's profile (name,
e-mail) and the permalink of the message a shortcut was used on."""

from __future__ import annotations

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.domain.drafts import Draft, ModalContext
from bot.slack.users import UserDirectory


class SlackDetails:
    """``Enriches`` for the filing service: what Slack adds to a draft before it is filed."""

    def __init__(self, users: UserDirectory, client: AsyncWebClient) -> None:
        self._users = users
        self._client = client

    async def __call__(self, draft: Draft) -> Draft:
        return await with_slack_details(self._users, self._client, draft)


async def with_slack_details(users: UserDirectory, client: AsyncWebClient, draft: Draft) -> Draft:
    """``draft`` as its first attempt files it (the submit's ack stores it without them)."""
    filer = await users.filer(draft.filer.team_id, draft.filer.user_id, draft.filer.name)
    permalink = await message_permalink(client, draft.context)
    return draft.model_copy(update={"filer": filer, "permalink": permalink})


async def message_permalink(client: AsyncWebClient, ctx: ModalContext) -> str | None:
    """The permalink of the message a shortcut was used on, for the ticket body."""
    if ctx.permalink or not (ctx.channel_id and ctx.message_ts):
        return ctx.permalink  # NOTE: the shortcut found it already; ask Slack only if it did not
    try:
        response = await client.chat_getPermalink(channel=ctx.channel_id, message_ts=ctx.message_ts)
    except SlackApiError:
        return None  # the ticket is worth more than its link
    return str(response["permalink"])
