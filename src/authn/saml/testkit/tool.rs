//! Runs the command-line tools the fixtures use as implementations independent of ours
//! (`xmlsec1`, `openssl`), with one message for a tool that is missing or fails.

use std::process::Command;

/// Runs `cmd` (a `program` invocation doing `what`) to success; panics with its stderr
/// otherwise, or with the package to install when the tool is missing.
pub(super) fn run(cmd: &mut Command, program: &str, what: &str) {
    let out = match cmd.output() {
        Ok(out) => out,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => panic!(
            "these tests {what} with the `{program}` command-line tool, which is not installed: \
             apt-get install {program} (scripts/deps.sh lists it)"
        ),
        Err(e) => panic!("cannot run {program}: {e}"),
    };
    assert!(
        out.status.success(),
        "{program} ({what}) failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}
