//! One storage story, written once and told to SQLite and to PostgreSQL.
//!
//! PostgreSQL runs when `DEBRIEF_TEST_PG` names an admin URL, e.g.
//! `DEBRIEF_TEST_PG=postgres://postgres@127.0.0.1:5432/postgres cargo test -p debrief-store`;
//! otherwise that test prints `skipped: DEBRIEF_TEST_PG not set` and passes.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use chrono::{DateTime, Utc};
use debrief_core::time::parse_instant;
use debrief_core::{
    ActionItem, ActionStatus, Communications, Finding, FishboneCause, FiveWhys, FmeaRow,
    IncidentKey, IncidentPatch, IncidentStatus, InternalSummary, Lesson, NewIncident, PostMortem,
    PostmortemType, RootCause, Severity, TimelineEntry,
};
use debrief_store::testing::{drop_postgres_store, postgres_store, sqlite_store};
use debrief_store::{
    Backend, Ctx, IncidentFilter, Section, SectionItem, SortOrder, Store, StoreError, Uuid,
    Visibility,
};
use serde_json::{Value, json};

#[tokio::test]
async fn the_story_holds_on_sqlite() {
    let store = sqlite_store().await;
    assert_eq!(store.backend(), Backend::Sqlite);
    story(store, sqlite_store().await).await;
}

#[tokio::test]
async fn the_story_holds_on_postgres() {
    let Some(store) = postgres_store().await else {
        println!("skipped: DEBRIEF_TEST_PG not set");
        return;
    };
    let fresh = postgres_store().await.expect("a second database");
    assert_eq!(store.backend(), Backend::Postgres);
    story(store.clone(), fresh.clone()).await;
    drop_postgres_store(store).await;
    drop_postgres_store(fresh).await;
}

#[tokio::test]
async fn an_in_memory_sqlite_store_works_too() {
    let store = Store::connect("sqlite::memory:").await.unwrap();
    store.migrate().await.unwrap();
    store.ping().await.unwrap();
    let doc = store
        .create_incident(
            incident("In memory", "low", None),
            &Ctx::system(t("2025-01-02T00:00:00Z")),
        )
        .await
        .unwrap();
    assert_eq!(store.get(&doc.key).await.unwrap(), doc);
}

#[test]
fn sections_read_their_own_item_bodies() {
    for s in Section::ALL {
        assert_eq!(s.as_str().parse::<Section>().unwrap(), *s);
        assert_eq!(serde_json::to_value(s).unwrap(), s.as_str());
    }
    let item = SectionItem::deserialize_for(Section::Lessons, json!({"text": "x"})).unwrap();
    assert_eq!(item.section(), Section::Lessons);
    assert!(SectionItem::deserialize_for(Section::Fmea, json!({"text": "x"})).is_err());
    assert!("fishbone".parse::<Section>().is_err());
}

fn t(s: &str) -> DateTime<Utc> {
    parse_instant(s).unwrap()
}

/// The system acting at a fixed time, for writes whose time the story does
/// not look at.
fn sys() -> Ctx {
    Ctx::system(t("2025-12-05T12:00:00Z"))
}

fn key(s: &str) -> IncidentKey {
    IncidentKey::parse(s).unwrap()
}

fn from<T: serde::de::DeserializeOwned>(v: Value) -> T {
    serde_json::from_value(v).unwrap()
}

fn incident(title: &str, severity: &str, detected: Option<&str>) -> NewIncident {
    let mut v = json!({"title": title, "severity": severity, "category": "Account Compromise"});
    if let Some(d) = detected {
        v["lifecycle"] = json!({"detected": d});
    }
    from(v)
}

fn entry(at: &str, title: &str) -> TimelineEntry {
    from(
        json!({"occurred_at": at, "phase": "detection", "title": title,
        "details": ["first", "second"], "facts": [{"label": "Impact", "value": "none"}],
        "we_knew": "an alert", "tags": ["siem"]}),
    )
}

fn invalid_field(e: &StoreError) -> String {
    match e {
        StoreError::Invalid(errs) => errs.0[0].field.clone(),
        other => panic!("expected Invalid, got {other:?}"),
    }
}

/// The whole story against one backend. `fresh` is a second, empty store of
/// the same kind.
async fn story(store: Store, fresh: Store) {
    store.ping().await.unwrap();
    store.migrate().await.expect("migrating twice is a no-op");
    categories(&store).await;
    let k = creating(&store).await;
    let ids = adding_to_every_section(&store, &k).await;
    updating_items(&store, &k, &ids).await;
    stale_versions_change_nothing(&store, &k).await;
    patching_the_header(&store, &k).await;
    reordering(&store, &k, &ids).await;
    fishbone_frame_and_communications(&store, &k).await;
    deleting_items(&store, &k, &ids).await;
    bulk_timeline(&store, &k).await;
    listing(&fresh).await;
    importing_round_trip(&store, &fresh, &k).await;
    a_failed_import_leaves_the_old_document(&store).await;
    concurrent_writers(&store).await;
    deleting_incidents(&store).await;
    // Every write above left its entry in one unbroken chain.
    let v = store.audit_verify(None).await.unwrap();
    assert!(v.is_intact(), "{v:?}");
    let v = fresh.audit_verify(None).await.unwrap();
    assert!(v.is_intact(), "{v:?}");
    // `fresh` saw 5 creates and 2 added items (listing) and 2 imports
    // (round trip); the failed imports left nothing.
    assert_eq!(v.entries, 9);
}

async fn categories(store: &Store) {
    let cats = store.categories().await.unwrap();
    assert_eq!(cats.len(), 11);
    assert!(cats.windows(2).all(|w| w[0] < w[1]), "sorted: {cats:?}");
    assert!(cats.contains(&"Supply Chain".to_owned()));
    store.add_category("Cloud Misuse", &sys()).await.unwrap();
    store.add_category("Cloud Misuse", &sys()).await.unwrap();
    assert_eq!(store.categories().await.unwrap().len(), 12);
    let err = store.add_category("  ", &sys()).await.unwrap_err();
    assert_eq!(invalid_field(&err), "name");
}

