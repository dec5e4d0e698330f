"""The texts the disclosure tests scan: ordinary operations text that must give no finding, and
each secret kind in the form its vendor documents.

The examples are the vendors' own published example values where they publish one (cited),
else a value built to the documented format (the format's page cited). None is a live key.
"""

from __future__ import annotations

from pathlib import Path

PAYLOADS = Path(__file__).resolve().parent / "payloads"

# What an on-call pastes that is not secret: names, ids, hashes, keys of alert groups, times.
OPS_TEXT = """\
Pod api-7d9f8b6c5-x2x7k in namespace prod is in CrashLoopBackOff (restarts: 14)
kubelet: Back-off restarting failed container web in pod
  web-5c9f7d8b4-qwe12_prod(5f1c2a9e-8d3b-4c7a-9e21-0b6f4d2c8a17)
node ip-10-0-3-17.eu-west-1.compute.internal NotReady since 2026-12-07T00:41:12Z
host db1.prod.internal: disk /var/lib/postgresql 93% full
deploy 8f3c2e1 -> 4b92d7a0c5e8f1a3b6d9c2e5f8a1b4c7d0e3f6a9 (git sha),
  image sha256:9b2c4e7f1a3d5b8c0e2f4a6c8e0b2d4f6a8c0e2b4d6f8a0c2e4b6d8f0a2c4e6b8
Alertmanager group key: {}/{severity="critical"}:{alertname="KubePodCrashLooping", namespace="prod"}
groupKey: "{}:{alertname=\\"HighErrorRate\\", service=\\"checkout\\"}"
Grafana rule uid ddz5nl7k2e4g0b, folder uid fe3yy6xdtsxkwa, dashboard uid Kx9qPz2Vk
traceparent: 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01
trace_id=4bf92f3577b34da6a3ce929d0e0e4736 span_id=00f067aa0ba902b7
dd.trace_id=4837291038475629384 dd.span_id=1928374650192837465
request id 3f2b8c1d-6e4a-4b9f-8c7d-2a1e0f9b8c6d failed after 30001 ms
x-amzn-RequestId: 7a62c49f-347e-4fc4-9331-6e8eEXAMPLE
instance i-0abcd1234ef567890 (t3.large) in subnet-0bb1c79de3EXAMPLE
arn:aws:iam::123456789012:role/ops-oncall assumed by arn:aws:sts::123456789012:assumed-role/ops
at 1733532072 (epoch), 1733532072123 ms, 1733532072123456789 ns, 2026-12-07 00:41:12.123 UTC
ERROR token expired for session 41; user must log in again
WARN password reset requested for user 1842
INFO secret/db-credentials mounted at /etc/creds
password: ********
password: <redacted>
api_key: ${API_KEY}
token: {{ .Values.token }}
password: changeme
Authorization header missing on GET /api/v2/orders?page=3&per_page=50
etag "d41d8cd98f00b204e9800998ecf8427e" md5 d41d8cd98f00b204e9800998ecf8427e
sha1 da39a3ee5e6b4b0d3255bfef95601890afd80709
release v2.14.3 (build 20261207.4) on kernel 6.8.0-49-generic
Sentry event 8c2a4e6b1d3f5a7c9e0b2d4f6a8c0e2b4 issue PROJ-1A2B
curl -sS -X POST https://api.example.com/v1/orders -H 'Content-Type: application/json'
SELECT count(*) FROM orders WHERE created_at > now() - interval '5 minutes';
java.lang.OutOfMemoryError: Java heap space at com.example.Worker.run(Worker.java:42)
HTTP 503 from upstream checkout-svc:8080 after 3 retries (backoff 200ms)
PagerDuty incident Q2AB3CD4EFGH56 dedup_key 0123456789abcdef0123456789abcdef
Opsgenie alias 7b6a5c4d-3e2f-1a0b-9c8d-7e6f5a4b3c2d tiny id 1234
ISO week 2026-W49, build number 4111111111, order 1234567890123
aws ec2 describe-instances: "NextToken": "eyJ2IjoxLCJjIjoiQUFBQUFBIn0=", next_token=AAAB3NzaC1yc2Ex
model max_tokens: 4096, auth=required, token: expired, api_key: null, X-Auth-Token: <redacted>
FATAL:  password authentication failed for user "postgres"
kubectl describe pod web-5c9f7d8b4-qwe12:
    Type:        Secret (a volume populated by a Secret)
    SecretName:  db-credentials
    TokenExpirationSeconds:  3607
  DB_PASSWORD:  <set to the key 'password' in secret 'db-credentials'>  Optional: false
  API_KEY_FILE: /etc/secrets/api-key
  secretKeyRef: name=db-secret key=password
  passwordSecretRef: pg-admin
  "secretName": "tls-cert", "token_type": "Bearer", "auth_method": "oidc"
aws iam get-user: {"PasswordLastUsed": "2026-11-30T08:12:44Z", "UserName": "ops-bot"}
Dec 07 00:41:12 db1 sshd[1234]: Failed password for invalid user admin port 52144 ssh2
terraform:  ~ password      = (sensitive value)
vault: Code: 403. Errors: * permission denied on secret/data/prod/db
GET /v1/items?api_key_id=42&page_token=CiAKGjBpNDd2Nmp2Zml2cXRwYjBpOXA0 HTTP/1.1" 200
"""

