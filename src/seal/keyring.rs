//! The keyring that seals session tokens: a JSON file of AES-256 keys, created with mode 0600
//! on first start. The first key seals; every key opens, so rotating means putting a new key
//! first and keeping the old ones until the longest session sealed with them has expired.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, PoisonError, RwLock};

use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use aws_lc_rs::hkdf;
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use super::error::{SealError, TokenError};
use crate::types::secret::fill_random;

/// Key ids are 8 random bytes: enough to never collide in a keyring, short in every token.
pub(crate) const KEY_ID_LEN: usize = 8;
const KEY_LEN: usize = 32;

/// What `seal` produces: the sealing key's id, the nonce and ciphertext‖tag.
pub(super) struct SealedBox {
    pub(super) key_id: [u8; KEY_ID_LEN],
    pub(super) nonce: [u8; NONCE_LEN],
    pub(super) sealed: Vec<u8>,
}

/// What a sealed box is for. Each purpose seals under its own key, derived from the keyring
/// key, so the nonces that anyone can make us spend on denial messages (every refused request
/// seals one) never count against the session-token key's random-nonce budget.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Purpose {
    SessionToken,
    DenialMessage,
    /// Browser state: login cookies, server-side web sessions, sign-in tokens.
    WebState,
}

/// One AES-256-GCM key and its id, plus the key derived from it for denial messages.
struct SealingKey {
    id: [u8; KEY_ID_LEN],
    created: DateTime<Utc>,
    /// Kept to write the keyring back out on rotation.
    raw: Zeroizing<[u8; KEY_LEN]>,
    aead: LessSafeKey,
    denial_aead: LessSafeKey,
    web_aead: LessSafeKey,
}

impl SealingKey {
    fn aead(&self, purpose: Purpose) -> &LessSafeKey {
        match purpose {
            Purpose::SessionToken => &self.aead,
            Purpose::DenialMessage => &self.denial_aead,
            Purpose::WebState => &self.web_aead,
        }
    }
}

impl std::fmt::Debug for SealingKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SealingKey")
            .field("id", &hex::encode(self.id))
            .field("created", &self.created)
            .finish_non_exhaustive()
    }
}

/// The ordered set of keys; never empty. Replaceable as a whole ([`Keyring::reload`]), so a
/// replica picks up a rotated keyring file without a restart; readers take a snapshot.
#[derive(Debug)]
pub struct Keyring {
    current: RwLock<Arc<Vec<SealingKey>>>,
}

/// How long after a key stopped sealing it may still have live tokens to open: the longest
/// credentials the bridge issues (GetSessionToken / GetFederationToken, 36 h).
pub(crate) const RETIRED_KEY_LIFETIME: chrono::TimeDelta = chrono::TimeDelta::hours(36);

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct KeyringFile {
    version: u32,
    keys: Vec<KeyEntry>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct KeyEntry {
    id: String,
    created: DateTime<Utc>,
    /// Base64 of the 32 key bytes.
    key: String,
}

impl Drop for KeyEntry {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.key);
    }
}

fn new_key(created: DateTime<Utc>) -> SealingKey {
    let mut id = [0u8; KEY_ID_LEN];
    fill_random(&mut id);
    let mut raw = Zeroizing::new([0u8; KEY_LEN]);
    fill_random(raw.as_mut());
    make_key(id, created, raw).unwrap_or_else(|_| std::process::abort())
}

fn make_key(
    id: [u8; KEY_ID_LEN],
    created: DateTime<Utc>,
    raw: Zeroizing<[u8; KEY_LEN]>,
) -> Result<SealingKey, String> {
    let unbound = UnboundKey::new(&AES_256_GCM, raw.as_ref())
        .map_err(|_| "key rejected by AES-256-GCM".to_owned())?;
    // HKDF-SHA256 (RFC 5869) with a fixed label: a separate, independent key per purpose.
    let prk = hkdf::Salt::new(hkdf::HKDF_SHA256, b"stsbridge keyring").extract(raw.as_ref());
    let denial: UnboundKey = prk
        .expand(&[b"denial messages v1"], &AES_256_GCM)
        .map_err(|_| "key derivation failed".to_owned())?
        .into();
    let web: UnboundKey = prk
        .expand(&[b"web state v1"], &AES_256_GCM)
        .map_err(|_| "key derivation failed".to_owned())?
        .into();
    Ok(SealingKey {
        id,
        created,
        raw,
        aead: LessSafeKey::new(unbound),
        denial_aead: LessSafeKey::new(denial),
        web_aead: LessSafeKey::new(web),
    })
}

