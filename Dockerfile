# The monitor's image: `monitor run` by default, with its own Redis under /data; given
# REDIS_URL, any `monitor` command, such as the pollers and workers of docker-compose.yml.
FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY monitor ./monitor
COPY workers ./workers
RUN pip install --no-cache-dir .
COPY rules ./rules
COPY feeds.yaml ./
# The data directory belongs to the user before it is declared a volume, so that a new
# volume is created writable by that user.
RUN useradd --system --uid 10001 --no-create-home --home-dir /data monitor \
    && mkdir /data && chown monitor:monitor /data
ENV MONITOR_HOME=/data \
    MONITOR_RULES=/app/rules \
    MONITOR_FEEDS=/app/feeds.yaml \
    MONITOR_CHANNELS=/app/channels.yaml
VOLUME /data
USER monitor
# Healthy while the monitor's Redis answers (REDIS_URL, or the embedded server's socket);
# it only connects, never starts a server of its own.
HEALTHCHECK --interval=30s --timeout=10s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import redis; from monitor.connection import redis_url; from monitor.settings import Settings; redis.Redis.from_url(redis_url(Settings.from_env()), socket_timeout=5).ping()"]
ENTRYPOINT ["monitor"]
CMD ["run"]
