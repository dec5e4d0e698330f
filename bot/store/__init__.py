"""Persistence: one repository per aggregate (submissions, tickets, cards, polls, alerts, …)
over a shared backend, SQLite (the embedded default) or PostgreSQL (for replicas); ``Store``
opens the database and holds them. It knows the domain only."""

from bot.store.store import Store

__all__ = ["Store"]
