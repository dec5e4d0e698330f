"""Bad configuration stops the start with one line naming the key and what is wrong."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.errors import ConfigError
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
            "config error: providers.hostup.kind: unknown provider kind 'hostupp'",
        ),
        (
            GOOD.replace("https://cloud.hostup.se/api/v2", "not a url"),
            {},
            "config error: providers.hostup.base_url: Input should be a valid URL, relative URL "
            "without a base",
        ),
        (
            GOOD + 'colour = "red"\n',
            {},
            "config error: providers.hostup.colour: Extra inputs are not permitted",
        ),
        (
            GOOD + 'api_key = "literal"\n',
            {},
            "config error: providers.hostup.api_key: put the "
            "secret in an environment variable and name it in api_key_env",
        ),
        ("[ticketbot]\n", {}, "config error: providers: "),
        ("[providers\n", {}, "not valid TOML"),
        (GOOD, {"PORT": "eighty"}, "config error: PORT: Input should be a valid integer"),
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


def test_example_config_is_valid(tmp_path: Path) -> None:
    example = Path(__file__).resolve().parent.parent / "ticketbot.example.toml"
    secrets = {
        name: "x"
        for name in (
            "HOSTUP_API_KEY",
            "BILLINGSERV_API_KEY",
            "PULSE_API_KEY",
            "PULSE_API_SECRET",
            "ISPCRM_TOKEN",
            "VPSBG_TOKEN",
        )
    }
    settings = load_settings(env(tmp_path, example.read_text(encoding="utf-8"), **secrets))
    assert settings.providers