async fn creating(store: &Store) -> IncidentKey {
    let now = t("2025-12-01T10:00:00Z");
    let first = store
        .create_incident(
            incident(
                "Admin account compromise",
                "medium",
                Some("2025-11-28T02:15:00Z"),
            ),
            &Ctx::system(now),
        )
        .await
        .unwrap();
    assert_eq!(first.key.as_str(), "INC-2025-0001");
    assert_eq!(first.version, 1);
    assert_eq!(first.created_at, Some(now));
    assert_eq!(first.updated_at, Some(now));
    assert_eq!(first.status, IncidentStatus::Open);
    let second = store
        .create_incident(
            incident("Second", "low", Some("2025-03-01T00:00:00Z")),
            &Ctx::system(now),
        )
        .await
        .unwrap();
    assert_eq!(second.key.as_str(), "INC-2025-0002");
    // Without a detection time the year comes from `now`.
    let third = store
        .create_incident(
            incident("Undetected", "low", None),
            &Ctx::system(t("2026-01-05T00:00:00Z")),
        )
        .await
        .unwrap();
    assert_eq!(third.key.as_str(), "INC-2026-0001");

    let mut own = incident("User key", "high", None);
    own.key = Some(key("SEC-42"));
    assert_eq!(
        store
            .create_incident(own.clone(), &Ctx::system(now))
            .await
            .unwrap()
            .key
            .as_str(),
        "SEC-42"
    );
    let err = store
        .create_incident(own, &Ctx::system(now))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::AlreadyExists { .. }), "{err:?}");

    let mut bad = incident("Unknown category", "low", None);
    bad.category = Some("Weather".into());
    let err = store
        .create_incident(bad, &Ctx::system(now))
        .await
        .unwrap_err();
    assert_eq!(invalid_field(&err), "category");
    let err = store
        .create_incident(incident(" ", "low", None), &Ctx::system(now))
        .await
        .unwrap_err();
    assert_eq!(invalid_field(&err), "title");
    assert_eq!(store.keys(&Visibility::All).await.unwrap().len(), 4);
    first.key
}

/// Ids of items added by [`adding_to_every_section`].
struct Ids {
    timeline: Vec<Uuid>,
    whys: Uuid,
    root_causes: Vec<Uuid>,
    fish_parent: Uuid,
    fish_child: Uuid,
    fmea: Uuid,
    went_well: Uuid,
    went_wrong: Uuid,
    actions: Vec<Uuid>,
    lessons: Vec<Uuid>,
}

async fn add(store: &Store, k: &IncidentKey, item: SectionItem, version: &mut i64) -> Uuid {
    let (doc, id) = store
        .add_item(
            k,
            item,
            Some(*version),
            &Ctx::system(t("2025-12-02T09:00:00Z")),
        )
        .await
        .unwrap();
    assert_eq!(
        doc.version,
        *version + 1,
        "every write bumps the version by one"
    );
    assert_eq!(doc.updated_at, Some(t("2025-12-02T09:00:00Z")));
    *version = doc.version;
    assert!(!id.is_nil());
    id
}

