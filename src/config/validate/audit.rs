//! `[audit]`: where decisions are written besides the store, and how long the store keeps them.

use super::context::Ctx;
use crate::config::{AuditConfig, AuditSink};

pub(super) fn audit(
    cx: &mut Ctx<'_>,
    file: Option<&str>,
    retention_days: Option<u32>,
) -> AuditConfig {
    let sink = match file {
        None => AuditSink::StoreOnly,
        Some("-") => AuditSink::Stdout,
        Some("") => {
            cx.err("audit.file", "a file name, or \"-\" for stdout");
            AuditSink::StoreOnly
        }
        Some(f) => AuditSink::File(cx.path(f)),
    };
    let retention_days = retention_days.unwrap_or(90);
    if retention_days == 0 {
        cx.err("audit.retention_days", "must be at least 1");
    }
    AuditConfig {
        sink,
        retention_days,
    }
}
