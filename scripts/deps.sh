#!/usr/bin/env bash
# Shared by scripts/demo and scripts/test: makes sure the build prerequisites are present.
# As root it installs missing Debian packages; otherwise it prints the one apt line to run.
set -euo pipefail

# C toolchain for aws-lc-sys (AES-GCM, HMAC), pkg-config for -sys crates, CA roots for cargo.
STSBRIDGE_APT_PACKAGES=(gcc g++ make pkg-config ca-certificates curl libxmlsec1-dev libclang-dev xmlsec1)

stsbridge_ensure_deps() {
  local missing=()
  for p in "${STSBRIDGE_APT_PACKAGES[@]}"; do
    dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" = 0 ]; then
      echo "installing: ${missing[*]}" >&2
      DEBIAN_FRONTEND=noninteractive apt-get update -qq
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
    else
      echo "missing Debian packages; run:" >&2
      echo "  sudo apt-get install -y ${missing[*]}" >&2
      exit 1
    fi
  fi
  [ -f "$HOME/.cargo/env" ] && . "$HOME/.cargo/env"
  if ! command -v cargo >/dev/null 2>&1; then
    # Debian's own cargo is too old for edition 2024, and bookworm has no rustup package, so the
    # toolchain comes from the official rustup installer (needs the network).
    echo "installing the Rust toolchain with rustup (stable, minimal + rustfmt + clippy)" >&2
    curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs |
      sh -s -- -y --profile minimal --component rustfmt,clippy >&2
    . "$HOME/.cargo/env"
  fi
  if command -v rustup >/dev/null 2>&1; then
    cargo fmt --version >/dev/null 2>&1 || rustup component add rustfmt >&2
    cargo clippy --version >/dev/null 2>&1 || rustup component add clippy >&2
  fi
}