async fn adding_to_every_section(store: &Store, k: &IncidentKey) -> Ids {
    let mut v = store.get(k).await.unwrap().version;
    let mut timeline = Vec::new();
    for (at, title) in [
        ("2025-11-28T02:20:00Z", "Alert fired"),
        ("2025-11-28T02:15:00Z", "Successful login"),
        ("2025-11-28T03:25:00Z", "Escalated"),
    ] {
        timeline.push(add(store, k, SectionItem::Timeline(entry(at, title)), &mut v).await);
    }
    let whys = add(
        store,
        k,
        SectionItem::FiveWhys(from::<FiveWhys>(json!({"problem": "Admin compromised",
            "steps": [{"why": "Why?", "because": "Backup code reused"}]}))),
        &mut v,
    )
    .await;
    let mut root_causes = Vec::new();
    for title in ["Weak MFA", "No alert on backup codes"] {
        root_causes.push(
            add(
                store,
                k,
                SectionItem::RootCause(from::<RootCause>(
                    json!({"kind": "primary", "title": title}),
                )),
                &mut v,
            )
            .await,
        );
    }
    let fish_parent = add(
        store,
        k,
        SectionItem::FishboneCause(from::<FishboneCause>(
            json!({"category": "Technology", "text": "Backup codes never expire"}),
        )),
        &mut v,
    )
    .await;
    let fish_child = add(
        store,
        k,
        SectionItem::FishboneCause(from::<FishboneCause>(json!({"category": "Technology",
            "text": "No expiry setting", "parent": fish_parent}))),
        &mut v,
    )
    .await;
    // A cause on a bone the fishbone does not have is refused, relative to the body.
    let err = store
        .add_item(
            k,
            SectionItem::FishboneCause(from(json!({"category": "Weather", "text": "x"}))),
            Some(v),
            &Ctx::system(t("2025-12-02T09:00:00Z")),
        )
        .await
        .unwrap_err();
    assert_eq!(invalid_field(&err), "category");
    let fmea = add(
        store,
        k,
        SectionItem::Fmea(from::<FmeaRow>(
            json!({"failure_mode": "Backup codes reusable",
            "severity": 9, "occurrence": 6, "detection": 8,
            "severity_after": 9, "occurrence_after": 2, "detection_after": 3}),
        )),
        &mut v,
    )
    .await;
    let went_well = add(
        store,
        k,
        SectionItem::WentWell(from::<Finding>(
            json!({"area": "detection", "title": "Alert fired in time"}),
        )),
        &mut v,
    )
    .await;
    let went_wrong = add(
        store,
        k,
        SectionItem::WentWrong(from::<Finding>(json!({"area": "response",
            "title": "Slow escalation", "details": ["20 minutes"], "impact": "delay"}))),
        &mut v,
    )
    .await;
    let mut actions = Vec::new();
    for (title, due) in [
        ("Expire backup codes", "2025-12-05"),
        ("Alert on backup code use", "2026-01-15"),
    ] {
        actions.push(
            add(
                store,
                k,
                SectionItem::ActionItem(from::<ActionItem>(json!({"title": title,
                    "priority": "high", "status": "planned", "due": due,
                    "addresses": {"root_causes": [root_causes[0]],
                        "fishbone_causes": [fish_child], "fmea_rows": [fmea]}}))),
                &mut v,
            )
            .await,
        );
    }
    // A link to a cause of nobody is refused, with a path relative to the item.
    let err = store
        .add_item(
            k,
            SectionItem::ActionItem(from(json!({"title": "x", "priority": "low",
                "status": "planned", "addresses": {"root_causes": [Uuid::now_v7()]}}))),
            Some(v),
            &Ctx::system(t("2025-12-02T09:00:00Z")),
        )
        .await
        .unwrap_err();
    assert_eq!(invalid_field(&err), "addresses.root_causes[0]");
    let mut lessons = Vec::new();
    for text in [
        "Backup codes should expire",
        "Alert on rare auth paths",
        "Practise escalation",
    ] {
        lessons.push(
            add(
                store,
                k,
                SectionItem::Lesson(from::<Lesson>(json!({"text": text}))),
                &mut v,
            )
            .await,
        );
    }

    let doc = store.get(k).await.unwrap();
    assert_eq!(doc.version, v);
    let titles: Vec<&str> = doc.timeline.iter().map(|e| e.title.as_str()).collect();
    assert_eq!(
        titles,
        ["Successful login", "Alert fired", "Escalated"],
        "timeline in time order"
    );
    assert_eq!(doc.timeline[0].details, ["first", "second"]);
    assert_eq!(doc.timeline[0].facts[0].label, "Impact");
    assert_eq!(doc.five_whys.len(), 1);
    assert_eq!(doc.five_whys[0].steps[0].because, "Backup code reused");
    assert_eq!(
        doc.root_causes.iter().map(|r| r.id).collect::<Vec<_>>(),
        root_causes
    );
    assert_eq!(doc.fishbone.causes.len(), 2);
    assert_eq!(doc.fishbone.causes[1].parent, Some(fish_parent));
    assert_eq!(doc.fmea[0].rpn, Some(432), "RPN is computed");
    assert_eq!(doc.fmea[0].rpn_after, Some(54));
    assert_eq!(doc.findings.went_well[0].id, went_well);
    assert_eq!(doc.findings.went_wrong[0].impact.as_deref(), Some("delay"));
    let numbers: Vec<u32> = doc.action_items.iter().map(|a| a.number).collect();
    assert_eq!(numbers, [1, 2], "numbers are assigned");
    assert_eq!(
        doc.action_items[0].horizon,
        Some(debrief_core::Horizon::Immediate),
        "horizon is computed"
    );
    assert_eq!(doc.action_items[0].addresses.fmea_rows, [fmea]);
    assert_eq!(
        doc.lessons.iter().map(|l| l.id).collect::<Vec<_>>(),
        lessons
    );
    assert!(doc.validate().0.is_empty(), "{:?}", doc.validate());

    Ids {
        timeline,
        whys,
        root_causes,
        fish_parent,
        fish_child,
        fmea,
        went_well,
        went_wrong,
        actions,
        lessons,
    }
}

async fn updating_items(store: &Store, k: &IncidentKey, ids: &Ids) {
    let now = t("2025-12-03T12:00:00Z");
    let doc = store.get(k).await.unwrap();
    let mut v = doc.version;
    let mut update = |item: SectionItem, id: Uuid| {
        let store = store.clone();
        let k = k.clone();
        let expected = v;
        v += 1;
        async move {
            let doc = store
                .update_item(&k, id, item, Some(expected), &Ctx::system(now))
                .await
                .unwrap();
            assert_eq!(doc.version, expected + 1);
            doc
        }
    };

    // Moving the first entry to the end of the timeline re-sorts it.
    let mut e = entry("2025-11-28T04:00:00Z", "Successful login (confirmed)");
    e.id = Uuid::now_v7(); // ignored: the id in the path wins
    let d = update(SectionItem::Timeline(e), ids.timeline[1]).await;
    assert_eq!(d.timeline[2].title, "Successful login (confirmed)");
    assert_eq!(d.timeline[2].id, ids.timeline[1]);

    let d = update(
        SectionItem::FiveWhys(from(
            json!({"problem": "Admin account compromised", "steps": []}),
        )),
        ids.whys,
    )
    .await;
    assert_eq!(d.five_whys[0].problem, "Admin account compromised");
    let d = update(
        SectionItem::RootCause(from(
            json!({"kind": "systemic", "title": "Weak MFA policy"}),
        )),
        ids.root_causes[0],
    )
    .await;
    assert_eq!(d.root_causes[0].title, "Weak MFA policy");
    let d = update(
        SectionItem::FishboneCause(from(json!({"category": "Technology",
            "text": "Backup codes never expire (confirmed)"}))),
        ids.fish_parent,
    )
    .await;
    assert_eq!(
        d.fishbone.causes[0].text,
        "Backup codes never expire (confirmed)"
    );
    let d = update(
        SectionItem::Fmea(from(json!({"failure_mode": "Backup codes reusable",
            "severity": 10, "occurrence": 6, "detection": 8}))),
        ids.fmea,
    )
    .await;
    assert_eq!(d.fmea[0].rpn, Some(480));
    let d = update(
        SectionItem::WentWell(from(
            json!({"area": "detection", "title": "Alert fired in 5 minutes"}),
        )),
        ids.went_well,
    )
    .await;
    assert_eq!(d.findings.went_well[0].title, "Alert fired in 5 minutes");
    let d = update(
        SectionItem::WentWrong(from(
            json!({"area": "coordination", "title": "Slow escalation"}),
        )),
        ids.went_wrong,
    )
    .await;
    assert_eq!(d.findings.went_wrong[0].impact, None);
    let d = update(
        SectionItem::Lesson(from(
            json!({"text": "Backup codes must expire", "details": "x"}),
        )),
        ids.lessons[0],
    )
    .await;
    assert_eq!(d.lessons[0].text, "Backup codes must expire");

    // A status change is recorded on the day of `now` unless the body did it.
    let mut a = d.action_items[0].clone();
    assert_eq!(a.number, 1);
    a.status = ActionStatus::InProgress;
    a.number = 0; // keeps its number
    a.horizon = None;
    let d = update(SectionItem::ActionItem(a), ids.actions[0]).await;
    let a = &d.action_items[0];
    assert_eq!(a.number, 1);
    assert_eq!(a.status, ActionStatus::InProgress);
    assert_eq!(a.status_history.len(), 1);
    assert_eq!(a.status_history[0].status, ActionStatus::InProgress);
    assert_eq!(a.status_history[0].on, now.date_naive());
    let mut a = a.clone();
    a.status = ActionStatus::Complete;
    a.status_history.push(from(
        json!({"status": "complete", "on": "2025-12-03", "note": "done early"}),
    ));
    let d = update(SectionItem::ActionItem(a), ids.actions[0]).await;
    let a = &d.action_items[0];
    assert_eq!(
        a.status_history.len(),
        2,
        "the body's own entry is kept, none added"
    );
    assert_eq!(a.status_history[1].note.as_deref(), Some("done early"));

    // An id of another section, or of nothing, is not found; nothing changes.
    let before = store.get(k).await.unwrap();
    let err = store
        .update_item(
            k,
            ids.lessons[0],
            SectionItem::RootCause(from(json!({"kind": "primary", "title": "x"}))),
            None,
            &Ctx::system(now),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::NotFound { .. }), "{err:?}");
    let err = store
        .update_item(
            k,
            Uuid::now_v7(),
            SectionItem::Lesson(from(json!({"text": "x"}))),
            None,
            &Ctx::system(now),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::NotFound { .. }), "{err:?}");
    // Invalid bodies are refused with paths relative to the body.
    let err = store
        .update_item(
            k,
            ids.fmea,
            SectionItem::Fmea(from(json!({"failure_mode": "x",
            "severity": 9, "occurrence": 6, "detection": 8, "rpn": 1}))),
            None,
            &Ctx::system(now),
        )
        .await
        .unwrap_err();
    assert_eq!(invalid_field(&err), "rpn");
    assert_eq!(
        store.get(k).await.unwrap(),
        before,
        "failed writes change nothing"
    );
}

