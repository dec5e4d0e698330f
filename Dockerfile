# Small runtime image: the dependencies (pinned in requirements.lock) in their own layer, then
# the code; no build tools ship. A code or README change rebuilds only the last layers.
FROM python:3.11-slim AS build
WORKDIR /src
RUN pip install --no-cache-dir hatchling==1.27.0
COPY requirements.lock ./
RUN pip install --no-cache-dir --prefix=/install -r requirements.lock
COPY pyproject.toml README.md manifest.yml ./
COPY bot ./bot
RUN pip install --no-cache-dir --prefix=/install --no-deps --no-build-isolation .

FROM python:3.11-slim
# NOTE: uid 10001 owns /data; a host directory mounted there must be writable by it
# (chown 10001 DIR), or the bot stops at start with one line saying so.
RUN useradd --create-home --uid 10001 ticketbot \
 && mkdir -p /data /config && chown ticketbot /data
COPY --from=build /install /usr/local
USER ticketbot
WORKDIR /home/ticketbot
ENV PORT=3000 \
    TICKETBOT_CONFIG=/config/ticketbot.toml \
    TICKETBOT_DB=/data/ticketbot.db \
    PYTHONUNBUFFERED=1
# NOTE: 3000 is for Slack (/slack/events); 9090 (METRICS_PORT) serves /metrics, for inside only
EXPOSE 3000 9090
VOLUME ["/data"]
# NOTE: liveness (/livez: the event loop answers), not readiness: a database or Slack outage
# must not mark the container unhealthy (a restart fixes neither; /healthz says it). On `docker stop` the bot drains for drain_seconds (8 s),
# inside Docker's default 10 s; give it `--stop-timeout 20` (compose: stop_grace_period).
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
  CMD python -c "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/livez' % os.environ.get('PORT', '3000'), timeout=4)"
CMD ["ticketbot", "run"]