# (kind as the scan names it, example, where its format is documented)
SECRETS = [
    (
        "AWS access key",
        "AKIAIOSFODNN7EXAMPLE",
        "docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_access-keys.html",
    ),
    (
        "password or secret",
        "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        "docs.aws.amazon.com/cli/latest/userguide/cli-configure-files.html",
    ),
    (
        "GCP API key",
        "AIzaSyDaGmWKa4JsXZ-HjGw7ISLn_3namBGewQe",
        "cloud.google.com/docs/authentication/api-keys (AIza + 35)",
    ),
    (
        "Azure storage key",
        "DefaultEndpointsProtocol=https;AccountName=devstoreaccount1;AccountKey="
        "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==",
        "learn.microsoft.com/azure/storage/common/storage-use-azurite (well-known key)",
    ),
    (
        "Azure client secret",
        "Xq78Q~h2f9KdPq3LmZr1aBcDeFgHiJkLmNoPqRsT",
        "learn.microsoft.com/entra/identity-platform (client secret format)",
    ),
    (
        "Slack token",
        "xoxb-17653672481-19874698323-pdFZKVeTuE8sk7oOcBrzbqgy",
        "api.slack.com/authentication/token-types",
    ),
    (
        "Slack token",
        "https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX",
        "api.slack.com/messaging/webhooks",
    ),
    (
        "GitHub token",
        "ghp_16C7e42F292c6912E7710c838347Ae178B4a",
        "github.blog/2021-04-05-behind-githubs-new-authentication-token-formats",
    ),
    (
        "GitLab token",
        "glpat-9fQzR2xKp7LmN4vT8wYb",
        "docs.gitlab.com/ee/security/tokens (glpat- prefix)",
    ),
    (
        "Stripe key",
        "sk_test_4eC39HqLyjWDarjtT1zdp7dc",
        "docs.stripe.com/api/authentication (the documented test key)",
    ),
    (
        "Stripe key",
        "sk_live_51H8qLmKz3xYv9TqRwEaBcDe",
        "docs.stripe.com/keys (sk_live_ prefix)",
    ),
    (
        "Twilio key",
        "SK2f1e3d4c5b6a79880f1e2d3c4b5a6978",
        "twilio.com/docs/iam/api-keys (SK + 32 hex)",
    ),
    (
        "SendGrid key",
        "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",
        "docs.sendgrid.com/ui/account-and-settings/api-keys",
    ),
    (
        "JSON web token",
        "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwi"
        "aWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c",
        "jwt.io (the introduction's example token)",
    ),
    (
        "private key",
        "-----BEGIN RSA PRIVATE KEY-----\n"
        "MIIBOgIBAAJBAKj34GkxFhD90vcNLYLInFEX6Ppy1tPf9Cnzj4p4WGeKLs1Pt8Qu\n"
        "KUpRKfFLfRYC9AIKjbJTWit+CqvjWYzvQwECAwEAAQJAIJLixBy2qpFoS4DSmoEm\n"
        "-----END RSA PRIVATE KEY-----",
        "RFC 7468 (PEM textual encoding)",
    ),
    (
        "password in a URL",
        "postgresql://app:Tr0ub4dor3x@db1.prod.internal:5432/orders",
        "RFC 3986 section 3.2.1 (userinfo)",
    ),
    (
        "password or secret",
        "DB_PASSWORD=hunter2-Prod-77",
        "(a shell assignment)",
    ),
    (
        "password or secret",
        'secret: "s3cr3t-value-9"',
        "(a YAML key)",
    ),
    (
        "npm token",
        "//registry.npmjs.org/:_authToken=npm_aB3dE5fG7hI9jK1lM3nO5pQ7rS9tU1vW3xY5",
        "docs.npmjs.com/cli/configuring-npm/npmrc",
    ),
    (
        "Telegram bot token",
        "4839574812:AAFD39kkdpWt3ywyRZergyOLMaJhac60qcK",
        "core.telegram.org/bots/features#botfather (bot id, a colon, 35 characters)",
    ),
]