async fn stale_versions_change_nothing(store: &Store, k: &IncidentKey) {
    let before = store.get(k).await.unwrap();
    let now = t("2025-12-04T00:00:00Z");
    let stale = before.version - 1;
    let err = store
        .add_item(
            k,
            SectionItem::Lesson(from(json!({"text": "late"}))),
            Some(stale),
            &Ctx::system(now),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(err, StoreError::VersionMismatch { expected, actual } if expected == stale && actual == before.version),
        "{err:?}"
    );
    let err = store
        .patch_incident(
            k,
            IncidentPatch {
                title: Some("x".into()),
                ..Default::default()
            },
            Some(stale),
            &Ctx::system(now),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::VersionMismatch { .. }), "{err:?}");
    let err = store
        .patch_incident(
            k,
            IncidentPatch {
                title: Some("x".into()),
                version: Some(stale),
                ..Default::default()
            },
            None,
            &Ctx::system(now),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::VersionMismatch { .. }), "{err:?}");
    let err = store
        .delete_item(
            k,
            Section::Lessons,
            before.lessons[0].id,
            Some(stale),
            &sys(),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::VersionMismatch { .. }), "{err:?}");
    let err = store
        .delete_incident(k, Some(stale), &sys())
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::VersionMismatch { .. }), "{err:?}");
    let err = store
        .append_timeline(
            k,
            vec![entry("2025-11-28T05:00:00Z", "late")],
            Some(stale),
            &Ctx::system(now),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::VersionMismatch { .. }), "{err:?}");
    assert_eq!(store.get(k).await.unwrap(), before, "nothing changed");

    let missing = key("INC-2025-9999");
    let err = store.get(&missing).await.unwrap_err();
    assert!(
        matches!(&err, StoreError::NotFound { what } if what == "incident INC-2025-9999"),
        "{err:?}"
    );
    let err = store
        .add_item(
            &missing,
            SectionItem::Lesson(from(json!({"text": "x"}))),
            None,
            &Ctx::system(now),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::NotFound { .. }), "{err:?}");
}

async fn patching_the_header(store: &Store, k: &IncidentKey) {
    let before = store.get(k).await.unwrap();
    let now = t("2025-12-04T08:00:00Z");
    let doc = store
        .patch_incident(
            k,
            from(json!({"version": before.version, "severity": "high",
                "severity_reason": "admin account confirmed", "status": "contained",
                "types": ["technical", "process"], "summary": "An admin account was taken over"})),
            Some(before.version),
            &Ctx::system(now),
        )
        .await
        .unwrap();
    assert_eq!(doc.version, before.version + 1);
    assert_eq!(doc.updated_at, Some(now));
    assert_eq!(doc.created_at, before.created_at);
    assert_eq!(doc.severity, Severity::High);
    assert_eq!(doc.severity_history.len(), 1);
    assert_eq!(doc.severity_history[0].at, now);
    assert_eq!(
        doc.types,
        [PostmortemType::Technical, PostmortemType::Process]
    );
    assert_eq!(doc.timeline, before.timeline, "sections untouched");
    let err = store
        .patch_incident(
            k,
            from(json!({"category": "Weather"})),
            None,
            &Ctx::system(now),
        )
        .await
        .unwrap_err();
    assert_eq!(invalid_field(&err), "category");
    let err = store
        .patch_incident(k, from(json!({"title": ""})), None, &Ctx::system(now))
        .await
        .unwrap_err();
    assert_eq!(invalid_field(&err), "title");
    assert_eq!(store.get(k).await.unwrap(), doc);
}

