//! The `stsbridge` binary: parse the command line, load the configuration, run.

use std::path::PathBuf;

use std::fmt::Write as _;
use std::io::Write as _;

use std::sync::Arc;

use anyhow::Context;
use clap::{Parser, Subcommand};
use stsbridge::app::{self, App};

use stsbridge::clock::{Clock, SharedClock, SystemClock};
use stsbridge::config::{self, Config, KeySource, ProcessEnv};
use stsbridge::seal::Keyring;
use stsbridge::sts::bridge::Bridge;

#[derive(Debug, Parser)]
#[command(
    name = "stsbridge",
    version,
    about = "Federation identity bridge with an AWS STS-compatible API"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    #[cfg_attr(
        feature = "demo",
        doc = "Serve the STS API. Without --config, runs the embedded demo on 127.0.0.1:8080."
    )]
    #[cfg_attr(
        not(feature = "demo"),
        doc = "Serve the STS API (needs --config FILE)."
    )]
    Serve {
        #[arg(long, value_name = "FILE")]
        config: Option<PathBuf>,
        #[cfg_attr(
            feature = "demo",
            doc = "Override `server.listen` (the demo accepts loopback addresses only)."
        )]
        #[cfg_attr(not(feature = "demo"), doc = "Override `server.listen`.")]
        #[arg(long, value_name = "ADDR")]
        listen: Option<String>,
    },
    /// Validate a config file exactly as `serve` would, without serving.
    CheckConfig {
        #[arg(value_name = "FILE")]
        file: PathBuf,
    },
    /// Explain claim rules and trust policies for a set of claims.
    Rules {
        #[command(subcommand)]
        command: RulesCommand,
    },
    /// Revoke sessions (by temporary access key, role, federated subject or provider), or list
    /// active revocations. Replicas sharing the store refuse the sessions within seconds.
    Revoke {
        #[arg(long, value_name = "FILE")]
        config: PathBuf,
        /// One temporary access key (ASIA…).
        #[arg(long)]
        access_key_id: Option<String>,
        /// Role name or ARN: its sessions issued before --issued-before.
        #[arg(long)]
        role: Option<String>,
        /// SAML provider name, OIDC issuer URL or provider ARN.
        #[arg(long)]
        provider: Option<String>,
        /// With --provider: one federated subject (OIDC sub, SAML NameID).
        #[arg(long, requires = "provider")]
        subject: Option<String>,
        /// `now` (default) or an RFC 3339 time.
        #[arg(long)]
        issued_before: Option<String>,
        #[arg(long)]
        reason: Option<String>,
        /// Show active revocations instead.
        #[arg(long, conflicts_with_all = ["access_key_id", "role", "provider"])]
        list: bool,
    },
    /// Print the audit trail kept in the store, one JSON event per line, oldest first.
    Audit {
        #[arg(long, value_name = "FILE")]
        config: PathBuf,
        /// How far back: `90s`, `30m`, `1h`, `7d`, or an RFC 3339 time.
        #[arg(long, default_value = "1h")]
        since: String,
        /// Only events of this federated subject or principal/session ARN.
        #[arg(long)]
        subject: Option<String>,
        /// At most this many events.
        #[arg(long, default_value_t = 1000)]
        limit: u32,
    },
    /// Manage the keyring that seals session tokens.
    Keys {
        #[command(subcommand)]
        command: KeysCommand,
    },
    /// Same as `keys rotate` (kept for scripts written before `keys`).
    #[command(hide = true)]
    RotateKeys {
        #[arg(long, value_name = "FILE")]
        config: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
enum KeysCommand {
    /// Put a new sealing key first; old keys keep opening tokens. Running replicas that read
    /// the same file pick it up within seconds.
    Rotate {
        #[arg(long, value_name = "FILE")]
        config: PathBuf,
    },
    /// Remove keys retired for longer than the longest credentials live (36 h).
    Prune {
        #[arg(long, value_name = "FILE")]
        config: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
enum RulesCommand {
    /// For the claims in a JSON file: which rules match and why, the roles and tags they give,
    /// and each role's trust-policy decision.
    Explain {
        #[arg(long, value_name = "FILE")]
        config: PathBuf,
        /// OIDC issuer URL or SAML provider name, as in the config.
        #[arg(long)]
        provider: String,
        /// A JSON object of claims (an ID token's payload, or SAML attributes by name).
        #[arg(long, value_name = "CLAIMS.json")]
        claims: PathBuf,
        /// The RoleSessionName the caller would send (trust policies may check it).
        #[arg(long, default_value = "explain-session")]
        session_name: String,
    },
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    // Only the long-running server filters native libraries' stderr; one-shot commands keep
    // plain stderr so their errors read as usual.
    let original_stderr = matches!(cli.command, Command::Serve { .. })
        .then(stsbridge::native_stderr::capture)
        .flatten();
    // Fatal errors go straight to the original stderr: the process exits right after, before
    // the filter thread could forward them.
    let mut error_out: Box<dyn std::io::Write> =
        match original_stderr.as_ref().and_then(|f| f.try_clone().ok()) {
            Some(file) => Box::new(file),
            None => Box::new(std::io::stderr()),
        };
    let log = stsbridge::telemetry::init(original_stderr);
    match run(cli) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            // The lines logged before the failure come first.
            drop(log);
            let _ = error_out.write_all(user_error(&e).as_bytes());
            std::process::ExitCode::FAILURE
        }
    }
}

/// A user error as its message and causes. Never anyhow's `Debug` form: that appends a stack
/// trace whenever `RUST_BACKTRACE` is set (developer shells, some process managers), which
/// buries the message. Real panics keep theirs through the panic hook.
fn user_error(e: &anyhow::Error) -> String {
    let mut text = format!("Error: {e}\n");
    for cause in e.chain().skip(1) {
        let _ = writeln!(text, "  caused by: {cause}");
    }
    text
}

/// The config file as every command accepts it: valid, and with provider keys and metadata the
/// registries can use (they parse those; built here before `serve` writes a keyring, listens
/// or opens the store, so a bad file fails with no side effect).
fn load_checked(path: &std::path::Path) -> anyhow::Result<Config> {
    let config = config::load_file(path, &ProcessEnv)?;
    stsbridge::authn::IdpRegistries::new(&config, reqwest::Client::builder().build()?)?;
    Ok(config)
}

fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::CheckConfig { file } => {
            let config = load_checked(&file)?;
            eprintln!(
                "{}: OK ({} users, {} roles, {} OIDC providers, {} SAML providers, {} rules)",
                file.display(),
                config.users.len(),
                config.roles.len(),
                config.oidc_providers.len(),
                config.saml_providers.len(),
                config.rules.len()
            );
            Ok(())
        }
        Command::Rules {
            command:
                RulesCommand::Explain {
                    config,
                    provider,
                    claims,
                    session_name,
                },
        } => explain(&config, &provider, &claims, &session_name),
        Command::Revoke {
            config,
            access_key_id,
            role,
            provider,
            subject,
            issued_before,
            reason,
            list,
        } => {
            let config = load_checked(&config)?;
            if matches!(config.store, stsbridge::config::StoreUrl::SqliteMemory) {
                anyhow::bail!(
                    "the configured store is in memory: a revocation written here would reach no server"
                );
            }
            let req = stsbridge::sts::revoke::RevokeRequest {
                access_key_id,
                role,
                provider,
                subject,
                issued_before,
                reason,
            };
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?
                .block_on(revoke(&config, &req, list))
        }
        Command::Audit {
            config,
            since,
            subject,
            limit,
        } => print_audit(&config, &since, subject.as_deref(), limit),
        Command::RotateKeys { config } => keys_command(KeysCommand::Rotate { config }),
        Command::Keys { command } => keys_command(command),
        Command::Serve {
            config: Some(path),
            listen,
        } => {
            let mut config = load_checked(&path)?;
            if let Some(l) = listen {
                config.server.listen = l.parse().context("--listen expects ip:port")?;
            }
            serve(config, Arc::new(SystemClock), |app, _| app)
        }
        Command::Serve {
            config: None,
            listen,
        } => serve_without_config(listen.as_deref()),
    }
}

