"""Bad configuration stops the start with one line naming the key and what is wrong."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.domain.errors import ConfigError, ConfigErrors
from bot.settings import load_settings

GOOD = """
[providers.hostup]
kind = "hostup"
base_url = "https://cloud.hostup.se/api/v2"
api_key_env = "HOSTUP_API_KEY"
"""


def env(tmp_path: Path, config: str, **extra: str) -> dict[str, str]:
    (tmp_path / "t.toml").write_text(config, encoding="utf-8")
    return {
        "SLACK_BOT_TOKEN": "xoxb-1",
        "SLACK_SIGNING_SECRET": "s",
        "TICKETBOT_CONFIG": str(tmp_path / "t.toml"),
        "HOSTUP_API_KEY": "hk-secret-77",
        **extra,
    }


def problem(tmp_path: Path, config: str, **extra: str) -> str:
    with pytest.raises(ConfigError) as caught:
        load_settings(env(tmp_path, config, **extra))
    return caught.value.message


def test_good_config_resolves_secrets_from_the_environment(tmp_path: Path) -> None:
    settings = load_settings(env(tmp_path, GOOD))
    (provider,) = settings.providers.values()
    assert provider.name == "hostup" and provider.url == "https://cloud.hostup.se/api/v2"
    assert "hk-secret-77" not in repr(provider)  # SecretStr hides it


@pytest.mark.parametrize(
    ("config", "extra", "expected"),
    [
        (
            GOOD.replace("HOSTUP_API_KEY", "MISSING_KEY"),
            {},
            "config error: providers.hostup.api_key_env: environment variable MISSING_KEY is "
            "not set",
        ),
        (
            GOOD.replace('"hostup"\nbase', '"hostupp"\nbase'),
            {},
            "config error: providers.hostup.kind: unknown kind (did you mean hostup?); one of: "
            "billingserv, hostup, ispcrm, pulse, vpsbg",
        ),
        (
            GOOD.replace("https://cloud.hostup.se/api/v2", "not a url"),
            {},
            "config error: providers.hostup.base_url: not an http(s) URL; give one like "
            "https://api.example.com/v1",
        ),
        (
            GOOD + 'colour = "red"\n',
            {},
            "config error: providers.hostup.colour: unknown key; valid keys: allow, api_key_env, "
            "base_url, departments_cache_seconds, first_response_minutes, kind,",
        ),
        (
            GOOD + 'api_key = "literal"\n',
            {},
            "config error: providers.hostup.api_key: put the "
            "secret in an environment variable and name it in api_key_env",
        ),
        ("[ticketbot]\n", {}, "config error: providers: "),
        ("[providers\n", {}, "not valid TOML"),
        (GOOD, {"PORT": "eighty"}, "config error: PORT: must be a whole number"),
    ],
)
def test_bad_config_names_the_key(
    tmp_path: Path, config: str, extra: dict[str, str], expected: str
) -> None:
    assert expected in problem(tmp_path, config, **extra)


def test_missing_environment_names_the_variable(tmp_path: Path) -> None:
    settings_env = env(tmp_path, GOOD)
    del settings_env["SLACK_SIGNING_SECRET"]
    with pytest.raises(ConfigError) as caught:
        load_settings(settings_env)
    assert caught.value.key == "SLACK_SIGNING_SECRET"


def test_cli_prints_one_line_and_exits_2(tmp_path: Path) -> None:
    run_env = {**os.environ, **env(tmp_path, GOOD.replace("HOSTUP_API_KEY", "NOPE_KEY"))}
    done = subprocess.run(
        [sys.executable, "-m", "bot", "run"],
        env=run_env,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        "ticketbot: config error: providers.hostup.api_key_env: environment variable NOPE_KEY "
        "is not set"
    ]


def test_the_example_config_starts_with_one_key_and_each_commented_provider_is_valid(
    tmp_path: Path,
) -> None:
    """Copying the examples and filling in the Slack tokens, one key and an admin is enough to
    start (the example's admin is refused); each provider shown commented out is valid once
    its "# " is removed."""
    root = Path(__file__).resolve().parent.parent
    copied = (root / "ticketbot.example.toml").read_text(encoding="utf-8")
    assert problems(tmp_path, copied) == [
        "ticketbot.admins[0]: still the example's placeholder; put a real user id (U… or W…: "
        "the member ID in the user's profile)"
    ]
    example = copied.replace("U0123ADMIN", "U07REALADM")
    settings = load_settings(env(tmp_path, example))
    assert list(settings.providers) == ["hostup"]
    blocks = example.split("\n# [providers.")[1:]
    assert len(blocks) == 4
    secrets = {
        name: "x" * 8
        for name in (
            "BILLINGSERV_API_KEY",
            "PULSE_API_KEY",
            "PULSE_API_SECRET",
            "ISPCRM_TOKEN",
            "VPSBG_TOKEN",
        )
    }
    for block in blocks:
        table = "[providers." + "\n".join(
            line.removeprefix("# ") for line in block.split("\n\n")[0].splitlines()
        )
        settings = load_settings(env(tmp_path, f"{example}\n{table}\n", **secrets))
        assert len(settings.providers) == 2, table
    dotenv = (root / ".env.example").read_text(encoding="utf-8")
    assert "HOSTUP_API_KEY=" in dotenv and "\n# VPSBG_TOKEN=" in dotenv


def problems(tmp_path: Path, config: str, **extra: str) -> list[str]:
    with pytest.raises(ConfigErrors) as caught:
        load_settings(env(tmp_path, config, **extra))
    return [p.message.removeprefix("config error: ") for p in caught.value.problems]


def test_every_problem_is_reported_at_once_in_plain_words(tmp_path: Path) -> None:
    """The first-run typos: a misspelt table, a provider table outside [providers], an e-mail
    where a Slack id goes, a kind nobody has, and pydantic's words for each."""
    config = (
        '[ticketbt]\nadmins = ["UANA"]\n\n'
        '[ticketbot]\nadmins = ["ana@example.com"]\nadmin_channel = "general"\n\n'
        '[provider.extra]\nkind = "hostup"\n\n'
        + GOOD
        + '\n[providers.other]\nkind = "hostupp"\n\n[providers.third]\nbase_url = "x"\n'
    )
    found = problems(tmp_path, config, SLACK_BOT_TOKEN="xapp-1-A", SLACK_SIGNING_SECRET="")
    assert found == [
        "SLACK_BOT_TOKEN: not a xoxb-… token (that is a SLACK_APP_TOKEN token); copy the Bot "
        "User OAuth Token (xoxb-…) from the app's OAuth & Permissions page",
        "SLACK_SIGNING_SECRET: is empty; copy the Signing Secret from the app's Basic "
        "Information page",
        "ticketbt: unknown table (did you mean ticketbot?); valid tables: alert_sources, "
        "providers, routes, ticketbot",
        "provider: unknown table (did you mean providers?); valid tables: alert_sources, "
        "providers, routes, ticketbot",
        "providers.other.kind: unknown kind (did you mean hostup?); one of: billingserv, hostup, "
        "ispcrm, pulse, vpsbg",
        "providers.third.kind: required; one of: billingserv, hostup, ispcrm, pulse, vpsbg",
        "ticketbot.admins[0]: not a Slack user id (U… or W…: the member ID in the user's profile)",
        "ticketbot.admin_channel: not a Slack channel id (C… or G…: at the bottom of the "
        "channel's details)",
    ]
    assert "ana@example.com" not in " ".join(found)  # never a value, only keys


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        ({"SLACK_APP_TOKEN": "xoxb-2"}, "SLACK_APP_TOKEN: not a xapp-… token (that is a"),
        ({"SLACK_BOT_TOKEN": "xoxb-your-bot-token"}, "SLACK_BOT_TOKEN: is still the example's"),
        (
            {"HOSTUP_API_KEY": "  "},
            "providers.hostup.api_key_env: environment variable HOSTUP_API_KEY is empty",
        ),
        ({"LOG_FORMAT": "yaml"}, "LOG_FORMAT: input should be 'json' or 'text'"),
    ],
)
def test_tokens_and_variables_are_checked_by_kind(
    tmp_path: Path, extra: dict[str, str], expected: str
) -> None:
    assert any(p.startswith(expected) for p in problems(tmp_path, GOOD, **extra))


