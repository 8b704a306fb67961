//! The `stsbridge` binary itself: check-config and the demo's loopback-only rule.

use std::process::Command;

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_stsbridge"))
}

#[test]
fn check_config_accepts_a_valid_file_and_names_key_paths_in_errors() {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("good.toml");
    std::fs::write(&good, crate::common::test_config_toml()).unwrap();
    let out = bin()
        .arg("check-config")
        .arg(&good)
        .env(
            "STSBRIDGE_TEST_DEV_SECRET",
            "test/DEVELOPER/secret/000000000000",
        )
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("OK (2 users, 1 roles"));

    // Same file without the env var its secret refers to, plus a typo'd key.
    let bad = dir.path().join("bad.toml");
    std::fs::write(
        &bad,
        crate::common::test_config_toml().replace("account_id", "acount_id"),
    )
    .unwrap();
    let out = bin()
        .arg("check-config")
        .arg(&bad)
        .env_remove("STSBRIDGE_TEST_DEV_SECRET")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("server"), "{stderr}");
    assert!(stderr.contains("acount_id"), "{stderr}");

    let bad = dir.path().join("bad2.toml");
    std::fs::write(&bad, crate::common::test_config_toml()).unwrap();
    let out = bin()
        .arg("check-config")
        .arg(&bad)
        .env_remove("STSBRIDGE_TEST_DEV_SECRET")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(
            "users[1].secret_access_key: environment variable STSBRIDGE_TEST_DEV_SECRET is not set"
        ),
        "{stderr}"
    );
}

#[test]
fn demo_refuses_a_non_loopback_address() {
    let out = bin()
        .args(["serve", "--listen", "0.0.0.0:0"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("loopback"));
}