async fn reordering(store: &Store, k: &IncidentKey, ids: &Ids) {
    let doc = store.get(k).await.unwrap();
    let reversed: Vec<Uuid> = ids.lessons.iter().rev().copied().collect();
    let d = store
        .reorder(
            k,
            Section::Lessons,
            reversed.clone(),
            Some(doc.version),
            &sys(),
        )
        .await
        .unwrap();
    assert_eq!(d.lessons.iter().map(|l| l.id).collect::<Vec<_>>(), reversed);
    assert_eq!(d.version, doc.version + 1);

    let rc: Vec<Uuid> = ids.root_causes.iter().rev().copied().collect();
    let d = store
        .reorder(k, Section::RootCauses, rc.clone(), None, &sys())
        .await
        .unwrap();
    assert_eq!(d.root_causes.iter().map(|r| r.id).collect::<Vec<_>>(), rc);

    let acts: Vec<Uuid> = ids.actions.iter().rev().copied().collect();
    let d = store
        .reorder(k, Section::ActionItems, acts.clone(), None, &sys())
        .await
        .unwrap();
    assert_eq!(
        d.action_items.iter().map(|a| a.id).collect::<Vec<_>>(),
        acts
    );
    assert_eq!(
        d.action_items.iter().map(|a| a.number).collect::<Vec<_>>(),
        [1, 2]
    );

    // Timeline order is by time; the given order only settles ties.
    let tl: Vec<Uuid> = d.timeline.iter().rev().map(|e| e.id).collect();
    let d2 = store
        .reorder(k, Section::Timeline, tl, None, &sys())
        .await
        .unwrap();
    assert_eq!(d2.timeline, d.timeline);

    let d3 = store
        .reorder(k, Section::WentWrong, vec![ids.went_wrong], None, &sys())
        .await
        .unwrap();
    for (section, list) in [
        (Section::FiveWhys, vec![ids.whys]),
        (
            Section::FishboneCauses,
            vec![ids.fish_child, ids.fish_parent],
        ),
        (Section::Fmea, vec![ids.fmea]),
        (Section::WentWell, vec![ids.went_well]),
    ] {
        store.reorder(k, section, list, None, &sys()).await.unwrap();
    }
    let d4 = store.get(k).await.unwrap();
    assert_eq!(d4.fishbone.causes[0].id, ids.fish_child);
    assert_eq!(d4.version, d3.version + 4);

    let before = store.get(k).await.unwrap();
    for bad in [
        vec![ids.lessons[0]],
        vec![ids.lessons[0], ids.lessons[0], ids.lessons[1]],
        vec![ids.lessons[0], ids.lessons[1], ids.fmea],
    ] {
        let err = store
            .reorder(k, Section::Lessons, bad, None, &sys())
            .await
            .unwrap_err();
        assert_eq!(invalid_field(&err), "ids");
    }
    assert_eq!(store.get(k).await.unwrap(), before);
}

async fn fishbone_frame_and_communications(store: &Store, k: &IncidentKey) {
    let now = t("2025-12-05T00:00:00Z");
    let before = store.get(k).await.unwrap();
    let err = store
        .set_fishbone_frame(
            k,
            None,
            vec!["People".into(), "Process".into()],
            None,
            &Ctx::system(now),
        )
        .await
        .unwrap_err();
    assert_eq!(
        invalid_field(&err),
        "categories",
        "Technology still has causes"
    );
    let err = store
        .set_fishbone_frame(
            k,
            None,
            vec!["Technology".into(), "Technology".into()],
            None,
            &Ctx::system(now),
        )
        .await
        .unwrap_err();
    assert_eq!(invalid_field(&err), "categories[1]");
    assert_eq!(store.get(k).await.unwrap(), before);
    let cats: Vec<String> = ["Technology", "People", "Process", "Vendors"]
        .map(String::from)
        .into();
    let d = store
        .set_fishbone_frame(
            k,
            Some("Admin account compromised".into()),
            cats.clone(),
            Some(before.version),
            &Ctx::system(now),
        )
        .await
        .unwrap();
    assert_eq!(d.fishbone.categories, cats);
    assert_eq!(
        d.fishbone.effect.as_deref(),
        Some("Admin account compromised")
    );
    assert_eq!(d.version, before.version + 1);

    let comms = Communications {
        internal: Some(InternalSummary {
            subject: "What we learned".into(),
            what_worked: vec!["Alerting".into()],
            ..Default::default()
        }),
        customer: None,
    };
    let d = store
        .set_communications(k, comms.clone(), Some(d.version), &Ctx::system(now))
        .await
        .unwrap();
    assert_eq!(d.communications, comms);
}

