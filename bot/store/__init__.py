"""Persistence: one ``Store`` interface, a SQLite backend (the embedded default) and a
PostgreSQL one (for replicas). It knows the domain only."""

from bot.store.store import Store

__all__ = ["Store"]
