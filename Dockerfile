# syntax=docker/dockerfile:1
# CineMatch's image: one image for serve, worker, relay, migrate (target `app`, the default)
# and one with a Java runtime and Spark's Kafka connector for `cinematch spark` (target `spark`).
# Everything is installed at the versions of the lock files (requirements/*.lock, scripts/lock)
# and the pages' scripts of web/package-lock.json; the app runs as an unprivileged user.

# --- the pages' scripts (npm, pinned by the lock file) ------------------------------
FROM node:20-bookworm-slim AS assets
WORKDIR /src
COPY web/package.json web/package-lock.json web/
COPY scripts/assets scripts/assets
RUN mkdir -p src/cinematch/entrypoints/web/static/vendor && bash scripts/assets

# --- Spark's Kafka connector jars (Maven Central, pinned by devservices/recipes/spark/pom.xml) ----
FROM maven:3.9-eclipse-temurin-17 AS jars
COPY devservices/recipes/spark/pom.xml /pom.xml
RUN mvn -q -B -f /pom.xml dependency:copy-dependencies -DoutputDirectory=/jars -DincludeScope=runtime \
      -DincludeArtifactIds=spark-sql-kafka-0-10_2.13,spark-token-provider-kafka-0-10_2.13,kafka-clients,commons-pool2

# --- the Python environments ----------------------------------------------------------
FROM python:3.11-slim-bookworm AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /venv
COPY requirements/app.lock /tmp/app.lock
RUN /venv/bin/pip install --require-hashes -r /tmp/app.lock
COPY pyproject.toml setup.py README.md /src/
COPY src /src/src
COPY --from=assets /src/src/cinematch/entrypoints/web/static/vendor /src/src/cinematch/entrypoints/web/static/vendor
RUN /venv/bin/pip install --no-deps /src

FROM build AS build-spark
COPY requirements/spark.lock /tmp/spark.lock
RUN /venv/bin/pip install --require-hashes -r /tmp/spark.lock

# --- serve, worker, relay, migrate ----------------------------------------------------
FROM python:3.11-slim-bookworm AS app
RUN useradd --create-home --uid 10001 cinematch && mkdir -p /data && chown cinematch /data
COPY --from=build /venv /venv
COPY config /app/config
WORKDIR /app
ENV PATH=/venv/bin:$PATH PYTHONUNBUFFERED=1 CINEMATCH_DATA_DIR=/data CINEMATCH_HOST=0.0.0.0
USER cinematch
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s \
  CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/health', timeout=2)"
ENTRYPOINT ["cinematch"]
CMD ["serve"]

# --- the Spark streaming job (local[N] inside the container) ---------------------------
FROM app AS spark
USER root
RUN apt-get update && apt-get install -y --no-install-recommends openjdk-17-jre-headless \
    && rm -rf /var/lib/apt/lists/*
COPY --from=build-spark /venv /venv
COPY --from=jars /jars /opt/cinematch/spark-jars
ENV CINEMATCH_SPARK_JARS=/opt/cinematch/spark-jars CINEMATCH_SPARK_CHECKPOINT_DIR=/data/spark-checkpoints
USER cinematch
HEALTHCHECK NONE
CMD ["spark", "stream"]
