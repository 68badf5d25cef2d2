//! `Store::tracked_actions`, the list of action items across incidents, on
//! SQLite and (with `DEBRIEF_TEST_PG`, see `story.rs`) on PostgreSQL: the
//! SQL filters agree with the core filter, pages add up, an item stays
//! overdue after its incident is closed, and restricted incidents' items
//! are only listed for their members.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use chrono::{NaiveDate, TimeZone, Utc};
use debrief_core::followup::{ActionFilter, TrackedAction, tracked};
use debrief_core::{ActionStatus, Horizon, IncidentKey, IncidentStatus, Priority};
use debrief_store::{Ctx, NewUser, Store, UserRole, Visibility};

#[tokio::test]
async fn tracked_actions_on_sqlite() {
    every_item_is_listed_as_the_core_filter_says(debrief_store::testing::sqlite_store().await)
        .await;
}

#[tokio::test]
async fn tracked_actions_on_postgres() {
    let Some(store) = debrief_store::testing::postgres_store().await else {
        println!("skipped: DEBRIEF_TEST_PG not set");
        return;
    };
    every_item_is_listed_as_the_core_filter_says(store.clone()).await;
    debrief_store::testing::drop_postgres_store(store).await;
}

fn d(s: &str) -> NaiveDate {
    debrief_core::time::parse_date(s).unwrap()
}

fn ids(list: &[TrackedAction]) -> Vec<(String, u32)> {
    list.iter()
        .map(|t| (t.incident.key.to_string(), t.item.number))
        .collect()
}

fn sorted(mut v: Vec<(String, u32)>) -> Vec<(String, u32)> {
    v.sort();
    v
}

async fn every_item_is_listed_as_the_core_filter_says(store: Store) {
    let ctx = Ctx::system(Utc.with_ymd_and_hms(2025, 12, 1, 9, 0, 0).unwrap());
    let today = d("2025-12-01");
    let mut docs = debrief_core::demo::documents().unwrap();
    // An incident closed with an item still open and past due.
    let closed = docs
        .iter_mut()
        .find(|x| x.key.as_str() == "INC-2025-0626")
        .unwrap();
    closed.status = IncidentStatus::Closed;
    for doc in docs.clone() {
        store.import(doc, false, &ctx).await.unwrap();
    }
    let expected = tracked(&docs, today);

    let all = store
        .tracked_actions(&Visibility::All, &ActionFilter::default(), today, None, 0)
        .await
        .unwrap();
    assert_eq!(all.total, 161);
    assert_eq!(all.items.len(), 161);
    // Ordered by due day, items without one last.
    let dues: Vec<Option<NaiveDate>> = all.items.iter().map(|t| t.item.due).collect();
    let mut by_due = dues.clone();
    by_due.sort_by_key(|x| (x.is_none(), *x));
    assert_eq!(dues, by_due);
    // Each item comes with its incident's header and derived horizon.
    let featured = all
        .items
        .iter()
        .find(|t| t.incident.key.as_str() == "INC-2025-1128" && t.item.number == 9)
        .unwrap();
    assert_eq!(featured.item.horizon, Some(Horizon::MediumTerm));
    assert_eq!(
        featured.incident.category.as_deref(),
        Some("Authentication Bypass")
    );
    assert!(featured.incident.detected.is_some());
    let stored = store
        .get(&IncidentKey::parse("INC-2025-1128").unwrap())
        .await
        .unwrap();
    assert_eq!(
        featured.item,
        stored
            .action_items
            .iter()
            .find(|a| a.number == 9)
            .unwrap()
            .clone()
    );

    let filters = [
        ActionFilter {
            overdue: true,
            ..Default::default()
        },
        ActionFilter {
            owner: Some("Nina".into()),
            ..Default::default()
        },
        ActionFilter {
            team: Some("Security Operations".into()),
            statuses: vec![ActionStatus::Complete, ActionStatus::Verified],
            ..Default::default()
        },
        ActionFilter {
            priority: Some(Priority::Critical),
            due_from: Some(d("2025-11-01")),
            due_to: Some(d("2025-12-31")),
            ..Default::default()
        },
        ActionFilter {
            horizon: Some(Horizon::LongTerm),
            ..Default::default()
        },
        ActionFilter {
            q: Some("mfa".into()),
            ..Default::default()
        },
        ActionFilter {
            q: Some("100%_".into()),
            ..Default::default()
        },
    ];
    for f in &filters {
        let want: Vec<_> = expected
            .iter()
            .filter(|t| f.matches(t, today))
            .cloned()
            .collect();
        let got = store
            .tracked_actions(&Visibility::All, f, today, None, 0)
            .await
            .unwrap();
        assert_eq!(sorted(ids(&got.items)), sorted(ids(&want)), "{f:?}");
        assert_eq!(got.total as usize, want.len(), "{f:?}");
        // A page is that slice of the whole list, with the same total,
        // whether the page is cut in SQL or (for the horizon) in Rust.
        let page = store
            .tracked_actions(&Visibility::All, f, today, Some(3), 1)
            .await
            .unwrap();
        assert_eq!(page.total, got.total, "{f:?}");
        let slice: Vec<_> = got.items.iter().skip(1).take(3).cloned().collect();
        assert_eq!(ids(&page.items), ids(&slice), "{f:?}");
    }
    let overdue = store
        .tracked_actions(
            &Visibility::All,
            &ActionFilter {
                overdue: true,
                ..Default::default()
            },
            today,
            None,
            0,
        )
        .await
        .unwrap();
    assert_eq!(overdue.total, 9);
    let after_close = overdue
        .items
        .iter()
        .find(|t| t.incident.key.as_str() == "INC-2025-0626")
        .expect("an item stays overdue after its incident is closed");
    assert_eq!(after_close.incident.status, IncidentStatus::Closed);
    assert!(after_close.overdue);

    // A restricted incident's items: for its members and for roles that
    // see everything, never for anyone else.
    let secret = IncidentKey::parse("INC-2025-1128").unwrap();
    store.set_restricted(&secret, true, &ctx).await.unwrap();
    let mut users = Vec::new();
    for name in ["vera", "mia"] {
        users.push(
            store
                .create_user(
                    NewUser {
                        name: name.into(),
                        role: UserRole::Viewer,
                        password: format!("a long passphrase for {name}"),
                    },
                    &ctx,
                )
                .await
                .unwrap(),
        );
    }
    store.add_member(&secret, "mia", &ctx).await.unwrap();
    let everything = ActionFilter::default();
    let outsider = store
        .tracked_actions(
            &Visibility::User(users[0].id),
            &everything,
            today,
            Some(500),
            0,
        )
        .await
        .unwrap();
    assert_eq!(outsider.total, 151);
    assert!(outsider.items.iter().all(|t| t.incident.key != secret));
    let member = store
        .tracked_actions(
            &Visibility::User(users[1].id),
            &everything,
            today,
            Some(500),
            0,
        )
        .await
        .unwrap();
    assert_eq!(member.total, 161);
    let admin = store
        .tracked_actions(&Visibility::All, &everything, today, Some(500), 0)
        .await
        .unwrap();
    assert_eq!(admin.total, 161);
}
