"""Versioned schema migrations, applied in order from an empty file. Never edit a released one."""

from __future__ import annotations

MIGRATIONS: tuple[str, ...] = (
    # 1: links, submissions, tickets
    """
    CREATE TABLE requester_links (
        team_id        TEXT NOT NULL,
        slack_user_id  TEXT NOT NULL,
        provider       TEXT NOT NULL,
        requester_id   TEXT NOT NULL,
        source         TEXT NOT NULL,
        created_by     TEXT,
        created_at     REAL NOT NULL,
        PRIMARY KEY (team_id, slack_user_id, provider)
    );
    CREATE TABLE submissions (
        id               INTEGER PRIMARY KEY,
        idempotency_key  TEXT NOT NULL UNIQUE,
        team_id          TEXT NOT NULL,
        user_id          TEXT NOT NULL,
        provider         TEXT NOT NULL,
        channel_id       TEXT,
        thread_ts        TEXT,
        draft            TEXT NOT NULL,
        state            TEXT NOT NULL,
        attempts         INTEGER NOT NULL DEFAULT 0,
        last_error       TEXT,
        ticket_id        INTEGER REFERENCES tickets(id),
        created_at       REAL NOT NULL,
        updated_at       REAL NOT NULL
    );
    CREATE INDEX submissions_state ON submissions(state);
    CREATE TABLE tickets (
        id                  INTEGER PRIMARY KEY,
        provider            TEXT NOT NULL,
        provider_ticket_id  TEXT NOT NULL,
        number              TEXT NOT NULL,
        url                 TEXT,
        subject             TEXT NOT NULL,
        priority            TEXT,
        status              TEXT,
        team_id             TEXT NOT NULL,
        filed_by            TEXT NOT NULL,
        channel_id          TEXT,
        card_ts             TEXT,
        thread_ts           TEXT,
        created_at          REAL NOT NULL,
        updated_at          REAL NOT NULL,
        UNIQUE (provider, provider_ticket_id)
    );
    CREATE INDEX tickets_number ON tickets(provider, number);
    """,
    # 2: every requester-link change, who made it and what it replaced
    """
    CREATE TABLE link_audit (
        id              INTEGER PRIMARY KEY,
        team_id         TEXT NOT NULL,
        slack_user_id   TEXT NOT NULL,
        provider        TEXT NOT NULL,
        old_requester   TEXT,
        new_requester   TEXT,
        source          TEXT NOT NULL,
        actor           TEXT NOT NULL,
        at              REAL NOT NULL
    );
    CREATE INDEX link_audit_user ON link_audit(team_id, slack_user_id, at);
    """,
)
