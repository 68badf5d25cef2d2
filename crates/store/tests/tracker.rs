//! Status updates from a tracker (`Store::apply_tracker_updates`) and
//! calendar feeds (`Store::create_feed`, `feed_for_token`, `revoke_feed`),
//! on SQLite and (with `DEBRIEF_TEST_PG`, see `story.rs`) on PostgreSQL:
//! a good file applies whole, a file with one bad line applies nothing and
//! names the line and column, hidden items do not exist for the importer,
//! and a feed stops working once revoked or once its owner is disabled.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use chrono::{Duration, TimeZone, Utc};
use debrief_core::tracker::parse_status_updates;
use debrief_core::{ActionStatus, IncidentKey, PostMortem};
use debrief_store::feeds::FeedScope;
use debrief_store::{
    AuditFilter, Ctx, NewUser, Principal, Store, StoreError, UserRole, Uuid, Visibility,
};
use serde_json::json;

const OPEN_KEY: &str = "INC-2025-0101";
const SECRET_KEY: &str = "INC-2025-0102";
const LINKABLE: &str = "0192f3c0-0000-7000-8000-0000000000c3";
const VERIFIED: &str = "0192f3c0-0000-7000-8000-0000000000c4";

#[tokio::test]
async fn tracker_updates_on_sqlite() {
    tracker_story(debrief_store::testing::sqlite_store().await).await;
}

#[tokio::test]
async fn tracker_updates_on_postgres() {
    let Some(store) = debrief_store::testing::postgres_store().await else {
        println!("skipped: DEBRIEF_TEST_PG not set");
        return;
    };
    tracker_story(store.clone()).await;
    debrief_store::testing::drop_postgres_store(store).await;
}

#[tokio::test]
async fn calendar_feeds_on_sqlite() {
    feeds_story(debrief_store::testing::sqlite_store().await).await;
}

#[tokio::test]
async fn calendar_feeds_on_postgres() {
    let Some(store) = debrief_store::testing::postgres_store().await else {
        println!("skipped: DEBRIEF_TEST_PG not set");
        return;
    };
    feeds_story(store.clone()).await;
    debrief_store::testing::drop_postgres_store(store).await;
}

fn key(s: &str) -> IncidentKey {
    IncidentKey::parse(s).unwrap()
}

fn doc(k: &str, items: serde_json::Value) -> PostMortem {
    serde_json::from_value(json!({
        "key": k, "title": format!("Incident {k}"), "severity": "high",
        "status": "closed", "postmortem_status": "draft",
        "lifecycle": {"detected": "2025-11-01T10:00:00Z"},
        "action_items": items,
    }))
    .unwrap()
}

/// Two incidents: an open one with four items (two with tickets, one
/// without, one verified), and a restricted one with a ticket.
async fn seed(store: &Store, ctx: &Ctx) {
    store
        .import(
            doc(
                OPEN_KEY,
                json!([
                    {"number": 1, "title": "Rotate keys", "priority": "high", "status": "planned",
                     "external_ref": "SEC-1"},
                    {"number": 2, "title": "Add alert", "priority": "medium", "status": "in_progress",
                     "external_ref": "SEC-2"},
                    {"number": 3, "title": "Write runbook", "priority": "low", "status": "planned",
                     "id": LINKABLE},
                    {"number": 4, "title": "Enforce MFA", "priority": "critical", "status": "verified",
                     "external_ref": "SEC-4", "id": VERIFIED,
                     "verification": {"effective": true, "on": "2025-11-20", "evidence": "No logins without MFA"}}
                ]),
            ),
            false,
            ctx,
        )
        .await
        .unwrap();
    store
        .import(
            doc(
                SECRET_KEY,
                json!([{"number": 1, "title": "Secret fix", "priority": "high", "status": "planned",
                        "external_ref": "SEC-9"}]),
            ),
            false,
            ctx,
        )
        .await
        .unwrap();
    store
        .set_restricted(&key(SECRET_KEY), true, ctx)
        .await
        .unwrap();
}

async fn user(store: &Store, name: &str, role: UserRole, ctx: &Ctx) -> Principal {
    let u = store
        .create_user(
            NewUser {
                name: name.into(),
                role,
                password: "a long passphrase for the tracker".into(),
            },
            ctx,
        )
        .await
        .unwrap();
    Principal {
        user_id: u.id,
        name: u.name,
        role: u.role,
        scope: None,
    }
}

