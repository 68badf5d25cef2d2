//! The incident page in the browser UI, driven in-process through the
//! router: the whole post-mortem on one page, its exports, escaping of user
//! text, and the htmx forms that edit it in place (with their conflict and
//! validation answers).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests fail loudly by design

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode};
use chrono::{TimeZone, Utc};
use debrief_core::access::{Scope, UserRole};
use debrief_core::{IncidentKey, PostMortem};
use debrief_store::{Ctx, NewUser, Store};
use debrief_web::{AppState, FixedClock, router};
use http_body_util::BodyExt;
use tower::ServiceExt;

const KEY: &str = "INC-2025-1128";

struct App {
    router: Router,
    store: Store,
    /// Bearer header of an incident commander (may edit).
    editor: String,
    /// Bearer header of a viewer (reads only).
    viewer: String,
}

struct Reply {
    status: StatusCode,
    headers: HeaderMap,
    text: String,
}

/// What askama makes of a piece of user text.
fn esc(s: &str) -> String {
    s.replace('&', "&#38;")
        .replace('<', "&#60;")
        .replace('>', "&#62;")
        .replace('"', "&#34;")
        .replace('\'', "&#39;")
}

impl App {
    async fn new() -> App {
        let store = debrief_store::testing::sqlite_store().await;
        let now = Utc.with_ymd_and_hms(2025, 12, 1, 9, 0, 0).unwrap();
        let ctx = Ctx::system(now);
        let mut bearer = Vec::new();
        for (name, role) in [
            ("ic", UserRole::IncidentCommander),
            ("viewer", UserRole::Viewer),
        ] {
            store
                .create_user(
                    NewUser {
                        name: name.into(),
                        role,
                        password: "a long test passphrase".into(),
                    },
                    &ctx,
                )
                .await
                .unwrap();
            let (_, secret) = store
                .create_token(name, "tests", Scope::Admin, None, &ctx)
                .await
                .unwrap();
            bearer.push(format!("Bearer {}", secret.expose()));
        }
        for doc in debrief_core::demo::documents().unwrap() {
            store.import(doc, false, &ctx).await.unwrap();
        }
        App {
            router: router(AppState::with_clock(
                store.clone(),
                Arc::new(FixedClock(now)),
            )),
            store,
            viewer: bearer.pop().unwrap(),
            editor: bearer.pop().unwrap(),
        }
    }

    async fn send(
        &self,
        method: Method,
        uri: &str,
        who: &str,
        form: Option<&str>,
        htmx: bool,
    ) -> Reply {
        let mut req = Request::builder()
            .method(method)
            .uri(uri)
            .header("authorization", who);
        if htmx {
            req = req.header("hx-request", "true");
        }
        let req = match form {
            Some(f) => req
                .header("content-type", "application/x-www-form-urlencoded")
                .body(Body::from(f.to_owned())),
            None => req.body(Body::empty()),
        }
        .unwrap();
        let res = self.router.clone().oneshot(req).await.unwrap();
        let status = res.status();
        let headers = res.headers().clone();
        let bytes = res.into_body().collect().await.unwrap().to_bytes();
        Reply {
            status,
            headers,
            text: String::from_utf8_lossy(&bytes).into_owned(),
        }
    }

    async fn page(&self, key: &str, who: &str) -> Reply {
        self.send(Method::GET, &format!("/incidents/{key}"), who, None, false)
            .await
    }

    async fn doc(&self, key: &str) -> PostMortem {
        self.store
            .get(&IncidentKey::parse(key).unwrap())
            .await
            .unwrap()
    }

    async fn post_htmx(&self, uri: &str, pairs: &[(&str, &str)]) -> Reply {
        let body = serde_urlencoded::to_string(pairs).unwrap();
        self.send(Method::POST, uri, &self.editor, Some(&body), true)
            .await
    }
}

