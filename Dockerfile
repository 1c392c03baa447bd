# Multi-stage build for the two Beacon programs. `docker compose up` uses the targets `web` and `worker`.

FROM swift:6.3-bookworm AS build
RUN apt-get update \
    && apt-get install -y --no-install-recommends librabbitmq-dev libcurl4-openssl-dev pkg-config \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /build
COPY . .
RUN swift build -c release --static-swift-stdlib --product web \
    && swift build -c release --static-swift-stdlib --product worker \
    && mkdir /staging \
    && cp "$(swift build -c release --show-bin-path)/web" "$(swift build -c release --show-bin-path)/worker" /staging/

FROM debian:bookworm-slim AS runtime
RUN apt-get update \
    && apt-get install -y --no-install-recommends librabbitmq4 libcurl4 ca-certificates tzdata \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --create-home --home-dir /app beacon \
    && install -d -o beacon -g beacon /var/log/beacon /var/spool/beacon
WORKDIR /app
USER beacon

FROM runtime AS web
COPY --from=build /staging/web /usr/local/bin/web
EXPOSE 8080
ENTRYPOINT ["web"]

FROM runtime AS worker
COPY --from=build /staging/worker /usr/local/bin/worker
COPY worker/worker.yaml /app/worker/worker.yaml
COPY worker/templates /app/worker/templates
ENTRYPOINT ["worker", "run"]
