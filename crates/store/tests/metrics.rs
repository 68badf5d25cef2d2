//! `Store::headers_and_action_items` and `Store::dashboard_inputs`, the
//! reads the metrics dashboard makes:
//! every incident's header and action items at once, restricted incidents
//! included or not as asked, on SQLite and (with `DEBRIEF_TEST_PG`, see
//! `story.rs`) on PostgreSQL.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use chrono::{TimeZone, Utc};
use debrief_core::IncidentKey;
use debrief_core::dashboard::{Group, dashboard};
use debrief_store::{Ctx, NewUser, Store, UserRole, Visibility};

#[tokio::test]
async fn headers_and_action_items_on_sqlite() {
    every_incident_comes_with_its_action_items_and_nothing_else(
        debrief_store::testing::sqlite_store().await,
    )
    .await;
}

#[tokio::test]
async fn headers_and_action_items_on_postgres() {
    let Some(store) = debrief_store::testing::postgres_store().await else {
        println!("skipped: DEBRIEF_TEST_PG not set");
        return;
    };
    every_incident_comes_with_its_action_items_and_nothing_else(store.clone()).await;
    debrief_store::testing::drop_postgres_store(store).await;
}

async fn every_incident_comes_with_its_action_items_and_nothing_else(store: Store) {
    let ctx = Ctx::system(Utc.with_ymd_and_hms(2025, 12, 1, 9, 0, 0).unwrap());
    assert!(
        store
            .headers_and_action_items(&Visibility::All)
            .await
            .unwrap()
            .is_empty()
    );
    for doc in debrief_core::demo::documents().unwrap() {
        store.import(doc, false, &ctx).await.unwrap();
    }
    let secret = IncidentKey::parse("INC-2025-1128").unwrap();
    store.set_restricted(&secret, true, &ctx).await.unwrap();

    let all = store
        .headers_and_action_items(&Visibility::All)
        .await
        .unwrap();
    assert_eq!(all.len(), 35, "restricted incidents are included");
    let keys: Vec<&str> = all.iter().map(|d| d.key.as_str()).collect();
    let mut sorted = keys.clone();
    sorted.sort_unstable();
    assert_eq!(keys, sorted, "sorted by key");
    for doc in &all {
        let full = store.get(&doc.key).await.unwrap();
        assert_eq!(doc.action_items, full.action_items, "{}", doc.key);
        assert_eq!(doc.lifecycle, full.lifecycle, "{}", doc.key);
        assert_eq!(doc.repeat_of, full.repeat_of, "{}", doc.key);
        assert!(doc.timeline.is_empty() && doc.root_causes.is_empty());
    }
    // Horizons are filled in, as `get` does.
    assert!(
        all.iter()
            .flat_map(|d| &d.action_items)
            .all(|a| a.horizon.is_some() || a.due.is_none())
    );
    // What the dashboard computes from it is the seed's dashboard.
    let by_quarter = debrief_core::metrics::quarterly(&all);
    let counts: Vec<u32> = by_quarter.iter().map(|q| q.incidents).collect();
    assert_eq!(counts, [15, 8, 12]);

    let viewer = store
        .create_user(
            NewUser {
                name: "vera".into(),
                role: UserRole::Viewer,
                password: "a long passphrase for vera".into(),
            },
            &ctx,
        )
        .await
        .unwrap();
    let seen = store
        .headers_and_action_items(&Visibility::User(viewer.id))
        .await
        .unwrap();
    assert_eq!(seen.len(), 34);
    assert!(seen.iter().all(|d| d.key != secret));
    let items: usize = seen.iter().map(|d| d.action_items.len()).sum();
    let all_items: usize = all
        .iter()
        .filter(|d| d.key != secret)
        .map(|d| d.action_items.len())
        .sum();
    assert_eq!(items, all_items);

    // The slim read the dashboard makes gives the very same dashboard, and
    // hides the same incidents.
    let today = chrono::NaiveDate::from_ymd_opt(2025, 12, 1).unwrap();
    let slim = store.dashboard_inputs(&Visibility::All).await.unwrap();
    assert_eq!(slim.len(), 35);
    for group in [Group::Quarter, Group::Month] {
        let want = serde_json::to_value(dashboard(&all, None, None, group, today)).unwrap();
        let got = serde_json::to_value(dashboard(&slim, None, None, group, today)).unwrap();
        assert_eq!(got, want, "{group}");
    }
    let slim_seen = store
        .dashboard_inputs(&Visibility::User(viewer.id))
        .await
        .unwrap();
    assert_eq!(slim_seen.len(), 34);
    assert!(slim_seen.iter().all(|d| d.key != secret));
    assert_eq!(
        slim_seen
            .iter()
            .map(|d| d.action_items.len())
            .sum::<usize>(),
        all_items
    );
}