impl Keyring {
    /// A keyring that lives only in memory (demo mode, tests).
    pub fn generate(now: DateTime<Utc>) -> Self {
        Self {
            current: RwLock::new(Arc::new(vec![new_key(now)])),
        }
    }

    /// Loads the keyring at `path`, creating it (mode 0600) with one fresh key if missing.
    pub fn load_or_create(path: &Path, now: DateTime<Utc>) -> Result<Self, SealError> {
        match std::fs::metadata(path) {
            Ok(_) => Self::load(path),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let ring = Self::generate(now);
                ring.write_new(path)?;
                Ok(ring)
            }
            Err(source) => Err(SealError::KeyringIo {
                path: path.to_owned(),
                source,
            }),
        }
    }

    /// Loads an existing keyring, refusing one that others can read.
    pub fn load(path: &Path) -> Result<Self, SealError> {
        let io = |source| SealError::KeyringIo {
            path: path.to_owned(),
            source,
        };
        check_private(path)?;
        let text = Zeroizing::new(std::fs::read_to_string(path).map_err(io)?);
        Self::from_json(&text).map_err(|reason| SealError::KeyringFormat {
            path: path.to_owned(),
            reason,
        })
    }

    pub(crate) fn from_json(text: &str) -> Result<Self, String> {
        let file: KeyringFile = serde_json::from_str(text).map_err(|e| {
            format!(
                "not keyring JSON (line {}, column {})",
                e.line(),
                e.column()
            )
        })?;
        if file.version != 1 {
            return Err(format!("unsupported keyring version {}", file.version));
        }
        if file.keys.is_empty() {
            return Err("the keyring holds no keys".into());
        }
        let mut keys: Vec<SealingKey> = Vec::with_capacity(file.keys.len());
        for (i, entry) in file.keys.iter().enumerate() {
            let id: [u8; KEY_ID_LEN] = hex::decode(&entry.id)
                .ok()
                .and_then(|v| v.try_into().ok())
                .ok_or_else(|| format!("keys[{i}].id is not {} hex digits", KEY_ID_LEN * 2))?;
            let bytes = Zeroizing::new(
                STANDARD
                    .decode(&entry.key)
                    .map_err(|_| format!("keys[{i}].key is not base64"))?,
            );
            let raw: [u8; KEY_LEN] = bytes
                .as_slice()
                .try_into()
                .map_err(|_| format!("keys[{i}].key is not {KEY_LEN} bytes"))?;
            if keys.iter().any(|k| k.id == id) {
                return Err(format!("keys[{i}].id is used twice"));
            }
            keys.push(make_key(id, entry.created, Zeroizing::new(raw))?);
        }
        Ok(Self::from_keys(keys))
    }

    fn from_keys(keys: Vec<SealingKey>) -> Self {
        Self {
            current: RwLock::new(Arc::new(keys)),
        }
    }

    /// The keys now, sealing key first.
    fn keys(&self) -> Arc<Vec<SealingKey>> {
        Arc::clone(&self.current.read().unwrap_or_else(PoisonError::into_inner))
    }

    /// The keys, owned (this ring was just loaded or built, so no snapshot is shared).
    fn into_keys(self) -> Vec<SealingKey> {
        let arc = self
            .current
            .into_inner()
            .unwrap_or_else(PoisonError::into_inner);
        Arc::try_unwrap(arc).unwrap_or_else(|shared| {
            shared
                .iter()
                .map(|k| {
                    make_key(k.id, k.created, Zeroizing::new(*k.raw))
                        .unwrap_or_else(|_| std::process::abort())
                })
                .collect()
        })
    }

    /// Reloads the keyring file and, when its keys differ, serves with them from now on.
    /// Returns whether anything changed. On error the current keys stay in force.
    pub(crate) fn reload(&self, path: &Path) -> Result<bool, SealError> {
        let fresh = Self::load(path)?;
        if fresh.key_ids() == self.key_ids() {
            return Ok(false);
        }
        let keys = fresh.keys();
        *self.current.write().unwrap_or_else(PoisonError::into_inner) = keys;
        Ok(true)
    }

    /// Drops keys that stopped sealing more than [`RETIRED_KEY_LIFETIME`] before `now` (no
    /// token they sealed can still be live) and rewrites the file atomically. Returns the ring
    /// and the ids removed.
    pub fn prune_file(path: &Path, now: DateTime<Utc>) -> Result<(Self, Vec<String>), SealError> {
        let keys = Self::load(path)?.into_keys();
        let mut kept = Vec::with_capacity(keys.len());
        let mut removed = Vec::new();
        // A key stopped sealing when the key before it (newer) was created.
        let mut successor_created: Option<DateTime<Utc>> = None;
        for key in keys {
            let created = key.created;
            match successor_created {
                Some(retired) if now - retired > RETIRED_KEY_LIFETIME => {
                    removed.push(hex::encode(key.id));
                }
                _ => kept.push(key),
            }
            successor_created = Some(created);
        }
        let ring = Self::from_keys(kept);
        if !removed.is_empty() {
            ring.replace_file(path)?;
        }
        Ok((ring, removed))
    }

    /// Writes this ring over `path` atomically: a temporary file (0600) renamed over it.
    fn replace_file(&self, path: &Path) -> Result<(), SealError> {
        let tmp: PathBuf = path.with_extension("json.tmp");
        let _ = std::fs::remove_file(&tmp);
        self.write_new(&tmp)?;
        std::fs::rename(&tmp, path).map_err(|source| SealError::KeyringIo {
            path: path.to_owned(),
            source,
        })
    }

    fn to_json(&self) -> Result<Zeroizing<String>, serde_json::Error> {
        let file = KeyringFile {
            version: 1,
            keys: self
                .keys()
                .iter()
                .map(|k| KeyEntry {
                    id: hex::encode(k.id),
                    created: k.created,
                    key: STANDARD.encode(k.raw.as_ref()),
                })
                .collect(),
        };
        serde_json::to_string_pretty(&file).map(Zeroizing::new)
    }

    /// Writes a keyring file that must not exist yet, with mode 0600 from the first byte.
    fn write_new(&self, path: &Path) -> Result<(), SealError> {
        let io = |source| SealError::KeyringIo {
            path: path.to_owned(),
            source,
        };
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        // Serialise before creating the file, so a failure never leaves an empty keyring behind.
        let json = self.to_json().map_err(|e| SealError::KeyringFormat {
            path: path.to_owned(),
            reason: e.to_string(),
        })?;
        let mut file = options.open(path).map_err(io)?;
        file.write_all(json.as_bytes()).map_err(io)?;
        file.sync_all().map_err(io)
    }

    /// Puts a fresh key first (it seals from now on) and writes the file atomically: a temporary
    /// file (0600) renamed over the old one, so a crash never leaves a half-written keyring.
    pub fn rotate_file(path: &Path, now: DateTime<Utc>) -> Result<Self, SealError> {
        let ring = Self::load(path)?.rotated(now);
        ring.replace_file(path)?;
        Ok(ring)
    }

    /// Adds a new sealing key in memory (tests and the rotation path).
    #[must_use]
    pub(crate) fn rotated(self, now: DateTime<Utc>) -> Self {
        let mut keys = self.into_keys();
        keys.insert(0, new_key(now));
        Self::from_keys(keys)
    }

    /// Hex ids, sealing key first.
    pub fn key_ids(&self) -> Vec<String> {
        self.keys().iter().map(|k| hex::encode(k.id)).collect()
    }

    /// Seals `plaintext` with the first key. `aad_prefix` is bound in with the key id.
    pub(super) fn seal(
        &self,
        purpose: Purpose,
        aad_prefix: &[u8],
        plaintext: &[u8],
    ) -> Result<SealedBox, SealError> {
        let keys = self.keys();
        let key = keys
            .first()
            .ok_or_else(|| SealError::Encode("empty keyring".into()))?;
        // Random 96-bit nonces: NIST SP 800-38D allows 2^32 seals per key with them. That is
        // 136 years of sessions at 1,000/s; rotation resets the count long before.
        let mut nonce = [0u8; NONCE_LEN];
        fill_random(&mut nonce);
        let mut buf = plaintext.to_vec();
        let aad = [aad_prefix, &key.id].concat();
        key.aead(purpose)
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(aad),
                &mut buf,
            )
            .map_err(|_| SealError::Encode("seal failed".into()))?;
        Ok(SealedBox {
            key_id: key.id,
            nonce,
            sealed: buf,
        })
    }

    /// Opens a box sealed by `seal` with any key of the ring.
    pub(super) fn open(
        &self,
        purpose: Purpose,
        aad_prefix: &[u8],
        key_id: [u8; KEY_ID_LEN],
        nonce: [u8; NONCE_LEN],
        sealed: &[u8],
    ) -> Result<Zeroizing<Vec<u8>>, TokenError> {
        let keys = self.keys();
        let key = keys
            .iter()
            .find(|k| k.id == key_id)
            .ok_or(TokenError::UnknownKey)?;
        let mut buf = Zeroizing::new(sealed.to_vec());
        let aad = [aad_prefix, &key_id].concat();
        let plain_len = key
            .aead(purpose)
            .open_in_place(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(aad),
                buf.as_mut_slice(),
            )
            .map_err(|_| TokenError::Tampered)?
            .len();
        buf.truncate(plain_len);
        Ok(buf)
    }
}

