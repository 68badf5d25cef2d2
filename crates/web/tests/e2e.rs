//! End-to-end tests in a real headless Chromium, driven over WebDriver
//! (chromedriver) with fantoccini.
//!
//! Each test starts the whole application in-process on `127.0.0.1:0` over
//! a fresh SQLite store with the demo set loaded and one user per role,
//! then its own chromedriver and browser session (one at a time). PNG
//! screenshots of the main pages go to `DEBRIEF_SCREENSHOTS` (else
//! `$CARGO_TARGET_DIR/screenshots`, else `debrief-screenshots` in the
//! temporary folder) so a reviewer can look at them.
//!
//! The tests need Debian's `chromium` and `chromium-driver`; `scripts/test`
//! installs them and sets `DEBRIEF_CHROMEDRIVER` (and `DEBRIEF_CHROMIUM`).
//! Without `DEBRIEF_CHROMEDRIVER` each test prints
//! `skipped: DEBRIEF_CHROMEDRIVER not set` and passes.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests fail loudly by design

#[path = "e2e/harness.rs"]
mod harness;

use std::time::Duration;

use axum::http::{Method, StatusCode};
use debrief_core::access::Scope;
use harness::{ADMIN, App, Browser, CONTRIBUTOR, DEMO_KEY, PASSWORD, VIEWER, start};
use serde_json::{Value, json};

/// A title written to break out of HTML text and attributes.
const HOSTILE: &str = r#"<script>alert(1)</script>"><img src=x onerror=alert(1)>"#;

