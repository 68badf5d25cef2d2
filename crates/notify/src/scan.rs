//! The due-date scanner: raises `due_soon` and `overdue` events for open
//! action items, once per item per due date.
//!
//! The rule is [`debrief_core::notify::due_event`]; uniqueness is the
//! store's (`dedupe_key`), so scanning as often as one likes, from as many
//! servers as share the database, raises each event once. An item that is
//! due soon and then becomes overdue raises both, in that order; moving its
//! due date raises them again for the new date.

use chrono::{DateTime, Days, Utc};
use debrief_core::notify::{ActionEvent, due_dedupe_key, due_event};
use debrief_store::{NewEvent, Store, StoreError};
use uuid::Uuid;

/// The default "due soon" window, in days.
pub const DEFAULT_DUE_WINDOW_DAYS: u32 = 3;

/// Raises the due-date events of every open item at `now`, with a "due
/// soon" window of `window_days`; returns how many new events were written.
pub async fn scan(
    store: &Store,
    now: DateTime<Utc>,
    window_days: u32,
) -> Result<usize, StoreError> {
    let today = now.date_naive();
    let until = today
        .checked_add_days(Days::new(u64::from(window_days)))
        .unwrap_or(today);
    let mut events = Vec::new();
    for c in store.due_candidates(until).await? {
        let (Some(kind), Some(due)) = (
            due_event(today, c.item.due, c.item.status, window_days),
            c.item.due,
        ) else {
            continue;
        };
        events.push(NewEvent {
            event: ActionEvent::new(
                Uuid::new_v4(),
                kind,
                now,
                &c.key,
                &c.title,
                c.restricted,
                &c.item,
            ),
            dedupe_key: due_dedupe_key(kind, c.item.id, due),
            incident_id: Some(c.incident_id),
        });
    }
    store.enqueue_events(&events).await
}
