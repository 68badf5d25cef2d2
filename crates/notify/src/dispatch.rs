//! The dispatcher: claims the due deliveries, POSTs them, records every
//! attempt and schedules retries.
//!
//! Decisions:
//! - A 2xx answer is delivered. Anything else (another status, a timeout,
//!   a refused connection, a TLS error) is a failed attempt: it is recorded
//!   with the status code or the error text and retried after
//!   [`Backoff::delay`]; after [`Backoff::max_attempts`] attempts the
//!   delivery is `failed` and stays in the log. Redirects are not followed
//!   (a 3xx is a failed attempt), so a signed body never goes to a host the
//!   administrator did not name.
//! - Error texts come from reqwest with the URL stripped (a Slack webhook
//!   URL is itself a credential) and never contain the signing secret,
//!   which only ever goes into the HMAC.
//! - A batch is sent concurrently, each request bounded by the timeout, so
//!   one target that never answers delays a round by at most the timeout
//!   and never blocks the others for longer.
//! - There is no ordering guarantee between events: a retried delivery
//!   may arrive after a later event. Receivers order by `occurred_at` and
//!   drop duplicates by event `id`.
//! - Time comes in as `now`: the attempt is recorded at `now` and the
//!   retry scheduled from it, so tests run the dispatcher at any instant.

use std::time::Duration;

use chrono::{DateTime, Utc};
use debrief_store::{AttemptRecord, DueDelivery, NextStep, Store, StoreError};

use crate::payload;
use crate::sign::{DELIVERY_HEADER, EVENT_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, signature};

/// When to try again after a failed attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    /// The wait after the first failed attempt; doubled after each further one.
    pub base: Duration,
    /// The longest wait.
    pub cap: Duration,
    /// Attempts in all before giving up.
    pub max_attempts: u32,
}

impl Default for Backoff {
    /// 30 s doubling, capped at 6 h, failed after 8 attempts (about 64 min
    /// of retries in all, so an outage of an hour is ridden out).
    fn default() -> Self {
        Backoff {
            base: Duration::from_secs(30),
            cap: Duration::from_secs(6 * 3600),
            max_attempts: 8,
        }
    }
}

impl Backoff {
    /// The wait after the `attempts`-th failed attempt (1-based), or `None`
    /// when that was the last one allowed.
    pub fn delay(&self, attempts: u32) -> Option<Duration> {
        if attempts >= self.max_attempts {
            return None;
        }
        let factor = 2u32.saturating_pow(attempts.saturating_sub(1));
        Some(self.base.saturating_mul(factor).min(self.cap))
    }
}

/// How the dispatcher behaves.
#[derive(Debug, Clone)]
pub struct DispatchConfig {
    /// Per-request timeout (connect, send and answer): 10 s by default.
    pub timeout: Duration,
    /// Retry schedule.
    pub backoff: Backoff,
    /// Deliveries claimed per round.
    pub batch: u64,
    /// How long a claim holds before another dispatcher may take the
    /// delivery: comfortably longer than a request can take.
    pub lease: Duration,
    /// The server's public base URL (e.g. `https://debrief.example`), for
    /// links in payloads; relative paths without it.
    pub public_url: Option<String>,
}

impl Default for DispatchConfig {
    fn default() -> Self {
        DispatchConfig {
            timeout: Duration::from_secs(10),
            backoff: Backoff::default(),
            batch: 32,
            lease: Duration::from_secs(120),
            public_url: None,
        }
    }
}

/// What one round did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DispatchReport {
    /// Deliveries answered with 2xx.
    pub delivered: usize,
    /// Failed attempts scheduled for a retry.
    pub retrying: usize,
    /// Deliveries given up on.
    pub failed: usize,
}

/// Sends the store's due deliveries.
#[derive(Debug, Clone)]
pub struct Dispatcher {
    store: Store,
    client: reqwest::Client,
    config: DispatchConfig,
}