/// The text form shared by session tokens and denial messages:
/// base64url( version ‖ key id ‖ nonce ‖ AES-256-GCM(plaintext) ), with `aad` and the version
/// bound in as associated data (so one kind can never be opened as the other).
pub(super) fn seal_text(
    keyring: &Keyring,
    purpose: Purpose,
    aad: &[u8],
    version: u8,
    plaintext: &[u8],
) -> Result<String, SealError> {
    let sealed = keyring.seal(purpose, &[aad, &[version]].concat(), plaintext)?;
    let mut bytes = Vec::with_capacity(1 + KEY_ID_LEN + NONCE_LEN + sealed.sealed.len());
    bytes.push(version);
    bytes.extend_from_slice(&sealed.key_id);
    bytes.extend_from_slice(&sealed.nonce);
    bytes.extend_from_slice(&sealed.sealed);
    Ok(URL_SAFE_NO_PAD.encode(bytes))
}

/// Opens [`seal_text`]'s output; anything longer than `max_len` is refused before decoding.
pub(super) fn open_text(
    keyring: &Keyring,
    purpose: Purpose,
    aad: &[u8],
    version: u8,
    text: &str,
    max_len: usize,
) -> Result<Zeroizing<Vec<u8>>, TokenError> {
    const TAG_LEN: usize = 16;
    if text.len() > max_len {
        return Err(TokenError::Malformed);
    }
    let bytes = URL_SAFE_NO_PAD
        .decode(text.trim().trim_end_matches('='))
        .map_err(|_| TokenError::Malformed)?;
    let (&found, rest) = bytes.split_first().ok_or(TokenError::Malformed)?;
    if found != version || rest.len() < KEY_ID_LEN + NONCE_LEN + TAG_LEN {
        return Err(TokenError::Malformed);
    }
    let (key_id, rest) = rest.split_at(KEY_ID_LEN);
    let (nonce, sealed) = rest.split_at(NONCE_LEN);
    let key_id: [u8; KEY_ID_LEN] = key_id.try_into().map_err(|_| TokenError::Malformed)?;
    let nonce: [u8; NONCE_LEN] = nonce.try_into().map_err(|_| TokenError::Malformed)?;
    keyring.open(purpose, &[aad, &[version]].concat(), key_id, nonce, sealed)
}

