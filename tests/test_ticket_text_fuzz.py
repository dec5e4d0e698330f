"""What people type and paste, fuzzed (Hypothesis): search words never reach the full-text
engine's syntax, typed ticket numbers are only ever the shapes allowed, and a pasted link is
matched (or not) without error and only to a plain id."""

from __future__ import annotations

import re
import sqlite3

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.store.search import MAX_WORDS, SQLITE_FULL_TEXT, search_words
from bot.tickets.additions import NUMBER, typed_number
from bot.tickets.previews import PART, link_patterns

TEMPLATES = {
    "hostup": "https://cloud.hostup.se/support/tickets/{id}",
    "pulse": "https://crm.example.com/t/{number}?view=full",
    "none": None,
}


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
def test_any_search_text_is_a_valid_fts5_query(text: str) -> None:
    words = search_words(text)
    assert len(words) <= MAX_WORDS and all(re.fullmatch(r"\w+", w) for w in words)
    if not words:
        return
    db = sqlite3.connect(":memory:")
    db.execute(
        "CREATE VIRTUAL TABLE ticket_search USING fts5("
        "subject, description, tokenize = 'porter unicode61')"
    )
    db.execute("INSERT INTO ticket_search VALUES (?, ?)", (text, text))
    db.execute(
        "SELECT rowid FROM ticket_search WHERE ticket_search MATCH ?",
        (SQLITE_FULL_TEXT.query(words),),
    ).fetchall()


@given(st.text(max_size=100))
def test_a_typed_number_is_only_ever_a_plain_number(text: str) -> None:
    number = typed_number(text)
    if number is not None:
        assert NUMBER.match(number) and not set(number) & set("/?#%&. \\")


@given(st.text(max_size=200), st.sampled_from(["", "tkt_1", "10001", "a%2Fb"]))
def test_a_pasted_link_matches_only_to_a_plain_part(junk: str, ticket: str) -> None:
    patterns = link_patterns(TEMPLATES)
    assert [p.provider for p in patterns] == ["hostup", "pulse"]
    for url in (junk, f"https://cloud.hostup.se/support/tickets/{ticket}{junk}"):
        for pattern in patterns:
            match = pattern.regex.match(url)
            if match is not None:
                assert all(re.fullmatch(PART, v) for v in match.groupdict().values() if v)
