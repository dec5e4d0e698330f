"""Secrets in a line of text, found by detect-secrets (Yelp) plugins.

The plugins are driven directly (``analyze_string`` and the library's heuristic filters), not
through ``detect_secrets.core.scan.scan_line``: that one rewrites the library's global settings
and clears its caches on every call, and its filter log names the secret it skipped.

Chosen: every vendor-prefixed plugin (AWS, Azure storage, GitHub, GitLab, Slack, Stripe,
Twilio, SendGrid, npm, PyPI, OpenAI, Discord, Telegram, Mailchimp, Square), private key blocks,
JWTs, basic-auth URLs and the keyword plugin (``password=``, ``secret:``, ``api_key: "…"``).
Left out: the high-entropy plugins (every commit hash, trace id and checksum in an alert is
"high entropy"), IBM/Softlayer/Cloudant (they fire on any ``key = …`` near their names) and
Artifactory (its ``AP…`` password pattern matches ordinary upper-case words with digits).
Added, as the library's own plugin class: what it lacks (GCP API keys, Stripe test and
restricted keys and webhook secrets, Azure AD client secrets) and what incident pastes carry
(``token=`` assignments, ``Authorization:`` headers, ``curl -u``, ``redis://:pw@``).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Generator, Iterator
from dataclasses import dataclass

from detect_secrets.filters import heuristic
from detect_secrets.plugins.aws import AWSKeyDetector
from detect_secrets.plugins.azure_storage_key import AzureStorageKeyDetector
from detect_secrets.plugins.base import BasePlugin, RegexBasedDetector
from detect_secrets.plugins.basic_auth import BasicAuthDetector
from detect_secrets.plugins.discord import DiscordBotTokenDetector
from detect_secrets.plugins.github_token import GitHubTokenDetector
from detect_secrets.plugins.gitlab_token import GitLabTokenDetector
from detect_secrets.plugins.jwt import JwtTokenDetector
from detect_secrets.plugins.keyword import CONFIG_DENYLIST_REGEX_TO_GROUP, KeywordDetector
from detect_secrets.plugins.mailchimp import MailchimpDetector
from detect_secrets.plugins.openai import OpenAIDetector
from detect_secrets.plugins.private_key import PrivateKeyDetector
from detect_secrets.plugins.pypi_token import PypiTokenDetector
from detect_secrets.plugins.sendgrid import SendGridDetector
from detect_secrets.plugins.slack import SlackDetector
from detect_secrets.plugins.square_oauth import SquareOAuthDetector
from detect_secrets.plugins.stripe import StripeDetector
from detect_secrets.plugins.telegram_token import TelegramBotTokenDetector
from detect_secrets.plugins.twilio import TwilioKeyDetector

# NOTE: detect-secrets logs each value its filters skip ("Skipping "<secret>" due to …") on its
# own stderr handler; never let that through.
logging.getLogger("detect-secrets").disabled = True


class GcpApiKeyDetector(RegexBasedDetector):
    """Google Cloud API keys (cloud.google.com/docs/authentication/api-keys: ``AIza…``)."""

    secret_type = "GCP API key"  # noqa: S105 (a label)
    denylist = (re.compile(r"AIza[0-9A-Za-z_\-]{35}(?![0-9A-Za-z_\-])"),)


class StripeMoreDetector(RegexBasedDetector):
    """Stripe keys the library's plugin skips: test and restricted keys, webhook secrets
    (docs.stripe.com/keys: ``sk_test_…``, ``rk_…``; ``whsec_…``)."""

    secret_type = "Stripe key"  # noqa: S105 (a label)
    denylist = tuple(
        re.compile(rf"{prefix}[0-9A-Za-z]{{{least},99}}(?![0-9A-Za-z])")
        for prefix, least in (
            ("sk_test_", 24),
            ("rk_test_", 24),
            ("rk_live_", 25),
            ("sk_live_", 25),
            ("whsec_", 24),
        )
    )


class LinearJwtDetector(RegexBasedDetector):
    """The library's JWT (``JwtTokenDetector``, its check of the header and payload kept), tried
    only where a run of token characters begins: its pattern from every ``eyJ`` in a run read
    the rest of the run again (quadratic in a run of them)."""

    secret_type = JwtTokenDetector.secret_type
    denylist = (
        re.compile(r"(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9-_=]+\.[A-Za-z0-9-_=]+\.?[A-Za-z0-9-_.+/=]*?"),
    )

    def analyze_string(self, string: str) -> Generator[str, None, None]:
        yield from filter(JwtTokenDetector.is_formally_valid, super().analyze_string(string))


class LinearNpmDetector(RegexBasedDetector):
    """The library's npm token in an ``.npmrc`` line (``//host/:_authToken=…``), with the host
    part bounded and tried once per run of slashes: ``//.+/`` read the rest of the line from
    every pair of slashes (8 s for a crafted 1 MB file)."""

    secret_type = "NPM tokens"  # noqa: S105 (a label, the library's)
    denylist = (
        re.compile(r"(?<!/)//[^\s]{1,256}?/:_authToken=\s*((npm_.+)|([A-Fa-f0-9-]{36})).*"),
    )


class AzureClientSecretDetector(RegexBasedDetector):
    """Microsoft Entra (Azure AD) application client secrets: three characters, a digit,
    ``Q~``, then 31–34 more (the format Microsoft issues since 2021)."""

    secret_type = "Azure client secret"  # noqa: S105 (a label)
    denylist = (re.compile(r"(?<![\w~.-])[\w~.-]{3}\dQ~[\w~.-]{31,34}(?![\w~.-])"),)


class CredentialDetector(RegexBasedDetector):
    """What incident pastes carry that the library's keyword list lacks: ``token=``/``api-key:``
    assignments, an HTTP ``Authorization:`` header's credentials, ``curl -u user:password``."""

    secret_type = "credential"  # noqa: S105 (a label; the kinds are told apart below)
    # NOTE: each starts with a lookahead of its first character, which lets the regex engine
    # skip ahead to it (a third of the cost); a page's token (NextToken) is told apart by its
    # key (``_keyed_by_reference``)
    denylist = (
        re.compile(
            r"(?i)(?=[tak])(?:token|api-?key|apikey|access-?key|auth)(?![\w-])[\"']?[ \t]{0,5}"
            r"[:=][ \t]{0,5}[\"']?([^\s\"'`,;]{8,512})"
        ),
        re.compile(
            r"(?i)(?=a)(?<![\w-])authorization[\"']?[ \t]{0,5}:[ \t]{0,5}"
            r"(?:basic|bearer|token|digest)[ \t]{1,5}([A-Za-z0-9._~+/=-]{8,4096})"
        ),
        re.compile(r"(?=-)(?<!\S)(?:-u|--user)[ \t]+[\"']?[^\s:\"']{1,64}:([^\s\"']{3,256})"),
        re.compile(r"://:([^\s@/]{3,256})@"),  # a URL password without a user (redis://:pw@)
    )


