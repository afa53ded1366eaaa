//! Command output on stdout: the `outln!` macro, the list formats (`--format
//! table|json|csv`) and the test for a closed stdout.
//!
//! `println!` panics when stdout is a pipe whose reader has gone (`lookout kpis | head`).
//! Command output is therefore written with `outln!`, which hands the write error back
//! with `?`; `main` treats a broken pipe as the reader's choice to stop and exits 0.

use std::io::{self, Write};

/// `println!` that returns (via `?`) instead of panicking when stdout is closed; only
/// for functions returning a `Result` whose error converts from `io::Error`.
macro_rules! outln {
    () => {
        $crate::output::write_line(::std::format_args!(""))?
    };
    ($($arg:tt)*) => {
        $crate::output::write_line(::std::format_args!($($arg)*))?
    };
}

/// One line on stdout (what `outln!` expands to).
pub(crate) fn write_line(args: std::fmt::Arguments<'_>) -> io::Result<()> {
    let mut out = io::stdout().lock();
    out.write_fmt(args)?;
    out.write_all(b"\n")
}

/// Whether the error (or any of its causes) is a write to a closed pipe.
pub(crate) fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|cause| {
        let io_kind = cause
            .downcast_ref::<io::Error>()
            .map(io::Error::kind)
            .or_else(|| cause.downcast_ref::<serde_json::Error>().and_then(|e| e.io_error_kind()));
        io_kind == Some(io::ErrorKind::BrokenPipe)
    })
}

/// Flushes stdout at exit; a reader that has gone is not an error.
pub(crate) fn flush_stdout() -> io::Result<()> {
    match io::stdout().lock().flush() {
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        other => other,
    }
}

/// How a list command prints its rows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum ListFormat {
    /// Aligned text for people, with a count line at the end.
    Table,
    /// One JSON document (shapes in the README, "Output formats").
    Json,
    /// A header row, then one row per item (RFC 4180 quoting).
    Csv,
}

/// `--format table|json|csv`, and `--json`, kept as a shorthand for `--format json`.
#[derive(clap::Args, Clone, Debug)]
pub(crate) struct FormatArgs {
    /// Output format.
    #[arg(long, value_enum, default_value = "table")]
    pub format: ListFormat,
    /// Shorthand for `--format json`.
    #[arg(long, conflicts_with = "format")]
    pub json: bool,
}

impl FormatArgs {
    pub(crate) fn format(&self) -> ListFormat {
        if self.json {
            ListFormat::Json
        } else {
            self.format
        }
    }
}

/// Prints one pretty-printed JSON document.
pub(crate) fn print_json<T: serde::Serialize + ?Sized>(value: &T) -> anyhow::Result<()> {
    outln!("{}", serde_json::to_string_pretty(value)?);
    Ok(())
}

/// Prints a CSV document: the header row, then the rows, each with the header's width.
pub(crate) fn print_csv(header: &[&str], rows: &[Vec<String>]) -> anyhow::Result<()> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(header)?;
    for row in rows {
        w.write_record(row)?;
    }
    let bytes = w.into_inner().map_err(|e| anyhow::anyhow!("writing CSV: {}", e.error()))?;
    let mut out = io::stdout().lock();
    out.write_all(&bytes)?;
    out.flush()?;
    Ok(())
}

/// `{"KEY": n, ...}` as `KEY=n;KEY=n` for one CSV cell (keys in their map order).
pub(crate) fn counts_cell(m: &std::collections::BTreeMap<String, u64>) -> String {
    let parts: Vec<String> = m.iter().map(|(k, v)| format!("{k}={v}")).collect();
    parts.join(";")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_broken_pipe_is_recognised_under_context_and_inside_serde_errors() {
        let pipe = || io::Error::from(io::ErrorKind::BrokenPipe);
        assert!(is_broken_pipe(&anyhow::Error::from(pipe())));
        assert!(is_broken_pipe(&anyhow::Error::from(pipe()).context("writing the table")));
        assert!(is_broken_pipe(&anyhow::Error::from(serde_json::Error::io(pipe()))));
        let other = io::Error::from(io::ErrorKind::PermissionDenied);
        assert!(!is_broken_pipe(&anyhow::Error::from(other).context("writing")));
        assert!(!is_broken_pipe(&anyhow::anyhow!("Broken pipe")), "only the error kind counts, not the text");
    }

    #[test]
    fn counts_cell_joins_keys_in_map_order() {
        let m: std::collections::BTreeMap<String, u64> = [("LOW".to_string(), 2), ("HIGH".to_string(), 1)].into();
        assert_eq!(counts_cell(&m), "HIGH=1;LOW=2");
        assert_eq!(counts_cell(&Default::default()), "");
    }
}
