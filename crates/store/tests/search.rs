//! Full-text search (`Store::search`) and the knowledge base's reads and
//! notes, on SQLite and (with `DEBRIEF_TEST_PG`, see `story.rs`) on
//! PostgreSQL: one story run against both.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use chrono::{TimeZone, Utc};
use debrief_core::{IncidentKey, IncidentPatch, Lesson, Severity};
use debrief_store::search::{HIT_END, HIT_START, snippet_text};
use debrief_store::{
    Ctx, NewUser, SearchQuery, SectionItem, Store, StoreError, UserRole, Uuid, Visibility,
};
use sea_orm_migration::{MigratorTrait, SchemaManager};

#[tokio::test]
async fn search_on_sqlite() {
    story(debrief_store::testing::sqlite_store().await).await;
}

#[tokio::test]
async fn search_on_postgres() {
    let Some(store) = debrief_store::testing::postgres_store().await else {
        println!("skipped: DEBRIEF_TEST_PG not set");
        return;
    };
    story(store.clone()).await;
    debrief_store::testing::drop_postgres_store(store).await;
}

#[tokio::test]
async fn notes_on_sqlite() {
    notes(debrief_store::testing::sqlite_store().await).await;
}

#[tokio::test]
async fn notes_on_postgres() {
    let Some(store) = debrief_store::testing::postgres_store().await else {
        println!("skipped: DEBRIEF_TEST_PG not set");
        return;
    };
    notes(store.clone()).await;
    debrief_store::testing::drop_postgres_store(store).await;
}

fn key(s: &str) -> IncidentKey {
    IncidentKey::parse(s).unwrap()
}

async fn keys(store: &Store, v: &Visibility, q: &str) -> Vec<String> {
    store
        .search(v, &SearchQuery::text(q))
        .await
        .unwrap()
        .hits
        .into_iter()
        .map(|h| h.key.as_str().to_owned())
        .collect()
}