PLUGINS: tuple[BasePlugin, ...] = (
    AWSKeyDetector(),
    AzureStorageKeyDetector(),
    AzureClientSecretDetector(),
    BasicAuthDetector(),
    DiscordBotTokenDetector(),
    GcpApiKeyDetector(),
    GitHubTokenDetector(),
    GitLabTokenDetector(),
    LinearJwtDetector(),
    MailchimpDetector(),
    LinearNpmDetector(),
    OpenAIDetector(),
    PrivateKeyDetector(),
    PypiTokenDetector(),
    SendGridDetector(),
    SlackDetector(),
    SquareOAuthDetector(),
    StripeDetector(),
    StripeMoreDetector(),
    TelegramBotTokenDetector(),
    TwilioKeyDetector(),
    CredentialDetector(),  # NOTE: last: a vendor's kind wins where both match the same span
)
KEYWORD = KeywordDetector()

# The library's secret types, as people read them.
KINDS = {
    "AWS Access Key": "AWS access key",
    "Azure Storage Account access key": "Azure storage key",
    "Basic Auth Credentials": "password in a URL",
    "Discord Bot Token": "Discord bot token",
    "GitHub Token": "GitHub token",
    "GitLab Token": "GitLab token",
    "JSON Web Token": "JSON web token",
    "Mailchimp Access Key": "Mailchimp key",
    "NPM tokens": "npm token",
    "OpenAI Token": "OpenAI key",
    "Private Key": "private key",
    "PyPI Token": "PyPI token",
    "SendGrid API Key": "SendGrid key",
    "Slack Token": "Slack token",
    "Square OAuth Secret": "Square secret",
    "Stripe Access Key": "Stripe key",
    "Telegram Bot Token": "Telegram bot token",
    "Twilio API Key": "Twilio key",
    "Secret Keyword": "password or secret",
    "credential": "token or credential",
}
# A match may stop short of the token's end (the JWT pattern ends lazily): it is extended
# over these characters, so nothing of the token is left behind.
TOKEN_TAIL = re.compile(r"[A-Za-z0-9_\-.+/=~]{0,4096}")
PRIVATE_KEY_END = re.compile(r"-----END[ A-Z0-9]{0,40}PRIVATE KEY( BLOCK)?-----")
KEYWORD_VALUE = re.compile(r"[^\s,;'\"`]{1,512}")
# Keyword values that name a secret rather than hold one.
PLACEHOLDER = re.compile(
    r"(?i)^(?:\*+|x+|\.+|<[^>]*>|\[[^\]]*\]|\{[^}]*\}|%\w*|null|none|nil|true|false|"
    r"redacted|hidden|masked|changeme|required|optional|yes|no|set|unset|empty|"
    r"expired|invalid|missing|rotated|reset|mounted|ok|n/?a)$"
)


