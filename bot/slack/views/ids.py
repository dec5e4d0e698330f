"""Every callback_id, action_id and block_id in one place, so builders and parsers cannot drift."""

from __future__ import annotations

from enum import StrEnum


class CallbackId(StrEnum):
    """Shortcuts' (manifest ``features.shortcuts``) and modals' callback ids."""

    TICKET_MODAL = "ticket_modal"
    FILE_SHORTCUT = "file_ticket"
    FILED_NUMBER = "filed_number"  # "It was filed": the number the filer found
    ADD_SHORTCUT = "add_to_ticket"  # the "Add to a ticket" message shortcut
    ADD_MODAL = "add_to_ticket_modal"


class FunctionId(StrEnum):
    """The Workflow Builder steps' callback ids (manifest ``functions``).

    NOTE: Slack keeps functions' and shortcuts' callback ids apart, and the manifests in use
    name each step as its shortcut is named: equal strings, in an enum of their own (one
    enum would make each an alias of the shortcut, ``FILE_STEP is FILE_SHORTCUT``).
    """

    FILE_TICKET = "file_ticket"
    ADD_TO_TICKET = "add_to_ticket"


class ActionId(StrEnum):
    PROVIDER = "provider_pick"
    VALUE = "value"
    EDIT_RETRY = "edit_retry"
    UNSURE_WAS_FILED = "unsure_was_filed"
    UNSURE_FILE_NOW = "unsure_file_now"
    FILE_FROM_REACTION = "file_from_reaction"  # the reactor's "File a ticket" button
    OPEN_THREAD = "open_thread"  # a link button; Slack still sends its click
    LIST_PAGE = "ticket_list_page"  # /ticket list and find: the next page
    ADD_OFFER = "add_offer"  # "Add to HostUp #10001" beside the form's "already filed"
    ADD_FROM_REACTION = "add_from_reaction"  # …and in the reactor's prompt
    ADD_INSTEAD = "add_instead"  # the File a ticket form → the Add to a ticket picker


class BlockId(StrEnum):
    PROVIDER = "provider"
    BANNER = "banner"
    NOTES = "notes"
    FILED_AS = "filed_as"
    RETRY = "retry"
    UNSURE = "unsure"
    NUMBER = "number"
    REACTION = "reaction"
    LIST_PAGE = "list_page"
    ADD_PICK = "add_pick"  # Add to a ticket: the ticket picked…
    ADD_TYPED = "add_typed"  # …or typed as provider and number
    ADD_FILES = "add_files"
    OFFER = "offer"  # the File a ticket form's "Add to a ticket instead"


FIELD_PREFIX = "field:"
ERROR_PREFIX = "error:"


def field_block_id(key: str) -> str:
    """The input block that holds form field ``key``."""
    return f"{FIELD_PREFIX}{key}"


def field_key(block_id: str) -> str | None:
    """The form field key of an input block, or None for other blocks."""
    return block_id.removeprefix(FIELD_PREFIX) if block_id.startswith(FIELD_PREFIX) else None