/// `serve` without `--config`: the embedded demo, its banner printed once it listens.
#[cfg(feature = "demo")]
fn serve_without_config(listen: Option<&str>) -> anyhow::Result<()> {
    let clock: SharedClock = Arc::new(SystemClock);
    let demo = stsbridge::demo::demo_config(listen, clock.clone())?;
    serve(demo.config, clock, move |app, addr| {
        print_report(&stsbridge::demo::banner(
            &addr.to_string(),
            app.bridge.config(),
            &demo.credentials,
        ));
        app.with_demo_idp(demo.idp)
    })
}

#[cfg(not(feature = "demo"))]
fn serve_without_config(_listen: Option<&str>) -> anyhow::Result<()> {
    anyhow::bail!(
        "no configuration given: this build has no embedded demo, so run `stsbridge serve --config FILE`"
    )
}

/// `stsbridge rules explain`: shows which rules and trust statements a set of claims meets.
fn explain(
    config: &std::path::Path,
    provider: &str,
    claims: &std::path::Path,
    session_name: &str,
) -> anyhow::Result<()> {
    let config = load_checked(config)?;
    let text = std::fs::read_to_string(claims)
        .with_context(|| format!("cannot read {}", claims.display()))?;
    let claims: serde_json::Value =
        serde_json::from_str(&text).context("the claims file is not JSON")?;
    let claims = claims
        .as_object()
        .context("the claims file must hold a JSON object")?;
    let report = stsbridge::sts::explain::explain_rules(
        &config,
        provider,
        claims,
        session_name,
        SystemClock.now(),
    )?;
    print_report(&report);
    Ok(())
}

