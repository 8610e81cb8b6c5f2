FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY monitor ./monitor
COPY workers ./workers
RUN pip install --no-cache-dir .
COPY rules ./rules
ENV MONITOR_RULES=/app/rules MONITOR_HOME=/data
ENTRYPOINT ["monitor"]
CMD ["run"]
