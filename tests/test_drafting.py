"""Drafts: what a submission saves, and the one place that turns what was given into one."""

from __future__ import annotations

from bot.domain.drafts import Draft, ModalContext
from bot.domain.tickets import Filer

ANA = Filer(team_id="T0001", user_id="UANA", name="ana")


def test_a_draft_carries_its_modal_and_one_saved_before_it_did_finds_it_in_its_key() -> None:
    typed = Draft(provider="hostup", values={}, filer=ANA, context=ModalContext(), view_id="V1")
    assert Draft.stored("V1|C0GENERAL:1.0", typed.model_dump_json()).view_id == "V1"
    auto = typed.model_copy(update={"view_id": None})  # a reaction or a step: no modal
    assert Draft.stored("V2", auto.model_dump_json()).view_id is None
    # NOTE: saved by 0.2.0, without the field: a modal's key begins with its view id
    old = typed.model_dump_json(exclude={"view_id"})
    assert Draft.stored("V9|C0GENERAL:1.0", old).view_id == "V9"
    assert Draft.stored("reaction|C0GENERAL:1.0", old).view_id is None
    assert Draft.stored("step|Fx1", old).view_id is None
