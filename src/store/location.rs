//! How the store's location is shown in logs and error messages: never with a password. Its
//! own file because both the backends (in their open errors) and the layers above use it.

use crate::config::StoreUrl;

/// The store location for logs and error messages, with any password replaced.
///
/// A PostgreSQL URL loses its password, query string and fragment (libpq accepts
/// `?password=` too); text that is not a URL at all is not echoed.
pub fn redacted_url(url: &StoreUrl) -> String {
    match url {
        StoreUrl::SqliteFile(path) => format!("sqlite://{}", path.display()),
        StoreUrl::SqliteMemory => "sqlite::memory:".to_owned(),
        StoreUrl::Postgres(secret) => match url::Url::parse(secret.expose()) {
            Ok(mut parsed) => {
                if parsed.password().is_some() && parsed.set_password(Some("REDACTED")).is_err() {
                    return "postgres://<redacted>".to_owned();
                }
                parsed.set_query(None);
                parsed.set_fragment(None);
                parsed.to_string()
            }
            Err(_) => "postgres://<unparseable URL>".to_owned(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::Secret;

    #[test]
    fn redaction_hides_postgres_passwords() {
        let url = StoreUrl::Postgres(Secret::new(
            "postgres://bridge:hunter2@db.example:5432/sts?sslmode=require&password=hunter3",
        ));
        let shown = redacted_url(&url);
        assert!(!shown.contains("hunter"), "{shown}");
        assert!(shown.contains("bridge") && shown.contains("db.example:5432/sts"));

        let libpq = StoreUrl::Postgres(Secret::new("host=db password=hunter2"));
        assert!(!redacted_url(&libpq).contains("hunter2"));

        let file = StoreUrl::SqliteFile("/var/lib/stsbridge/db.sqlite".into());
        assert_eq!(redacted_url(&file), "sqlite:///var/lib/stsbridge/db.sqlite");
    }
}
