//! Webhooks end to end: a real HTTP receiver on 127.0.0.1 that checks the
//! signature, the dispatcher's retries and time-outs, the due-date scanner,
//! and the `completed` / `reopened` events written with the item change.
//!
//! Store-level stories run on SQLite and, with `DEBRIEF_TEST_PG`, on
//! PostgreSQL. Time is always passed in.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests fail loudly by design

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use chrono::{DateTime, TimeZone, Utc};
use debrief_core::notify::EventKind;
use debrief_core::{ActionItem, ActionStatus, IncidentKey, NewIncident};
use debrief_notify::dispatch::{DispatchConfig, DispatchReport, Dispatcher};
use debrief_notify::scan::scan;
use debrief_notify::sign;
use debrief_store::{
    Ctx, DeliveryStatus, NewWebhook, Secret, SectionItem, Store, StoreError, WebhookFormat,
};
use serde_json::{Value, json};

const SECRET: &str = "test-secret-0123456789abcdef";

fn at(y: i32, m: u32, d: u32, h: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, h, 0, 0).unwrap()
}

/// What the receiver saw: one entry per request, with whether its
/// signature verified.
#[derive(Default)]
struct Seen {
    requests: Mutex<Vec<(HeaderMap, Value, bool)>>,
    calls: AtomicUsize,
}

/// How the receiver answers the n-th call (0-based).
type Script = fn(usize) -> Reply;

#[derive(Clone, Copy)]
enum Reply {
    Status(u16),
    Hang,
}

#[derive(Clone)]
struct Receiver {
    seen: Arc<Seen>,
    script: Script,
}

async fn receive(State(r): State<Receiver>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let n = r.seen.calls.fetch_add(1, Ordering::SeqCst);
    // The check a real receiver makes: HMAC over `timestamp.body`, with the
    // timestamp close to its own clock (the dispatcher signs with the `now`
    // it is given, so tolerate any skew here and check the bytes).
    let ts: i64 = headers[sign::TIMESTAMP_HEADER]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    let sig = headers[sign::SIGNATURE_HEADER].to_str().unwrap();
    let ok = sign::verify(SECRET, ts, &body, sig, ts, 300);
    let value: Value = serde_json::from_slice(&body).unwrap();
    r.seen
        .requests
        .lock()
        .unwrap()
        .push((headers.clone(), value, ok));
    match (r.script)(n) {
        Reply::Status(s) => StatusCode::from_u16(s).unwrap(),
        Reply::Hang => {
            tokio::time::sleep(Duration::from_secs(60)).await;
            StatusCode::OK
        }
    }
}

/// Starts a receiver on 127.0.0.1:0; returns its URL and what it sees.
async fn receiver(script: Script) -> (String, Arc<Seen>) {
    let seen = Arc::new(Seen::default());
    let app = Router::new()
        .route("/hook", post(receive))
        .with_state(Receiver {
            seen: seen.clone(),
            script,
        });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr: SocketAddr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    (format!("http://{addr}/hook"), seen)
}

async fn webhook(store: &Store, url: &str, events: &[EventKind]) -> uuid::Uuid {
    let (hook, secret) = store
        .create_webhook(
            NewWebhook {
                name: "receiver".into(),
                url: url.into(),
                format: WebhookFormat::Generic,
                events: events.to_vec(),
                secret: Some(Secret::new(SECRET)),
            },
            &Ctx::system(at(2026, 1, 1, 0)),
        )
        .await
        .unwrap();
    assert_eq!(secret.expose(), SECRET);
    hook.id
}

fn key() -> IncidentKey {
    IncidentKey::parse("INC-2026-0001").unwrap()
}

/// An incident with four action items: #1 due 2026-01-12 (planned), #2 due
/// 2026-01-09 (in progress), #3 due 2026-01-20 (planned), #4 due 2026-01-09
/// (complete).
async fn incident(store: &Store) -> Vec<ActionItem> {
    let ctx = Ctx::system(at(2026, 1, 1, 0));
    let new: NewIncident = serde_json::from_value(json!({
        "key": "INC-2026-0001", "title": "Leaked <deploy> key", "severity": "high"
    }))
    .unwrap();
    store.create_incident(new, &ctx).await.unwrap();
    for (title, due, status) in [
        ("Rotate the deploy key", "2026-01-12", "planned"),
        ("Scan repos for secrets", "2026-01-09", "in_progress"),
        ("Write the runbook", "2026-01-20", "planned"),
        ("Revoke the old key", "2026-01-09", "complete"),
    ] {
        let item: ActionItem = serde_json::from_value(json!({
            "title": title, "owner": "ana", "team": "platform", "due": due,
            "priority": "high", "status": status
        }))
        .unwrap();
        store
            .add_item(&key(), SectionItem::ActionItem(item), None, &ctx)
            .await
            .unwrap();
    }
    store.get(&key()).await.unwrap().action_items
}

