"""deploy/kubernetes/ and compose.yaml: every manifest valid against Kubernetes' own schemas
(the ``kubernetes-validate`` package ships them), the settings that matter where they belong,
the ConfigMap's providers file and the Secret's keys accepted by the bot once filled in, and
compose.yaml without a default password."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from bot.domain.errors import ConfigErrors
from bot.settings import EnvSettings, Options, load_settings

ROOT = Path(__file__).resolve().parent.parent
KUBERNETES = ROOT / "deploy" / "kubernetes"
VERSION = "1.30"  # the oldest Kubernetes release still supported upstream when this was written
MANIFESTS = sorted(p for p in KUBERNETES.glob("*.yaml") if p.name != "kustomization.yaml")


def load(name: str) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((KUBERNETES / name).read_text(encoding="utf-8"))
    return data


@pytest.mark.parametrize("path", MANIFESTS, ids=[p.name for p in MANIFESTS])
def test_each_manifest_is_valid_against_kubernetes_schemas(path: Path) -> None:
    for document in yaml.safe_load_all(path.read_text(encoding="utf-8")):
        kubernetes_validate.validate(document, VERSION, strict=True)  # raises on any error


def test_the_kustomization_applies_every_manifest() -> None:
    kustomization = load("kustomization.yaml")
    assert sorted(kustomization["resources"]) == sorted(p.name for p in MANIFESTS)
    assert [image["name"] for image in kustomization["images"]] == ["ticketbot"]


def test_the_deployment_runs_the_bot_the_way_the_docs_say() -> None:
    deployment = load("deployment.yaml")
    spec = deployment["spec"]
    pod = spec["template"]["spec"]
    (container,) = pod["containers"]
    assert spec["replicas"] == 2
    assert spec["strategy"]["rollingUpdate"]["maxUnavailable"] == 0
    assert container["readinessProbe"]["httpGet"]["path"] == "/healthz"
    assert container["livenessProbe"]["httpGet"]["path"] == "/livez"
    ports = {port["name"]: port["containerPort"] for port in container["ports"]}
    assert ports["http"] == EnvSettings.model_fields["port"].default
    assert ports["metrics"] == EnvSettings.model_fields["metrics_port"].default
    annotations = spec["template"]["metadata"]["annotations"]
    assert annotations["prometheus.io/port"] == str(ports["metrics"])
    pre_stop = int(container["lifecycle"]["preStop"]["exec"]["command"][-1])
    config = tomllib.loads(load("configmap.yaml")["data"]["ticketbot.toml"])
    drain = config["ticketbot"]["drain_seconds"]
    assert drain == Options.model_fields["drain_seconds"].default
    assert pod["terminationGracePeriodSeconds"] > pre_stop + drain
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["runAsUser"] == 10001  # the Dockerfile's user
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    assert container["securityContext"]["allowPrivilegeEscalation"] is False
    assert {"cpu", "memory"} <= set(container["resources"]["requests"])
    assert "memory" in container["resources"]["limits"]
    assert container["envFrom"] == [
        {"secretRef": {"name": load("secret.yaml")["metadata"]["name"]}}
    ]
    (config_volume,) = [v for v in pod["volumes"] if "configMap" in v]
    assert config_volume["configMap"]["name"] == load("configmap.yaml")["metadata"]["name"]
    selector = spec["selector"]["matchLabels"]
    assert load("service.yaml")["spec"]["selector"] == selector
    assert load("pdb.yaml")["spec"]["selector"]["matchLabels"] == selector


def test_the_configmap_and_secret_start_the_bot_once_filled_in(tmp_path: Path) -> None:
    """As shipped, their placeholders are refused; with real values they are a valid config."""
    toml = load("configmap.yaml")["data"]["ticketbot.toml"]
    secret: dict[str, str] = load("secret.yaml")["stringData"]
    named = set(re.findall(r'_env = "([A-Z_]+)"', toml))
    assert named <= set(secret), "the Secret holds every variable the providers file names"
    config = tmp_path / "ticketbot.toml"
    config.write_text(toml, encoding="utf-8")
    shipped = {**secret, "TICKETBOT_CONFIG": str(config)}
    with pytest.raises(ConfigErrors) as refused:
        load_settings(shipped)
    keys = {problem.key for problem in refused.value.problems}
    assert {"SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "PGPASSWORD"} <= keys
    filled = {
        **shipped,
        "SLACK_BOT_TOKEN": "xoxb-1-real",
        "SLACK_SIGNING_SECRET": "0123abcd",
        "PGPASSWORD": "p@ss:w/rd#1",
        "HOSTUP_API_KEY": "hk-real",
    }
    config.write_text(toml.replace("U0123ADMIN", "U07REALADM"), encoding="utf-8")
    settings = load_settings(filled)
    assert list(settings.providers) == ["hostup"] and settings.env.slack_app_token is None


def test_compose_has_no_default_password_and_keeps_it_out_of_the_url() -> None:
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text(encoding="utf-8"))
    services = compose["services"]
    required = re.compile(r"^\$\{POSTGRES_PASSWORD:\?[^}]+\}$")
    assert required.match(services["postgres"]["environment"]["POSTGRES_PASSWORD"])
    bot = services["ticketbot"]["environment"]
    assert required.match(bot["PGPASSWORD"])
    assert "${" not in bot["TICKETBOT_DB"] and ":" not in bot["TICKETBOT_DB"].split("@")[0][13:]