# What on-call pastes carry beyond vendor formats (RFC 7617/6750 headers, curl's -u).
PASTED = [
    (
        "token or credential",
        'curl -H "Authorization: Bearer mF_9.B5f-4.1JqM" https://api.example.com/v1',
        "RFC 6750 section 2.1 (its example token)",
    ),
    (
        "token or credential",
        "Authorization: Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==",
        "RFC 7617 section 2 (its example credentials)",
    ),
    ("token or credential", "curl -u deploy:Wr0ngHorse9 https://ci.internal/job", "curl(1) -u"),
    ("token or credential", "export SERVICE_TOKEN=Zx81kPq0wLm3nB7v", "(a shell assignment)"),
    ("token or credential", "x-api-key: 9f8e7d6c5b4a39281706", "(an HTTP header)"),
    ("token or credential", "redis://:p4ssw0rdX@redis.internal:6379/0", "redis-cli(1) URI"),
    (
        "password or secret",
        "HEROKU_API_KEY=3f2b8c1d-6e4a-4b9f-8c7d-2a1e0f9b8c6d",
        "devcenter.heroku.com/articles/authentication (a UUID key)",
    ),
    (
        "password or secret",
        '"client_secret": "GOCSPX-1a2b3c4d5e6f7g8h9i0jKLmn"',
        "developers.google.com/identity/protocols/oauth2 (client_secret.json)",
    ),
]

PERSONAL = [
    ("e-mail address", "jane.doe@example.com", "RFC 5322"),
    ("phone number", "+44 20 7946 0958", "Ofcom's numbers for drama (UK)"),
    ("IP address", "203.0.113.42", "RFC 5737 documentation range"),
    ("IP address", "2001:db8::1", "RFC 3849 documentation range"),
    ("card number", "4111 1111 1111 1111", "Visa's test card number"),
]


def secret_of(example: str) -> str:
    """The part of an example that must not reach the provider."""
    for marker in (
        "AccountKey=",
        "_authToken=",
        "= ",
        "PASSWORD=",
        "secret: ",
        "Bearer ",
        "Basic ",
        "deploy:",
        "TOKEN=",
        "key: ",
        "KEY=",
        '"client_secret": ',
    ):
        if marker in example:
            return example.split(marker, 1)[1].split()[0].strip('"')
    if example.startswith("postgresql://"):
        return "Tr0ub4dor3x"
    if example.startswith("redis://"):
        return "p4ssw0rdX"
    return example


def payload_texts() -> list[tuple[str, str]]:
    """Every alert payload the tests have (the alert readers' fixtures among them)."""
    return [
        (str(path.relative_to(PAYLOADS)), path.read_text(encoding="utf-8"))
        for path in sorted(PAYLOADS.rglob("*"))
        if path.is_file() and path.suffix in (".json", ".txt", ".md", ".yaml", ".yml")
    ]
