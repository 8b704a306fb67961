//! The browser side of the bridge, as decisions: OIDC and SAML sign-in, the web session that
//! follows, the role chooser's choice, and the console's sign-in tokens. `web` parses a page
//! request, calls one method of [`Bridge`](super::bridge::Bridge) from here and renders the
//! outcome; it never verifies a token or an assertion, seals a cookie or touches the store.
//!
//! Each file holds its own `impl Bridge` block for the steps it owns.

pub(crate) mod audit;
pub(crate) mod console;
pub(crate) mod error;
pub(crate) mod limits;
pub(crate) mod oidc;
pub(crate) mod saml;
pub(crate) mod session;
pub(crate) mod sign_in;
pub(crate) mod state;
pub(crate) mod urls;

pub(crate) use error::BrowserError;