/// Runs the bridge on `config` until a shutdown signal; `attach` sees the app once the
/// listener is bound (the demo prints its banner there and mounts its IdP).
fn serve(
    config: Config,
    clock: SharedClock,
    attach: impl FnOnce(App, std::net::SocketAddr) -> App,
) -> anyhow::Result<()> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(serve_async(config, clock, attach))
}

async fn serve_async(
    config: Config,
    clock: SharedClock,
    attach: impl FnOnce(App, std::net::SocketAddr) -> App,
) -> anyhow::Result<()> {
    let keyring = match &config.tokens {
        KeySource::File(path) => Keyring::load_or_create(path, clock.now())?,
        KeySource::Ephemeral => Keyring::generate(clock.now()),
    };
    let listener = tokio::net::TcpListener::bind(config.server.listen)
        .await
        .with_context(|| format!("cannot listen on {}", config.server.listen))?;
    let addr = listener.local_addr()?;
    tracing::info!(%addr, demo = config.demo, "stsbridge listening");
    let store = stsbridge::store::open(&config.store).await?;
    let app = App::new(Bridge::new(config, keyring, clock, store)?);
    app.start().await;
    let app = attach(app, addr);
    let bridge = Arc::clone(&app.bridge);
    app::serve(listener, app, app::shutdown_signal()).await?;
    // Requests have finished: let the audit writer catch up before the process exits.
    if !bridge.flush_audit(std::time::Duration::from_secs(5)).await {
        tracing::warn!("audit events still queued at exit were not written");
    }
    Ok(())
}

async fn revoke(
    config: &Config,
    req: &stsbridge::sts::revoke::RevokeRequest,
    list: bool,
) -> anyhow::Result<()> {
    let store = stsbridge::store::open(&config.store).await?;
    let now = SystemClock.now();
    if list {
        let lines: Vec<String> = store
            .list_revocations(now)
            .await?
            .iter()
            .map(stsbridge::sts::revoke::describe)
            .collect();
        print_report(&if lines.is_empty() {
            "no active revocations\n".to_owned()
        } else {
            lines.join("\n") + "\n"
        });
        return Ok(());
    }
    let record = stsbridge::sts::revoke::revocation(config, req, now)?;
    store.add_revocation(&record).await?;
    print_report(&format!(
        "revoked: {}\n",
        stsbridge::sts::revoke::describe(&record)
    ));
    Ok(())
}

/// `stsbridge keys rotate|prune`.
fn keys_command(command: KeysCommand) -> anyhow::Result<()> {
    match command {
        KeysCommand::Rotate { config } => {
            let path = keyring_path(&config)?;
            let ring = Keyring::rotate_file(&path, SystemClock.now())?;
            eprintln!(
                "{}: sealing key is now {} ({} keys)",
                path.display(),
                ring.key_ids().join(", then "),
                ring.key_ids().len()
            );
            Ok(())
        }
        KeysCommand::Prune { config } => {
            let path = keyring_path(&config)?;
            let (ring, removed) = Keyring::prune_file(&path, SystemClock.now())?;
            eprintln!(
                "{}: removed {} key(s){}; keeping {}",
                path.display(),
                removed.len(),
                if removed.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", removed.join(", "))
                },
                ring.key_ids().join(", ")
            );
            Ok(())
        }
    }
}

/// The keyring file a config names.
fn keyring_path(config: &std::path::Path) -> anyhow::Result<PathBuf> {
    let config = load_checked(config)?;
    match config.tokens {
        KeySource::File(path) => Ok(path),
        KeySource::Ephemeral => anyhow::bail!("this configuration has no keyring file"),
    }
}

/// `stsbridge audit`: the store's audit events, one JSON line each.
fn print_audit(
    config: &std::path::Path,
    since: &str,
    subject: Option<&str>,
    limit: u32,
) -> anyhow::Result<()> {
    let config = load_checked(config)?;
    let now = SystemClock.now();
    let since =
        stsbridge::audit::parse_since(since, now).map_err(|e| anyhow::anyhow!("--since: {e}"))?;
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?
        .block_on(async {
            let store = stsbridge::store::open(&config.store).await?;
            let events = store.list_audit_events(since, subject, limit, now).await?;
            let mut out = String::new();
            for e in events {
                out.push_str(&e);
                out.push('\n');
            }
            print_report(&out);
            anyhow::Ok(())
        })
}

#[expect(clippy::print_stdout, reason = "the report is the command's output")]
fn print_report(report: &str) {
    print!("{report}");
}
