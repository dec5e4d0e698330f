"""ticketbot: file tickets with external providers without leaving Slack."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("ticketbot")
except PackageNotFoundError:  # NOTE: run from a checkout that was never installed
    __version__ = "0+unknown"
