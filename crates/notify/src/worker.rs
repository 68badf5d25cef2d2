//! The background task `debrief serve` runs: the scanner and the
//! dispatcher on a poll interval, until told to stop.
//!
//! Failures (a database hiccup) are logged and tried again next round; the
//! task never ends on its own. The scanner runs less often than the
//! dispatcher: due dates move by days, deliveries by seconds.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use debrief_store::Store;

use crate::Clock;
use crate::dispatch::{DispatchConfig, DispatchError, Dispatcher};
use crate::scan::{DEFAULT_DUE_WINDOW_DAYS, scan};

/// How the background task runs.
#[derive(Debug, Clone)]
pub struct WorkerConfig {
    /// Time between dispatch rounds: 5 s by default.
    pub poll: Duration,
    /// Time between due-date scans: 5 min by default.
    pub scan_every: Duration,
    /// The "due soon" window in days: 3 by default.
    pub due_window_days: u32,
    /// The dispatcher's settings.
    pub dispatch: DispatchConfig,
}

impl Default for WorkerConfig {
    fn default() -> Self {
        WorkerConfig {
            poll: Duration::from_secs(5),
            scan_every: Duration::from_secs(300),
            due_window_days: DEFAULT_DUE_WINDOW_DAYS,
            dispatch: DispatchConfig::default(),
        }
    }
}

impl WorkerConfig {
    /// The defaults, with `public_url` (the server's public base URL, for
    /// links in payloads; see [`public_url_from_env`]) and
    /// `DEBRIEF_WEBHOOK_DUE_SOON_DAYS` (the "due soon" window) from the
    /// environment. A value that does not parse is ignored with a warning.
    pub fn from_env(public_url: Option<String>) -> Self {
        let mut c = WorkerConfig::default();
        c.dispatch.public_url = public_url;
        if let Ok(days) = std::env::var("DEBRIEF_WEBHOOK_DUE_SOON_DAYS") {
            match days.trim().parse() {
                Ok(d) => c.due_window_days = d,
                Err(_) => tracing::warn!(
                    "DEBRIEF_WEBHOOK_DUE_SOON_DAYS is not a number of days; using {DEFAULT_DUE_WINDOW_DAYS}"
                ),
            }
        }
        c
    }
}

/// Runs the scanner and the dispatcher on `clock` until `shutdown`
/// completes. Fails only when the HTTP client cannot be built.
pub async fn run(
    store: Store,
    clock: Arc<dyn Clock>,
    config: WorkerConfig,
    shutdown: impl Future<Output = ()>,
) -> Result<(), DispatchError> {
    let dispatcher = Dispatcher::new(store.clone(), config.dispatch.clone())?;
    let mut tick = tokio::time::interval(config.poll);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut last_scan: Option<tokio::time::Instant> = None;
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            () = &mut shutdown => return Ok(()),
            _ = tick.tick() => {}
        }
        let now = clock.now();
        if last_scan.is_none_or(|t| t.elapsed() >= config.scan_every) {
            last_scan = Some(tokio::time::Instant::now());
            match scan(&store, now, config.due_window_days).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(events = n, "due-date events raised"),
                Err(e) => tracing::warn!(error = %e, "due-date scan failed"),
            }
        }
        // The round itself can take up to the request timeout; stopping
        // mid-round is safe (claims expire and are retried).
        tokio::select! {
            () = &mut shutdown => return Ok(()),
            r = dispatcher.run_once(now) => if let Err(e) = r {
                tracing::warn!(error = %e, "webhook dispatch failed");
            }
        }
    }
}

/// `DEBRIEF_PUBLIC_URL` when it is an http(s) URL: the one setting for
/// absolute links, in webhook payloads and in the web service's exports and
/// feeds alike. Anything else is ignored with a warning.
pub fn public_url_from_env() -> Option<String> {
    let url = std::env::var("DEBRIEF_PUBLIC_URL").ok()?;
    let url = url.trim().trim_end_matches('/');
    if url.starts_with("http://") || url.starts_with("https://") {
        Some(url.to_owned())
    } else {
        if !url.is_empty() {
            tracing::warn!("DEBRIEF_PUBLIC_URL is not an http(s) URL; links stay relative");
        }
        None
    }
}
