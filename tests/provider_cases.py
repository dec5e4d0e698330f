"""One description per provider, so the contract and end-to-end suites run over all five."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bot.domain.forms import FieldValue
from tests.fakes import billingserv, hostup, ispcrm, pulse, vpsbg
from tests.fakes.server import FakeServer


@dataclass(frozen=True)
class Case:
    kind: str
    fake: Callable[[], FakeServer]
    table: Callable[[str], str]  # fake URL → the [providers.<kind>] TOML table
    env: dict[str, str]
    bad_env: dict[str, str]  # credentials the provider refuses (401)
    secrets: tuple[str, ...]
    create_path: str
    minimal: dict[str, FieldValue]
    full: dict[str, FieldValue]
    rejected: dict[str, FieldValue]  # passes our checks, the provider refuses a field
    rejected_key: str | None  # the form field that error lands on (None: general)
    sent: Callable[[FakeServer], dict[str, Any]]  # what the provider received for the create
    number: str  # the number the first ticket gets
    link: str | None = None  # a requester link the filer needs, if any
    ui: dict[str, str] = field(default_factory=dict)  # values as typed in the modal


def _last_create(path: str) -> Callable[[FakeServer], dict[str, Any]]:
    def sent(fake: FakeServer) -> dict[str, Any]:
        body = [r.body for r in fake.requests if r.method == "POST" and r.path.endswith(path)]
        assert body, f"nothing was POSTed to {path}"
        return dict(body[-1])

    return sent


CASES = [
    Case(
        kind="hostup",
        fake=hostup.FakeHostUp,
        table=lambda url: f'base_url = "{url}/api/v2"\napi_key_env = "HOSTUP_API_KEY"\n',
        env={"HOSTUP_API_KEY": hostup.API_KEY},
        bad_env={"HOSTUP_API_KEY": "wrong"},
        secrets=(hostup.API_KEY,),
        create_path="/support/tickets",
        minimal={"department": "vps", "subject": "Disk full", "description": "db1 is at 97%"},
        full={
            "department": "vps",
            "subject": "Disk full",
            "description": "db1 is at 97%",
            "priority": "critical",
            "critical_reason": "Checkout is down",
            "service_type": "vps",
            "service_id": "vps_01",
            "cc": ("a@example.com",),
        },
        rejected={"department": "gone", "subject": "s", "description": "d"},
        rejected_key="department",
        sent=_last_create("/support/tickets"),
        number="10001",
    ),
    Case(
        kind="billingserv",
        fake=billingserv.FakeBillingServ,
        table=lambda url: (
            f'base_url = "{url}/api/v2"\napi_key_env = "BS_KEY"\n'
            'departments = ["Technical", "Billing"]\n'
        ),
        env={"BS_KEY": billingserv.API_KEY},
        bad_env={"BS_KEY": "wrong"},
        secrets=(billingserv.API_KEY,),
        create_path="/ticket/create",
        minimal={
            "department": "Technical",
            "subject": "Invoice 12 is wrong",
            "description": "Charged twice 🔥 :fire: <script>x</script>",
        },
        full={
            "department": "Billing",
            "subject": "Invoice #12: wrong (again)!",
            "description": "Line 1\nLine 2\n\nPara 2",
            "priority": "emergency",
        },
        rejected={"department": "Nope", "subject": "s", "description": "d"},
        rejected_key="department",
        sent=_last_create("/ticket/create"),
        number="501",
        link="42",
    ),
    Case(
        kind="pulse",
        fake=pulse.FakePulse,
        table=lambda url: (
            f'base_url = "{url}"\napi_key_env = "PULSE_KEY"\n'
            'api_secret_env = "PULSE_SECRET"\naccount_id = "2311"\n'
        ),
        env={"PULSE_KEY": pulse.API_KEY, "PULSE_SECRET": pulse.API_SECRET},
        bad_env={"PULSE_SECRET": "wrong"},
        secrets=(pulse.API_KEY, pulse.API_SECRET),
        create_path="/tickets",
        minimal={
            "subject": "Payout missing",
            "description": "Merchant 77 payout missing",
            "category": "billing",
        },
        full={
            "subject": "Payout missing",
            "description": "Merchant 77",
            "category": "account",
            "priority": "urgent",
        },
        rejected={"subject": "s", "description": "d", "category": "gossip"},
        rejected_key="category",
        sent=_last_create("/tickets"),
        number="TKT-12345",
    ),
    Case(
        kind="ispcrm",
        fake=ispcrm.FakeIspCrm,
        table=lambda url: (
            f'base_url = "{url}/api/v1"\ntoken_env = "ISP_TOKEN"\nstatus_id = 1\n'
            "priorities = {low = 1, normal = 2, high = 3}\n"
            "types = {fault = 1, request = 2}\ngroups = {support = 1}\n"
        ),
        env={"ISP_TOKEN": ispcrm.STATIC_TOKEN},
        bad_env={"ISP_TOKEN": "wrong"},
        secrets=(ispcrm.STATIC_TOKEN,),
        create_path="/subscriber/CreateTicket",
        minimal={
            "subject_id": "1",
            "description": "Internet down since yesterday",
            "priority": "low",
        },
        full={
            "subject_id": "2",
            "subject": "Double charge",
            "description": "Charged twice",
            "priority": "high",
            "type": "request",
        },
        rejected={"subject_id": "99", "description": "d", "priority": "low"},
        rejected_key=None,
        sent=_last_create("/subscriber/CreateTicket"),
        number="101",
    ),
    Case(
        kind="vpsbg",
        fake=vpsbg.FakeVpsbg,
        table=lambda url: (
            f'base_url = "{url}/v1"\ntoken_env = "VPSBG_TOKEN"\n'
            'departments = {"Tech support" = 2, Billing = 3}\n'
        ),
        env={"VPSBG_TOKEN": vpsbg.WRITE_TOKEN},
        bad_env={"VPSBG_TOKEN": "wrong"},
        secrets=(vpsbg.WRITE_TOKEN,),
        create_path="/support/tickets",
        minimal={
            "department": "Tech support",
            "subject": "Server misbehaves",
            "description": "Kernel panic on boot",
        },
        full={
            "department": "Billing",
            "subject": "Server misbehaves",
            "description": "Kernel panic",
            "service_type": "server",
            "service_id": "2747",
        },
        rejected={"department": "Billing", "subject": "ab", "description": "hello"},
        rejected_key="subject",
        sent=_last_create("/support/tickets"),
        number="216",
    ),
]

BY_KIND = {case.kind: case for case in CASES}


def provider_table(case: Case, url: str, name: str | None = None, extra: str = "") -> str:
    return f'[providers.{name or case.kind}]\nkind = "{case.kind}"\n{case.table(url)}{extra}\n'