async fn story(store: Store) {
    let ctx = Ctx::system(Utc.with_ymd_and_hms(2025, 12, 1, 9, 0, 0).unwrap());
    for doc in debrief_core::demo::documents().unwrap() {
        store.import(doc, false, &ctx).await.unwrap();
    }
    let all = Visibility::All;

    // The migration indexes the incidents that exist when it runs: drop
    // the index and run it again over the demo set.
    let migration = debrief_store::migration::Migrator::migrations()
        .into_iter()
        .find(|m| m.name() == "m20261122_000006_search")
        .unwrap();
    let manager = SchemaManager::new(store.connection());
    migration.down(&manager).await.unwrap();
    migration.up(&manager).await.unwrap();
    assert_eq!(
        keys(&store, &all, "\"SMS is not a second factor for admins\"").await,
        ["INC-2025-0523"]
    );

    // Ranking: the seed's example is about backup codes in its title-level
    // fields; it comes first.
    let page = store
        .search(&all, &SearchQuery::text("backup codes"))
        .await
        .unwrap();
    assert!(page.total >= 1);
    assert_eq!(page.hits[0].key.as_str(), "INC-2025-1128", "{page:?}");
    let snippet = &page.hits[0].snippet;
    assert!(
        snippet.contains(HIT_START) && snippet.contains(HIT_END),
        "{snippet}"
    );
    assert!(snippet_text(snippet).to_lowercase().contains("backup"));
    // Scores are in order.
    assert!(page.hits.windows(2).all(|w| w[0].score >= w[1].score));

    // Stemming: "expiring" finds "expire".
    assert!(
        keys(&store, &all, "expiring")
            .await
            .contains(&"INC-2025-1128".to_owned())
    );

    // Fields deep in the document are searched: a lesson of INC-2025-0812.
    assert_eq!(
        keys(
            &store,
            &all,
            "\"Session lifetime is part of authentication\""
        )
        .await,
        ["INC-2025-0812"]
    );

    // Filters and paging.
    let mut q = SearchQuery::text("mfa");
    let unfiltered = store.search(&all, &q).await.unwrap();
    assert!(unfiltered.total >= 2, "{unfiltered:?}");
    q.category = Some("Authentication Bypass".into());
    let filtered = store.search(&all, &q).await.unwrap();
    assert!(filtered.total >= 2);
    assert!(
        filtered
            .hits
            .iter()
            .all(|h| h.category.as_deref() == Some("Authentication Bypass"))
    );
    q.limit = 1;
    q.offset = 1;
    let second = store.search(&all, &q).await.unwrap();
    assert_eq!(second.total, filtered.total);
    assert_eq!(second.hits.len(), 1);
    assert_eq!(second.hits[0].key, filtered.hits[1].key);
    q.offset = 1000;
    let past = store.search(&all, &q).await.unwrap();
    assert!(past.hits.is_empty());
    assert_eq!(
        past.total, filtered.total,
        "the total survives paging past the end"
    );
    assert!(past.total_exact && filtered.total_exact);
    q.offset = 0;
    q.detected_from = Some(Utc.with_ymd_and_hms(2025, 11, 1, 0, 0, 0).unwrap());
    q.detected_before = Some(Utc.with_ymd_and_hms(2025, 12, 1, 0, 0, 0).unwrap());
    q.limit = 0;
    let november: Vec<String> = store
        .search(&all, &q)
        .await
        .unwrap()
        .hits
        .iter()
        .map(|h| h.key.as_str().to_owned())
        .collect();
    assert_eq!(november, ["INC-2025-1128"]);
    let mut sev = SearchQuery::text("mfa");
    sev.severity = Some(Severity::Low);
    assert!(
        store
            .search(&all, &sev)
            .await
            .unwrap()
            .hits
            .iter()
            .all(|h| h.severity == Severity::Low)
    );

    // Hostile syntax is text, never an error.
    for q in [
        "\"unbalanced",
        "a\"b\"c",
        "(((",
        "NEAR(backup codes)",
        "backup NEAR codes",
        "title:backup",
        "* -",
        "-backup",
        "back*",
        "codes^ AND OR NOT",
        "'; DROP TABLE incidents; --",
        "Überwachung ключ 備份 🙂",
        "\u{E000}backup\u{E001}",
    ] {
        store
            .search(&all, &SearchQuery::text(q))
            .await
            .unwrap_or_else(|e| panic!("{q}: {e}"));
    }
    assert!(keys(&store, &all, "").await.is_empty());
    assert!(keys(&store, &all, "(((").await.is_empty());
    // Exclusion works on both engines.
    let with = keys(&store, &all, "mfa").await;
    let without = keys(&store, &all, "mfa -backup").await;
    assert!(with.contains(&"INC-2025-1128".to_owned()));
    assert!(
        !without.contains(&"INC-2025-1128".to_owned()),
        "{without:?}"
    );

    // An edit is found right after it is saved.
    let k = key("INC-2025-0812");
    store
        .patch_incident(
            &k,
            IncidentPatch {
                summary: Some("A zanzibarian cookie theft".into()),
                ..Default::default()
            },
            None,
            &ctx,
        )
        .await
        .unwrap();
    assert_eq!(keys(&store, &all, "zanzibarian").await, ["INC-2025-0812"]);
    // ... and so is a new section item, and a changed one.
    let (_, id) = store
        .add_item(
            &k,
            SectionItem::Lesson(Lesson {
                id: Uuid::nil(),
                text: "Quokkas guard the cookie jar".into(),
                details: None,
            }),
            None,
            &ctx,
        )
        .await
        .unwrap();
    assert_eq!(keys(&store, &all, "quokkas").await, ["INC-2025-0812"]);
    store
        .update_item(
            &k,
            id,
            SectionItem::Lesson(Lesson {
                id,
                text: "Wombats guard the cookie jar".into(),
                details: None,
            }),
            None,
            &ctx,
        )
        .await
        .unwrap();
    assert!(keys(&store, &all, "quokkas").await.is_empty());
    assert_eq!(keys(&store, &all, "wombats").await, ["INC-2025-0812"]);
    // ... and a bulk timeline append.
    let entry: debrief_core::TimelineEntry = serde_json::from_value(serde_json::json!({
        "occurred_at": "2025-08-12T15:00:00Z", "phase": "detection",
        "title": "Narwhal alert fired on the console"
    }))
    .unwrap();
    store
        .append_timeline(&k, vec![entry], None, &ctx)
        .await
        .unwrap();
    assert_eq!(keys(&store, &all, "narwhal").await, ["INC-2025-0812"]);
    // A refused write leaves the index as it was.
    let refused = store
        .patch_incident(
            &k,
            IncidentPatch {
                title: Some(String::new()),
                summary: Some("platypus".into()),
                ..Default::default()
            },
            None,
            &ctx,
        )
        .await;
    assert!(
        matches!(refused, Err(StoreError::Invalid(_))),
        "{refused:?}"
    );
    assert!(keys(&store, &all, "platypus").await.is_empty());

    // A restricted incident is not found by a non-member, but by members.
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
    let vera = Visibility::User(viewer.id);
    assert_eq!(keys(&store, &vera, "zanzibarian").await, ["INC-2025-0812"]);
    store.set_restricted(&k, true, &ctx).await.unwrap();
    let page = store
        .search(&vera, &SearchQuery::text("zanzibarian"))
        .await
        .unwrap();
    assert!(page.hits.is_empty() && page.total == 0, "{page:?}");
    assert_eq!(keys(&store, &all, "zanzibarian").await, ["INC-2025-0812"]);
    store.add_member(&k, "vera", &ctx).await.unwrap();
    assert_eq!(keys(&store, &vera, "zanzibarian").await, ["INC-2025-0812"]);

    // A deleted incident is gone; a re-import is found again.
    let doc = store.get(&k).await.unwrap();
    store.delete_incident(&k, None, &ctx).await.unwrap();
    assert!(keys(&store, &all, "zanzibarian").await.is_empty());
    assert!(keys(&store, &all, "wombats").await.is_empty());
    store.import(doc.clone(), false, &ctx).await.unwrap();
    assert_eq!(keys(&store, &all, "wombats").await, ["INC-2025-0812"]);
    // Import with replace keeps exactly one row.
    store.import(doc, true, &ctx).await.unwrap();
    let page = store
        .search(&all, &SearchQuery::text("wombats"))
        .await
        .unwrap();
    assert_eq!(page.total, 1);

    // A rebuild gives the same answers.
    assert_eq!(store.rebuild_search_index().await.unwrap(), 35);
    assert_eq!(keys(&store, &all, "wombats").await, ["INC-2025-0812"]);
    assert_eq!(
        keys(&store, &all, "backup codes")
            .await
            .first()
            .map(String::as_str),
        Some("INC-2025-1128")
    );
}

