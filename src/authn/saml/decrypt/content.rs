//! Content decryption: the data algorithms accepted for `EncryptedData` (AES-CBC and AES-GCM,
//! 128 or 256 bits) and the AES step itself, with XML-Enc's own CBC padding rule.

use openssl::symm::{self, Cipher, Crypter, Mode};

use super::failure::Cause;

const AES_BLOCK: usize = 16;
const GCM_IV: usize = 12;
const GCM_TAG: usize = 16;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum DataAlg {
    Aes128Cbc,
    Aes256Cbc,
    Aes128Gcm,
    Aes256Gcm,
}

impl DataAlg {
    /// The `EncryptionMethod` of the EncryptedData; `None` for anything not accepted (AES-192,
    /// 3DES, …).
    pub(super) fn from_uri(uri: &str) -> Option<Self> {
        Some(match uri {
            "http://www.w3.org/2001/04/xmlenc#aes128-cbc" => Self::Aes128Cbc,
            "http://www.w3.org/2001/04/xmlenc#aes256-cbc" => Self::Aes256Cbc,
            "http://www.w3.org/2009/xmlenc11#aes128-gcm" => Self::Aes128Gcm,
            "http://www.w3.org/2009/xmlenc11#aes256-gcm" => Self::Aes256Gcm,
            _ => return None,
        })
    }

    pub(super) fn key_len(self) -> usize {
        match self {
            Self::Aes128Cbc | Self::Aes128Gcm => 16,
            Self::Aes256Cbc | Self::Aes256Gcm => 32,
        }
    }

    fn cipher(self) -> Cipher {
        match self {
            Self::Aes128Cbc => Cipher::aes_128_cbc(),
            Self::Aes256Cbc => Cipher::aes_256_cbc(),
            Self::Aes128Gcm => Cipher::aes_128_gcm(),
            Self::Aes256Gcm => Cipher::aes_256_gcm(),
        }
    }
}

/// AES-CBC (IV first, XML-Enc padding) or AES-GCM (IV first, tag last).
pub(super) fn symmetric(alg: DataAlg, key: &[u8], data: &[u8]) -> Result<Vec<u8>, Cause> {
    match alg {
        DataAlg::Aes128Cbc | DataAlg::Aes256Cbc => {
            let (iv, body) = data.split_at_checked(AES_BLOCK).ok_or(Cause::Cipher)?;
            if body.is_empty() || body.len() % AES_BLOCK != 0 {
                return Err(Cause::Cipher);
            }
            let mut crypter = Crypter::new(alg.cipher(), Mode::Decrypt, key, Some(iv))
                .map_err(|_| Cause::Cipher)?;
            crypter.pad(false);
            let mut out = vec![0u8; body.len() + AES_BLOCK];
            let n = crypter.update(body, &mut out).map_err(|_| Cause::Cipher)?;
            let rest = out.get_mut(n..).ok_or(Cause::Cipher)?;
            let m = crypter.finalize(rest).map_err(|_| Cause::Cipher)?;
            out.truncate(n.saturating_add(m));
            // XML-Enc padding: the last byte is the pad length; the others are arbitrary.
            let pad = usize::from(*out.last().ok_or(Cause::Padding)?);
            if pad == 0 || pad > AES_BLOCK || pad > out.len() {
                return Err(Cause::Padding);
            }
            out.truncate(out.len() - pad);
            Ok(out)
        }
        DataAlg::Aes128Gcm | DataAlg::Aes256Gcm => {
            let (iv, rest) = data.split_at_checked(GCM_IV).ok_or(Cause::Cipher)?;
            let body_len = rest.len().checked_sub(GCM_TAG).ok_or(Cause::Cipher)?;
            let (body, tag) = rest.split_at_checked(body_len).ok_or(Cause::Cipher)?;
            symm::decrypt_aead(alg.cipher(), key, Some(iv), &[], body, tag)
                .map_err(|_| Cause::Cipher)
        }
    }
}
