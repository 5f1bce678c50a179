# The legalaid image: one image for every service of docker-compose.yml (migrate, worker, scheduler), and a
# `flower` stage on top of it for the queue monitor. Commands are given in full by docker-compose.yml
# (`legalaid worker`, `legalaid scheduler`, ...); without one, the container runs `legalaid serve`.
#
#   docker build -t legalaid .                  # the application
#   docker build --target flower -t legalaid-flower .

FROM python:3.11-slim AS app

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# A fixed uid, so files on the /data volume keep one owner across rebuilds. /data is created here, owned by
# that user: Docker copies the ownership into a new named volume mounted there, so the non-root processes
# can write documents into it.
RUN useradd --create-home --uid 10001 --user-group legalaid \
    && mkdir /data \
    && chown legalaid:legalaid /data

WORKDIR /src
COPY pyproject.toml README.md ./
COPY legalaid ./legalaid
COPY cli ./cli
COPY web ./web
COPY tasks ./tasks
COPY workers ./workers
COPY schedules ./schedules
COPY templates ./templates
# The runtime dependencies only: no dev extras (pytest, ruff, mypy) in a production image.
RUN pip install . \
    && rm -rf /src

# legalaid.toml, if one is mounted, is read from the working folder.
WORKDIR /app
ENV LEGALAID_DATA_DIR=/data
USER legalaid
# The HTTP API (`legalaid web`; docker-compose publishes it on localhost for the reverse proxy).
EXPOSE 8000

CMD ["legalaid", "serve"]


# Flower watches the queues; only its service needs it, so the application image stays without it.
FROM app AS flower
USER root
RUN pip install "flower>=2.0,<3"
USER legalaid
EXPOSE 5555
CMD ["celery", "--app", "workers", "flower", "--port=5555"]
