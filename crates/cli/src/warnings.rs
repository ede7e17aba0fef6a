//! The libraries report what they skip or tolerate through `tracing`
//! (a model `ls` skips because its stored info is unreadable, weights a
//! non-strict load left at their initial values, HTTP retries). Without a
//! subscriber those lines would go nowhere: every command but `serve`
//! (which has its own log output) prints them on stderr as
//! `warning: …`, control characters escaped, each distinct line once. `TFJS_LOG` sets the filter
//! (default `warn`).

use crate::util;
use std::fmt;
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields};
use tracing_subscriber::registry::LookupSpan;

/// `warning: message field=value …` on one line, each distinct line once
/// (`verify` checks the shards, then loads them: one warning, not two).
#[derive(Default)]
struct Plain {
    shown: std::sync::Mutex<std::collections::HashSet<String>>,
}

impl<S, N> FormatEvent<S, N> for Plain
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        let mut text = String::new();
        ctx.field_format()
            .format_fields(Writer::new(&mut text), event)?;
        let tag = match *event.metadata().level() {
            Level::ERROR => "error",
            Level::WARN => "warning",
            _ => "note",
        };
        let line = format!("{tag}: {}", util::printable_lines(&text));
        let first = self
            .shown
            .lock()
            .map_or(true, |mut shown| shown.insert(line.clone()));
        if first {
            writeln!(writer, "{line}")?;
        }
        Ok(())
    }
}

/// Install the stderr warning output (once, before the runtime starts).
pub fn init() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("TFJS_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .event_format(Plain::default())
        .try_init();
}
