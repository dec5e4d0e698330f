"""The image, built and run for real: ``python -m bench.container_smoke`` (needs Docker).

Builds the image (cold, then again after a one-line change to the code), starts it on the host
network against the project's fake Slack and fake HostUp, and checks: ``/livez`` and
``/healthz`` answer 200, a signed ``/ticket`` opens a modal at the fake Slack, and
``docker stop`` with a ticket in flight (HostUp answering in 3 s) exits 0 with the ticket filed.
Prints the figures: image size, build times, stop time. Not part of the test command (which
must not need Docker).
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

import httpx

from bench.run import Rig, body_for, free_port, send, session, until, wait_healthy
from tests.fakes.hostup import API_KEY
from tests.fakes.slack_api import BOT_TOKEN
from tests.slack_driver import SIGNING_SECRET

ROOT = Path(__file__).resolve().parent.parent
IMAGE = "ticketbot-smoke"


def docker(*args: str, check: bool = True, stderr: bool = False) -> str:
    """Run ``docker``; its output (``stderr``: both streams, as ``docker logs`` splits them)."""
    done = subprocess.run(["docker", *args], capture_output=True, text=True, check=False)
    if check and done.returncode != 0:
        raise RuntimeError(f"docker {' '.join(args)}: {done.stderr.strip()[-800:]}")
    return (done.stdout + done.stderr if stderr else done.stdout).strip()


def build(context: Path, *, cold: bool = False) -> float:
    """Seconds to build; ``cold``: no layer from an earlier build is reused."""
    started = time.perf_counter()
    docker(
        "build", "--network", "host", *(["--no-cache"] if cold else []), "-t", IMAGE, str(context)
    )
    return time.perf_counter() - started


def rebuild_after_a_one_line_change() -> float:
    """The same build from a copy of the tree with one line of code changed."""
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "src"
        shutil.copytree(
            ROOT, copy, ignore=shutil.ignore_patterns(".venv", ".git", "__pycache__", "*.db*")
        )
        version = copy / "bot" / "__init__.py"
        version.write_text(version.read_text() + "# a one-line change\n")
        return build(copy)


async def smoke() -> dict[str, object]:
    figures: dict[str, object] = {}
    figures["build_cold_s"] = round(build(ROOT, cold=True), 1)
    figures["build_after_one_line_change_s"] = round(rebuild_after_a_one_line_change(), 1)
    figures["image_mb"] = round(int(docker("image", "inspect", IMAGE, "-f", "{{.Size}}")) / 1e6)
    rig = Rig(latency=0.0)
    fakes = rig.spawn("-m", "bench.fakes", str(rig.slack_port), str(rig.hostup_port), "0")
    assert fakes.stdout is not None
    await asyncio.to_thread(fakes.stdout.readline)
    config = rig.tmp / "ticketbot.toml"
    config.write_text(
        f'[providers.hostup]\nkind = "hostup"\nbase_url = "{rig.hostup}/api/v2"\n'
        'api_key_env = "HOSTUP_API_KEY"\ntimeout_seconds = 10\npoll_seconds = 3600\n',
        encoding="utf-8",
    )
    config.chmod(0o644)
    port = free_port()
    name = f"ticketbot-smoke-{port}"
    env = {
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": f"{rig.slack}/api/",
        "HOSTUP_API_KEY": API_KEY,
        "PORT": str(port),
        "METRICS_PORT": "0",  # NOTE: the host network: any free port, not a shared 9090
        "HOST": "127.0.0.1",
    }
    flags = [arg for key, value in env.items() for arg in ("-e", f"{key}={value}")]
    docker(
        "run", "-d", "--name", name, "--network", "host", "--stop-timeout", "20",
        "-v", f"{config}:/config/ticketbot.toml:ro", *flags, IMAGE,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        figures["start_to_healthy_s"] = round(await wait_healthy(url, within=60), 2)
        async with httpx.AsyncClient() as client:
            assert (await client.get(f"{url}/livez")).status_code == 200
        async with session(2) as client:
            body, _ = body_for("command", 1)
            await send(client, f"{url}/slack/events", body)

            async def opened() -> bool:
                return "bench.1" in await rig.json("/_bench/opened")

            await until(opened, within=10)
            view = [(str(v[0]), str(v[1])) for v in await rig.json("/_bench/views")][-1]
            await rig.set_latency(3.0)  # the ticket is in flight when the stop comes
            body, _ = body_for("view_submission", 2, view)
            await send(client, f"{url}/slack/events", body)
        await asyncio.sleep(0.5)  # NOTE: the create is out now, its answer 2.5 s away
        started = time.perf_counter()
        docker("stop", name)
        figures["stop_with_work_in_flight_s"] = round(time.perf_counter() - started, 1)
        figures["exit_code"] = int(docker("inspect", name, "-f", "{{.State.ExitCode}}"))
        tickets = await rig.json("/_bench/tickets")
        figures["ticket_filed"] = any(subject == "s-2" for subject, _ in tickets)
    finally:
        logs = docker("logs", name, check=False, stderr=True)
        docker("rm", "-f", name, check=False)
        rig.stop()
    figures["log_lines"] = len(logs.splitlines())
    figures["clean_exit_logged"] = "parked unfinished work" not in logs
    return figures


def main() -> None:
    figures = asyncio.run(smoke())
    print(json.dumps(figures, indent=2))
    ok = figures["exit_code"] == 0 and figures["ticket_filed"] is True
    print("container smoke test:", "passed" if ok else "FAILED")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