/// Signs `user` in through the pages; the admin also gives the TOTP code.
/// Ends on the incident list.
async fn sign_in(app: &App, browser: &Browser, user: &str) {
    browser.goto(&app.url("/login")).await;
    browser.fill("#name", user).await;
    browser.fill("#password", PASSWORD).await;
    browser
        .click(r#"form[action="/login"] button[type="submit"]"#)
        .await;
    if user == ADMIN {
        browser.wait_for_path("/login/mfa").await;
        browser.fill("#code", &app.admin_code()).await;
        browser
            .click(r#"form[action="/login/mfa"] button[type="submit"]"#)
            .await;
    }
    browser.wait_for_path("/incidents").await;
}

/// Asserts that no alert, confirm or prompt is open and that no `<img
/// src="x">` made it into the page.
async fn assert_nothing_injected(browser: &Browser) {
    // Give an `onerror` handler time to fire, were there one.
    tokio::time::sleep(Duration::from_millis(500)).await;
    if let Some(text) = browser.open_dialog().await {
        panic!("a dialog opened: {text:?}");
    }
    assert_eq!(
        browser
            .js(r#"return document.querySelectorAll('img[src="x"]').length"#)
            .await,
        json!(0),
        "an injected <img src=x> is in the page"
    );
    assert_eq!(
        browser
            .js("return [...document.scripts].filter(s => s.textContent.includes('alert(1)')).length")
            .await,
        json!(0),
        "an injected <script> is in the page"
    );
}

#[tokio::test]
async fn an_admin_signs_in_with_password_and_totp_and_sees_the_incident_list() {
    let Some((app, browser)) = start("signin").await else {
        return;
    };
    browser.goto(&app.url("/incidents")).await;
    browser.wait_for_path("/login").await;
    browser.wait_for("#name").await;
    browser.screenshot("login").await;

    browser.fill("#name", ADMIN).await;
    browser.fill("#password", PASSWORD).await;
    browser
        .click(r#"form[action="/login"] button[type="submit"]"#)
        .await;
    browser.wait_for_path("/login/mfa").await;
    browser.wait_for("#code").await;
    browser.screenshot("mfa").await;
    browser.fill("#code", &app.admin_code()).await;
    browser
        .click(r#"form[action="/login/mfa"] button[type="submit"]"#)
        .await;
    browser.wait_for_path("/incidents").await;

    let link = browser
        .wait_for(&format!(r#"a[href="/incidents/{DEMO_KEY}"]"#))
        .await;
    assert_eq!(link.text().await.unwrap(), DEMO_KEY);
    browser.wait_for_text(ADMIN).await;
    browser.screenshot("list").await;
    browser.resize(375, 800).await;
    browser.screenshot("list-375").await;
    let widths = browser
        .js("return [document.documentElement.scrollWidth, window.innerWidth]")
        .await;
    assert!(
        widths[0].as_u64() <= widths[1].as_u64(),
        "at 375 px the list scrolls sideways: scrollWidth, innerWidth = {widths}"
    );
    browser.finish().await;
}

#[tokio::test]
async fn a_wrong_totp_code_keeps_the_admin_on_the_second_factor_page() {
    let Some((app, browser)) = start("wrong-code").await else {
        return;
    };
    browser.goto(&app.url("/login")).await;
    browser.fill("#name", ADMIN).await;
    browser.fill("#password", PASSWORD).await;
    browser
        .click(r#"form[action="/login"] button[type="submit"]"#)
        .await;
    browser.wait_for_path("/login/mfa").await;
    let right = app.admin_code();
    let wrong = if right == "000000" {
        "111111"
    } else {
        "000000"
    };
    browser.fill("#code", wrong).await;
    browser
        .click(r#"form[action="/login/mfa"] button[type="submit"]"#)
        .await;
    browser.wait_for("#code-error").await;
    assert_eq!(browser.path().await, "/login/mfa");
    // Not through MFA: the incident list sends the browser back.
    browser.goto(&app.url("/incidents")).await;
    assert_ne!(browser.path().await, "/incidents");
    browser.finish().await;
}

#[tokio::test]
async fn the_demo_incident_page_shows_its_timeline_with_what_we_did_not_know() {
    let Some((app, browser)) = start("incident").await else {
        return;
    };
    sign_in(&app, &browser, CONTRIBUTOR).await;
    browser
        .click(&format!(r#"a[href="/incidents/{DEMO_KEY}"]"#))
        .await;
    browser
        .wait_for_path(&format!("/incidents/{DEMO_KEY}"))
        .await;
    browser.wait_for("#timeline").await;

    let entries = browser.count("#timeline .tl-entry").await;
    assert!(entries >= 5, "only {entries} timeline entries shown");
    let labels = browser
        .js("return [...document.querySelectorAll('#timeline .knew-no .knew-label')].map(e => e.textContent.trim())")
        .await;
    let labels = labels.as_array().expect("an array");
    assert!(
        !labels.is_empty() && labels.iter().all(|l| l == "We didn't know"),
        "labels: {labels:?}"
    );
    let title = browser
        .js("return document.querySelector('h1').textContent")
        .await;
    assert!(
        title
            .as_str()
            .unwrap_or_default()
            .to_lowercase()
            .contains("admin"),
        "h1: {title}"
    );
    browser.screenshot("incident-1280").await;
    for section in ["timeline", "analysis"] {
        browser
            .js(&format!(
                "document.getElementById('{section}').scrollIntoView(); return null"
            ))
            .await;
        browser.screenshot(&format!("incident-{section}")).await;
    }
    browser
        .screenshot_full_page("incident-1280-full", 1280, 900)
        .await;

    // The same page on a phone-sized screen: nothing wider than the screen
    // forces the whole page to scroll sideways.
    browser.resize(375, 800).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    browser.screenshot("incident-375").await;
    let widths = browser
        .js("return [document.documentElement.scrollWidth, window.innerWidth]")
        .await;
    if widths[0].as_u64() > widths[1].as_u64() {
        // Name what sticks out, for whoever fixes the layout.
        let wide = browser
            .js("const over = e => e.getBoundingClientRect().right > window.innerWidth + 1; \
                 return [...document.querySelectorAll('main *')] \
                     .filter(e => over(e) && !over(e.parentElement)) \
                     .map(e => e.parentElement.tagName + '.' + e.parentElement.getAttribute('class') \
                         + ' > ' + e.tagName + ' ' + Math.round(e.getBoundingClientRect().right) + ' px')")
            .await;
        browser
            .fail(&format!(
                "at 375 px the page scrolls sideways (scrollWidth, innerWidth = {widths}); wider than the screen: {wide}"
            ))
            .await;
    }
    browser.finish().await;
}

#[tokio::test]
async fn a_viewer_sees_no_edit_controls_and_cannot_post_an_edit() {
    let Some((app, browser)) = start("viewer").await else {
        return;
    };
    sign_in(&app, &browser, VIEWER).await;
    assert_eq!(browser.count("#new-incident").await, 0, "create form shown");
    assert_eq!(
        browser.count(r##"a[href="#new-incident"]"##).await,
        0,
        "create button shown"
    );

    browser
        .goto(&app.url(&format!("/incidents/{DEMO_KEY}")))
        .await;
    browser.wait_for("#timeline .tl-entry").await;
    // The only form a viewer gets is "sign out".
    let forms = browser
        .js("return [...document.querySelectorAll('main form[method=post]')].map(f => f.getAttribute('action'))")
        .await;
    assert_eq!(forms, json!([]), "edit forms shown to a viewer");
    assert_eq!(browser.count("details.add-form").await, 0);
    assert_eq!(browser.count(".tl-delete").await, 0);
    browser.screenshot("incident-viewer").await;

    // Posting anyway, with the viewer's own session and CSRF token, is refused.
    let status = browser
        .js_async(&format!(
            r#"const done = arguments[arguments.length - 1];
            const headers = JSON.parse(document.body.getAttribute('hx-headers'));
            const body = new URLSearchParams({{csrf: headers['X-CSRF-Token'], title: 'Viewer edit',
                occurred_at: '2025-11-28T06:00', phase: 'response'}});
            fetch('/incidents/{DEMO_KEY}/timeline', {{method: 'POST', headers, body}})
                .then(r => done(r.status), e => done(String(e)));"#
        ))
        .await;
    assert_eq!(status, json!(403));
    browser
        .goto(&app.url(&format!("/incidents/{DEMO_KEY}")))
        .await;
    assert!(!browser.body_text().await.contains("Viewer edit"));
    browser.finish().await;
}

#[tokio::test]
async fn a_hostile_incident_title_is_shown_as_text_and_never_runs() {
    let Some((app, browser)) = start("hostile").await else {
        return;
    };
    let token = app.token(CONTRIBUTOR, Scope::Write).await;
    let (status, doc) = app
        .api(
            Method::POST,
            "/api/v1/incidents",
            &token,
            Some(json!({"title": HOSTILE, "severity": "medium"})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{doc}");
    let key = doc["key"].as_str().expect("a key").to_owned();

    sign_in(&app, &browser, CONTRIBUTOR).await;
    // New and undetected, it sorts last: find it by its key.
    browser.goto(&app.url(&format!("/incidents?q={key}"))).await;
    browser
        .wait_for(&format!(r#"a[href="/incidents/{key}"]"#))
        .await;
    let row_title = browser
        .js(&format!(
            r#"return document.querySelector('a[href="/incidents/{key}"]').closest('tr').querySelector('td.title').textContent"#
        ))
        .await;
    assert!(
        row_title.as_str().unwrap_or_default().contains(HOSTILE),
        "list shows {row_title}"
    );
    assert_nothing_injected(&browser).await;
    browser.screenshot("hostile-list").await;

    browser.goto(&app.url(&format!("/incidents/{key}"))).await;
    browser.wait_for("h1").await;
    assert_eq!(
        browser
            .js("return document.querySelector('h1').textContent")
            .await,
        Value::String(HOSTILE.to_owned())
    );
    assert!(browser.body_text().await.contains(HOSTILE));
    // The edit form carries the title as a value, not as markup.
    assert_eq!(
        browser
            .js("return document.getElementById('hd-title').value")
            .await,
        Value::String(HOSTILE.to_owned())
    );
    assert_nothing_injected(&browser).await;
    browser.screenshot("hostile-incident").await;
    browser.finish().await;
}

#[tokio::test]
async fn a_contributor_adds_a_timeline_entry_in_the_browser_and_it_stays() {
    let Some((app, browser)) = start("timeline-add").await else {
        return;
    };
    sign_in(&app, &browser, CONTRIBUTOR).await;
    let page = app.url(&format!("/incidents/{DEMO_KEY}"));
    browser.goto(&page).await;
    let before = browser.count("#timeline .tl-entry").await;

    browser.click("#timeline details.add-form > summary").await;
    // A datetime-local input takes keys in the browser's locale format;
    // setting its value is what a date picker does.
    browser
        .js("document.getElementById('tl-occurred').value = '2025-11-28T06:15'; return null")
        .await;
    browser
        .fill(
            "#tl-title",
            "Browser-added: API keys of the integration rotated",
        )
        .await;
    browser
        .fill("#tl-didnt", "whether the attacker had copied the keys")
        .await;
    browser
        .click(r#"#timeline form[action$="/timeline"] button[type="submit"]"#)
        .await;
    browser
        .wait_for_text("Browser-added: API keys of the integration rotated")
        .await;
    assert_eq!(browser.count("#timeline .tl-entry").await, before + 1);
    browser.screenshot("timeline-added").await;

    browser.goto(&page).await;
    browser.wait_for("#timeline").await;
    assert_eq!(browser.count("#timeline .tl-entry").await, before + 1);
    assert!(
        browser
            .body_text()
            .await
            .contains("whether the attacker had copied the keys")
    );
    let (_, doc) = app
        .api(
            Method::GET,
            &format!("/api/v1/incidents/{DEMO_KEY}"),
            &app.token(CONTRIBUTOR, Scope::Read).await,
            None,
        )
        .await;
    let stored = doc["timeline"]
        .as_array()
        .expect("a timeline")
        .iter()
        .any(|e| e["title"] == "Browser-added: API keys of the integration rotated");
    assert!(stored, "the entry is not in the stored post-mortem");
    browser.finish().await;
}

#[tokio::test]
async fn a_stale_edit_shows_the_conflict_message_and_keeps_the_input() {
    let Some((app, browser)) = start("conflict").await else {
        return;
    };
    sign_in(&app, &browser, CONTRIBUTOR).await;
    browser
        .goto(&app.url(&format!("/incidents/{DEMO_KEY}")))
        .await;
    browser
        .click("#incident-head details.head-edit > summary")
        .await;

    // Someone else saves first, through the API.
    let token = app.token(CONTRIBUTOR, Scope::Write).await;
    let (status, body) = app
        .api(
            Method::PATCH,
            &format!("/api/v1/incidents/{DEMO_KEY}"),
            &token,
            Some(json!({"title": "Changed elsewhere"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");

    browser.fill("#hd-title", "My stale edit").await;
    browser
        .click(r#"#incident-head form button[type="submit"]"#)
        .await;
    let alert = browser.wait_for(".alert.conflict").await;
    let text = alert.text().await.unwrap();
    assert!(
        text.contains("Someone else changed this incident"),
        "{text}"
    );
    assert_eq!(
        browser
            .js("return document.getElementById('hd-title').value")
            .await,
        json!("My stale edit"),
        "the input was lost"
    );
    browser.screenshot("conflict").await;

    // Nothing was overwritten.
    let (_, doc) = app
        .api(
            Method::GET,
            &format!("/api/v1/incidents/{DEMO_KEY}"),
            &token,
            None,
        )
        .await;
    assert_eq!(doc["title"], "Changed elsewhere");
    browser.finish().await;
}

#[tokio::test]
async fn a_post_mortem_written_in_the_browser_shows_on_the_page_and_in_the_markdown() {
    let Some((app, browser)) = start("postmortem").await else {
        return;
    };
    sign_in(&app, &browser, CONTRIBUTOR).await;
    browser.click(r##"a[href="#new-incident"]"##).await;
    browser
        .fill("#n-title", "Phishing wave against the finance team")
        .await;
    browser
        .click(r#"form[method="post"][action="/incidents"] button[type="submit"]"#)
        .await;
    browser.wait_for("#timeline").await;
    let path = browser.path().await;
    let key = path
        .strip_prefix("/incidents/")
        .unwrap_or_else(|| panic!("not on an incident page: {path}"))
        .to_owned();
    assert_eq!(
        browser
            .js("return document.querySelector('h1').textContent")
            .await,
        json!("Phishing wave against the finance team")
    );

    // Each section is added in place (htmx) without reloading the page:
    // every later form must carry the version the previous save made.
    browser.click("#timeline details.add-form > summary").await;
    browser
        .js("document.getElementById('tl-occurred').value = '2025-10-02T06:25'; return null")
        .await;
    browser.fill("#tl-title", "Mail purge of the lure").await;
    browser.fill("#tl-knew", "12 recipients").await;
    browser
        .click(r#"#timeline form[action$="/timeline"] button[type="submit"]"#)
        .await;
    browser.wait_for_text("Mail purge of the lure").await;

    browser
        .click(r#"#analysis details.add-form:has(form[action$="/five_whys"]) > summary"#)
        .await;
    browser
        .fill("#wh-problem", "A mailbox was compromised")
        .await;
    browser
        .fill("#wh-why-1", "Why did the password work?")
        .await;
    browser
        .fill("#wh-because-1", "It was reused from a breached site")
        .await;
    browser
        .click(r#"#analysis form[action$="/five_whys"] button[type="submit"]"#)
        .await;
    browser.wait_for_text("A mailbox was compromised").await;

    browser
        .click(r#"#analysis details.add-form:has(form[action$="/fishbone"]) > summary"#)
        .await;
    browser
        .fill("#fb-text", "No phishing drills this year")
        .await;
    browser
        .click(r#"#analysis form[action$="/fishbone"] button[type="submit"]"#)
        .await;
    browser.wait_for_text("No phishing drills this year").await;

    browser
        .click(r#"#analysis details.add-form:has(form[action$="/fmea"]) > summary"#)
        .await;
    browser
        .fill("#fm-mode", "Mail filter misses a lookalike domain")
        .await;
    browser.fill("#fm-s", "7").await;
    browser.fill("#fm-o", "5").await;
    browser.fill("#fm-d", "6").await;
    browser
        .click(r#"#analysis form[action$="/fmea"] button[type="submit"]"#)
        .await;
    browser
        .wait_for_text("Mail filter misses a lookalike domain")
        .await;
    let rpn = browser
        .js("return [...document.querySelectorAll('table.fmea tbody tr')].map(r => r.querySelector('td.num strong').textContent)")
        .await;
    assert_eq!(rpn, json!(["210"]), "RPN = 7 x 5 x 6");

    browser.click("#actions details.add-form > summary").await;
    browser.fill("#ai-title", "Block lookalike domains").await;
    browser.fill("#ai-owner", "Mail team").await;
    browser
        .click(r#"#actions form[action$="/actions"] button[type="submit"]"#)
        .await;
    browser.wait_for_text("Block lookalike domains").await;
    assert_eq!(
        browser.count(".alert.conflict").await,
        0,
        "a save conflicted"
    );
    let fishbone = browser
        .js("return [...document.querySelectorAll('#analysis svg text')].map(t => t.textContent).join(' ')")
        .await;
    assert!(
        fishbone
            .as_str()
            .unwrap_or_default()
            .contains("No phishing drills"),
        "the fishbone diagram lacks the cause: {fishbone}"
    );
    browser.screenshot("postmortem-written").await;

    // All of it survives a reload and is in the Markdown export.
    browser.goto(&app.url(&format!("/incidents/{key}"))).await;
    let text = browser.body_text().await;
    for needle in [
        "Mail purge of the lure",
        "A mailbox was compromised",
        "It was reused from a breached site",
        "No phishing drills this year",
        "Mail filter misses a lookalike domain",
        "Block lookalike domains",
    ] {
        assert!(text.contains(needle), "the page lacks {needle:?}");
    }
    let markdown = browser
        .js_async(
            r#"const done = arguments[arguments.length - 1];
            fetch(document.querySelector('a[href$="/export.md"]').href)
                .then(r => r.text()).then(done, e => done(String(e)));"#,
        )
        .await;
    let markdown = markdown.as_str().expect("the Markdown export");
    for needle in [
        "Phishing wave against the finance team",
        "Mail purge of the lure",
        "A mailbox was compromised",
        "No phishing drills this year",
        "Mail filter misses a lookalike domain",
        "Block lookalike domains",
    ] {
        assert!(
            markdown.contains(needle),
            "the Markdown export lacks {needle:?}:\n{markdown}"
        );
    }
    browser.finish().await;
}

#[tokio::test]
async fn a_user_turns_on_totp_in_the_browser_and_signs_in_again_with_a_backup_code() {
    let Some((app, browser)) = start("totp").await else {
        return;
    };
    sign_in(&app, &browser, CONTRIBUTOR).await;
    browser.goto(&app.url("/account/totp")).await;
    browser
        .click(r#"form[action="/account/totp"] button[type="submit"]"#)
        .await;
    let secret = browser.wait_for("code.secret").await.text().await.unwrap();
    assert_eq!(browser.count(".qr-box svg").await, 1, "no QR code");
    browser.screenshot("totp-setup").await;

    let secret = debrief_auth::totp_secret_from_base32(&secret).expect("a base32 secret");
    let now = u64::try_from(chrono::Utc::now().timestamp()).unwrap();
    browser
        .fill("#code", &debrief_auth::totp_code(&secret, now))
        .await;
    browser
        .click(r#"form[action="/account/totp/confirm"] button[type="submit"]"#)
        .await;
    browser.wait_for("ol.codes").await;
    let codes = browser
        .js("return [...document.querySelectorAll('ol.codes code')].map(c => c.textContent)")
        .await;
    let codes = codes.as_array().expect("codes");
    assert_eq!(codes.len(), 10, "backup codes: {codes:?}");
    browser.screenshot("totp-backup-codes").await;

    browser
        .click(r#"header form[action="/logout"] button[type="submit"]"#)
        .await;
    browser.wait_for_path("/login").await;
    browser.fill("#name", CONTRIBUTOR).await;
    browser.fill("#password", PASSWORD).await;
    browser
        .click(r#"form[action="/login"] button[type="submit"]"#)
        .await;
    browser.wait_for_path("/login/mfa").await;
    browser
        .fill("#code", codes[0].as_str().expect("a code"))
        .await;
    browser
        .click(r#"form[action="/login/mfa"] button[type="submit"]"#)
        .await;
    browser.wait_for_path("/incidents").await;
    browser
        .wait_for(&format!(r#"a[href="/incidents/{DEMO_KEY}"]"#))
        .await;
    browser.finish().await;
}

#[tokio::test]
async fn an_admin_without_totp_must_set_it_up_before_seeing_incidents() {
    let Some((app, browser)) = start("admin-setup").await else {
        return;
    };
    app.store
        .create_user(
            debrief_store::NewUser {
                name: "adam".into(),
                role: debrief_core::access::UserRole::Admin,
                password: PASSWORD.into(),
            },
            &debrief_store::Ctx::system(chrono::Utc::now()),
        )
        .await
        .unwrap();
    browser.goto(&app.url("/login")).await;
    browser.fill("#name", "adam").await;
    browser.fill("#password", PASSWORD).await;
    browser
        .click(r#"form[action="/login"] button[type="submit"]"#)
        .await;
    browser.wait_for_path("/account/totp").await;
    browser
        .wait_for_text("must set up two-factor sign-in")
        .await;
    browser.screenshot("totp-required").await;

    browser
        .goto(&app.url(&format!("/incidents/{DEMO_KEY}")))
        .await;
    // The incident page sends the admin back to the set-up, unseen.
    browser.wait_for_path("/account/totp").await;
    assert!(
        !browser
            .body_text()
            .await
            .contains("Admin account compromise")
    );
    browser.finish().await;
}

/// The form controls on the page that no label names.
async fn unlabelled_controls(browser: &Browser) -> Value {
    browser
        .js(
            r#"return [...document.querySelectorAll('input, select, textarea')]
            .filter(e => e.type !== 'hidden')
            .filter(e => !(e.labels && e.labels.length) && !e.getAttribute('aria-label')
                && !e.getAttribute('aria-labelledby'))
            .map(e => e.outerHTML.slice(0, 120))"#,
        )
        .await
}

#[tokio::test]
async fn every_form_control_has_a_label_and_the_first_tab_reaches_the_skip_link() {
    let Some((app, browser)) = start("labels").await else {
        return;
    };
    browser.goto(&app.url("/login")).await;
    assert_eq!(unlabelled_controls(&browser).await, json!([]), "/login");
    sign_in(&app, &browser, CONTRIBUTOR).await;
    for path in [
        "/incidents".to_owned(),
        format!("/incidents/{DEMO_KEY}"),
        "/account".to_owned(),
        "/account/totp".to_owned(),
    ] {
        browser.goto(&app.url(&path)).await;
        browser.wait_for("main").await;
        assert_eq!(unlabelled_controls(&browser).await, json!([]), "{path}");
    }

    browser
        .goto(&app.url(&format!("/incidents/{DEMO_KEY}")))
        .await;
    browser
        .client
        .find(fantoccini::Locator::Css("body"))
        .await
        .unwrap()
        .send_keys(&char::from(fantoccini::key::Key::Tab).to_string())
        .await
        .unwrap();
    let focused = browser
        .js("return document.activeElement.className + ' ' + document.activeElement.getAttribute('href')")
        .await;
    assert_eq!(focused, json!("skip-link #main"));
    browser.finish().await;
}

#[tokio::test]
async fn a_contributor_edits_a_timeline_entry_in_place() {
    let Some((app, browser)) = start("timeline-edit").await else {
        return;
    };
    sign_in(&app, &browser, CONTRIBUTOR).await;
    browser
        .goto(&app.url(&format!("/incidents/{DEMO_KEY}")))
        .await;
    browser.wait_for("#timeline .tl-entry").await;
    let id = browser
        .js("return document.querySelector('#timeline .tl-entry').id")
        .await;
    let entry = format!("#{}", id.as_str().expect("an entry id"));
    let old = browser
        .js(&format!(
            "return document.querySelector('{entry} .tl-title').textContent"
        ))
        .await;
    let new_title = format!("{} (edited in the browser)", old.as_str().unwrap());

    browser.click(&format!("{entry} .tl-edit-link")).await;
    let field = format!(r#"{entry} .tl-edit form input[name="title"]"#);
    browser.fill(&field, &new_title).await;
    browser
        .click(&format!(r#"{entry} .tl-edit form button[type="submit"]"#))
        .await;
    browser.wait_for_text(&new_title).await;
    assert_eq!(browser.count(".alert.conflict").await, 0);
    browser.screenshot("timeline-edited").await;

    browser
        .goto(&app.url(&format!("/incidents/{DEMO_KEY}")))
        .await;
    browser.wait_for_text(&new_title).await;
    browser.finish().await;
}

#[tokio::test]
async fn an_action_item_status_chosen_in_the_table_is_saved() {
    let Some((app, browser)) = start("action-status").await else {
        return;
    };
    sign_in(&app, &browser, CONTRIBUTOR).await;
    browser
        .goto(&app.url(&format!("/incidents/{DEMO_KEY}")))
        .await;
    let select = browser.wait_for("#actions form.status-form select").await;
    let id = select.attr("id").await.unwrap().expect("an id");
    let action_id = id.strip_prefix("status-").expect("status-<id>").to_owned();
    let choice = browser
        .js(&format!(
            "const s = document.getElementById('{id}'); \
             return [...s.options].map(o => o.value).find(v => v !== s.value)"
        ))
        .await;
    let choice = choice.as_str().expect("another status").to_owned();
    select.select_by_value(&choice).await.unwrap();

    // htmx saves on change and swaps the section; wait for the new one.
    let token = app.token(CONTRIBUTOR, Scope::Read).await;
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let (_, doc) = app
            .api(
                Method::GET,
                &format!("/api/v1/incidents/{DEMO_KEY}"),
                &token,
                None,
            )
            .await;
        let stored = doc["action_items"]
            .as_array()
            .expect("action items")
            .iter()
            .find(|a| a["id"] == action_id.as_str())
            .map(|a| a["status"].clone());
        if stored == Some(json!(choice)) {
            break;
        }
        if std::time::Instant::now() >= deadline {
            browser
                .fail(&format!("the status stayed {stored:?}, not {choice}"))
                .await;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(browser.count(".alert.conflict").await, 0);
    browser
        .goto(&app.url(&format!("/incidents/{DEMO_KEY}")))
        .await;
    let shown = browser
        .js(&format!("return document.getElementById('{id}').value"))
        .await;
    assert_eq!(shown, json!(choice));
    browser.finish().await;
}