/// Refuses key files readable by group or others, as ssh does for private keys.
fn check_private(path: &Path) -> Result<(), SealError> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(path)
            .map_err(|source| SealError::KeyringIo {
                path: path.to_owned(),
                source,
            })?
            .permissions()
            .mode();
        if mode & 0o077 != 0 {
            return Err(SealError::KeyringPermissions {
                path: path.to_owned(),
                mode: mode & 0o777,
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t0() -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000, 0).unwrap()
    }

    #[test]
    fn each_purpose_seals_under_its_own_key() {
        let ring = Keyring::generate(t0());
        let boxed = ring.seal(Purpose::DenialMessage, b"aad", b"hello").unwrap();
        let open = |purpose| ring.open(purpose, b"aad", boxed.key_id, boxed.nonce, &boxed.sealed);
        assert_eq!(open(Purpose::DenialMessage).unwrap().as_slice(), b"hello");
        assert!(matches!(
            open(Purpose::SessionToken),
            Err(TokenError::Tampered)
        ));
        // Nor does another keyring's derived key.
        let other = Keyring::generate(t0());
        let boxed2 = other.seal(Purpose::DenialMessage, b"aad", b"x").unwrap();
        assert!(
            ring.open(
                Purpose::DenialMessage,
                b"aad",
                boxed2.key_id,
                boxed2.nonce,
                &boxed2.sealed
            )
            .is_err()
        );
    }

    #[test]
    fn a_running_ring_reloads_a_rotated_file_and_keeps_opening_old_boxes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keys.json");
        let t0 = DateTime::from_timestamp(1_800_000_000, 0).unwrap();
        let running = Keyring::load_or_create(&path, t0).unwrap();
        let old = running
            .seal(Purpose::SessionToken, b"a", b"before")
            .unwrap();
        assert!(!running.reload(&path).unwrap(), "nothing changed");
        let rotated = Keyring::rotate_file(&path, t0).unwrap();
        assert!(running.reload(&path).unwrap());
        assert_eq!(running.key_ids(), rotated.key_ids());
        let new = running.seal(Purpose::SessionToken, b"a", b"after").unwrap();
        assert_eq!(
            hex::encode(new.key_id),
            rotated.key_ids()[0],
            "the new key seals"
        );
        let opened = running
            .open(
                Purpose::SessionToken,
                b"a",
                old.key_id,
                old.nonce,
                &old.sealed,
            )
            .unwrap();
        assert_eq!(opened.as_slice(), b"before");
        // A broken file leaves the running keys alone.
        std::fs::write(&path, "{").unwrap();
        assert!(running.reload(&path).is_err());
        assert_eq!(running.key_ids(), rotated.key_ids());
    }

    #[test]
    fn prune_drops_only_keys_retired_longer_than_the_longest_token() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keys.json");
        let t0 = DateTime::from_timestamp(1_800_000_000, 0).unwrap();
        Keyring::load_or_create(&path, t0).unwrap();
        let day = chrono::TimeDelta::days(1);
        Keyring::rotate_file(&path, t0 + day).unwrap();
        let ring = Keyring::rotate_file(&path, t0 + day * 3).unwrap();
        let ids = ring.key_ids();
        // At t0+3d: the oldest key retired at t0+1d (2 days ago, > 36 h): pruned; the middle
        // one retired just now: kept.
        let (pruned, removed) = Keyring::prune_file(&path, t0 + day * 3).unwrap();
        assert_eq!(removed, vec![ids[2].clone()]);
        assert_eq!(pruned.key_ids(), ids[..2].to_vec());
        assert_eq!(Keyring::load(&path).unwrap().key_ids(), ids[..2].to_vec());
        let (_, none) = Keyring::prune_file(&path, t0 + day * 3).unwrap();
        assert!(none.is_empty());
        // The sealing key is never pruned, however old.
        let (last, _) = Keyring::prune_file(&path, t0 + day * 30).unwrap();
        assert_eq!(last.key_ids(), vec![ids[0].clone()]);
    }

    #[test]
    fn created_with_0600_and_reloads_the_same_keys() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keys.json");
        let ring = Keyring::load_or_create(&path, t0()).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(
                std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
                0o600
            );
        }
        let again = Keyring::load_or_create(&path, t0()).unwrap();
        assert_eq!(ring.key_ids(), again.key_ids());
    }

    #[test]
    fn rotation_puts_new_key_first_and_keeps_old() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keys.json");
        let old = Keyring::load_or_create(&path, t0()).unwrap();
        let rotated = Keyring::rotate_file(&path, t0()).unwrap();
        let ids = rotated.key_ids();
        assert_eq!(ids.len(), 2);
        assert_eq!(ids[1], old.key_ids()[0]);
        assert_eq!(Keyring::load(&path).unwrap().key_ids(), ids);
    }

    #[test]
    fn refuses_world_readable_and_malformed_files() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keys.json");
        Keyring::load_or_create(&path, t0()).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
            assert!(matches!(
                Keyring::load(&path),
                Err(SealError::KeyringPermissions { .. })
            ));
        }
        for bad in [
            "",
            "{}",
            r#"{"version":1,"keys":[]}"#,
            r#"{"version":2,"keys":[]}"#,
            r#"{"version":1,"keys":[{"id":"00","created":"2026-01-01T00:00:00Z","key":"AAAA"}]}"#,
            r#"{"version":1,"keys":[{"id":"0011223344556677","created":"2026-01-01T00:00:00Z","key":"AAAA"}]}"#,
        ] {
            assert!(Keyring::from_json(bad).is_err(), "{bad}");
        }
    }
}
