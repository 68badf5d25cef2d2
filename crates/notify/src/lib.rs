//! Outbound webhooks for action items: the payloads, their signature, the
//! due-date scanner and the dispatcher that delivers the store's outbox.
//!
//! How an event travels:
//! 1. It is written to the store's outbox (`action_events`) with one
//!    pending delivery per subscribed webhook: `completed` and `reopened`
//!    in the same transaction as the action item change, `due_soon` and
//!    `overdue` by [`scan::scan`]. A user's request never waits for a
//!    webhook target.
//! 2. [`dispatch::Dispatcher::run_once`] claims the due deliveries, POSTs
//!    each (10 s timeout), marks it delivered on a 2xx answer and otherwise
//!    records the attempt (status code or error text, never the secret) and
//!    schedules a retry with exponential back-off ([`dispatch::Backoff`]: 30 s
//!    doubling, capped at 6 h, `failed` after 8 attempts). Every attempt is
//!    in the delivery log.
//! 3. [`worker::run`] does both on a poll interval, on a [`Clock`], until
//!    told to stop; `debrief serve` runs it beside the web server.
//!
//! # Verifying a delivery (for receivers)
//!
//! Every delivery is a `POST` with a JSON body and these headers:
//! - `X-Debrief-Event`: the event kind (`due_soon`, `overdue`, `completed`,
//!   `reopened`, `test`);
//! - `X-Debrief-Delivery`: the delivery id (one per event and webhook; the
//!   same on every retry);
//! - `X-Debrief-Timestamp`: Unix seconds when this attempt was signed;
//! - `X-Debrief-Signature`: `sha256=` followed by the lower-case hex
//!   HMAC-SHA256, keyed with the webhook's secret, of the timestamp, a `.`
//!   and the raw body bytes.
//!
//! A receiver recomputes `HMAC-SHA256(secret, timestamp + "." + body)` over
//! the body exactly as received (before any JSON parsing), compares it to
//! the header in constant time, and refuses timestamps more than a few
//! minutes from its own clock, which stops replays of an old delivery.
//! [`sign::verify`] does all three. Delivery is at least once: drop
//! duplicates by the event id in the body (`id`).
//!
//! Slack incoming webhooks cannot check a signature; they rely on the
//! secrecy of their URL, so keep that URL as secret as the signing secret.

use chrono::{DateTime, Utc};

pub mod dispatch;
pub mod payload;
pub mod scan;
pub mod sign;
pub mod worker;

/// The source of "now" for the scanner and the dispatcher, so tests can
/// run them at any instant.
pub trait Clock: Send + Sync {
    /// The current instant.
    fn now(&self) -> DateTime<Utc>;
}

/// The system clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}
