//! Test fixtures: IdP keys generated at test time (nothing on disk but temp files), realistic
//! AWS-style SAML Responses, and two independent signers: the `xmlsec1` command-line tool and
//! samael's `XmlSec::sign_xml`. Encrypted assertions come from `xmlsec1 --encrypt` (and the
//! `openssl` tool where `xmlsec1` 1.2 lacks the algorithm).

mod encrypt;
mod idp;
mod response;
mod tool;

pub(super) use encrypt::*;
pub(super) use idp::*;
pub(super) use response::*;
