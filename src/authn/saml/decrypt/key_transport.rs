//! Key transport: how the session key of an EncryptedAssertion may be wrapped, and the unwrap
//! with the SP key. RSA-OAEP only, in its two spellings (`xmlenc#rsa-oaep-mgf1p`, always
//! MGF1-SHA1, and `xmlenc11#rsa-oaep`, which may name its MGF); `rsa-1_5` (PKCS#1 v1.5) is
//! refused by name: Bleichenbacher's oracle, and it must never be tried on the same RSA key as
//! OAEP. Anything else (key wrap, key agreement) is refused too.

use openssl::md::{Md, MdRef};
use openssl::pkey_ctx::PkeyCtx;
use openssl::rsa::Padding;
use zeroize::Zeroizing;

use super::super::sp_key::SpKey;
use super::failure::{Failure, refused};

const RSA_OAEP_MGF1P: &str = "http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p";
const RSA_OAEP_11: &str = "http://www.w3.org/2009/xmlenc11#rsa-oaep";
const RSA_1_5: &str = "http://www.w3.org/2001/04/xmlenc#rsa-1_5";

/// RSA-OAEP parameters.
pub(super) struct KeyTransport {
    /// The OAEP digest (`ds:DigestMethod`; SHA-1 by default).
    pub(super) digest: &'static MdRef,
    /// The MGF1 digest (`xenc11:MGF`; SHA-1 by default).
    pub(super) mgf1: &'static MdRef,
    /// `xenc:OAEPparams`, decoded.
    pub(super) label: Option<Vec<u8>>,
    /// `xmlenc11#rsa-oaep`: the only form that may name its MGF.
    pub(super) xmlenc11: bool,
}

impl KeyTransport {
    /// The EncryptedKey's `EncryptionMethod Algorithm`, with the OAEP defaults its children may
    /// override.
    pub(super) fn for_algorithm(algorithm: Option<&str>) -> Result<Self, Failure> {
        let xmlenc11 = match algorithm {
            Some(RSA_OAEP_MGF1P) => false,
            Some(RSA_OAEP_11) => true,
            Some(RSA_1_5) => {
                return Err(refused(
                    "rsa-1_5 key transport (PKCS#1 v1.5, Bleichenbacher) is refused",
                ));
            }
            _ => return Err(refused("key transport algorithm missing or not supported")),
        };
        Ok(Self {
            digest: Md::sha1(),
            mgf1: Md::sha1(),
            label: None,
            xmlenc11,
        })
    }

    /// RSA-OAEP decryption of the wrapped session key with `key`.
    pub(super) fn unwrap(
        &self,
        key: &SpKey,
        wrapped: &[u8],
    ) -> Result<Zeroizing<Vec<u8>>, openssl::error::ErrorStack> {
        let mut ctx = PkeyCtx::new(key.private_key())?;
        ctx.decrypt_init()?;
        ctx.set_rsa_padding(Padding::PKCS1_OAEP)?;
        ctx.set_rsa_oaep_md(self.digest)?;
        ctx.set_rsa_mgf1_md(self.mgf1)?;
        if let Some(label) = &self.label {
            ctx.set_rsa_oaep_label(label)?;
        }
        let mut out = Zeroizing::new(Vec::new());
        ctx.decrypt_to_vec(wrapped, &mut out)?;
        Ok(out)
    }
}

/// An OAEP `DigestMethod` accepted: SHA-1, SHA-256, SHA-384 or SHA-512.
pub(super) fn digest(uri: &str) -> Option<&'static MdRef> {
    Some(match uri {
        "http://www.w3.org/2000/09/xmldsig#sha1" => Md::sha1(),
        "http://www.w3.org/2001/04/xmlenc#sha256" => Md::sha256(),
        "http://www.w3.org/2001/04/xmldsig-more#sha384" => Md::sha384(),
        "http://www.w3.org/2001/04/xmlenc#sha512" => Md::sha512(),
        _ => return None,
    })
}

/// An `xenc11:MGF` accepted: MGF1 with SHA-1, SHA-256, SHA-384 or SHA-512.
pub(super) fn mgf(uri: &str) -> Option<&'static MdRef> {
    Some(match uri {
        "http://www.w3.org/2009/xmlenc11#mgf1sha1" => Md::sha1(),
        "http://www.w3.org/2009/xmlenc11#mgf1sha256" => Md::sha256(),
        "http://www.w3.org/2009/xmlenc11#mgf1sha384" => Md::sha384(),
        "http://www.w3.org/2009/xmlenc11#mgf1sha512" => Md::sha512(),
        _ => return None,
    })
}
