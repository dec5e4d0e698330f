"""Steps many tests share: open the form, submit, wait for the result."""

from __future__ import annotations

import json
from typing import Any

from tests.conftest import RunningBot


async def open_form(
    bot: RunningBot, text: str = "", *, user: str = "UANA", channel: str = "C0GENERAL"
) -> str:
    """Run /ticket and return the id of the modal once it shows a provider's form."""
    response = await bot.driver.command(text, user=user, channel=channel)
    assert response.status_code == 200
    assert response.text == ""
    return await bot.slack.wait_for_view("field:subject")


def modal_text(view: dict[str, Any]) -> str:
    return json.dumps(view["blocks"], ensure_ascii=False)
