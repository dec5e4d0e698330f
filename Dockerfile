# Small runtime image: the wheel is built in a throwaway stage; no build tools ship.
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY bot ./bot
RUN pip install --no-cache-dir --prefix=/install .

FROM python:3.11-slim
RUN useradd --create-home --uid 10001 ticketbot \
 && mkdir -p /data /config && chown ticketbot /data
COPY --from=build /install /usr/local
USER ticketbot
WORKDIR /home/ticketbot
ENV PORT=3000 \
    TICKETBOT_CONFIG=/config/ticketbot.toml \
    TICKETBOT_DB=/data/ticketbot.db \
    PYTHONUNBUFFERED=1
EXPOSE 3000
VOLUME ["/data"]
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
  CMD python -c "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('PORT', '3000'), timeout=4)"
CMD ["ticketbot", "run"]