/// Errors building the dispatcher or reading the store.
#[derive(Debug, thiserror::Error)]
pub enum DispatchError {
    /// The HTTP client could not be built (TLS set-up).
    #[error("cannot build the HTTP client: {0}")]
    Client(String),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl Dispatcher {
    /// A dispatcher over `store`.
    pub fn new(store: Store, config: DispatchConfig) -> Result<Self, DispatchError> {
        let client = reqwest::Client::builder()
            .timeout(config.timeout)
            .connect_timeout(config.timeout)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("debrief-webhooks/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| DispatchError::Client(e.to_string()))?;
        Ok(Dispatcher {
            store,
            client,
            config,
        })
    }

    /// Claims the deliveries due at `now` and attempts each once; returns
    /// what happened. A target's failure is recorded, never returned: only
    /// a store failure is an error.
    pub async fn run_once(&self, now: DateTime<Utc>) -> Result<DispatchReport, DispatchError> {
        let lease = chrono::Duration::from_std(self.config.lease)
            .unwrap_or_else(|_| chrono::Duration::seconds(120));
        let due = self
            .store
            .claim_due_deliveries(now, lease, self.config.batch)
            .await?;
        let sends = due.iter().map(|d| self.send(d, now));
        let outcomes = futures::future::join_all(sends).await;
        let mut report = DispatchReport::default();
        for (d, (status_code, error)) in due.iter().zip(outcomes) {
            let attempts = d.attempts.saturating_add(1);
            let next = if error.is_none() {
                report.delivered += 1;
                NextStep::Delivered
            } else {
                match self.config.backoff.delay(attempts) {
                    Some(wait) => {
                        report.retrying += 1;
                        let wait = chrono::Duration::from_std(wait)
                            .unwrap_or_else(|_| chrono::Duration::hours(6));
                        NextStep::RetryAt(now + wait)
                    }
                    None => {
                        report.failed += 1;
                        NextStep::GiveUp
                    }
                }
            };
            match (&next, &error) {
                (NextStep::Delivered, _) => {
                    tracing::debug!(delivery = %d.id, webhook = %d.webhook_id, "webhook delivered");
                }
                (_, Some(err)) => tracing::warn!(
                    delivery = %d.id,
                    webhook = %d.webhook_id,
                    attempts,
                    status = ?status_code,
                    error = %err,
                    gave_up = matches!(next, NextStep::GiveUp),
                    "webhook delivery failed"
                ),
                _ => {}
            }
            self.store
                .record_delivery_attempt(
                    d.id,
                    AttemptRecord {
                        at: now,
                        status_code,
                        error,
                        next,
                    },
                )
                .await?;
        }
        Ok(report)
    }

    /// POSTs one delivery: the status code, if any, and the error, `None`
    /// when it was delivered.
    async fn send(&self, d: &DueDelivery, now: DateTime<Utc>) -> (Option<u16>, Option<String>) {
        let body = payload::body(d.format, &d.event, self.config.public_url.as_deref());
        let ts = now.timestamp();
        let sig = signature(d.secret.expose(), ts, &body);
        let res = self
            .client
            .post(&d.url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header(EVENT_HEADER, d.event.kind.as_str())
            .header(DELIVERY_HEADER, d.id.to_string())
            .header(TIMESTAMP_HEADER, ts.to_string())
            .header(SIGNATURE_HEADER, sig)
            .body(body)
            .send()
            .await;
        match res {
            Ok(r) if r.status().is_success() => (Some(r.status().as_u16()), None),
            Ok(r) => {
                let code = r.status().as_u16();
                (Some(code), Some(format!("HTTP {code}")))
            }
            Err(e) => (None, Some(describe(e))),
        }
    }
}

/// A failed request as text for the log: its kind and cause, without the
/// URL.
fn describe(e: reqwest::Error) -> String {
    let kind = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "could not connect"
    } else if e.is_redirect() {
        "redirect refused"
    } else {
        "request failed"
    };
    let e = e.without_url();
    let mut text = format!("{kind}: {e}");
    let mut source = std::error::Error::source(&e);
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn back_off_doubles_from_30_seconds_caps_at_6_hours_and_stops_after_8() {
        let b = Backoff::default();
        let secs: Vec<Option<u64>> = (1..=8).map(|n| b.delay(n).map(|d| d.as_secs())).collect();
        assert_eq!(
            secs,
            vec![
                Some(30),
                Some(60),
                Some(120),
                Some(240),
                Some(480),
                Some(960),
                Some(1920),
                None
            ]
        );
        let capped = Backoff {
            max_attempts: 40,
            ..b
        };
        assert_eq!(capped.delay(30), Some(Duration::from_secs(6 * 3600)));
    }
}
