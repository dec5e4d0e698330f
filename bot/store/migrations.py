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
    # 3: durable retries (when, and the queued card), ticket following, Events API de-dup
    """
    ALTER TABLE submissions ADD COLUMN next_attempt_at REAL;
    ALTER TABLE submissions ADD COLUMN card_channel TEXT;
    ALTER TABLE submissions ADD COLUMN card_ts TEXT;
    ALTER TABLE submissions ADD COLUMN check_twin INTEGER NOT NULL DEFAULT 0;
    CREATE INDEX submissions_due ON submissions(state, next_attempt_at);
    ALTER TABLE tickets ADD COLUMN closed INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE tickets ADD COLUMN next_poll_at REAL NOT NULL DEFAULT 0;
    ALTER TABLE tickets ADD COLUMN seen_messages TEXT NOT NULL DEFAULT '[]';
    ALTER TABLE tickets ADD COLUMN submission_id INTEGER;
    CREATE INDEX tickets_open ON tickets(closed, next_poll_at);
    CREATE INDEX tickets_thread ON tickets(channel_id, thread_ts);
    CREATE TABLE seen_events (
        event_id  TEXT PRIMARY KEY,
        at        REAL NOT NULL
    );
    """,
    # 4: recording a ticket marks its submission filed in the same statement (one round trip)
    """
    CREATE TRIGGER tickets_file_submission AFTER INSERT ON tickets
    WHEN NEW.submission_id IS NOT NULL
    BEGIN
        UPDATE submissions SET state = 'filed', ticket_id = NEW.id, last_error = NULL,
            next_attempt_at = NULL, updated_at = NEW.created_at
        WHERE id = NEW.submission_id;
    END;
    """,
    # 5: where a ticket came from, to catch the same message or alert filed twice
    """
    ALTER TABLE tickets ADD COLUMN source_channel TEXT;
    ALTER TABLE tickets ADD COLUMN source_ts TEXT;
    ALTER TABLE tickets ADD COLUMN fingerprint TEXT;
    CREATE INDEX tickets_source ON tickets(team_id, source_channel, source_ts);
    CREATE INDEX tickets_fingerprint ON tickets(team_id, fingerprint);
    """,
    # 6: one page fewer written per submit: (state, next_attempt_at) serves every state query
    """
    DROP INDEX IF EXISTS submissions_state;
    """,
    # 7: the modals the bot opened, and by whom; the channel a ticket was filed from; whether
    # an attempt's create request may have left; a ticket card still owed to its channel
    """
    CREATE TABLE modals (
        view_id    TEXT PRIMARY KEY,
        team_id    TEXT NOT NULL,
        user_id    TEXT NOT NULL,
        opened_at  REAL NOT NULL
    );
    CREATE INDEX modals_opened ON modals(opened_at);
    ALTER TABLE tickets ADD COLUMN filed_from TEXT;
    UPDATE tickets SET filed_from = (
        SELECT channel_id FROM submissions WHERE submissions.id = tickets.submission_id
    );
    ALTER TABLE submissions ADD COLUMN sent INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE tickets ADD COLUMN card_due_at REAL;
    CREATE INDEX tickets_card_due ON tickets(card_due_at) WHERE card_due_at IS NOT NULL;
    """,
)
