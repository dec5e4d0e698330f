"""Everything that speaks Slack: the app, the server, listeners, views, announcing."""