@dataclass(frozen=True)
class Hit:
    """A finding's span in the text it was found in, and its kind."""

    kind: str
    start: int
    end: int


# NOTE: a pattern runs only over text holding a string every match of it holds (lower-cased):
# most text holds none, and skipping costs a substring search instead of a regex pass.
HINTS: dict[type[BasePlugin], tuple[str, ...]] = {
    AWSKeyDetector: ("a3t", "abia", "acca", "akia", "asia", "aws"),
    AzureClientSecretDetector: ("q~",),
    AzureStorageKeyDetector: ("accountkey=",),
    BasicAuthDetector: ("://",),
    GitHubTokenDetector: ("ghp", "gho", "ghu", "ghs", "ghr"),
    GitLabTokenDetector: ("gl", "gr1348941"),
    LinearJwtDetector: ("eyj",),
    LinearNpmDetector: ("_authtoken",),
    OpenAIDetector: ("t3blbkfj",),
    PypiTokenDetector: ("pypi-",),
    SendGridDetector: ("sg.",),
    SquareOAuthDetector: ("sq0csp-",),
    TelegramBotTokenDetector: (":",),
    CredentialDetector: ("token", "key", "auth", "-u", "--user", "://:"),
    GcpApiKeyDetector: ("aiza",),
    MailchimpDetector: ("-us",),
    PrivateKeyDetector: ("private key", "putty-user-key"),
    SlackDetector: ("xox", "hooks.slack.com"),
    StripeDetector: ("k_live_",),
    StripeMoreDetector: ("k_test_", "k_live_", "whsec_"),
}
GUARDED = tuple((plugin, HINTS.get(type(plugin), ())) for plugin in PLUGINS)
# The keyword plugin's words (detect_secrets.plugins.keyword.DENYLIST) each hold one of these.
KEYWORD_HINTS = ("key", "pass", "pwd", "secret", "contras")


def _holds(lowered: str, hints: tuple[str, ...]) -> bool:
    for hint in hints:  # noqa: SIM110 (a loop, not any(genexpr): this runs ~30 times a text)
        if hint in lowered:
            return True
    return False


def tokens_in(text: str) -> Iterator[Hit]:
    """Vendor tokens, keys, JWTs, private keys and URL passwords in ``text`` (any number of
    lines, bounded in length by the caller)."""
    lowered = text.lower()
    for plugin, hints in GUARDED:
        if hints and not _holds(lowered, hints):
            continue
        # NOTE: each value once: ``_spans`` finds all its places (a value repeated n times
        # would otherwise cost n²)
        for value in set(plugin.analyze_string(text)):
            if isinstance(plugin, CredentialDetector):
                if not _looks_secret(text, value):  # NOTE: a UUID under a key's name may be one
                    continue
            elif not value or heuristic.is_potential_uuid(value):
                continue
            kind = KINDS.get(plugin.secret_type, plugin.secret_type)
            yield from _spans(text, value, kind, extend=True)


