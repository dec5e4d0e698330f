"""compose.yaml, run for real: ``python -m bench.compose_smoke`` (needs Docker with compose).

In a scratch copy of the tree: a ``.env`` (a PostgreSQL password with ``@ : / #`` in it), a
providers file, and an override that adds the project's fakes as a service (the fake Slack Web
API and a fake HostUp, from the bot's own image with the tree mounted) and publishes the
replicas' port (HTTP mode). Then: ``docker compose up``; PostgreSQL and both replicas healthy;
a ticket filed through one replica (a signed ``/ticket``, the modal submitted); a second ticket
in flight (HostUp answering in 3 s) when that replica is stopped; everything brought down.
Prints the figures: build, time to healthy, tickets filed, stop time, exit codes. Not part of
the test command (which must not need Docker).
"""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from bench.run import body_for, send, session, until
from tests.fakes.hostup import API_KEY
from tests.fakes.slack_api import BOT_TOKEN
from tests.slack_driver import SIGNING_SECRET

ROOT = Path(__file__).resolve().parent.parent
PROJECT = "tbsmoke"
IMAGE = "ticketbot-compose-smoke"
PASSWORD = "p@ss:w/rd#1 ok"  # every character a URL would break on
SLACK_PORT, HOSTUP_PORT = 9001, 9002
OVERRIDE = f"""
services:
  ticketbot:
    image: {IMAGE}
    ports: ["3000"]
    depends_on:
      fakes:
        condition: service_started
  fakes:
    image: {IMAGE}
    working_dir: /src
    environment:
      PYTHONPATH: /src
    volumes:
      - ./:/src:ro
    command: ["python", "-m", "bench.fakes", "{SLACK_PORT}", "{HOSTUP_PORT}", "0", "0.0.0.0"]
    ports: ["{SLACK_PORT}", "{HOSTUP_PORT}"]
"""


def run(*args: str, check: bool = True, cwd: Path | None = None) -> str:
    done = subprocess.run(args, capture_output=True, text=True, check=False, cwd=cwd)
    if check and done.returncode != 0:
        raise RuntimeError(f"{' '.join(args)}: {(done.stdout + done.stderr).strip()[-1500:]}")
    return (done.stdout + done.stderr).strip()


class Stack:
    """``docker compose`` over the scratch copy, with the override."""

    def __init__(self, where: Path) -> None:
        self.where = where

    def compose(self, *args: str, check: bool = True) -> str:
        return run(
            "docker", "compose", "-p", PROJECT, "-f", "compose.yaml", "-f", "compose.smoke.yaml",
            *args, check=check, cwd=self.where,
        )  # fmt: skip

    def ids(self, service: str) -> list[str]:
        return self.compose("ps", "-q", service).split()

    def url(self, container: str, port: int) -> str:
        # NOTE: `docker port` prints one line per address family; the first is IPv4's
        mapping = run("docker", "port", container, str(port)).splitlines()[0]
        return f"http://127.0.0.1:{mapping.rsplit(':', 1)[1]}"


def prepare(where: Path) -> None:
    shutil.copytree(
        ROOT,
        where,
        ignore=shutil.ignore_patterns(
            ".venv", ".git", "__pycache__", "*.db*", ".mypy_cache", ".ruff_cache", ".pytest_cache"
        ),
    )
    (where / ".env").write_text(
        f"SLACK_BOT_TOKEN={BOT_TOKEN}\nSLACK_SIGNING_SECRET={SIGNING_SECRET}\n"
        f"SLACK_API_URL=http://fakes:{SLACK_PORT}/api/\nHOSTUP_API_KEY={API_KEY}\n"
        # NOTE: compose v1 reads .env values verbatim (no quotes needed for these characters)
        f"POSTGRES_PASSWORD={PASSWORD}\n",
        encoding="utf-8",
    )
    (where / "ticketbot.toml").write_text(
        '[ticketbot]\nadmins = ["UANA"]\nreplica_timeout_seconds = 5\n\n'
        f'[providers.hostup]\nkind = "hostup"\nbase_url = "http://fakes:{HOSTUP_PORT}/api/v2"\n'
        'api_key_env = "HOSTUP_API_KEY"\ntimeout_seconds = 10\npoll_seconds = 3600\n',
        encoding="utf-8",
    )
    (where / "compose.smoke.yaml").write_text(OVERRIDE, encoding="utf-8")
    for path in where.rglob("*"):  # NOTE: the fakes run as the image's uid 10001
        path.chmod(0o755 if path.is_dir() else 0o644)


async def healthy(urls: list[str], within: float) -> float:
    """Seconds until every URL's /healthz answers 200."""
    started = time.perf_counter()
    async with httpx.AsyncClient(timeout=2) as client:
        pending = set(urls)
        while pending:
            if time.perf_counter() - started > within:
                raise RuntimeError(f"never healthy: {sorted(pending)}")
            for url in list(pending):
                try:
                    if (await client.get(f"{url}/healthz")).status_code == 200:
                        pending.discard(url)
                except httpx.TransportError:
                    pass
            await asyncio.sleep(0.1)
    return time.perf_counter() - started