async fn deleting_items(store: &Store, k: &IncidentKey, ids: &Ids) {
    let before = store.get(k).await.unwrap();
    assert!(
        before
            .action_items
            .iter()
            .all(|a| a.addresses.fishbone_causes == [ids.fish_child])
    );
    // Deleting the parent cause takes its sub-cause and the links to it.
    let d = store
        .delete_item(
            k,
            Section::FishboneCauses,
            ids.fish_parent,
            Some(before.version),
            &sys(),
        )
        .await
        .unwrap();
    assert!(d.fishbone.causes.is_empty());
    assert!(
        d.action_items
            .iter()
            .all(|a| a.addresses.fishbone_causes.is_empty())
    );
    assert_eq!(d.version, before.version + 1);
    let d = store
        .delete_item(k, Section::RootCauses, ids.root_causes[0], None, &sys())
        .await
        .unwrap();
    assert_eq!(d.root_causes.len(), 1);
    assert!(
        d.action_items
            .iter()
            .all(|a| a.addresses.root_causes.is_empty())
    );
    let d = store
        .delete_item(k, Section::Fmea, ids.fmea, None, &sys())
        .await
        .unwrap();
    assert!(d.fmea.is_empty());
    assert!(d.action_items.iter().all(|a| a.addresses.is_empty()));
    assert!(d.validate().0.is_empty());

    for (section, id) in [
        (Section::Timeline, ids.timeline[0]),
        (Section::FiveWhys, ids.whys),
        (Section::WentWell, ids.went_well),
        (Section::WentWrong, ids.went_wrong),
        (Section::ActionItems, ids.actions[1]),
        (Section::Lessons, ids.lessons[1]),
    ] {
        let before = store.get(k).await.unwrap();
        let d = store
            .delete_item(k, section, id, Some(before.version), &sys())
            .await
            .unwrap();
        assert_eq!(d.version, before.version + 1);
        let err = store
            .delete_item(k, section, id, None, &sys())
            .await
            .unwrap_err();
        assert!(
            matches!(err, StoreError::NotFound { .. }),
            "{section}: {err:?}"
        );
    }
    let d = store.get(k).await.unwrap();
    assert_eq!(d.timeline.len(), 2);
    assert!(d.five_whys.is_empty());
    assert!(d.findings.went_well.is_empty() && d.findings.went_wrong.is_empty());
    assert_eq!(d.action_items.len(), 1);
    assert_eq!(d.lessons.len(), 2);
    // A new action item takes the next number after the highest.
    let (d, _) = store
        .add_item(
            k,
            SectionItem::ActionItem(from(
                json!({"title": "Review", "priority": "low", "status": "planned"}),
            )),
            None,
            &Ctx::system(t("2025-12-06T00:00:00Z")),
        )
        .await
        .unwrap();
    assert_eq!(
        d.action_items.iter().map(|a| a.number).collect::<Vec<_>>(),
        [2, 3]
    );
}

async fn bulk_timeline(store: &Store, k: &IncidentKey) {
    let before = store.get(k).await.unwrap();
    let now = t("2025-12-07T00:00:00Z");
    let entries: Vec<TimelineEntry> = (0..1000)
        .map(|i| {
            let mut e = entry(
                &format!("2025-11-27T{:02}:{:02}:00Z", i / 60 % 24, i % 60),
                &format!("Event {i}"),
            );
            e.tags = vec![format!("bulk-{i}")];
            e
        })
        .collect();

    let mut bad = entries.clone();
    bad[3].title = String::new();
    let err = store
        .append_timeline(k, bad, None, &Ctx::system(now))
        .await
        .unwrap_err();
    assert_eq!(invalid_field(&err), "[3].title");

    let n = store
        .append_timeline(k, entries, Some(before.version), &Ctx::system(now))
        .await
        .unwrap();
    assert_eq!(n, 1000);
    let d = store.get(k).await.unwrap();
    assert_eq!(d.version, before.version + 1);
    assert_eq!(d.updated_at, Some(now));
    assert_eq!(d.timeline.len(), before.timeline.len() + 1000);
    assert!(
        d.timeline
            .windows(2)
            .all(|w| w[0].occurred_at <= w[1].occurred_at)
    );
    assert_eq!(d.timeline[0].title, "Event 0");
    assert_eq!(
        store
            .append_timeline(k, Vec::new(), None, &Ctx::system(now))
            .await
            .unwrap(),
        0
    );
}