async fn imports(store: &Store) -> u64 {
    store
        .audit_list(&AuditFilter {
            action: Some("action_item.import".into()),
            ..Default::default()
        })
        .await
        .unwrap()
        .total
}

fn fields(e: StoreError) -> Vec<(String, String)> {
    match e {
        StoreError::Invalid(v) => v.0.into_iter().map(|f| (f.field, f.message)).collect(),
        other => panic!("expected invalid, got {other:?}"),
    }
}

async fn tracker_story(store: Store) {
    let ctx = Ctx::system(Utc.with_ymd_and_hms(2025, 12, 1, 9, 0, 0).unwrap());
    seed(&store, &ctx).await;
    let ana = user(&store, "ana", UserRole::Contributor, &ctx).await;
    let vic = user(&store, "vic", UserRole::Viewer, &ctx).await;
    let before = store.get(&key(OPEN_KEY)).await.unwrap();

    // One bad line among good ones: nothing is applied, the error names
    // the line and the column.
    let bad = parse_status_updates(
        b"Summary,Issue key,Status\nA,SEC-1,Done\nB,SEC-404,Done\nC,SEC-9,Done\n",
    )
    .unwrap();
    let errs = fields(
        store
            .apply_tracker_updates(&bad, Some(&ana), &ctx)
            .await
            .unwrap_err(),
    );
    assert_eq!(errs.len(), 2, "{errs:?}");
    assert_eq!(errs[0].0, "line 3, column 2 (Issue key)");
    assert!(errs[0].1.contains("SEC-404"), "{errs:?}");
    // The restricted incident's ticket does not exist for a non-member.
    assert_eq!(errs[1].0, "line 4, column 2 (Issue key)");
    assert!(errs[1].1.contains("no action item"), "{errs:?}");
    assert!(!errs[1].1.contains(SECRET_KEY), "{errs:?}");
    let after_bad = store.get(&key(OPEN_KEY)).await.unwrap();
    assert_eq!(after_bad.version, before.version, "no version bump");
    assert_eq!(
        after_bad.action_items, before.action_items,
        "nothing applied"
    );
    assert_eq!(
        imports(&store).await,
        0,
        "no audit entry for a refused file"
    );

    // A viewer sees the items but may not edit them.
    let good = parse_status_updates(
        format!(
            "Issue key,Status,Resolution,External ID\n\
             SEC-1,Done,Done,\n\
             SEC-2,To Do,,\n\
             SEC-3,In Progress,,{LINKABLE}\n\
             SEC-4,Closed,Done,\n"
        )
        .as_bytes(),
    )
    .unwrap();
    let errs = fields(
        store
            .apply_tracker_updates(&good, Some(&vic), &ctx)
            .await
            .unwrap_err(),
    );
    assert_eq!(errs.len(), 4);
    assert!(errs[0].1.contains("may not edit"), "{errs:?}");

    // The good file applies whole, as the contributor.
    let result = store
        .apply_tracker_updates(&good, Some(&ana), &ctx)
        .await
        .unwrap();
    let got: Vec<(&str, u32, ActionStatus, ActionStatus, bool)> = result
        .changes
        .iter()
        .map(|c| (c.external_ref.as_str(), c.number, c.from, c.to, c.linked))
        .collect();
    assert_eq!(
        got,
        [
            (
                "SEC-1",
                1,
                ActionStatus::Planned,
                ActionStatus::Complete,
                false
            ),
            (
                "SEC-2",
                2,
                ActionStatus::InProgress,
                ActionStatus::Planned,
                false
            ),
            (
                "SEC-3",
                3,
                ActionStatus::Planned,
                ActionStatus::InProgress,
                true
            ),
        ]
    );
    assert_eq!(result.unchanged, 1, "done does not undo a verification");
    let after = store.get(&key(OPEN_KEY)).await.unwrap();
    assert_eq!(after.version, before.version + 1, "one bump per incident");
    let item = |n: u32| after.action_items.iter().find(|a| a.number == n).unwrap();
    assert_eq!(item(1).status, ActionStatus::Complete);
    let last = item(1).status_history.last().unwrap();
    assert_eq!(last.on, ctx.now.date_naive());
    assert_eq!(last.note.as_deref(), Some("from the tracker: Done (Done)"));
    assert_eq!(item(3).external_ref.as_deref(), Some("SEC-3"));
    assert_eq!(item(4).status, ActionStatus::Verified);
    assert_eq!(imports(&store).await, 1, "one audit entry for the import");

    // Applying the same file again changes nothing.
    let again = store
        .apply_tracker_updates(&good, Some(&ana), &ctx)
        .await
        .unwrap();
    assert!(again.changes.is_empty());
    assert_eq!(again.unchanged, 4);

    // The installation itself (the CLI) reaches restricted incidents.
    let secret = parse_status_updates(b"Issue key,Status\nSEC-9,In Progress\n").unwrap();
    let r = store
        .apply_tracker_updates(&secret, None, &ctx)
        .await
        .unwrap();
    assert_eq!(r.changes[0].incident.as_str(), SECRET_KEY);

    // A ticket on two items is ambiguous: refused, naming both.
    let mut twin = store.get(&key(OPEN_KEY)).await.unwrap().action_items[1].clone();
    twin.external_ref = Some("SEC-1".into());
    store
        .update_item(
            &key(OPEN_KEY),
            twin.id,
            debrief_store::SectionItem::ActionItem(twin),
            None,
            &ctx,
        )
        .await
        .unwrap();
    let dup = parse_status_updates(b"Issue key,Status\nSEC-1,To Do\n").unwrap();
    let errs = fields(
        store
            .apply_tracker_updates(&dup, Some(&ana), &ctx)
            .await
            .unwrap_err(),
    );
    assert!(errs[0].1.contains("2 action items"), "{errs:?}");
}