async def fake(url: str, path: str) -> Any:
    async with httpx.AsyncClient(timeout=5) as client:
        return (await client.get(f"{url}{path}")).json()


async def file_through(bot: str, slack: str, n: int) -> None:
    """A signed /ticket to ``bot``, then its modal submitted there (subject s-<n>)."""
    async with session(2) as client:
        await send(client, f"{bot}/slack/events", body_for("command", n)[0])

        async def opened() -> bool:
            return f"bench.{n}" in await fake(slack, "/_bench/opened")

        await until(opened, within=20)
        views = [(str(v[0]), str(v[1])) for v in await fake(slack, "/_bench/views")]
        await send(client, f"{bot}/slack/events", body_for("view_submission", n, views[-1])[0])


async def filed(hostup: str, subject: str, within: float) -> float:
    started = time.perf_counter()

    async def there() -> bool:
        return any(s == subject for s, _ in await fake(hostup, "/_bench/tickets"))

    await until(there, within=within)
    return time.perf_counter() - started


async def smoke() -> dict[str, object]:
    figures: dict[str, object] = {}
    where = Path(tempfile.mkdtemp(prefix="ticketbot-compose-")) / "src"
    prepare(where)
    stack = Stack(where)
    started = time.perf_counter()
    stack.compose("build")
    figures["build_s"] = round(time.perf_counter() - started, 1)
    try:
        started = time.perf_counter()
        stack.compose("up", "-d")
        figures["up_returned_s"] = round(time.perf_counter() - started, 1)
        (postgres,) = stack.ids("postgres")
        figures["postgres_health"] = run(
            "docker", "inspect", postgres, "-f", "{{.State.Health.Status}}"
        )
        replicas = stack.ids("ticketbot")
        figures["replicas"] = len(replicas)
        urls = [stack.url(c, 3000) for c in replicas]
        (fakes,) = stack.ids("fakes")
        slack, hostup = stack.url(fakes, SLACK_PORT), stack.url(fakes, HOSTUP_PORT)
        await healthy(urls, within=120)
        figures["up_to_both_replicas_healthy_s"] = round(time.perf_counter() - started, 1)
        figures["connected_with_password_in_PGPASSWORD"] = stack.compose(
            "exec", "-T", "postgres", "psql", "-U", "ticketbot", "-tAc",
            "SELECT count(*) FROM replicas",
        )  # fmt: skip
        await file_through(urls[0], slack, 1)
        figures["ticket_filed_through_replica_1_s"] = round(await filed(hostup, "s-1", 30), 2)
        async with httpx.AsyncClient() as client:
            await client.post(f"{hostup}/_bench/latency", params={"seconds": "3"})
        await file_through(urls[0], slack, 2)
        await asyncio.sleep(0.5)  # NOTE: the create is out now, its answer 2.5 s away
        started = time.perf_counter()
        run("docker", "stop", replicas[0])
        figures["stop_with_ticket_in_flight_s"] = round(time.perf_counter() - started, 1)
        figures["stopped_replica_exit_code"] = int(
            run("docker", "inspect", replicas[0], "-f", "{{.State.ExitCode}}")
        )
        figures["in_flight_ticket_filed"] = any(
            s == "s-2" for s, _ in await fake(hostup, "/_bench/tickets")
        )
        figures["tickets_at_hostup"] = len(await fake(hostup, "/_bench/tickets"))
        logs = run("docker", "logs", replicas[0], check=False)
        figures["stopped_replica_parked_nothing"] = "parked unfinished work" not in logs
        figures["errors_logged"] = sum(
            '"level": "error"' in line for c in replicas for line in run(
                "docker", "logs", c, check=False
            ).splitlines()
        )  # fmt: skip
    finally:
        started = time.perf_counter()
        stack.compose("stop", check=False)
        codes = {
            run("docker", "inspect", c, "-f", "{{.Name}}").lstrip("/"): int(
                run("docker", "inspect", c, "-f", "{{.State.ExitCode}}")
            )
            for service in ("ticketbot", "postgres", "fakes")
            for c in stack.ids(service)
        }
        stack.compose("down", "-v", check=False)
        figures["down_s"] = round(time.perf_counter() - started, 1)
        figures["exit_codes_after_stop"] = codes
        shutil.rmtree(where.parent, ignore_errors=True)
    return figures


def main() -> None:
    figures = asyncio.run(smoke())
    print(json.dumps(figures, indent=2))
    ok = (
        figures.get("in_flight_ticket_filed") is True
        and figures.get("stopped_replica_exit_code") == 0
        and figures.get("errors_logged") == 0
    )
    print("compose smoke test:", "passed" if ok else "FAILED")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
