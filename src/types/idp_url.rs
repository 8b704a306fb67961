//! Which URLs the bridge fetches identity-provider documents (discovery, JWKS, SAML metadata)
//! from: TLS, or plain http to loopback only (tests and the demo, where nothing crosses a
//! network). Config validation and the fetchers share this one rule, so a URL that passes
//! `check-config` is one the bridge will actually fetch.

use url::Url;

pub fn is_allowed_idp_url(url: &Url) -> bool {
    match url.scheme() {
        "https" => url.host().is_some(),
        "http" => match url.host() {
            Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
            Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
            Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
            None => false,
        },
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tls_or_loopback() {
        let ok = |s: &str| is_allowed_idp_url(&Url::parse(s).unwrap());
        assert!(ok("https://idp.example.com/x"));
        assert!(
            ok("http://127.0.0.1:8080/idp")
                && ok("http://[::1]:9/x")
                && ok("http://localhost:3000/")
        );
        assert!(
            !ok("http://idp.example.com/")
                && !ok("http://10.0.0.1/")
                && !ok("ftp://idp.example.com/")
        );
    }
}
