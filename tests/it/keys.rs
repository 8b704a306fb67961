//! Keyring rotation across running replicas: `stsbridge keys rotate` on the shared file, every
//! replica picks the new sealing key up without a restart, and tokens sealed before keep
//! working; `keys prune` leaves keys that may still have live tokens.

use std::time::Duration;

use stsbridge::app::ServeLimits;
use stsbridge::seal::Keyring;

use crate::common::{ACCOUNT, TestServer, config_from, test_config_toml};

async fn assume(server: &TestServer, name: &str) -> aws_sdk_sts::types::Credentials {
    server
        .admin()
        .assume_role()
        .role_arn(format!("arn:aws:iam::{ACCOUNT}:role/team/reader"))
        .role_session_name(name)
        .send()
        .await
        .unwrap()
        .credentials
        .unwrap()
}

async fn works_on(server: &TestServer, c: &aws_sdk_sts::types::Credentials) -> bool {
    server
        .client(
            c.access_key_id(),
            c.secret_access_key(),
            Some(c.session_token()),
            "us-east-1",
        )
        .get_caller_identity()
        .send()
        .await
        .is_ok()
}

#[tokio::test]
async fn replicas_pick_up_a_rotated_keyring_without_restart() {
    let dir = tempfile::tempdir().unwrap();
    let keys = dir.path().join("keys.json");
    let toml = test_config_toml() + &format!("\n[tokens]\nkeys_file = \"{}\"\n", keys.display());
    let limits = ServeLimits {
        keyring_reload: Duration::from_millis(50),
        ..ServeLimits::default()
    };
    let now = stsbridge::clock::Clock::now(&stsbridge::clock::SystemClock);
    let a = TestServer::start_full(
        limits,
        config_from(&toml),
        Keyring::load_or_create(&keys, now).unwrap(),
    )
    .await;
    let b = TestServer::start_full(limits, config_from(&toml), Keyring::load(&keys).unwrap()).await;
    let before = assume(&a, "before").await;
    assert!(works_on(&b, &before).await);

    std::fs::write(dir.path().join("cfg.toml"), &toml).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_stsbridge"))
        .args(["keys", "rotate", "--config"])
        .arg(dir.path().join("cfg.toml"))
        .env("STSBRIDGE_TEST_DEV_SECRET", crate::common::DEV_SECRET)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rotated = Keyring::load(&keys).unwrap().key_ids();
    assert_eq!(rotated.len(), 2);
    for server in [&a, &b] {
        let mut seen = false;
        for _ in 0..100 {
            if server.bridge.keyring().key_ids() == rotated {
                seen = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert!(seen, "a replica did not reload the rotated keyring");
    }
    // New tokens are sealed by the new key on A and open on B; old ones still open on both.
    let after = assume(&a, "after").await;
    assert!(works_on(&b, &after).await);
    assert!(works_on(&a, &before).await && works_on(&b, &before).await);

    // Prune now: the old key retired seconds ago and may still have live tokens: kept.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_stsbridge"))
        .args(["keys", "prune", "--config"])
        .arg(dir.path().join("cfg.toml"))
        .env("STSBRIDGE_TEST_DEV_SECRET", crate::common::DEV_SECRET)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("removed 0 key(s)"));
    assert_eq!(Keyring::load(&keys).unwrap().key_ids(), rotated);
}