def keywords_in(line: str) -> Iterator[Hit]:
    """``password=…``, ``secret: …``, ``"token": "…"`` in one line: the value up to the first
    space (a sentence after the value is not part of it)."""
    if not _holds(line.lower(), KEYWORD_HINTS):
        return
    for value in set(KEYWORD.analyze_string(line, CONFIG_DENYLIST_REGEX_TO_GROUP)):
        token = KEYWORD_VALUE.match(value.strip())
        if token is None:
            continue
        secret = token.group(0)
        if len(secret) < 4 or not _looks_secret(line, secret):
            continue
        yield from _spans(line, secret, KINDS["Secret Keyword"], extend=False)


def _looks_secret(text: str, value: str) -> bool:
    """Not a placeholder, a template, a variable, a run of symbols, a sequence, a word or a
    count (the library's own filters, and ours), nor the value of a key that names where a
    secret is kept rather than holding it (``SecretName: db-credentials``)."""
    return not (
        PLACEHOLDER.match(value)
        or heuristic.is_templated_secret(value)
        or heuristic.is_prefixed_with_dollar_sign(value)
        or heuristic.is_not_alphanumeric_string(value)
        or heuristic.is_sequential_string(value)
        or heuristic.is_indirect_reference(_line_of(text, value))  # password = get_pw()
        or (value.isalpha() and value.islower())  # a word: "token: expired", "auth=required"
        or value.isdigit()  # a count or an id: "max_token: 4096"
        or TIMESTAMP.match(value)  # "PasswordLastUsed": "2026-11-30T08:12:44Z"
        or _keyed_by_reference(text, value)
    )


def _line_of(text: str, value: str) -> str:
    at = max(0, text.find(value))
    end = text.find("\n", at)
    return text[text.rfind("\n", 0, at) + 1 : end if end != -1 else len(text)]


def _keyed_by_reference(text: str, value: str) -> bool:
    """Every place ``value`` is assigned in ``text`` is under a key that names a secret's
    whereabouts or properties (…Name, …Ref, …File, …Path, …Type), none under one that holds
    it; ``value`` unassigned anywhere counts as held."""
    keys = []
    at = text.find(value)
    while at != -1:
        key = KEY_BEFORE.search(text, max(0, at - 120), at)
        if key is None:
            return False
        keys.append(re.sub(r"[^a-z]", "", key.group(1).lower()))
        at = text.find(value, at + len(value))
    return bool(keys) and all(k.endswith(REFERENCE_KEYS) or k.startswith(PAGING) for k in keys)


TIMESTAMP = re.compile(
    r"\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?)?(?:Z|[+-]\d{2}:?\d{2})?\Z"
)
# The key just before a value: ``SecretName:  ``, ``"password": "``, ``token=``.
KEY_BEFORE = re.compile(
    r"([A-Za-z0-9_.\-]{1,80})[\"'\]]{0,2}[ \t]{0,5}(?::=|=>|[:=]{1,2})[ \t]{0,5}[\"'`]?\Z"
)
PAGING = ("next", "page", "continuation", "pagination", "cursor", "sync", "idempotency")
REFERENCE_KEYS = (
    "name", "names", "ref", "file", "path", "dir", "type", "id", "ids", "arn", "mount",
    "length", "policy", "version", "provider", "namespace", "selector", "label", "field",
    "seconds", "ttl", "format", "mode", "method", "store", "manager", "enabled", "required",
    "date", "time", "used", "changed", "days", "count",
)  # fmt: skip


def _spans(text: str, value: str, kind: str, *, extend: bool) -> Iterator[Hit]:
    at = text.find(value)
    while at != -1:
        end = at + len(value)
        if extend:
            tail = TOKEN_TAIL.match(text, end)
            end = tail.end() if tail else end
        yield Hit(kind, at, end)
        at = text.find(value, end)


def private_key_end(text: str, start: int) -> int:
    """Where the private key block that begins at ``start`` ends (its END line), or the end of
    ``text`` if it has none: a key cut short is still a key."""
    found = PRIVATE_KEY_END.search(text, start)
    return found.end() if found else len(text)
