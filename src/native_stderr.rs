//! Taming what C libraries write to stderr. libxmlsec1 and libxml2 print their own lines
//! (`func=xmlSec…`) on every refused signature, outside `tracing` and outside our control
//! (samael exposes no error hook, and `unsafe` is forbidden here). An attacker posting forged
//! SAML responses could flood the log with them.
//!
//! So, in the server process only, file descriptor 2 becomes a pipe read by one thread: lines
//! from libxmlsec1/libxml2 are counted and reported as at most one summary line per interval;
//! every other line (a panic message, anything a dependency prints) passes through unchanged to
//! the original stderr, where `tracing` writes directly.

use std::fs::File;
use std::io::{BufRead, BufReader, Write};
use std::time::{Duration, Instant};

/// At most one summary line per this interval.
pub const SUMMARY_INTERVAL: Duration = Duration::from_secs(10);
/// Longer lines are cut (a pipe reader must not grow without bound).
const MAX_LINE: usize = 8 * 1024;

/// Whether a stderr line comes from libxmlsec1 or libxml2's error reporting.
pub fn is_native_xml_noise(line: &str) -> bool {
    line.contains("func=xmlSec")
        || line.contains("xmlSec")
        || line.starts_with("Entity: line")
        || line.contains("parser error :")
}

/// Redirects fd 2 into the filter thread and returns a handle to the original stderr, for
/// `tracing` to write to. On any failure the process keeps its plain stderr (and says so).
pub fn capture() -> Option<File> {
    match try_capture() {
        Ok(original) => Some(original),
        Err(e) => {
            let _ = writeln!(
                std::io::stderr(),
                "stsbridge: cannot filter native library stderr ({e}); xmlsec lines are not rate-limited"
            );
            None
        }
    }
}

fn try_capture() -> std::io::Result<File> {
    let original = File::from(rustix::io::dup(rustix::stdio::stderr())?);
    let passthrough = original.try_clone()?;
    let (read, write) = rustix::pipe::pipe()?;
    rustix::stdio::dup2_stderr(&write)?;
    drop(write);
    std::thread::Builder::new()
        .name("native-stderr".into())
        .spawn(move || filter(BufReader::new(File::from(read)), passthrough))?;
    Ok(original)
}

/// Forwards non-noise lines, counts noise lines, summarises the count at most once an interval.
fn filter(mut input: impl BufRead, mut output: File) {
    let mut suppressed: u64 = 0;
    let mut last_summary: Option<Instant> = None;
    let mut line = Vec::with_capacity(256);
    loop {
        line.clear();
        match read_bounded_line(&mut input, &mut line) {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
        let text = String::from_utf8_lossy(&line);
        if !is_native_xml_noise(&text) {
            let _ = output.write_all(&line);
            continue;
        }
        suppressed += 1;
        let due = last_summary.is_none_or(|at| at.elapsed() >= SUMMARY_INTERVAL);
        if due {
            tracing::warn!(
                lines = suppressed,
                "libxmlsec1/libxml2 wrote {suppressed} error line(s) to stderr (suppressed; refused SAML responses are logged by the bridge)"
            );
            suppressed = 0;
            last_summary = Some(Instant::now());
        }
    }
}

/// Reads one line (up to `MAX_LINE` bytes, the rest of an overlong line is skipped).
fn read_bounded_line(input: &mut impl BufRead, out: &mut Vec<u8>) -> std::io::Result<usize> {
    let mut total = 0;
    loop {
        let available = input.fill_buf()?;
        if available.is_empty() {
            return Ok(total);
        }
        let (chunk, done) = match available.iter().position(|&b| b == b'\n') {
            Some(i) => (available.get(..=i).unwrap_or(available), true),
            None => (available, false),
        };
        let room = MAX_LINE.saturating_sub(out.len());
        out.extend_from_slice(chunk.get(..chunk.len().min(room)).unwrap_or_default());
        let used = chunk.len();
        total += used;
        input.consume(used);
        if done {
            return Ok(total);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_xmlsec_and_libxml_lines() {
        assert!(is_native_xml_noise(
            "func=xmlSecOpenSSLEvpDigestVerify:file=digests.c:line=227:obj=sha256:subj=unknown:error=12:invalid data:data and digest do not match"
        ));
        assert!(is_native_xml_noise(
            "Entity: line 1: parser error : Start tag expected, '<' not found"
        ));
        assert!(!is_native_xml_noise(
            "thread 'main' panicked at src/main.rs:1:1"
        ));
        assert!(!is_native_xml_noise(
            "2026-11-22T00:00:00Z  INFO stsbridge: listening"
        ));
    }

    #[test]
    fn lines_are_bounded() {
        let long = format!("{}\nnext\n", "x".repeat(MAX_LINE * 3));
        let mut input = BufReader::with_capacity(64, long.as_bytes());
        let mut line = Vec::new();
        read_bounded_line(&mut input, &mut line).unwrap();
        assert_eq!(line.len(), MAX_LINE);
        line.clear();
        read_bounded_line(&mut input, &mut line).unwrap();
        assert_eq!(line, b"next\n");
    }
}
