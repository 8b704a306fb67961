//! The one integration-test binary: the real server on 127.0.0.1:0, driven by the official AWS
//! SDK for Rust and by raw HTTP for input no SDK would send.

mod cli;
mod common;
mod malformed;
mod sdk;
mod sessions;