async fn notes(store: Store) {
    let ctx = Ctx::system(Utc.with_ymd_and_hms(2025, 12, 1, 9, 0, 0).unwrap());
    for doc in debrief_core::demo::documents().unwrap() {
        store.import(doc, false, &ctx).await.unwrap();
    }
    let cat = "Authentication Bypass";
    // The entry's inputs, restricted incidents only for those who may see them.
    let docs = store
        .category_documents(&Visibility::All, cat)
        .await
        .unwrap();
    assert_eq!(docs.len(), 3);
    assert!(docs.iter().all(|d| d.timeline.is_empty()));
    let e = debrief_core::knowledge::entry(cat, &docs);
    assert_eq!(e.common_root_causes[0].incidents, 2);
    assert_eq!(e.effective_mitigations.len(), 3);

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
    store
        .set_restricted(&key("INC-2025-1128"), true, &ctx)
        .await
        .unwrap();
    let vera = Visibility::User(viewer.id);
    let seen = store.category_documents(&vera, cat).await.unwrap();
    assert_eq!(seen.len(), 2);
    assert!(seen.iter().all(|d| d.key.as_str() != "INC-2025-1128"));
    let counts = store.knowledge_categories(&vera).await.unwrap();
    let auth = counts.iter().find(|c| c.name == cat).unwrap();
    assert_eq!(auth.incidents, 2);
    let all_counts = store.knowledge_categories(&Visibility::All).await.unwrap();
    assert_eq!(all_counts.iter().map(|c| c.incidents).sum::<u64>(), 35);

    // Notes: audited, trimmed, replaced, deleted by an empty body.
    assert_eq!(store.knowledge_note(cat).await.unwrap(), None);
    let note = store
        .set_knowledge_note(cat, "  Use **hardware keys**.\n", &ctx)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(note.body, "Use **hardware keys**.");
    assert_eq!(note.updated_by, "system");
    assert_eq!(store.knowledge_note(cat).await.unwrap(), Some(note));
    store
        .set_knowledge_note(cat, "Second version", &ctx)
        .await
        .unwrap();
    assert_eq!(
        store.knowledge_note(cat).await.unwrap().unwrap().body,
        "Second version"
    );
    let trail = store
        .audit_list(&debrief_store::AuditFilter {
            action: Some("knowledge.notes".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(trail.total, 2, "one entry per write");
    assert!(
        store
            .set_knowledge_note(cat, "", &ctx)
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(store.knowledge_note(cat).await.unwrap(), None);

    // Refusals write nothing.
    let unknown = store.set_knowledge_note("No Such Thing", "x", &ctx).await;
    assert!(
        matches!(unknown, Err(StoreError::NotFound { .. })),
        "{unknown:?}"
    );
    let long = "x".repeat(debrief_store::knowledge::MAX_NOTE_CHARS + 1);
    match store.set_knowledge_note(cat, &long, &ctx).await {
        Err(StoreError::Invalid(e)) => assert_eq!(e.0[0].field, "body"),
        other => panic!("{other:?}"),
    }
    let trail = store
        .audit_list(&debrief_store::AuditFilter {
            action: Some("knowledge.notes".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(trail.total, 3);
}