async fn listing(store: &Store) {
    let now = t("2025-06-01T00:00:00Z");
    let specs = [
        (
            "LIST-1",
            "Phishing wave",
            "low",
            "open",
            "Phishing",
            Some("2025-01-10T00:00:00Z"),
            &["process"][..],
        ),
        (
            "LIST-2",
            "Ransomware on file server",
            "critical",
            "contained",
            "Ransomware",
            Some("2025-02-10T00:00:00Z"),
            &["technical"][..],
        ),
        (
            "LIST-3",
            "Phished admin 100%_match",
            "high",
            "open",
            "Phishing",
            Some("2025-03-10T00:00:00Z"),
            &["technical", "organizational"][..],
        ),
        (
            "LIST-4",
            "Insider download",
            "medium",
            "closed",
            "Insider Threat",
            None,
            &[][..],
        ),
        (
            "LIST-5",
            "DDoS",
            "critical",
            "resolved",
            "Denial of Service",
            Some("2025-04-10T00:00:00Z"),
            &["technical"][..],
        ),
    ];
    for (i, (k, title, sev, status, cat, detected, types)) in specs.iter().enumerate() {
        let mut v = json!({"key": k, "title": title, "severity": sev, "status": status,
            "category": cat, "types": types, "summary": format!("summary {i}")});
        if let Some(d) = detected {
            v["lifecycle"] = json!({"detected": d});
        }
        let at = now + chrono::Duration::minutes(i as i64);
        store
            .create_incident(from(v), &Ctx::system(at))
            .await
            .unwrap();
    }
    // One open action item and one done on LIST-3, which makes it the most
    // recently updated.
    let k3 = key("LIST-3");
    let later = now + chrono::Duration::minutes(10);
    for status in ["planned", "complete"] {
        store
            .add_item(
                &k3,
                SectionItem::ActionItem(from(
                    json!({"title": "x", "priority": "low", "status": status}),
                )),
                None,
                &Ctx::system(later),
            )
            .await
            .unwrap();
    }

    let keys = |page: &debrief_store::Page<debrief_store::IncidentSummary>| {
        page.items
            .iter()
            .map(|s| s.key.as_str().to_owned())
            .collect::<Vec<_>>()
    };
    let all = store
        .list(&IncidentFilter::default(), &Visibility::All)
        .await
        .unwrap();
    assert_eq!(all.total, 5);
    assert_eq!(
        keys(&all),
        ["LIST-5", "LIST-3", "LIST-2", "LIST-1", "LIST-4"],
        "newest detection first, undetected last"
    );
    let l3 = all.items.iter().find(|s| s.key == k3).unwrap();
    assert_eq!(l3.action_items_open, 1);
    assert_eq!(l3.version, 3);

    let f = |f: IncidentFilter| async move { store.list(&f, &Visibility::All).await.unwrap() };
    let p = f(IncidentFilter {
        status: Some(IncidentStatus::Open),
        ..Default::default()
    })
    .await;
    assert_eq!(keys(&p), ["LIST-3", "LIST-1"]);
    let p = f(IncidentFilter {
        severity: Some(Severity::Critical),
        ..Default::default()
    })
    .await;
    assert_eq!(keys(&p), ["LIST-5", "LIST-2"]);
    let p = f(IncidentFilter {
        category: Some("Phishing".into()),
        ..Default::default()
    })
    .await;
    assert_eq!(p.total, 2);
    let p = f(IncidentFilter {
        types: Some(PostmortemType::Technical),
        ..Default::default()
    })
    .await;
    assert_eq!(keys(&p), ["LIST-5", "LIST-3", "LIST-2"]);
    let p = f(IncidentFilter {
        q: Some("PHISH".into()),
        ..Default::default()
    })
    .await;
    assert_eq!(keys(&p), ["LIST-3", "LIST-1"], "case-insensitive, title");
    let p = f(IncidentFilter {
        q: Some("list-4".into()),
        ..Default::default()
    })
    .await;
    assert_eq!(keys(&p), ["LIST-4"], "key");
    let p = f(IncidentFilter {
        q: Some("summary 1".into()),
        ..Default::default()
    })
    .await;
    assert_eq!(keys(&p), ["LIST-2"], "summary");
    let p = f(IncidentFilter {
        q: Some("100%_".into()),
        ..Default::default()
    })
    .await;
    assert_eq!(keys(&p), ["LIST-3"], "wildcards are literal");
    let p = f(IncidentFilter {
        q: Some("0%".into()),
        ..Default::default()
    })
    .await;
    assert_eq!(p.total, 1);
    let p = f(IncidentFilter {
        detected_from: Some(t("2025-02-10T00:00:00Z")),
        detected_to: Some(t("2025-03-31T00:00:00Z")),
        ..Default::default()
    })
    .await;
    assert_eq!(
        keys(&p),
        ["LIST-3", "LIST-2"],
        "date range, bounds inclusive"
    );

    let p = f(IncidentFilter {
        sort: SortOrder::DetectedAsc,
        ..Default::default()
    })
    .await;
    assert_eq!(keys(&p), ["LIST-1", "LIST-2", "LIST-3", "LIST-5", "LIST-4"]);
    let p = f(IncidentFilter {
        sort: SortOrder::Severity,
        ..Default::default()
    })
    .await;
    assert_eq!(keys(&p), ["LIST-5", "LIST-2", "LIST-3", "LIST-4", "LIST-1"]);
    let p = f(IncidentFilter {
        sort: SortOrder::Key,
        ..Default::default()
    })
    .await;
    assert_eq!(keys(&p), ["LIST-1", "LIST-2", "LIST-3", "LIST-4", "LIST-5"]);
    let p = f(IncidentFilter {
        sort: SortOrder::UpdatedDesc,
        ..Default::default()
    })
    .await;
    assert_eq!(keys(&p), ["LIST-3", "LIST-5", "LIST-4", "LIST-2", "LIST-1"]);

    let p = f(IncidentFilter {
        sort: SortOrder::Key,
        limit: 2,
        offset: 2,
        ..Default::default()
    })
    .await;
    assert_eq!(keys(&p), ["LIST-3", "LIST-4"]);
    assert_eq!(p.total, 5, "total counts every page");
    let p = f(IncidentFilter {
        sort: SortOrder::Key,
        limit: 2,
        offset: 4,
        ..Default::default()
    })
    .await;
    assert_eq!(keys(&p), ["LIST-5"]);
    let p = f(IncidentFilter {
        offset: 10,
        ..Default::default()
    })
    .await;
    assert!(p.items.is_empty());
    assert_eq!(p.total, 5);
    let p = f(IncidentFilter {
        status: Some(IncidentStatus::Open),
        limit: 1,
        ..Default::default()
    })
    .await;
    assert_eq!(p.items.len(), 1);
    assert_eq!(p.total, 2);
    let json = serde_json::to_value(&p).unwrap();
    assert_eq!(json["items"][0]["detected"], "2025-03-10T00:00:00Z");
}

async fn importing_round_trip(store: &Store, fresh: &Store, k: &IncidentKey) {
    let doc = store.get(k).await.unwrap();
    let imported = fresh
        .import(doc.clone(), false, &Ctx::system(t("2030-01-01T00:00:00Z")))
        .await
        .unwrap();
    assert_eq!(
        imported, doc,
        "import keeps ids, numbers, version and times"
    );
    assert_eq!(fresh.get(k).await.unwrap(), doc);
    // Through JSON, as export and import do.
    let text = serde_json::to_string(&doc).unwrap();
    let back: PostMortem = serde_json::from_str(&text).unwrap();
    assert_eq!(back, doc);

    let err = fresh
        .import(doc.clone(), false, &Ctx::system(t("2030-01-01T00:00:00Z")))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::AlreadyExists { .. }), "{err:?}");

    // A document with no ids, numbers, version or times gets them; an
    // unknown category joins the managed list.
    let mut bare = doc.clone();
    bare.key = key("IMP-1");
    bare.category = Some("Cloud Misuse (imported)".into());
    bare.version = 0;
    bare.created_at = None;
    bare.updated_at = None;
    bare.timeline.iter_mut().for_each(|e| e.id = Uuid::nil());
    bare.root_causes.iter_mut().for_each(|r| r.id = Uuid::nil());
    bare.lessons.iter_mut().for_each(|l| l.id = Uuid::nil());
    for a in &mut bare.action_items {
        a.id = Uuid::nil();
        a.number = 0;
    }
    let now = t("2030-01-02T00:00:00Z");
    let d = fresh.import(bare, false, &Ctx::system(now)).await.unwrap();
    assert_eq!(d.version, 1);
    assert_eq!(d.created_at, Some(now));
    assert!(d.timeline.iter().all(|e| !e.id.is_nil()));
    assert_eq!(
        d.action_items.iter().map(|a| a.number).collect::<Vec<_>>(),
        [1, 2]
    );
    assert!(
        fresh
            .categories()
            .await
            .unwrap()
            .contains(&"Cloud Misuse (imported)".to_owned())
    );
    // Ids are unique across incidents: importing the same ids under another
    // key fails, and leaves nothing behind.
    let mut twin = doc.clone();
    twin.key = key("IMP-2");
    let err = fresh
        .import(twin, false, &Ctx::system(now))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::AlreadyExists { .. }), "{err:?}");
    let err = fresh.get(&key("IMP-2")).await.unwrap_err();
    assert!(matches!(err, StoreError::NotFound { .. }), "{err:?}");
    // An invalid document is refused with paths into the document.
    let mut broken = doc;
    broken.key = key("IMP-3");
    broken.timeline[0].title = String::new();
    let err = fresh
        .import(broken, false, &Ctx::system(now))
        .await
        .unwrap_err();
    assert_eq!(invalid_field(&err), "timeline[0].title");
}