async fn feeds_story(store: Store) {
    let ctx = Ctx::system(Utc.with_ymd_and_hms(2025, 12, 1, 9, 0, 0).unwrap());
    seed(&store, &ctx).await;
    let ana = user(&store, "ana", UserRole::Contributor, &ctx).await;
    let bo = user(&store, "bo", UserRole::Viewer, &ctx).await;
    let aud = user(&store, "aud", UserRole::Auditor, &ctx).await;

    assert!(matches!(
        store
            .create_feed(ana.user_id, FeedScope::Team, " \n", &ctx)
            .await,
        Err(StoreError::Invalid(_))
    ));
    let (feed, token) = store
        .create_feed(ana.user_id, FeedScope::Person, "Ana", &ctx)
        .await
        .unwrap();
    assert!(token.expose().starts_with("dbc_"));
    assert_eq!(
        store.feeds(ana.user_id).await.unwrap(),
        std::slice::from_ref(&feed)
    );
    assert!(store.feeds(bo.user_id).await.unwrap().is_empty());

    // The token finds the feed with the owner's visibility; other strings do not.
    let later = ctx.now + Duration::minutes(5);
    let access = store
        .feed_for_token(token.expose(), later)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(access.feed.id, feed.id);
    assert_eq!(access.owner, "ana");
    assert_eq!(access.visibility, Visibility::User(ana.user_id));
    assert_eq!(
        store.feeds(ana.user_id).await.unwrap()[0].last_used_at,
        Some(later)
    );
    assert!(
        store
            .feed_for_token("dbc_nope", later)
            .await
            .unwrap()
            .is_none()
    );
    let forged = format!("{}A", &token.expose()[..token.expose().len() - 1]);
    assert!(
        store
            .feed_for_token(&forged, later)
            .await
            .unwrap()
            .is_none()
    );

    // An auditor's feed sees every incident.
    let (_, aud_token) = store
        .create_feed(aud.user_id, FeedScope::Team, "Identity", &ctx)
        .await
        .unwrap();
    let a = store
        .feed_for_token(aud_token.expose(), later)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(a.visibility, Visibility::All);

    // Another user cannot revoke it; its owner can, and it stops working.
    assert!(matches!(
        store.revoke_feed(bo.user_id, feed.id, &ctx).await,
        Err(StoreError::NotFound { .. })
    ));
    assert!(matches!(
        store.revoke_feed(ana.user_id, Uuid::nil(), &ctx).await,
        Err(StoreError::NotFound { .. })
    ));
    store.revoke_feed(ana.user_id, feed.id, &ctx).await.unwrap();
    assert!(
        store
            .feed_for_token(token.expose(), later)
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        store.feeds(ana.user_id).await.unwrap()[0]
            .revoked_at
            .is_some()
    );
    // Revoking twice is harmless.
    store.revoke_feed(ana.user_id, feed.id, &ctx).await.unwrap();

    // A disabled owner's feed stops working too.
    store.disable_user("aud", &ctx).await.unwrap();
    assert!(
        store
            .feed_for_token(aud_token.expose(), later)
            .await
            .unwrap()
            .is_none()
    );
    let audit = store
        .audit_list(&AuditFilter {
            action: Some("feed.".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(audit.total, 3, "two creations and one revocation");
}
