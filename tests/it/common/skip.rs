//! Tests that need a service this machine may lack (a PostgreSQL server, Chromium) skip when
//! it is missing, each saying so on one line with how to run it, so that plain `cargo test`
//! passes anywhere; under `CI` (which `.ci/run` and `./scripts/test` set) they fail instead,
//! so a run that should cover everything cannot pass by skipping.

use std::io::Write as _;

/// Whether a missing service fails the test: `CI` set to anything but empty, `0` or `false`.
fn strict() -> bool {
    std::env::var("CI").is_ok_and(|v| !matches!(v.as_str(), "" | "0" | "false"))
}

/// The calling test cannot run because it `needs` something (and how to provide it): under
/// `CI` this panics, otherwise it prints one line and the caller returns early.
pub(crate) fn unavailable(needs: &str) {
    assert!(!strict(), "CI is set, but this test {needs}");
    let test = std::thread::current().name().unwrap_or("a test").to_owned();
    // Straight to stderr, past the test harness's capture.
    let _ = writeln!(std::io::stderr().lock(), "skipped {test}: {needs}");
}
