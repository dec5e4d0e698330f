"""The docs keep up with the code: every setting the models accept is in configuration.md."""

from __future__ import annotations

from pathlib import Path

from bot.providers.config import ProviderConfigBase
from bot.providers.registry import REGISTRY
from bot.settings import EnvSettings, Options

DOCS = Path(__file__).resolve().parent.parent / "docs"


def test_every_setting_and_key_is_in_configuration_md() -> None:
    text = (DOCS / "configuration.md").read_text(encoding="utf-8")
    keys = {name.upper() for name in EnvSettings.model_fields}
    keys |= set(Options.model_fields)
    keys |= set(ProviderConfigBase.model_fields) - {"name"}  # the table's own key
    for kind in REGISTRY.values():
        model = kind.config
        for name in set(model.model_fields) - set(ProviderConfigBase.model_fields):
            keys.add(f"{name}_env" if name in model.secret_fields else name)
    missing = sorted(key for key in keys if f"`{key}`" not in text)
    assert missing == []


def test_every_doc_the_readme_links_exists() -> None:
    readme = (DOCS.parent / "README.md").read_text(encoding="utf-8")
    for name in ("configuration", "features", "providers", "operations", "deploy"):
        assert f"docs/{name}.md" in readme and (DOCS / f"{name}.md").is_file()
    for name in ("security", "architecture", "benchmark"):
        assert f"docs/{name}.md" in readme and (DOCS / f"{name}.md").is_file()
