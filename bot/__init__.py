"""ticketbot: file tickets with external providers without leaving Slack."""