fn with_status(item: &ActionItem, status: ActionStatus) -> SectionItem {
    let mut a = item.clone();
    a.status = status;
    a.status_history.clear();
    a.horizon = None;
    if status == ActionStatus::Verified {
        a.verification = Some(debrief_core::Verification {
            effective: true,
            on: "2026-01-05".parse().unwrap(),
            evidence: "no secrets found in a re-scan".into(),
        });
    }
    SectionItem::ActionItem(a)
}

fn dispatcher(store: &Store, timeout: Duration) -> Dispatcher {
    Dispatcher::new(
        store.clone(),
        DispatchConfig {
            timeout,
            public_url: Some("https://debrief.example".into()),
            ..DispatchConfig::default()
        },
    )
    .unwrap()
}

async fn on_both<F, Fut>(story: F)
where
    F: Fn(Store) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    story(debrief_store::testing::sqlite_store().await).await;
    match debrief_store::testing::postgres_store().await {
        Some(pg) => {
            story(pg.clone()).await;
            debrief_store::testing::drop_postgres_store(pg).await;
        }
        None => println!("skipped on PostgreSQL: DEBRIEF_TEST_PG not set"),
    }
}

#[tokio::test]
async fn completing_an_item_delivers_a_signed_completed_event() {
    on_both(|store| async move {
        let (url, seen) = receiver(|_| Reply::Status(204)).await;
        let hook = webhook(&store, &url, &[EventKind::Completed]).await;
        let items = incident(&store).await;
        let now = at(2026, 1, 5, 9);
        store
            .update_item(
                &key(),
                items[0].id,
                with_status(&items[0], ActionStatus::Complete),
                None,
                &Ctx::system(now),
            )
            .await
            .unwrap();

        let report = dispatcher(&store, Duration::from_secs(10))
            .run_once(now)
            .await
            .unwrap();
        assert_eq!(
            report,
            DispatchReport {
                delivered: 1,
                ..Default::default()
            }
        );
        let requests = seen.requests.lock().unwrap().clone();
        assert_eq!(requests.len(), 1);
        let (headers, body, verified) = &requests[0];
        assert!(verified, "the receiver verifies the HMAC signature");
        assert_eq!(headers[sign::EVENT_HEADER], "completed");
        assert_eq!(
            headers[sign::TIMESTAMP_HEADER].to_str().unwrap(),
            now.timestamp().to_string()
        );
        assert_eq!(body["kind"], "completed");
        assert_eq!(body["incident"]["key"], "INC-2026-0001");
        assert_eq!(body["incident"]["title"], "Leaked <deploy> key");
        assert_eq!(body["action_item"]["number"], 1);
        assert_eq!(body["action_item"]["title"], "Rotate the deploy key");
        assert_eq!(body["action_item"]["owner"], "ana");
        assert_eq!(body["action_item"]["team"], "platform");
        assert_eq!(body["action_item"]["due"], "2026-01-12");
        assert_eq!(body["action_item"]["status"], "complete");
        assert_eq!(
            body["action_item"]["url"],
            "https://debrief.example/incidents/INC-2026-0001#actions"
        );
        let log = store.webhook_deliveries(hook, 10).await.unwrap();
        assert_eq!(log.len(), 1);
        assert_eq!(
            headers[sign::DELIVERY_HEADER].to_str().unwrap(),
            log[0].id.to_string()
        );
        assert_eq!(body["id"], log[0].event_id.to_string());
        assert_eq!(log[0].status, DeliveryStatus::Delivered);
        assert_eq!(log[0].delivered_at, Some(now));
        assert_eq!(log[0].next_attempt_at, now, "nothing is due any more");
        // Nothing is left to send.
        let again = dispatcher(&store, Duration::from_secs(10))
            .run_once(now + chrono::Duration::hours(1))
            .await
            .unwrap();
        assert_eq!(again, DispatchReport::default());
    })
    .await;
}

