# stsbridge container image: a release build on Debian 12, run as a non-root user on
# debian-slim with only the shared libraries the binary links (xmlsec1, libxml2, OpenSSL 3).
#   docker build -t stsbridge .
#   docker run -p 8080:8080 -v /etc/stsbridge:/etc/stsbridge:ro stsbridge
# The config (and the keyring it names, mode 0600, owned by uid 10001) come from a mounted
# volume or secret; deploy/ has a two-replica example with PostgreSQL.
FROM rust:1-bookworm AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends libxmlsec1-dev libclang-dev pkg-config \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN cargo build --release --locked --bin stsbridge \
 && strip target/release/stsbridge

FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends libxmlsec1 libxmlsec1-openssl libssl3 ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /var/lib/stsbridge --create-home stsbridge
COPY --from=build /src/target/release/stsbridge /usr/local/bin/stsbridge
USER 10001:10001
WORKDIR /var/lib/stsbridge
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=2s CMD ["/usr/local/bin/stsbridge", "--version"]
ENTRYPOINT ["/usr/local/bin/stsbridge"]
CMD ["serve", "--config", "/etc/stsbridge/config.toml"]
