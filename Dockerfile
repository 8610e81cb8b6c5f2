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
# Healthy while a worker or poller of this container beats in the monitor's Redis
# (REDIS_URL, or the embedded server's socket); the check never starts a server.
HEALTHCHECK --interval=30s --timeout=10s --start-period=30s --retries=3 \
    CMD ["monitor", "status", "--check", "--here"]
ENTRYPOINT ["monitor"]
CMD ["run"]