#[tokio::test]
async fn a_target_that_fails_twice_gets_the_event_on_the_third_attempt() {
    on_both(|store| async move {
        let (url, seen) = receiver(|n| Reply::Status(if n < 2 { 500 } else { 200 })).await;
        let hook = webhook(&store, &url, &[EventKind::Reopened]).await;
        let _ = incident(&store).await;
        let items = store.get(&key()).await.unwrap().action_items;
        let t0 = at(2026, 1, 5, 9);
        store
            .update_item(
                &key(),
                items[3].id,
                with_status(&items[3], ActionStatus::InProgress),
                None,
                &Ctx::system(t0),
            )
            .await
            .unwrap();
        let d = dispatcher(&store, Duration::from_secs(10));

        assert_eq!(d.run_once(t0).await.unwrap().retrying, 1);
        let log = store.webhook_deliveries(hook, 10).await.unwrap();
        assert_eq!(log[0].status, DeliveryStatus::Pending);
        assert_eq!(log[0].last_status, Some(500));
        assert_eq!(log[0].next_attempt_at, t0 + chrono::Duration::seconds(30));
        // Not due again before the back-off has passed.
        assert_eq!(
            d.run_once(t0 + chrono::Duration::seconds(29))
                .await
                .unwrap(),
            DispatchReport::default()
        );
        let t1 = t0 + chrono::Duration::seconds(30);
        assert_eq!(d.run_once(t1).await.unwrap().retrying, 1);
        let log = store.webhook_deliveries(hook, 10).await.unwrap();
        assert_eq!(
            log[0].next_attempt_at,
            t1 + chrono::Duration::seconds(60),
            "the wait doubles"
        );
        let t2 = t1 + chrono::Duration::seconds(60);
        assert_eq!(d.run_once(t2).await.unwrap().delivered, 1);

        assert_eq!(seen.calls.load(Ordering::SeqCst), 3);
        let log = store.webhook_deliveries(hook, 10).await.unwrap();
        assert_eq!(log.len(), 1);
        assert_eq!(log[0].status, DeliveryStatus::Delivered);
        assert_eq!(log[0].attempts, 3);
        let attempts: Vec<(DateTime<Utc>, Option<u16>, bool)> = log[0]
            .attempt_log
            .iter()
            .map(|a| (a.at, a.status_code, a.ok))
            .collect();
        assert_eq!(
            attempts,
            vec![
                (t0, Some(500), false),
                (t1, Some(500), false),
                (t2, Some(200), true)
            ]
        );
        // Every retry carried the same event and delivery ids.
        let requests = seen.requests.lock().unwrap().clone();
        let ids: Vec<_> = requests
            .iter()
            .map(|(h, b, ok)| {
                assert!(ok);
                (h[sign::DELIVERY_HEADER].clone(), b["id"].clone())
            })
            .collect();
        assert!(ids.windows(2).all(|w| w[0] == w[1]));
        assert_eq!(requests[0].1["kind"], "reopened");
    })
    .await;
}

#[tokio::test]
async fn a_delivery_is_failed_after_eight_attempts_and_kept_in_the_log() {
    let store = debrief_store::testing::sqlite_store().await;
    let (url, seen) = receiver(|_| Reply::Status(503)).await;
    let hook = webhook(&store, &url, &[EventKind::Completed]).await;
    store
        .queue_test_event(hook, &Ctx::system(at(2026, 1, 5, 9)))
        .await
        .unwrap();
    let d = dispatcher(&store, Duration::from_secs(10));
    // Far enough apart that every retry is due.
    let mut now = at(2026, 1, 5, 9);
    let mut last = DispatchReport::default();
    for _ in 0..8 {
        last = d.run_once(now).await.unwrap();
        now += chrono::Duration::hours(7);
    }
    assert_eq!(last.failed, 1);
    assert_eq!(d.run_once(now).await.unwrap(), DispatchReport::default());
    assert_eq!(seen.calls.load(Ordering::SeqCst), 8);
    let log = store.webhook_deliveries(hook, 10).await.unwrap();
    assert_eq!(log[0].status, DeliveryStatus::Failed);
    assert_eq!(log[0].attempt_log.len(), 8);
    assert_eq!(log[0].last_error.as_deref(), Some("HTTP 503"));
}