#[tokio::test]
async fn the_seed_incident_page_shows_the_whole_post_mortem() {
    let app = App::new().await;
    let doc = app.doc(KEY).await;
    let r = app.page(KEY, &app.editor).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(
        r.headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let html = &r.text;
    for heading in [
        "Overview",
        "Timeline",
        "Root cause analysis",
        "5 Whys",
        "Root causes",
        "Fishbone diagram",
        "What went well",
        "What went wrong",
        "Action items",
        "Communications",
        "Lessons learned",
        "Lifecycle (UTC)",
        "Response measures",
        "Impact",
        "Participants",
    ] {
        assert!(html.contains(&format!(">{heading}")), "heading {heading}");
    }
    assert_eq!(doc.timeline.len(), 12);
    for e in &doc.timeline {
        assert!(html.contains(&esc(&e.title)), "timeline entry {}", e.title);
    }
    assert!(html.contains("We didn't know"));
    assert!(html.contains("We knew"));
    for chain in &doc.five_whys {
        assert!(html.contains(&esc(&chain.problem)));
        for s in &chain.steps {
            assert!(html.contains(&esc(&s.why)), "why {}", s.why);
            assert!(html.contains(&esc(&s.because)), "because {}", s.because);
        }
    }
    assert!(html.contains("<svg") && html.contains(r#"class="fishbone""#));
    assert!(html.contains("Weak MFA implementation"));
    assert_eq!(doc.action_items.len(), 10);
    for a in &doc.action_items {
        assert!(html.contains(&esc(&a.title)), "action item {}", a.title);
    }
    for l in &doc.lessons {
        assert!(html.contains(&esc(&l.text)), "lesson {}", l.text);
    }
    // Measures come from the lifecycle, in words.
    assert!(html.contains("Time to detect"));
    // Severity history and the export buttons.
    assert!(html.contains("→"));
    assert!(html.contains(&format!("/incidents/{KEY}/export.md")));
    assert!(html.contains(&format!("/incidents/{KEY}/export.json")));
    // The editor sees edit controls.
    assert!(html.contains("Add entry"));
    assert!(html.contains("Add action item"));
}

#[tokio::test]
async fn overdue_action_items_are_marked_against_the_clock() {
    let app = App::new().await;
    let late = serde_json::from_value(serde_json::json!({
        "title": "Already late", "priority": "high", "status": "planned", "due": "2025-11-29"
    }))
    .unwrap();
    let ctx = Ctx::system(Utc::now());
    let key = IncidentKey::parse(KEY).unwrap();
    app.store
        .add_item(
            &key,
            debrief_store::SectionItem::ActionItem(late),
            None,
            &ctx,
        )
        .await
        .unwrap();
    let doc = app.doc(KEY).await;
    let today = Utc
        .with_ymd_and_hms(2025, 12, 1, 9, 0, 0)
        .unwrap()
        .date_naive();
    let overdue = doc
        .action_items
        .iter()
        .filter(|a| a.is_overdue(today))
        .count();
    let page = app.page(KEY, &app.editor).await.text;
    // The action items section (the guided review has its own deadlines).
    let start = page.find(r#"<section id="actions""#).unwrap();
    let html = &page[start..start + page[start..].find("</section>").unwrap()];
    assert!(overdue >= 1);
    assert_eq!(html.matches(r#"class="overdue""#).count(), overdue);
    assert_eq!(html.matches(">Overdue<").count(), overdue);
    assert!(html.contains(&format!("{overdue} overdue")));
}

#[tokio::test]
async fn user_text_is_escaped_everywhere_on_the_page() {
    let app = App::new().await;
    let evil = r#"<script>alert(1)</script> "><img src=x onerror=alert(1)>"#;
    let key = IncidentKey::parse("XSS-1").unwrap();
    let ctx = Ctx::system(Utc::now());
    let input = serde_json::from_value(serde_json::json!({
        "key": key, "title": evil, "severity": "high", "summary": evil
    }))
    .unwrap();
    app.store.create_incident(input, &ctx).await.unwrap();
    for item in [
        debrief_store::SectionItem::Timeline(
            serde_json::from_value(serde_json::json!({
                "occurred_at": "2025-11-28T02:15:00Z", "phase": "detection",
                "title": evil, "we_knew": evil, "we_didnt_know": evil, "details": [evil]
            }))
            .unwrap(),
        ),
        debrief_store::SectionItem::FishboneCause(
            serde_json::from_value(serde_json::json!({"category": "People", "text": evil}))
                .unwrap(),
        ),
        debrief_store::SectionItem::ActionItem(
            serde_json::from_value(serde_json::json!({
                "title": evil, "priority": "high", "status": "planned", "owner": evil
            }))
            .unwrap(),
        ),
    ] {
        app.store.add_item(&key, item, None, &ctx).await.unwrap();
    }
    let r = app.page("XSS-1", &app.editor).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(!r.text.contains("<script>alert"), "raw script tag");
    assert!(!r.text.contains("<img src=x"), "raw img tag");
    assert!(r.text.contains("&#60;script&#62;alert(1)"));
    // The fishbone SVG escapes with its own escaper.
    assert!(r.text.contains("&lt;script&gt;alert(1)"));
}

#[tokio::test]
async fn adding_a_timeline_entry_through_the_form_shows_it() {
    let app = App::new().await;
    let version = app.doc(KEY).await.version.to_string();
    let r = app
        .post_htmx(
            &format!("/incidents/{KEY}/timeline"),
            &[
                ("version", &version),
                ("occurred_at", "2025-11-28T05:30"),
                ("phase", "recovery"),
                ("title", "Backup codes rotated for all admins"),
                ("we_didnt_know", "Whether other admins had printed codes"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert!(r.text.starts_with(r#"<section id="timeline""#));
    assert!(r.text.contains("Backup codes rotated for all admins"));
    assert!(r.text.contains("Whether other admins had printed codes"));
    // Every form's version field moves on with the write.
    let doc = app.doc(KEY).await;
    assert_eq!(doc.timeline.len(), 13);
    assert!(r.text.contains(&format!(
        r#"value="{}" hx-swap-oob="outerHTML:.incident-version""#,
        doc.version
    )));
    let page = app.page(KEY, &app.editor).await.text;
    assert!(page.contains("Backup codes rotated for all admins"));
}

#[tokio::test]
async fn a_form_without_javascript_redirects_back_to_the_page() {
    let app = App::new().await;
    let version = app.doc(KEY).await.version.to_string();
    let body = serde_urlencoded::to_string([
        ("version", version.as_str()),
        ("occurred_at", "2025-11-28T05:30"),
        ("phase", "recovery"),
        ("title", "Posted without htmx"),
    ])
    .unwrap();
    let r = app
        .send(
            Method::POST,
            &format!("/incidents/{KEY}/timeline"),
            &app.editor,
            Some(&body),
            false,
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(
        r.headers["location"],
        format!("/incidents/{KEY}#timeline").as_str()
    );
}

#[tokio::test]
async fn a_stale_version_shows_the_conflict_message_keeps_the_input_and_writes_nothing() {
    let app = App::new().await;
    let before = app.doc(KEY).await;
    let stale = (before.version - 1).to_string();
    let r = app
        .post_htmx(
            &format!("/incidents/{KEY}/timeline"),
            &[
                ("version", &stale),
                ("occurred_at", "2025-11-28T05:30"),
                ("phase", "recovery"),
                ("title", "My carefully typed entry"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(
        r.text
            .contains("Someone else changed this incident since you opened it")
    );
    assert!(
        r.text
            .contains(&format!(r#"href="/incidents/{KEY}#timeline">Reload</a>"#))
    );
    assert!(r.text.contains(r#"value="My carefully typed entry""#));
    let after = app.doc(KEY).await;
    assert_eq!(after.version, before.version);
    assert_eq!(after.timeline.len(), before.timeline.len());

    // The same for an action item's status.
    let item = &before.action_items[0];
    let r = app
        .post_htmx(
            &format!("/incidents/{KEY}/actions/{}/status", item.id),
            &[("version", &stale), ("status", "blocked")],
        )
        .await;
    assert!(
        r.text
            .contains("Someone else changed this incident since you opened it")
    );
    assert_eq!(app.doc(KEY).await.action_items[0].status, item.status);
}

#[tokio::test]
async fn invalid_input_is_shown_next_to_its_field_with_the_input_kept() {
    let app = App::new().await;
    let version = app.doc(KEY).await.version.to_string();
    let r = app
        .post_htmx(
            &format!("/incidents/{KEY}/timeline"),
            &[
                ("version", &version),
                ("occurred_at", "2025-11-28T05:30"),
                ("learned_at", "2025-11-28T04:00"),
                ("phase", "recovery"),
                ("title", "Learned before it happened"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.text.contains(r#"id="tl-learned-error""#), "{}", r.text);
    assert!(
        r.text
            .contains("nobody learns of a thing before it happens")
    );
    assert!(r.text.contains(r#"value="Learned before it happened""#));
    assert_eq!(app.doc(KEY).await.timeline.len(), 12);

    let r = app
        .post_htmx(
            &format!("/incidents/{KEY}/actions"),
            &[("version", &version), ("title", "  "), ("priority", "high")],
        )
        .await;
    assert!(r.text.contains(r#"id="ai-title-error""#));
}

#[tokio::test]
async fn deleting_an_entry_and_adding_an_action_item_work_in_place() {
    let app = App::new().await;
    let doc = app.doc(KEY).await;
    let gone = &doc.timeline[0];
    let r = app
        .post_htmx(
            &format!("/incidents/{KEY}/items/timeline/{}/delete", gone.id),
            &[("version", &doc.version.to_string())],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(!r.text.contains(&format!("entry-{}", gone.id)));
    let doc = app.doc(KEY).await;
    assert_eq!(doc.timeline.len(), 11);

    let r = app
        .post_htmx(
            &format!("/incidents/{KEY}/actions"),
            &[
                ("version", &doc.version.to_string()),
                ("title", "Rotate the break-glass credentials"),
                ("owner", "Dana"),
                ("due", "2025-12-20"),
                ("priority", "high"),
                ("success_criteria", "Rotated\nStored in the vault"),
            ],
        )
        .await;
    assert!(r.text.starts_with(r#"<section id="actions""#));
    assert!(r.text.contains("Rotate the break-glass credentials"));
    assert!(r.text.contains("0/2"));
    let doc = app.doc(KEY).await;
    assert_eq!(doc.action_items.len(), 11);

    let item = &doc.action_items[0];
    let r = app
        .post_htmx(
            &format!("/incidents/{KEY}/actions/{}/status", item.id),
            &[("version", &doc.version.to_string()), ("status", "blocked")],
        )
        .await;
    assert!(r.text.contains("Action items"));
    let doc = app.doc(KEY).await;
    assert_eq!(doc.action_items[0].status.as_str(), "blocked");
}

#[tokio::test]
async fn the_header_form_changes_title_severity_and_status_in_place() {
    let app = App::new().await;
    let before = app.doc(KEY).await;
    let v = before.version.to_string();
    let r = app
        .post_htmx(
            &format!("/incidents/{KEY}/header"),
            &[
                ("version", &v),
                ("title", "Admin account compromise (renamed)"),
                ("severity", "critical"),
                ("severity_reason", "Customer data confirmed taken"),
                ("status", "closed"),
                ("postmortem_status", "published"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert!(r.text.starts_with(r#"<div id="incident-head""#));
    assert!(r.text.contains("Admin account compromise (renamed)"));
    // The overview shows the same severity: it is swapped out of band.
    assert!(r.text.contains(
        r#"<section id="overview" class="panel" aria-labelledby="overview-h" hx-swap-oob="true">"#
    ));
    assert!(r.text.contains("Customer data confirmed taken"));
    let after = app.doc(KEY).await;
    assert_eq!(after.severity.as_str(), "critical");
    assert_eq!(
        after.severity_history.len(),
        before.severity_history.len() + 1
    );

    // The same form again, now stale: refused, input kept.
    let r = app
        .post_htmx(
            &format!("/incidents/{KEY}/header"),
            &[
                ("version", &v),
                ("title", "Someone else's idea"),
                ("severity", "low"),
                ("status", "open"),
                ("postmortem_status", "draft"),
            ],
        )
        .await;
    assert!(
        r.text
            .contains("Someone else changed this incident since you opened it")
    );
    assert!(r.text.contains(r#"value="Someone else&#39;s idea""#));
    assert_eq!(app.doc(KEY).await.version, after.version);

    // An empty title is shown next to the field.
    let r = app
        .post_htmx(
            &format!("/incidents/{KEY}/header"),
            &[
                ("version", &after.version.to_string()),
                ("title", " "),
                ("severity", "low"),
                ("status", "open"),
                ("postmortem_status", "draft"),
            ],
        )
        .await;
    assert!(r.text.contains(r#"id="hd-title-error""#));
}

#[tokio::test]
async fn analysis_forms_add_a_chain_a_fishbone_cause_and_an_fmea_row() {
    let app = App::new().await;
    let v = app.doc(KEY).await.version.to_string();
    let r = app
        .post_htmx(
            &format!("/incidents/{KEY}/five_whys"),
            &[
                ("version", &v),
                ("problem", "Why did the alert wait 20 minutes?"),
                ("why_1", "Why was it MEDIUM?"),
                ("because_1", "The rule ignores the target's privileges"),
                ("why_2", "Why does it ignore them?"),
                ("because_2", "Nobody reviewed the rule since 2023"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert!(r.text.starts_with(r#"<section id="analysis""#));
    assert!(r.text.contains("Nobody reviewed the rule since 2023"));
    let doc = app.doc(KEY).await;
    assert_eq!(doc.five_whys.last().unwrap().steps.len(), 2);

    // A cause under another one, drawn in the SVG that comes back.
    let parent = doc
        .fishbone
        .causes
        .iter()
        .find(|c| c.text == "Weak MFA implementation")
        .unwrap()
        .id
        .to_string();
    let r = app
        .post_htmx(
            &format!("/incidents/{KEY}/fishbone"),
            &[
                ("version", &doc.version.to_string()),
                ("category", "Technology"),
                ("text", "Backup codes never expire & <b>"),
                ("parent", &parent),
            ],
        )
        .await;
    assert!(
        r.text
            .contains("– Backup codes never expire &amp; &lt;b&gt;"),
        "{}",
        r.text
    );
    assert!(r.text.contains("7 causes"));
    let doc = app.doc(KEY).await;
    assert_eq!(doc.fishbone.causes.len(), 7);

    // An FMEA row with its RPN computed; a bad score is shown at its field.
    let r = app
        .post_htmx(
            &format!("/incidents/{KEY}/fmea"),
            &[
                ("version", &doc.version.to_string()),
                ("failure_mode", "Backup code reuse undetected"),
                ("severity", "9"),
                ("occurrence", "11"),
                ("detection", "8"),
            ],
        )
        .await;
    assert!(r.text.contains(r#"id="fm-o-error""#), "{}", r.text);
    assert!(r.text.contains(r#"value="Backup code reuse undetected""#));
    assert!(app.doc(KEY).await.fmea.is_empty());
    let r = app
        .post_htmx(
            &format!("/incidents/{KEY}/fmea"),
            &[
                ("version", &doc.version.to_string()),
                ("failure_mode", "Backup code reuse undetected"),
                ("severity", "9"),
                ("occurrence", "6"),
                ("detection", "8"),
            ],
        )
        .await;
    assert!(r.text.contains("<strong>432</strong>"), "{}", r.text);
    assert_eq!(app.doc(KEY).await.fmea.len(), 1);
}

#[tokio::test]
async fn findings_and_lessons_are_added_in_place() {
    let app = App::new().await;
    let v = app.doc(KEY).await.version.to_string();
    let r = app
        .post_htmx(
            &format!("/incidents/{KEY}/findings"),
            &[
                ("version", &v),
                ("kind", "went_wrong"),
                ("area", "communication"),
                ("title", "Status page updated late"),
                ("details", "First update after 2 hours\nNo owner named"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert!(r.text.starts_with(r#"<div id="findings">"#));
    assert!(r.text.contains("Status page updated late"));
    assert!(r.text.contains("No owner named"));
    let doc = app.doc(KEY).await;
    assert!(
        doc.findings
            .went_wrong
            .iter()
            .any(|f| f.title == "Status page updated late")
    );

    let r = app
        .post_htmx(
            &format!("/incidents/{KEY}/lessons"),
            &[("version", &doc.version.to_string()), ("text", "")],
        )
        .await;
    assert!(r.text.contains(r#"id="ls-text-error""#));
    let r = app
        .post_htmx(
            &format!("/incidents/{KEY}/lessons"),
            &[
                ("version", &doc.version.to_string()),
                ("text", "Name a comms owner at declaration"),
            ],
        )
        .await;
    assert!(r.text.starts_with(r#"<section id="lessons""#));
    assert!(r.text.contains("Name a comms owner at declaration"));
}

#[tokio::test]
async fn a_timeline_entry_is_edited_in_place_keeping_its_facts() {
    let app = App::new().await;
    let doc = app.doc(KEY).await;
    let entry = doc.timeline.iter().find(|e| !e.facts.is_empty()).unwrap();
    let uri = format!("/incidents/{KEY}/items/timeline/{}", entry.id);
    let v = doc.version.to_string();
    let r = app
        .post_htmx(
            &uri,
            &[
                ("version", &v),
                ("occurred_at", "2025-11-28T03:15"),
                ("phase", entry.phase.as_str()),
                ("title", "Edited headline"),
                ("we_knew", "Edited knowledge"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert!(r.text.contains("Edited headline"));
    let after = app.doc(KEY).await;
    let edited = after.timeline.iter().find(|e| e.id == entry.id).unwrap();
    assert_eq!(edited.title, "Edited headline");
    assert_eq!(edited.we_knew.as_deref(), Some("Edited knowledge"));
    assert_eq!(
        edited.facts, entry.facts,
        "facts are not on the form and are kept"
    );

    // Stale: refused, the input stays in that entry's open edit form.
    let r = app
        .post_htmx(
            &uri,
            &[
                ("version", &v),
                ("occurred_at", "2025-11-28T03:15"),
                ("phase", entry.phase.as_str()),
                ("title", "Second thoughts"),
            ],
        )
        .await;
    assert!(
        r.text
            .contains("Someone else changed this incident since you opened it")
    );
    assert!(r.text.contains(r#"value="Second thoughts""#));
    assert!(r.text.contains(r#"<div class="tl-edit">"#));
    assert_eq!(app.doc(KEY).await.version, after.version);

    // Invalid: the message sits next to the edited field.
    let r = app
        .post_htmx(
            &uri,
            &[
                ("version", &after.version.to_string()),
                ("occurred_at", "yesterday"),
                ("phase", entry.phase.as_str()),
                ("title", "Edited headline"),
            ],
        )
        .await;
    assert!(
        r.text
            .contains(&format!(r#"id="ed-{}-occurred-error""#, entry.id))
    );
}

#[tokio::test]
async fn an_entry_edit_form_is_fetched_on_demand() {
    let app = App::new().await;
    let doc = app.doc(KEY).await;
    let entry = &doc.timeline[3];
    let uri = format!("/incidents/{KEY}/items/timeline/{}/edit", entry.id);
    // The page carries links, not twelve forms.
    let page = app.page(KEY, &app.editor).await.text;
    assert!(page.contains(&format!(r#"hx-get="{uri}""#)));
    assert!(!page.contains(&format!(r#"id="ed-{}-title""#, entry.id)));
    // htmx gets the form, filled in.
    let r = app.send(Method::GET, &uri, &app.editor, None, true).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.text.starts_with(r#"<div class="tl-edit">"#));
    assert!(
        r.text
            .contains(&format!(r#"value="{}""#, esc(&entry.title)))
    );
    assert!(r.text.contains(&format!(r#"value="{}""#, doc.version)));
    // Cancel gives the link back.
    let r = app
        .send(
            Method::GET,
            &format!("{uri}?cancel=1"),
            &app.editor,
            None,
            true,
        )
        .await;
    assert!(r.text.starts_with(r#"<a class="tl-edit-link""#));
    // Without JavaScript: the whole page, that form open.
    let r = app.send(Method::GET, &uri, &app.editor, None, false).await;
    assert!(r.text.contains("<h2 id=\"timeline-h\">"));
    assert!(r.text.contains(&format!(r#"id="ed-{}-title""#, entry.id)));
    // A viewer may not ask for it.
    let r = app.send(Method::GET, &uri, &app.viewer, None, true).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
}

/// Signs `name` in through the login form; the session cookie's value.
async fn session(app: &App, name: &str) -> String {
    let body =
        serde_urlencoded::to_string([("name", name), ("password", "a long test passphrase")])
            .unwrap();
    let req = Request::builder()
        .method(Method::POST)
        .uri("/login")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Body::from(body))
        .unwrap();
    let res = app.router.clone().oneshot(req).await.unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let cookie = res.headers()["set-cookie"].to_str().unwrap().to_owned();
    let pair = cookie.split(';').next().unwrap();
    pair.split_once('=').unwrap().1.to_owned()
}

#[tokio::test]
async fn forms_work_without_javascript_in_a_browser_session() {
    let app = App::new().await;
    let token = session(&app, "ic").await;
    let cookie = format!("debrief_session={token}");
    let get = Request::builder()
        .uri(format!("/incidents/{KEY}"))
        .header("cookie", &cookie)
        .body(Body::empty())
        .unwrap();
    let res = app.router.clone().oneshot(get).await.unwrap();
    let html =
        String::from_utf8(res.into_body().collect().await.unwrap().to_bytes().to_vec()).unwrap();
    // The add form carries the session's CSRF token for a plain post.
    let form = &html[html
        .find(r#"action="/incidents/INC-2025-1128/timeline""#)
        .unwrap()..];
    let marker = r#"name="csrf" value=""#;
    let start = form.find(marker).unwrap() + marker.len();
    let csrf = &form[start..start + form[start..].find('"').unwrap()];
    let version = app.doc(KEY).await.version.to_string();
    let post = |fields: Vec<(&str, &str)>| {
        Request::builder()
            .method(Method::POST)
            .uri(format!("/incidents/{KEY}/timeline"))
            .header("cookie", &cookie)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(Body::from(serde_urlencoded::to_string(fields).unwrap()))
            .unwrap()
    };
    let fields = vec![
        ("version", version.as_str()),
        ("occurred_at", "2025-11-28T05:30"),
        ("phase", "recovery"),
        ("title", "Posted from a plain form"),
    ];
    // Without the token: refused.
    let res = app
        .router
        .clone()
        .oneshot(post(fields.clone()))
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let mut with = fields;
    with.push(("csrf", csrf));
    let res = app.router.clone().oneshot(post(with)).await.unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert!(
        app.doc(KEY)
            .await
            .timeline
            .iter()
            .any(|e| e.title == "Posted from a plain form")
    );
}

#[tokio::test]
async fn a_success_criterion_is_ticked_in_place() {
    let app = App::new().await;
    let doc = app.doc(KEY).await;
    let item = doc
        .action_items
        .iter()
        .find(|a| !a.success_criteria.is_empty() && a.success_criteria.iter().all(|c| !c.done))
        .unwrap();
    let total = item.success_criteria.len();
    let r = app
        .post_htmx(
            &format!("/incidents/{KEY}/actions/{}/criteria/1", item.id),
            &[("version", &doc.version.to_string())],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert!(r.text.contains(&format!("1/{total}")));
    assert!(r.text.contains(r#"<details class="criteria" open>"#));
    let after = app.doc(KEY).await;
    let ticked = after.action_items.iter().find(|a| a.id == item.id).unwrap();
    assert!(ticked.success_criteria[1].done);
    assert!(!ticked.success_criteria[0].done);
    // A number past the list is not found.
    let r = app
        .post_htmx(
            &format!("/incidents/{KEY}/actions/{}/criteria/99", item.id),
            &[("version", &after.version.to_string())],
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_viewer_sees_no_edit_controls_and_cannot_post() {
    let app = App::new().await;
    let r = app.page(KEY, &app.viewer).await;
    assert_eq!(r.status, StatusCode::OK);
    for control in [
        "Add entry",
        "Add action item",
        "/delete",
        "status-form",
        "incident-version",
    ] {
        assert!(!r.text.contains(control), "{control}");
    }
    let version = app.doc(KEY).await.version.to_string();
    let body = serde_urlencoded::to_string([
        ("version", version.as_str()),
        ("occurred_at", "2025-11-28T05:30"),
        ("phase", "recovery"),
        ("title", "Viewer entry"),
    ])
    .unwrap();
    let r = app
        .send(
            Method::POST,
            &format!("/incidents/{KEY}/timeline"),
            &app.viewer,
            Some(&body),
            true,
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(app.doc(KEY).await.timeline.len(), 12);
}

#[tokio::test]
async fn exports_download_as_markdown_and_json() {
    let app = App::new().await;
    let r = app
        .send(
            Method::GET,
            &format!("/incidents/{KEY}/export.md"),
            &app.viewer,
            None,
            false,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(
        r.headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/markdown")
    );
    assert_eq!(
        r.headers["content-disposition"],
        format!("attachment; filename=\"{KEY}.md\"").as_str()
    );
    assert!(r.text.starts_with(&format!("# {KEY}")));

    let r = app
        .send(
            Method::GET,
            &format!("/incidents/{KEY}/export.json"),
            &app.viewer,
            None,
            false,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(
        r.headers["content-disposition"],
        format!("attachment; filename=\"{KEY}.json\"").as_str()
    );
    let doc: PostMortem = serde_json::from_str(&r.text).unwrap();
    assert_eq!(doc, app.doc(KEY).await);
}

#[tokio::test]
async fn an_unknown_incident_is_a_not_found_page() {
    let app = App::new().await;
    let r = app.page("INC-1999-0001", &app.editor).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert!(
        r.headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
}

#[tokio::test]
async fn items_of_any_section_are_moved_and_deleted_in_place() {
    let app = App::new().await;
    let doc = app.doc(KEY).await;
    let v = doc.version.to_string();
    let (first, second) = (doc.lessons[0].id, doc.lessons[1].id);
    let r = app
        .post_htmx(
            &format!("/incidents/{KEY}/items/lessons/{second}/move"),
            &[("version", &v), ("direction", "up")],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert!(r.text.starts_with(r#"<section id="lessons""#));
    let doc = app.doc(KEY).await;
    assert_eq!((doc.lessons[0].id, doc.lessons[1].id), (second, first));

    // The first of its list does not move up: nothing is written.
    let r = app
        .post_htmx(
            &format!("/incidents/{KEY}/items/lessons/{second}/move"),
            &[("version", &doc.version.to_string()), ("direction", "up")],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(app.doc(KEY).await.version, doc.version);

    // Timeline entries are placed by their time.
    let entry = doc.timeline[0].id;
    let r = app
        .post_htmx(
            &format!("/incidents/{KEY}/items/timeline/{entry}/move"),
            &[("version", &doc.version.to_string()), ("direction", "up")],
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);

    // Deleting a finding answers the findings part without it.
    let gone = doc.findings.went_wrong[0].clone();
    let r = app
        .post_htmx(
            &format!("/incidents/{KEY}/items/went_wrong/{}/delete", gone.id),
            &[("version", &doc.version.to_string())],
        )
        .await;
    assert!(r.text.contains(r#"<div id="findings">"#));
    assert!(!r.text.contains(&esc(&gone.title)));
    let after = app.doc(KEY).await;
    assert_eq!(
        after.findings.went_wrong.len(),
        doc.findings.went_wrong.len() - 1
    );

    // A stale delete is refused with the conflict message; nothing goes.
    let chain = doc.five_whys[0].id;
    let r = app
        .post_htmx(
            &format!("/incidents/{KEY}/items/five_whys/{chain}/delete"),
            &[("version", &doc.version.to_string())],
        )
        .await;
    assert!(r.text.contains("Someone else changed this incident"));
    assert_eq!(app.doc(KEY).await.five_whys.len(), doc.five_whys.len());
}

#[tokio::test]
async fn an_action_item_is_edited_keeping_its_ticks_and_history() {
    let app = App::new().await;
    let doc = app.doc(KEY).await;
    let item = doc
        .action_items
        .iter()
        .find(|a| a.success_criteria.iter().any(|c| c.done) && !a.status_history.is_empty())
        .or_else(|| {
            doc.action_items
                .iter()
                .find(|a| a.success_criteria.iter().any(|c| c.done))
        })
        .expect("a demo item with a met criterion")
        .clone();
    let edit = format!("/incidents/{KEY}/items/action_items/{}/edit", item.id);
    let r = app.send(Method::GET, &edit, &app.editor, None, true).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.text.contains("Edit action item"));
    assert!(r.text.contains(&format!(r#"value="{}""#, esc(&item.title))));

    let kept = item.success_criteria.iter().find(|c| c.done).unwrap();
    let criteria = format!("{}\nA brand-new criterion", kept.text);
    let uri = format!("/incidents/{KEY}/items/action_items/{}", item.id);
    let v = doc.version.to_string();
    let r = app
        .post_htmx(
            &uri,
            &[
                ("version", &v),
                ("title", "Edited action"),
                ("owner", "Robin"),
                ("due", "2026-01-15"),
                ("priority", "critical"),
                ("success_criteria", &criteria),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert!(r.text.starts_with(r#"<section id="actions""#));
    let after = app.doc(KEY).await;
    let edited = after.action_items.iter().find(|a| a.id == item.id).unwrap();
    assert_eq!(edited.title, "Edited action");
    assert_eq!(edited.owner.as_deref(), Some("Robin"));
    assert_eq!(edited.number, item.number);
    assert_eq!(edited.status, item.status);
    assert_eq!(edited.status_history, item.status_history);
    assert_eq!(edited.success_criteria.len(), 2);
    assert!(
        edited.success_criteria[0].done,
        "an unchanged line keeps its tick"
    );
    assert!(!edited.success_criteria[1].done);

    // A stale edit comes back in the open edit panel with the input kept.
    let r = app
        .post_htmx(
            &uri,
            &[
                ("version", &v),
                ("title", "Second thoughts"),
                ("priority", "low"),
            ],
        )
        .await;
    assert!(r.text.contains("Someone else changed this incident"));
    assert!(r.text.contains("Edit action item"));
    assert!(r.text.contains(r#"value="Second thoughts""#));

    // A bad due date is named next to its field.
    let r = app
        .post_htmx(
            &uri,
            &[
                ("version", &after.version.to_string()),
                ("title", "Edited action"),
                ("priority", "low"),
                ("due", "soon"),
            ],
        )
        .await;
    assert!(r.text.contains(r#"id="ae-due-error""#), "{}", r.text);
}

#[tokio::test]
async fn root_causes_are_added_and_edited_in_place() {
    let app = App::new().await;
    let doc = app.doc(KEY).await;
    let v = doc.version.to_string();
    let r = app
        .post_htmx(
            &format!("/incidents/{KEY}/root_causes"),
            &[("version", &v), ("kind", "systemic"), ("title", " ")],
        )
        .await;
    assert!(r.text.contains(r#"id="rc-title-error""#));
    let r = app
        .post_htmx(
            &format!("/incidents/{KEY}/root_causes"),
            &[
                ("version", &v),
                ("kind", "systemic"),
                ("title", "No owner for IdP configuration"),
                ("details", "Changes went in without review"),
            ],
        )
        .await;
    assert!(r.text.contains("No owner for IdP configuration"));
    let after = app.doc(KEY).await;
    let added = after.root_causes.last().unwrap().clone();
    assert_eq!(added.kind.as_str(), "systemic");

    let r = app
        .post_htmx(
            &format!("/incidents/{KEY}/items/root_causes/{}", added.id),
            &[
                ("version", &after.version.to_string()),
                ("kind", "contributing"),
                ("title", "IdP configuration had no owner"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let edited = app.doc(KEY).await;
    let c = edited
        .root_causes
        .iter()
        .find(|c| c.id == added.id)
        .unwrap();
    assert_eq!(c.title, "IdP configuration had no owner");
    assert_eq!(c.kind.as_str(), "contributing");
    assert_eq!(c.details, None);
}

#[tokio::test]
async fn the_overview_form_sets_lifecycle_impact_and_techniques() {
    let app = App::new().await;
    let doc = app.doc(KEY).await;
    let v = doc.version.to_string();
    let uri = format!("/incidents/{KEY}/overview");
    // Times that go backwards and a made-up technique: named at their
    // fields, nothing written.
    let r = app
        .post_htmx(
            &uri,
            &[
                ("version", &v),
                ("detected", "2025-11-28T03:10"),
                ("responded", "2025-11-28T03:00"),
                ("attack_techniques", "T1078 XYZ"),
                ("records_affected", "many"),
            ],
        )
        .await;
    assert!(r.text.contains(r#"id="ov-records-error""#), "{}", r.text);
    assert!(r.text.contains(r#"id="ov-tech-error""#));
    assert_eq!(app.doc(KEY).await.version, doc.version);
    let r = app
        .post_htmx(
            &uri,
            &[
                ("version", &v),
                ("detected", "2025-11-28T03:10"),
                ("responded", "2025-11-28T03:00"),
            ],
        )
        .await;
    assert!(r.text.contains(r#"id="ov-responded-error""#), "{}", r.text);
    assert_eq!(app.doc(KEY).await.version, doc.version);

    let r = app
        .post_htmx(
            &uri,
            &[
                ("version", &v),
                ("summary", "Rewritten summary"),
                ("category", doc.category.as_deref().unwrap_or("")),
                ("type_technical", "on"),
                ("first_activity", "2025-11-28T02:00"),
                ("detected", "2025-11-28T03:10"),
                ("responded", "2025-11-28T03:15"),
                ("records_affected", "50,000"),
                ("systems_affected", "Admin portal\nIdP"),
                ("attack_techniques", "T1078, T1110.004"),
                ("patient_zero", "admin@example.com"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert!(r.text.contains(r#"<section id="overview""#));
    assert!(r.text.contains("Time to respond"));
    let after = app.doc(KEY).await;
    assert_eq!(after.summary, "Rewritten summary");
    assert_eq!(after.impact.records_affected, Some(50_000));
    assert_eq!(after.impact.systems_affected, ["Admin portal", "IdP"]);
    assert_eq!(after.attack_techniques.len(), 2);
    assert_eq!(after.types.len(), 1);
    assert_eq!(
        after.lifecycle.contained, None,
        "a cleared field clears the time"
    );
    assert_eq!(after.participants, doc.participants, "not on this form");
}

#[tokio::test]
async fn participants_are_added_and_removed() {
    let app = App::new().await;
    let doc = app.doc(KEY).await;
    let n = doc.participants.len();
    let r = app
        .post_htmx(
            &format!("/incidents/{KEY}/participants"),
            &[
                ("version", &doc.version.to_string()),
                ("name", "Sam <b>"),
                ("role", "note_taker"),
                ("team", "SecOps"),
            ],
        )
        .await;
    assert!(r.text.contains("Sam &#60;b&#62;"));
    let after = app.doc(KEY).await;
    assert_eq!(after.participants.len(), n + 1);
    let r = app
        .post_htmx(
            &format!("/incidents/{KEY}/participants/{n}/delete"),
            &[("version", &after.version.to_string())],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(app.doc(KEY).await.participants, doc.participants);
    let r = app
        .post_htmx(
            &format!("/incidents/{KEY}/participants"),
            &[("version", &after.version.to_string()), ("name", "")],
        )
        .await;
    assert!(r.text.contains(r#"id="pp-name-error""#) || r.text.contains("Someone else"));
}

#[tokio::test]
async fn communications_are_drafted_edited_and_removed() {
    let app = App::new().await;
    let doc = app.doc(KEY).await;
    assert!(doc.communications.customer.is_some());
    let r = app
        .post_htmx(
            &format!("/incidents/{KEY}/communications/internal"),
            &[
                ("version", &doc.version.to_string()),
                ("subject", "What we learned"),
                ("what_worked", "Fast paging\nClear runbook"),
                (
                    "improvements",
                    "MFA is stronger now: backup codes expire\nAlerting",
                ),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.text.contains("What we learned"));
    let after = app.doc(KEY).await;
    let internal = after.communications.internal.clone().unwrap();
    assert_eq!(internal.what_worked, ["Fast paging", "Clear runbook"]);
    assert_eq!(internal.improvements[0].title, "MFA is stronger now");
    assert_eq!(internal.improvements[0].detail, "backup codes expire");
    assert_eq!(internal.improvements[1].detail, "");
    assert_eq!(after.communications.customer, doc.communications.customer);

    let r = app
        .post_htmx(
            &format!("/incidents/{KEY}/communications/customer"),
            &[("version", &after.version.to_string())],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let cleared = app.doc(KEY).await;
    assert!(cleared.communications.customer.is_none());
    assert_eq!(cleared.communications.internal, Some(internal));
}

#[tokio::test]
async fn commanders_restrict_an_incident_and_manage_its_members() {
    let app = App::new().await;
    assert!(
        app.page(KEY, &app.editor)
            .await
            .text
            .contains(r#"id="access""#)
    );
    let viewer_page = app.page(KEY, &app.viewer).await.text;
    assert!(!viewer_page.contains(r#"id="access""#));
    let k = IncidentKey::parse(KEY).unwrap();

    // A commander who is not a member is kept from locking themselves out.
    let r = app
        .post_htmx(&format!("/incidents/{KEY}/access"), &[("restricted", "on")])
        .await;
    assert!(
        r.text.contains("add yourself as a member first"),
        "{}",
        r.text
    );
    assert_eq!(app.store.is_restricted(&k).await.unwrap(), Some(false));
    app.post_htmx(&format!("/incidents/{KEY}/members"), &[("name", "ic")])
        .await;
    let r = app
        .post_htmx(&format!("/incidents/{KEY}/members"), &[("name", "viewer")])
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(
        r.text
            .contains(r#"<span class="member-name">viewer</span>"#)
    );
    let r = app
        .post_htmx(&format!("/incidents/{KEY}/access"), &[("restricted", "on")])
        .await;
    assert!(r.text.contains("Open to all readers"));
    assert_eq!(app.store.is_restricted(&k).await.unwrap(), Some(true));
    // The member still reads it.
    assert_eq!(app.page(KEY, &app.viewer).await.status, StatusCode::OK);

    let r = app
        .post_htmx(&format!("/incidents/{KEY}/members/viewer/delete"), &[])
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert!(
        !r.text
            .contains(r#"<span class="member-name">viewer</span>"#)
    );
    assert_eq!(
        app.page(KEY, &app.viewer).await.status,
        StatusCode::NOT_FOUND
    );

    // A viewer cannot post to the access forms.
    let r = app
        .send(
            Method::POST,
            &format!("/incidents/{KEY}/access"),
            &app.viewer,
            Some(""),
            true,
        )
        .await;
    assert!(matches!(
        r.status,
        StatusCode::FORBIDDEN | StatusCode::NOT_FOUND
    ));
    assert_eq!(app.store.is_restricted(&k).await.unwrap(), Some(true));
}

#[tokio::test]
async fn the_guided_review_is_shown_and_edited_in_place() {
    let app = App::new().await;
    let page = app.page(KEY, &app.editor).await.text;
    for text in [
        "Guided review",
        "The six steps",
        "Detection to response",
        "Process deadlines",
        "Ground rules",
        "Schedule within 1 week of incident closure",
    ] {
        assert!(page.contains(text), "{text}");
    }
    assert!(page.contains(r#"<span class="sla-met">Met</span>"#));
    // A viewer sees the review but none of its forms.
    let viewer = app.page(KEY, &app.viewer).await.text;
    assert!(viewer.contains("Guided review"));
    assert!(!viewer.contains("/review/facts"));

    let doc = app.doc(KEY).await;
    let v = doc.version.to_string();
    let uri = format!("/incidents/{KEY}/review/facts");
    let r = app
        .post_htmx(&uri, &[("version", &v), ("meeting_held_at", "tuesday")])
        .await;
    assert!(
        r.text.contains(r#"id="rv-meeting_held_at-error""#),
        "{}",
        r.text
    );
    assert_eq!(app.doc(KEY).await.version, doc.version);
    let r = app
        .post_htmx(
            &uri,
            &[
                ("version", &v),
                ("meeting_scheduled_at", "2025-11-29T10:00"),
                ("meeting_held_at", "2025-12-01T14:00"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.text.starts_with(r#"<section id="review""#));
    let doc = app.doc(KEY).await;
    assert!(doc.review.facts.meeting_held_at.is_some());

    // Ticking by hand, and back.
    let tick = format!("/incidents/{KEY}/review/checklist/invite-stakeholders");
    app.post_htmx(&tick, &[("version", &doc.version.to_string())])
        .await;
    let doc = app.doc(KEY).await;
    assert!(doc.review.checklist.contains("invite-stakeholders"));
    app.post_htmx(&tick, &[("version", &doc.version.to_string())])
        .await;
    let doc = app.doc(KEY).await;
    assert!(doc.review.checklist.is_empty());
    let r = app
        .post_htmx(
            &format!("/incidents/{KEY}/review/checklist/made-up"),
            &[("version", &doc.version.to_string())],
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);

    // The agenda: a bad line is named; a good one is saved.
    let agenda = format!("/incidents/{KEY}/review/agenda");
    let v = doc.version.to_string();
    let r = app
        .post_htmx(
            &agenda,
            &[
                ("version", &v),
                ("title", "Review of INC-2025-1128"),
                ("items", "- stray point\nten | Opening"),
            ],
        )
        .await;
    assert!(r.text.contains(r#"id="ag-items-error""#), "{}", r.text);
    assert!(r.text.contains("line 1: a point before any"));
    let r = app
        .post_htmx(
            &agenda,
            &[
                ("version", &v),
                ("title", "Review of INC-2025-1128"),
                ("starts_at", "2025-12-02T14:00"),
                (
                    "items",
                    "10 | Opening\n- Ground rules\n60 | Timeline\n30 | Action items",
                ),
                (
                    "attendees",
                    "Lee | note_taker\nSam | security | sam@example.com",
                ),
                ("facilitator", "Robin"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.text.contains("100 minutes"));
    assert!(r.text.contains("agenda.ics"));
    let saved = app.doc(KEY).await.review.agenda.unwrap();
    assert_eq!(saved.items.len(), 3);
    assert_eq!(saved.items[0].notes, "Ground rules");
    assert_eq!(saved.attendees[1].email.as_deref(), Some("sam@example.com"));
}

#[tokio::test]
async fn coach_findings_sit_next_to_their_items_and_are_accepted_with_a_reason() {
    let app = App::new().await;
    let doc = app.doc(KEY).await;
    let primary = doc
        .root_causes
        .iter()
        .position(|c| c.kind.as_str() == "primary")
        .unwrap();
    let id = doc.root_causes[primary].id;
    let r = app
        .post_htmx(
            &format!("/incidents/{KEY}/items/root_causes/{id}"),
            &[
                ("version", &doc.version.to_string()),
                ("kind", "primary"),
                ("title", "Human error"),
            ],
        )
        .await;
    assert!(
        r.text.contains(r#"class="coach-note sev-blocking""#),
        "{}",
        r.text
    );
    let page = app.page(KEY, &app.editor).await.text;
    assert!(page.contains("Not ready to publish"));
    let field = format!("root_causes[{primary}].title");

    let doc = app.doc(KEY).await;
    let ack = format!("/incidents/{KEY}/review/acknowledge");
    let r = app
        .post_htmx(
            &ack,
            &[
                ("version", &doc.version.to_string()),
                ("rule", "superficial-cause"),
                ("field", &field),
                ("reason", " "),
            ],
        )
        .await;
    assert!(r.text.contains("field-error"), "{}", r.text);
    let r = app
        .post_htmx(
            &ack,
            &[
                ("version", &doc.version.to_string()),
                ("rule", "superficial-cause"),
                ("field", &field),
                ("reason", "Being rewritten after Monday's session"),
            ],
        )
        .await;
    assert!(
        r.text
            .contains("Accepted by ic at 2025-12-01 09:00 UTC: Being rewritten"),
        "{}",
        r.text
    );
    let after = app.doc(KEY).await;
    assert_eq!(after.review.acknowledgements[0].by, "ic");
}

#[tokio::test]
async fn an_fmea_row_is_rescored_after_its_action() {
    let app = App::new().await;
    let doc = app.doc(KEY).await;
    let v = doc.version.to_string();
    let r = app
        .post_htmx(
            &format!("/incidents/{KEY}/fmea"),
            &[
                ("version", &v),
                ("failure_mode", "Backup codes never expire"),
                ("severity", "9"),
                ("occurrence", "6"),
                ("detection", "7"),
            ],
        )
        .await;
    assert!(r.text.contains("<strong>378</strong>"), "{}", r.text);
    let doc = app.doc(KEY).await;
    let row = doc.fmea.last().unwrap().clone();
    let uri = format!("/incidents/{KEY}/items/fmea/{}", row.id);
    let edit = app
        .send(Method::GET, &format!("{uri}/edit"), &app.editor, None, true)
        .await;
    assert!(edit.text.contains("Edit or re-score FMEA row"));
    assert!(
        edit.text
            .contains(r#"name="severity" type="number" min="1" max="10" value="9""#)
    );
    // Half a re-score is refused at the missing fields.
    let r = app
        .post_htmx(
            &uri,
            &[
                ("version", &doc.version.to_string()),
                ("failure_mode", "Backup codes never expire"),
                ("severity", "9"),
                ("occurrence", "6"),
                ("detection", "7"),
                ("severity_after", "9"),
            ],
        )
        .await;
    assert!(
        r.text.contains(r#"id="fe-occurrence_after-error""#),
        "{}",
        r.text
    );
    let r = app
        .post_htmx(
            &uri,
            &[
                ("version", &doc.version.to_string()),
                ("failure_mode", "Backup codes never expire"),
                ("severity", "9"),
                ("occurrence", "6"),
                ("detection", "7"),
                ("severity_after", "9"),
                ("occurrence_after", "2"),
                ("detection_after", "2"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let after = app.doc(KEY).await;
    let row = after.fmea.iter().find(|x| x.id == row.id).unwrap();
    assert_eq!(row.computed_rpn(), 378);
    assert_eq!(row.computed_rpn_after(), Some(36));
    assert!(r.text.contains(">36<"));
}