async fn a_failed_import_leaves_the_old_document(store: &Store) {
    let now = t("2025-12-08T00:00:00Z");
    let mut a = incident("Import victim", "low", Some("2025-12-01T00:00:00Z"));
    a.key = Some(key("VICTIM-1"));
    let ka = store
        .create_incident(a, &Ctx::system(now))
        .await
        .unwrap()
        .key;
    let mut b = incident("Bystander", "low", Some("2025-12-01T00:00:00Z"));
    b.key = Some(key("BYSTANDER-1"));
    let kb = store
        .create_incident(b, &Ctx::system(now))
        .await
        .unwrap()
        .key;
    for (k, title) in [(&ka, "A1"), (&ka, "A2"), (&kb, "B1")] {
        store
            .add_item(
                k,
                SectionItem::Timeline(entry("2025-12-01T01:00:00Z", title)),
                None,
                &Ctx::system(now),
            )
            .await
            .unwrap();
    }
    store
        .add_item(
            &ka,
            SectionItem::Lesson(from(json!({"text": "keep me"}))),
            None,
            &Ctx::system(now),
        )
        .await
        .unwrap();
    let original = store.get(&ka).await.unwrap();
    let bystander = store.get(&kb).await.unwrap();

    // A changed document whose last timeline entry takes the id of another
    // incident's entry: the delete and the first inserts succeed, then the
    // database refuses, and all of it must roll back.
    let mut changed = original.clone();
    changed.title = "Replaced".into();
    changed.lessons.clear();
    let mut last = entry("2025-12-01T02:00:00Z", "collides");
    last.id = bystander.timeline[0].id;
    changed.timeline.push(last);
    let err = store
        .import(changed, true, &Ctx::system(now))
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            StoreError::AlreadyExists { .. } | StoreError::Database(_)
        ),
        "{err:?}"
    );
    assert_eq!(
        store.get(&ka).await.unwrap(),
        original,
        "the old document is intact"
    );
    assert_eq!(store.get(&kb).await.unwrap(), bystander);

    // With a clean document, replace works, in place of the old one.
    let mut changed = original.clone();
    changed.title = "Replaced".into();
    changed.lessons.clear();
    let d = store
        .import(changed, true, &Ctx::system(now))
        .await
        .unwrap();
    assert_eq!(d.title, "Replaced");
    assert!(d.lessons.is_empty());
    assert_eq!(store.get(&ka).await.unwrap(), d);
}

/// Two writers with the same version, on two pooled connections (as two
/// server processes would be): exactly one wins, and the loser changes
/// nothing. Concurrent creates with generated keys all get keys of their own.
async fn concurrent_writers(store: &Store) {
    let k = key("SEC-42");
    let before = store.get(&k).await.unwrap();
    let now = t("2025-12-10T00:00:00Z");
    let ctx = Ctx::system(now);
    let ctx = &ctx;
    let write = |text: &'static str| {
        store.add_item(
            &k,
            SectionItem::Lesson(from(json!({ "text": text }))),
            Some(before.version),
            ctx,
        )
    };
    let (a, b) = tokio::join!(write("first"), write("second"));
    assert!(a.is_ok() != b.is_ok(), "exactly one wins: {a:?} / {b:?}");
    let err = a.err().or(b.err()).unwrap();
    assert!(matches!(err, StoreError::VersionMismatch { .. }), "{err:?}");
    let after = store.get(&k).await.unwrap();
    assert_eq!(after.version, before.version + 1);
    assert_eq!(after.lessons.len(), before.lessons.len() + 1);

    let create = |title: &'static str| {
        store.create_incident(incident(title, "low", Some("2027-01-01T00:00:00Z")), ctx)
    };
    let (a, b, c) = tokio::join!(create("one"), create("two"), create("three"));
    let mut keys = [a.unwrap().key, b.unwrap().key, c.unwrap().key];
    keys.sort();
    let keys: Vec<&str> = keys.iter().map(|k| k.as_str()).collect();
    assert_eq!(keys, ["INC-2027-0001", "INC-2027-0002", "INC-2027-0003"]);
}

async fn deleting_incidents(store: &Store) {
    let k = key("SEC-42");
    let doc = store.get(&k).await.unwrap();
    store
        .delete_incident(&k, Some(doc.version), &sys())
        .await
        .unwrap();
    let err = store.get(&k).await.unwrap_err();
    assert!(matches!(err, StoreError::NotFound { .. }), "{err:?}");
    let err = store.delete_incident(&k, None, &sys()).await.unwrap_err();
    assert!(matches!(err, StoreError::NotFound { .. }), "{err:?}");
    let keys = store.keys(&Visibility::All).await.unwrap();
    assert!(keys.windows(2).all(|w| w[0] < w[1]));
    assert!(!keys.contains(&k));
    // The whole document went: its key can be used again.
    let mut again = incident("Again", "low", None);
    again.key = Some(k.clone());
    assert_eq!(
        store
            .create_incident(again, &Ctx::system(t("2025-12-09T00:00:00Z")))
            .await
            .unwrap()
            .version,
        1
    );
}