#[tokio::test]
async fn a_target_that_never_answers_does_not_block_and_the_delivery_stays_pending() {
    let store = debrief_store::testing::sqlite_store().await;
    let (slow, _) = receiver(|_| Reply::Hang).await;
    let (fast, fast_seen) = receiver(|_| Reply::Status(200)).await;
    let slow_hook = webhook(&store, &slow, &[EventKind::Completed]).await;
    let fast_hook = webhook(&store, &fast, &[EventKind::Completed]).await;
    let items = incident(&store).await;
    let now = at(2026, 1, 5, 9);

    // The user's request only writes the outbox: it does not wait for the
    // hanging target.
    let started = Instant::now();
    store
        .update_item(
            &key(),
            items[1].id,
            with_status(&items[1], ActionStatus::Verified),
            None,
            &Ctx::system(now),
        )
        .await
        .unwrap();
    assert!(started.elapsed() < Duration::from_secs(5));

    let started = Instant::now();
    let report = dispatcher(&store, Duration::from_secs(1))
        .run_once(now)
        .await
        .unwrap();
    let took = started.elapsed();
    assert!(took < Duration::from_secs(10), "the round took {took:?}");
    assert_eq!((report.delivered, report.retrying), (1, 1));
    assert_eq!(
        fast_seen.calls.load(Ordering::SeqCst),
        1,
        "the other target got its event"
    );

    let log = store.webhook_deliveries(slow_hook, 10).await.unwrap();
    assert_eq!(log[0].status, DeliveryStatus::Pending);
    assert_eq!(log[0].last_status, None);
    let err = log[0].last_error.as_deref().unwrap();
    assert!(err.starts_with("timed out"), "{err}");
    assert!(!err.contains(SECRET));
    assert!(log[0].next_attempt_at > now);
    assert_eq!(
        store.webhook_deliveries(fast_hook, 10).await.unwrap()[0].status,
        DeliveryStatus::Delivered
    );
}

#[tokio::test]
async fn the_scanner_raises_due_soon_and_overdue_once_per_item() {
    on_both(|store| async move {
        let hook = webhook(
            &store,
            "http://127.0.0.1:9/unused",
            &[EventKind::DueSoon, EventKind::Overdue],
        )
        .await;
        let items = incident(&store).await;
        let kinds = |store: Store| async move {
            let mut v: Vec<(u32, EventKind)> = store
                .action_events(100)
                .await
                .unwrap()
                .into_iter()
                .map(|e| (e.item.number, e.kind))
                .collect();
            v.sort();
            v
        };

        // 2026-01-10: #1 is due in 2 days, #2 was due yesterday; #3 is 10
        // days out; #4 is complete.
        let day1 = at(2026, 1, 10, 6);
        assert_eq!(scan(&store, day1, 3).await.unwrap(), 2);
        assert_eq!(
            scan(&store, day1, 3).await.unwrap(),
            0,
            "a second scan adds nothing"
        );
        assert_eq!(
            scan(&store, day1 + chrono::Duration::hours(5), 3)
                .await
                .unwrap(),
            0
        );
        assert_eq!(
            kinds(store.clone()).await,
            vec![(1, EventKind::DueSoon), (2, EventKind::Overdue)]
        );

        // Three days later #1 is overdue too; #3 is 7 days out.
        let day4 = at(2026, 1, 13, 6);
        assert_eq!(scan(&store, day4, 3).await.unwrap(), 1);
        assert_eq!(scan(&store, day4, 3).await.unwrap(), 0);
        assert_eq!(
            kinds(store.clone()).await,
            vec![
                (1, EventKind::DueSoon),
                (1, EventKind::Overdue),
                (2, EventKind::Overdue)
            ]
        );

        // Moving #2's due date raises its events again, for the new date.
        let mut moved = items[1].clone();
        moved.due = "2026-01-15".parse().ok();
        moved.horizon = None;
        store
            .update_item(
                &key(),
                moved.id,
                SectionItem::ActionItem(moved),
                None,
                &Ctx::system(day4),
            )
            .await
            .unwrap();
        assert_eq!(scan(&store, day4, 3).await.unwrap(), 1);
        assert_eq!(
            kinds(store.clone()).await,
            vec![
                (1, EventKind::DueSoon),
                (1, EventKind::Overdue),
                (2, EventKind::DueSoon),
                (2, EventKind::Overdue)
            ]
        );
        // Each event has its delivery to the subscribed webhook.
        assert_eq!(store.webhook_deliveries(hook, 100).await.unwrap().len(), 4);
    })
    .await;
}