def test_an_empty_app_token_means_http_mode(tmp_path: Path) -> None:
    assert load_settings(env(tmp_path, GOOD, SLACK_APP_TOKEN="")).env.slack_app_token is None


def test_cli_prints_every_problem_on_its_own_line(tmp_path: Path) -> None:
    run_env = {"PATH": os.environ["PATH"], "TICKETBOT_CONFIG": str(tmp_path / "none.toml")}
    done = subprocess.run(
        [sys.executable, "-m", "bot", "run"],
        env=run_env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 3 and all(line.startswith("ticketbot: config error: ") for line in lines)
    assert lines[0].startswith("ticketbot: config error: SLACK_BOT_TOKEN: not set; copy the Bot")


def test_placeholders_from_the_example_files_are_refused(tmp_path: Path) -> None:
    """.env.example's and compose.yaml's stand-ins, copied as they are, do not pass for real."""
    found = problems(
        tmp_path,
        GOOD,
        HOSTUP_API_KEY="your-hostup-api-key",
        SLACK_SIGNING_SECRET="change-me",
        TICKETBOT_DB="postgresql://ticketbot:change-me@postgres:5432/ticketbot",
        PGPASSWORD="change-me",
    )
    assert found == [
        "SLACK_SIGNING_SECRET: is still the example's placeholder; copy the Signing Secret from "
        "the app's Basic Information page",
        "TICKETBOT_DB: the password is still the example's placeholder; set a real one (in "
        "POSTGRES_PASSWORD with compose)",
        "PGPASSWORD: still the example's placeholder; set the real password",
        "providers.hostup.api_key_env: environment variable HOSTUP_API_KEY still holds the "
        "example's placeholder; put the real secret in it",
    ]
    assert "your-hostup-api-key" not in " ".join(found)


@pytest.mark.parametrize(
    ("secret", "expected"),
    [
        (
            "",
            'providers.hostup.api_key_env: required; add api_key_env = "<VARIABLE>", naming the '
            "environment variable that holds it",
        ),
        (
            'api_key = "hk-pasted-secret"',
            "providers.hostup.api_key: put the secret in an environment variable and name it in "
            "api_key_env",
        ),
        (
            'api_key_env = "UNSET_KEY"',
            "providers.hostup.api_key_env: environment variable UNSET_KEY is not set",
        ),
    ],
    ids=["no-api_key_env", "literal", "unset"],
)
def test_a_secret_problem_names_the_key_and_hides_no_other(
    tmp_path: Path, secret: str, expected: str
) -> None:
    """A table without ``api_key_env`` is told to add that key (not ``api_key``, which is then
    refused as a literal); a literal or unset secret is one problem among the table's others."""
    config = f'[providers.hostup]\nkind = "hostup"\nbase_url = "ftp://x"\ntimeout = 3\n{secret}\n'
    found = problems(tmp_path, config)
    assert len(found) == 3 and expected in found
    assert (
        "providers.hostup.base_url: not an http(s) URL; give one like https://api.example.com/v1"
        in found
    )
    assert any(
        p.startswith("providers.hostup.timeout: unknown key (did you mean timeout_seconds?)")
        for p in found
    )
    assert "hk-pasted-secret" not in " ".join(found)


def test_the_teams_own_alert_sources_are_checked_one_line_per_mistake(tmp_path: Path) -> None:
    config = (
        GOOD
        + '\n[[alert_sources]]\nname = "nightwatch"\nbot_names = ["Nightwatch"]\n'
        + "identity = 'check=(?P<identity>[\\w.-]+'\n"
        + '\n[[alert_sources]]\nname = "Night Watch"\nidentity = "x"\nsubjet = "y"\n'
        + '\n[[alert_sources]]\nname = "ok"\nbot_ids = ["B1"]\nidentity = "id=(\\\\d+)"\n'
        + "resolved = '(a)\\1'\n"
    )
    assert problems(tmp_path, config) == [
        "alert_sources[0].identity: not a pattern RE2 accepts (missing ))",
        "alert_sources[1].name: not of the form ^[a-z0-9][a-z0-9_-]*$",
        "alert_sources[1].subjet: unknown key (did you mean subject?); valid keys: bot_ids, "
        "bot_names, identity, resolved, subject",
        "alert_sources[2].resolved: not a pattern RE2 accepts (invalid escape sequence)",
    ]
    good = GOOD + '\n[[alert_sources]]\nname = "nw"\nbot_names = ["NW"]\nidentity = "id=(\\\\d+)"\n'
    assert load_settings(env(tmp_path, good)).alert_sources[0].name == "nw"
