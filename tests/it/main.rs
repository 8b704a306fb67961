//! The one integration-test binary: the real server on 127.0.0.1:0, driven by the official AWS
//! SDK for Rust and by raw HTTP for input no SDK would send.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test helpers fail loudly; clippy.toml only relaxes these inside #[test] bodies"
)]

mod assume_role;
mod audit;
mod authorize;
mod browser;
mod browser_smoke;
mod cli;
mod common;
mod demo;
mod hardening;
mod keep_alive;
mod keys;
mod layers;
mod limits;
mod malformed;
mod metrics;
mod mfa;
mod replicas;
mod revocation;
mod saml;
mod sdk;
mod sessions;
mod web;
mod web_identity;
mod web_limits;