#[tokio::test]
async fn item_changes_write_completed_and_reopened_events_only_when_they_commit() {
    on_both(|store| async move {
        let all = webhook(&store, "http://127.0.0.1:9/a", EventKind::SUBSCRIBABLE).await;
        let due_only = webhook(&store, "http://127.0.0.1:9/b", &[EventKind::DueSoon]).await;
        let items = incident(&store).await;
        let now = at(2026, 1, 5, 9);
        let ctx = Ctx::system(now);

        // A rejected change (empty title) writes nothing, event included.
        let mut bad = items[0].clone();
        bad.title = " ".into();
        bad.status = ActionStatus::Complete;
        bad.horizon = None;
        let err = store
            .update_item(&key(), bad.id, SectionItem::ActionItem(bad), None, &ctx)
            .await
            .unwrap_err();
        assert!(matches!(err, StoreError::Invalid(_)), "{err:?}");
        // So does a change against a stale version.
        let stale = store
            .update_item(
                &key(),
                items[0].id,
                with_status(&items[0], ActionStatus::Complete),
                Some(1),
                &ctx,
            )
            .await
            .unwrap_err();
        assert!(
            matches!(stale, StoreError::VersionMismatch { .. }),
            "{stale:?}"
        );
        assert!(store.action_events(10).await.unwrap().is_empty());

        // Planned -> blocked is no event; -> complete is; complete ->
        // verified is not; verified -> in progress is a reopening.
        for s in [
            ActionStatus::Blocked,
            ActionStatus::Complete,
            ActionStatus::Verified,
            ActionStatus::InProgress,
        ] {
            let current = store.get(&key()).await.unwrap().action_items[0].clone();
            store
                .update_item(&key(), current.id, with_status(&current, s), None, &ctx)
                .await
                .unwrap();
        }
        let events = store.action_events(10).await.unwrap();
        let kinds: Vec<EventKind> = events.iter().map(|e| e.kind).collect();
        assert_eq!(kinds, vec![EventKind::Completed, EventKind::Reopened]);
        assert!(events.iter().all(|e| e.item.id == items[0].id));
        assert_eq!(events[0].item.status, ActionStatus::Complete);
        assert_eq!(events[1].item.status, ActionStatus::InProgress);
        assert_eq!(store.webhook_deliveries(all, 10).await.unwrap().len(), 2);
        assert!(
            store
                .webhook_deliveries(due_only, 10)
                .await
                .unwrap()
                .is_empty()
        );

        // A restricted incident's events carry no titles or names.
        store.set_restricted(&key(), true, &ctx).await.unwrap();
        let current = store.get(&key()).await.unwrap().action_items[0].clone();
        store
            .update_item(
                &key(),
                current.id,
                with_status(&current, ActionStatus::Complete),
                None,
                &ctx,
            )
            .await
            .unwrap();
        let last = store.action_events(10).await.unwrap().pop().unwrap();
        assert_eq!(last.kind, EventKind::Completed);
        assert!(last.incident.restricted);
        assert_eq!(
            (
                last.incident.title,
                last.item.title,
                last.item.owner,
                last.item.team
            ),
            (None, None, None, None)
        );
        assert_eq!(last.incident.key, "INC-2026-0001");
    })
    .await;
}

struct Fixed(DateTime<Utc>);

impl debrief_notify::Clock for Fixed {
    fn now(&self) -> DateTime<Utc> {
        self.0
    }
}

#[tokio::test]
async fn the_background_worker_scans_delivers_and_stops_when_told() {
    let store = debrief_store::testing::sqlite_store().await;
    let (url, seen) = receiver(|_| Reply::Status(200)).await;
    webhook(&store, &url, &[EventKind::Overdue]).await;
    let _ = incident(&store).await;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let worker = tokio::spawn(debrief_notify::worker::run(
        store.clone(),
        Arc::new(Fixed(at(2026, 1, 10, 6))),
        debrief_notify::worker::WorkerConfig {
            poll: Duration::from_millis(50),
            ..Default::default()
        },
        async {
            let _ = stopped.await;
        },
    ));
    // #2 is overdue on 2026-01-10: the scan raises it, the dispatcher sends it.
    let deadline = Instant::now() + Duration::from_secs(10);
    while seen.calls.load(Ordering::SeqCst) == 0 {
        assert!(Instant::now() < deadline, "nothing was delivered");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    stop.send(()).unwrap();
    tokio::time::timeout(Duration::from_secs(5), worker)
        .await
        .expect("the worker stops when told")
        .unwrap()
        .unwrap();
    let requests = seen.requests.lock().unwrap().clone();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].1["kind"], "overdue");
    assert_eq!(requests[0].1["action_item"]["number"], 2);
}
