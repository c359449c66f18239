# syntax=docker/dockerfile:1
#
# agbotkit: one image for every role; the role is the stack file it runs.
#
#   docker build -t ghcr.io/agbotkit/agbotkit:dev \
#     --build-arg VERSION=0.1.0 --build-arg REVISION="$(git rev-parse HEAD)" .
#   docker run --rm -p 8080:8080 -v "$PWD/my-stack.yaml:/etc/agbotkit/stack.yaml:ro" \
#     ghcr.io/agbotkit/agbotkit:dev
#
# Stages: `web` fetches uPlot with npm from web/package-lock.json; `build` copies it into
# web/vendor/, builds the wheel (the dashboard's page inside) and installs it with its
# runtime extras into a virtual environment without pip; `runtime` is the slim Python
# image, that environment and the role stack files: no compiler, no npm, no pip. See
# docs/deployment.md.

ARG PYTHON_VERSION=3.11
ARG DEBIAN_RELEASE=bookworm
ARG NODE_VERSION=22

FROM node:${NODE_VERSION}-${DEBIAN_RELEASE}-slim AS web
WORKDIR /src/web
COPY web/package.json web/package-lock.json ./
RUN npm ci --no-audit --no-fund --loglevel=error

FROM python:${PYTHON_VERSION}-slim-${DEBIAN_RELEASE} AS build
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore
WORKDIR /src
COPY pyproject.toml hatch_build.py README.md ./
COPY agbotkit/ agbotkit/
COPY web/ web/
COPY --from=web /src/web/node_modules/ web/node_modules/
# With web/vendor/ filled, the build hook (hatch_build.py) needs no npm here.
RUN python web/build.py \
    && pip wheel --no-deps --wheel-dir /dist .
# Extras the runtime installs: postgresql (psycopg 3, binary) for the shared database.
ARG AGBOTKIT_EXTRAS=postgresql
# The wheel's dependencies are the version ranges pyproject.toml pins; every one of them
# ships binary wheels, so nothing is compiled. Test folders of numpy and scipy are never
# imported at run time (about 50 MB).
RUN python -m venv --without-pip /opt/agbotkit \
    && pip --python /opt/agbotkit/bin/python install --no-warn-script-location \
        "$(ls /dist/agbotkit-*.whl)[${AGBOTKIT_EXTRAS}]" \
    && site="$(/opt/agbotkit/bin/python -c 'import sysconfig; print(sysconfig.get_path("purelib"))')" \
    && find "$site/numpy" "$site/scipy" -type d -name tests -prune -exec rm -rf {} + \
    && /opt/agbotkit/bin/agbotkit --version
COPY deploy/image/healthcheck.py /opt/agbotkit/healthcheck.py

FROM python:${PYTHON_VERSION}-slim-${DEBIAN_RELEASE} AS runtime
ARG VERSION=0.1.0
ARG REVISION=unknown
ARG SOURCE=https://github.com/agbotkit/agbotkit
LABEL org.opencontainers.image.title="agbotkit" \
      org.opencontainers.image.description="A Trio framework for trading bots on Polymarket: one image, the role is the stack file" \
      org.opencontainers.image.licenses="MIT" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.source="${SOURCE}"
# The runtime has no installer: pip, setuptools and wheel of the base image go, and the
# user that runs agbotkit owns nothing but its data folder.
RUN python -m pip uninstall --yes --quiet pip setuptools wheel \
    && groupadd --system --gid 10001 agbotkit \
    && useradd --system --uid 10001 --gid 10001 --no-create-home \
        --home-dir /var/lib/agbotkit --shell /usr/sbin/nologin agbotkit \
    && mkdir -p /var/lib/agbotkit /app \
    && chown 10001:10001 /var/lib/agbotkit \
    && chmod 0750 /var/lib/agbotkit
COPY --from=build /opt/agbotkit /opt/agbotkit
COPY deploy/stacks/ /etc/agbotkit/
# Read-only root friendly: bytecode was compiled at install time and nothing writes it at
# run time; the only writable paths a role uses are /var/lib/agbotkit and /tmp.
ENV PATH=/opt/agbotkit/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    HOME=/var/lib/agbotkit \
    AGBOTKIT_DATA_DIR=/var/lib/agbotkit \
    AGBOTKIT_HTTP_PORT=8080
WORKDIR /app
USER 10001:10001
EXPOSE 8080
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "/opt/agbotkit/healthcheck.py", "/healthz"]
ENTRYPOINT ["agbotkit"]
CMD ["run", "/etc/agbotkit/stack.yaml", "--log-format", "json"]
