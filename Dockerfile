# One image for the four services (and the CLI); the command picks the service:
#   docker run veille veille run ingest --host 0.0.0.0
FROM python:3.11-slim-bookworm
ENV PYTHONUNBUFFERED=1 UV_COMPILE_BYTECODE=1 UV_LINK_MODE=copy
RUN pip install --no-cache-dir uv
WORKDIR /app
COPY pyproject.toml uv.lock ./
COPY libs ./libs
COPY services ./services
COPY cli ./cli
COPY agents ./agents
RUN uv sync --frozen --no-dev && useradd --system veille
ENV PATH="/app/.venv/bin:$PATH"
USER veille
EXPOSE 8080
CMD ["veille", "--help"]
