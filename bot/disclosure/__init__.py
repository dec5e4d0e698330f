"""Checking what people file before it leaves for a provider (secrets, personal data by
policy); ``bot.redact`` is the other concern: the bot's own secrets in its own output."""
