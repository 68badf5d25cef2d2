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

/// The cells' texts of each row of the tables in `main` (the admin pages
/// have one), one array per row.
async fn table_rows(browser: &Browser) -> Vec<Vec<String>> {
    let rows = browser
        .js(
            "return [...document.querySelectorAll('main table tbody tr')] \
             .map(r => [...r.cells].map(c => c.innerText.trim()))",
        )
        .await;
    serde_json::from_value(rows).expect("rows of cell texts")
}

/// The row of `rows` whose first cell is `first` (a user's name, possibly
/// followed by a badge).
fn row_of<'a>(rows: &'a [Vec<String>], first: &str) -> Option<&'a Vec<String>> {
    rows.iter().find(|r| {
        r.first()
            .is_some_and(|c| c == first || c.starts_with(&format!("{first} ")))
    })
}

#[tokio::test]
async fn admin_pages_in_the_browser() {
    let Some((app, browser)) = start("admin").await else {
        return;
    };
    // Someone else's token, for the admin to revoke.
    let (_, carl_secret) = app
        .store
        .create_token(
            CONTRIBUTOR,
            "nightly export",
            Scope::Read,
            Some(30),
            &debrief_store::Ctx::system(chrono::Utc::now()),
        )
        .await
        .expect("create a token");
    let carl_token = carl_secret.expose().to_owned();
    let (status, _) = app
        .api(Method::GET, "/api/v1/incidents", &carl_token, None)
        .await;
    assert_eq!(status, StatusCode::OK, "the fresh token does not work");

    sign_in(&app, &browser, ADMIN).await;
    browser.goto(&app.url("/admin")).await;
    for page in ["/admin/users", "/admin/tokens", "/admin/audit"] {
        browser.wait_for(&format!(r#"main a[href="{page}"]"#)).await;
    }

    // Users: create one through the form.
    browser.click(r#"main a[href="/admin/users"]"#).await;
    browser.wait_for_path("/admin/users").await;
    browser.fill("#user-name", "dora").await;
    browser
        .wait_for("#user-role")
        .await
        .select_by_value("contributor")
        .await
        .unwrap();
    browser
        .fill("#user-password", "granite lanterns hum at dusk")
        .await;
    browser
        .click_and_wait_for_load(r#"form[action="/admin/users"] button[type="submit"]"#)
        .await;
    assert_eq!(browser.path().await, "/admin/users");
    assert_eq!(browser.count(".field-error").await, 0, "the form refused");
    let rows = table_rows(&browser).await;
    let dora = row_of(&rows, "dora").unwrap_or_else(|| panic!("no row for dora in {rows:?}"));
    assert_eq!(dora[2], "Enabled", "{dora:?}");
    let role = browser
        .js(r#"return document.querySelector('form[action="/admin/users/dora/role"] select').value"#)
        .await;
    assert_eq!(role, json!("contributor"));

    // Change the role through the row's form.
    browser
        .wait_for(r#"form[action="/admin/users/dora/role"] select"#)
        .await
        .select_by_value("incident_commander")
        .await
        .unwrap();
    browser
        .click_and_wait_for_load(r#"form[action="/admin/users/dora/role"] button[type="submit"]"#)
        .await;
    let role = browser
        .js(r#"return document.querySelector('form[action="/admin/users/dora/role"] select').value"#)
        .await;
    assert_eq!(
        role,
        json!("incident_commander"),
        "the page after the change"
    );
    let stored = app.store.user_by_name("dora").await.unwrap().expect("dora");
    assert_eq!(
        stored.role,
        debrief_core::access::UserRole::IncidentCommander
    );

    // Disable, then enable again.
    browser
        .click_and_wait_for_load(
            r#"form[action="/admin/users/dora/disable"] button[type="submit"]"#,
        )
        .await;
    let rows = table_rows(&browser).await;
    let dora = row_of(&rows, "dora").expect("a row for dora");
    assert_eq!(dora[2], "Disabled", "{dora:?}");
    assert_eq!(
        browser
            .count(r#"form[action="/admin/users/dora/enable"]"#)
            .await,
        1
    );
    assert!(
        app.store
            .user_by_name("dora")
            .await
            .unwrap()
            .expect("dora")
            .disabled
    );
    browser.screenshot("users").await;
    browser
        .click_and_wait_for_load(r#"form[action="/admin/users/dora/enable"] button[type="submit"]"#)
        .await;
    let rows = table_rows(&browser).await;
    let dora = row_of(&rows, "dora").expect("a row for dora");
    assert_eq!(dora[2], "Enabled", "{dora:?}");
    assert_eq!(
        browser
            .count(r#"form[action="/admin/users/dora/disable"]"#)
            .await,
        1
    );
    // The admin cannot disable themselves: no button on their own row.
    assert_eq!(
        browser
            .count(&format!(r#"form[action="/admin/users/{ADMIN}/disable"]"#))
            .await,
        0
    );

    // Tokens: carl's token is listed and revoked with its button.
    browser.goto(&app.url("/admin/tokens")).await;
    let rows = table_rows(&browser).await;
    let row = rows
        .iter()
        .find(|r| r[0] == CONTRIBUTOR && r[1] == "nightly export")
        .unwrap_or_else(|| panic!("carl's token is not listed: {rows:?}"));
    assert_eq!(row[2], "Read", "{row:?}");
    assert_eq!(row[6], "Active", "{row:?}");
    let revoke = browser
        .js(
            r#"return [...document.querySelectorAll('main table tbody tr')]
            .find(r => r.cells[1].innerText.trim() === 'nightly export')
            .querySelector('form[action$="/revoke"]').getAttribute('action')"#,
        )
        .await;
    let revoke = revoke.as_str().expect("a revoke form").to_owned();
    browser
        .click_and_wait_for_load(&format!(r#"form[action="{revoke}"] button[type="submit"]"#))
        .await;
    assert_eq!(browser.path().await, "/admin/tokens");
    let rows = table_rows(&browser).await;
    let row = rows
        .iter()
        .find(|r| r[1] == "nightly export")
        .expect("the revoked token is still listed");
    assert_eq!(row[6], "Revoked", "{row:?}");
    assert_eq!(
        browser.count(&format!(r#"form[action="{revoke}"]"#)).await,
        0,
        "a revoked token still has a Revoke button"
    );
    let (status, _) = app
        .api(Method::GET, "/api/v1/incidents", &carl_token, None)
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "the revoked token works");
    browser.screenshot("tokens").await;

    // Audit: the chain is intact and the changes above are in it.
    browser.goto(&app.url("/admin/audit")).await;
    let status = browser
        .wait_for(".chain-status")
        .await
        .text()
        .await
        .unwrap();
    assert!(status.starts_with("Chain intact: "), "{status}");
    let rows = table_rows(&browser).await;
    let actions_on = |rows: &[Vec<String>], object: &str| -> Vec<String> {
        rows.iter()
            .filter(|r| r[4] == object)
            .map(|r| r[3].clone())
            .collect()
    };
    assert_eq!(
        actions_on(&rows, "user:dora"),
        ["user.enable", "user.disable", "user.role", "user.create"],
        "newest first"
    );
    assert!(
        rows.iter().any(|r| r[2] == ADMIN && r[3] == "token.revoke"),
        "no token.revoke by {ADMIN}: {rows:?}"
    );
    // Entries the filter below must leave out: the admin's own sign-in,
    // and the users the test set-up created as `system`.
    assert!(
        rows.iter()
            .any(|r| r[2] == ADMIN && r[3] == "login.success"),
        "no login.success by {ADMIN}: {rows:?}"
    );
    assert!(
        rows.iter()
            .any(|r| r[2] == "system" && r[3] == "user.create"),
        "no user.create by system: {rows:?}"
    );
    browser.fill("#f-actor", ADMIN).await;
    browser.fill("#f-action", "user.").await;
    browser
        .click_and_wait_for_load(r#"form[action="/admin/audit"] button[type="submit"]"#)
        .await;
    let query = browser
        .client
        .current_url()
        .await
        .unwrap()
        .query()
        .unwrap_or_default()
        .to_owned();
    assert!(
        query.contains(&format!("actor={ADMIN}")) && query.contains("action=user."),
        "{query}"
    );
    let rows = table_rows(&browser).await;
    let shown: Vec<(&str, &str, &str)> = rows
        .iter()
        .map(|r| (r[2].as_str(), r[3].as_str(), r[4].as_str()))
        .collect();
    assert_eq!(
        shown,
        [
            (ADMIN, "user.enable", "user:dora"),
            (ADMIN, "user.disable", "user:dora"),
            (ADMIN, "user.role", "user:dora"),
            (ADMIN, "user.create", "user:dora"),
        ],
        "the filtered trail"
    );
    // The filters are kept in the form, and the chain is checked as a whole.
    assert_eq!(
        browser
            .js("return [document.getElementById('f-actor').value, document.getElementById('f-action').value]")
            .await,
        json!([ADMIN, "user."])
    );
    let status = browser
        .wait_for(".chain-status")
        .await
        .text()
        .await
        .unwrap();
    assert!(status.starts_with("Chain intact: "), "{status}");
    browser.screenshot("audit").await;
    browser.finish().await;
}

/// A section's item texts in page order (`css` selects the text of each).
async fn texts(browser: &Browser, css: &str) -> Vec<String> {
    let v = browser
        .js(&format!(
            "return [...document.querySelectorAll({})].map(e => e.textContent.trim())",
            json!(css)
        ))
        .await;
    serde_json::from_value(v).expect("texts")
}

/// Fails when a save conflicted or the page was loaded anew since
/// [`Browser::mark_page`]: every form below is meant to swap its section
/// in place.
async fn assert_saved_in_place(browser: &Browser, step: &str) {
    if browser.count(".alert.conflict").await != 0 {
        browser.fail(&format!("{step}: the save conflicted")).await;
    }
    if !browser.still_same_page().await {
        browser
            .fail(&format!("{step}: the page was reloaded instead of swapped"))
            .await;
    }
}

/// Scrolls the element matching `css` to the top of the window, with a
/// little room above it.
async fn scroll_to(browser: &Browser, css: &str) {
    browser
        .js(&format!(
            "document.querySelector({}).scrollIntoView(); window.scrollBy(0, -24); return null",
            json!(css)
        ))
        .await;
}

#[tokio::test]
async fn incident_page_edit_forms_in_the_browser() {
    let Some((app, browser)) = start("incident-edit").await else {
        return;
    };
    let page = app.url(&format!("/incidents/{DEMO_KEY}"));
    sign_in(&app, &browser, ADMIN).await;
    browser.goto(&page).await;
    browser.wait_for("#overview").await;
    browser.mark_page().await;

    // The overview form: a new summary, shown in place.
    let summary = "Edited in the browser: an attacker took over an admin account \
                   through a SIM swap.";
    browser
        .click(r#"#overview details.add-form:has(form[action$="/overview"]) > summary"#)
        .await;
    browser.fill("#ov-summary", summary).await;
    scroll_to(
        &browser,
        r#"#overview details.add-form:has(form[action$="/overview"])"#,
    )
    .await;
    browser.screenshot("overview").await;
    browser
        .click(r#"#overview form[action$="/overview"] button[type="submit"]"#)
        .await;
    browser
        .wait_until(
            "the new summary in the overview",
            &format!(
                "return [...document.querySelectorAll('#overview p.prose')] \
                 .some(p => p.textContent === {})",
                json!(summary)
            ),
        )
        .await;
    assert_saved_in_place(&browser, "overview").await;
    assert_eq!(browser.count("#overview .field-error").await, 0);

    // A participant.
    browser
        .click(r#"#overview details.add-form:has(form[action$="/participants"]) > summary"#)
        .await;
    browser.fill("#pp-name", "Petra Browser").await;
    browser.fill("#pp-team", "Quality").await;
    browser
        .click(r#"#overview form[action$="/participants"] button[type="submit"]"#)
        .await;
    browser
        .wait_until(
            "the participant listed",
            "return [...document.querySelectorAll('#overview ul.participants strong')] \
             .some(s => s.textContent === 'Petra Browser')",
        )
        .await;
    assert_saved_in_place(&browser, "participant").await;

    // A root cause.
    let cause = "Browser-added: no alert on a change of the MFA phone number";
    browser
        .click(r#"#analysis details.add-form:has(form[action$="/root_causes"]) > summary"#)
        .await;
    browser.fill("#rc-title", cause).await;
    browser
        .fill("#rc-details", "the help desk changed it on a call")
        .await;
    browser
        .click(r#"#analysis form[action$="/root_causes"] button[type="submit"]"#)
        .await;
    browser
        .wait_until(
            "the root cause listed",
            &format!(
                "return [...document.querySelectorAll('#analysis ul.causes strong')] \
                 .some(s => s.textContent === {})",
                json!(cause)
            ),
        )
        .await;
    assert_saved_in_place(&browser, "root cause").await;

    // An action item's owner, through its edit panel.
    let id = browser
        .js("return document.querySelector('#actions table.action-items tbody tr').id")
        .await;
    let row = format!("#{}", id.as_str().expect("an action row id"));
    browser.click(&format!("{row} a.edit-link")).await;
    browser.wait_for("#action-edit .edit-panel #ae-owner").await;
    browser.fill("#ae-owner", "Olga Owner").await;
    // The table shows the owner with the team, when there is one.
    let team = browser
        .js("return document.getElementById('ae-team').value.trim()")
        .await;
    let shown_owner = match team.as_str().unwrap_or_default() {
        "" => "Olga Owner".to_owned(),
        team => format!("Olga Owner ({team})"),
    };
    scroll_to(&browser, "#action-edit").await;
    browser.screenshot("actions").await;
    browser
        .click(r#"#action-edit form button[type="submit"]"#)
        .await;
    browser
        .wait_until(
            "the new owner in the action table",
            &format!(
                "const r = document.querySelector('{row}'); \
                 return !!r && r.cells[2].textContent.trim() === {}",
                json!(shown_owner)
            ),
        )
        .await;
    assert_saved_in_place(&browser, "action item").await;
    assert_eq!(
        browser.count("#action-edit .edit-panel").await,
        0,
        "the edit panel stayed open after saving"
    );

    // Lessons: move the first one down, then delete the last one.
    let lessons = "#lessons ol.lessons > li > strong";
    let before = texts(&browser, lessons).await;
    assert!(before.len() >= 3, "lessons: {before:?}");
    browser
        .click(r#"#lessons ol.lessons > li:first-child button[title="Move down"]"#)
        .await;
    let mut expected = before.clone();
    expected.swap(0, 1);
    browser
        .wait_until(
            "the first lesson moved down",
            &format!(
                "return JSON.stringify([...document.querySelectorAll('{lessons}')] \
                 .map(e => e.textContent.trim())) === {}",
                json!(json!(expected).to_string())
            ),
        )
        .await;
    assert_saved_in_place(&browser, "lesson move").await;

    let last = expected.last().expect("a last lesson").clone();
    browser
        .click("#lessons ol.lessons > li:last-child button.danger")
        .await;
    let asked = browser.accept_dialog().await;
    assert_eq!(asked, format!("Delete “{last}”?"));
    expected.pop();
    browser
        .wait_until(
            "the last lesson deleted",
            &format!(
                "return JSON.stringify([...document.querySelectorAll('{lessons}')] \
                 .map(e => e.textContent.trim())) === {}",
                json!(json!(expected).to_string())
            ),
        )
        .await;
    assert_saved_in_place(&browser, "lesson delete").await;

    // The internal summary's subject.
    let subject = "Browser-edited: admin account compromise, what we changed";
    browser
        .click(r#"#communications details.add-form:has(form[action$="/communications/internal"]) > summary"#)
        .await;
    browser.fill("#ci-subject", subject).await;
    browser
        .click(r#"#communications form[action$="/communications/internal"] button[type="submit"]"#)
        .await;
    browser
        .wait_until(
            "the new subject in the internal summary",
            &format!(
                "return [...document.querySelectorAll('#communications article.message dd')] \
                 .some(d => d.textContent === {})",
                json!(subject)
            ),
        )
        .await;
    assert_saved_in_place(&browser, "internal summary").await;

    // Access: make vera a member, then restrict the incident.
    browser
        .wait_for("#access #ac-name")
        .await
        .select_by_value(VIEWER)
        .await
        .unwrap();
    browser
        .click(r#"#access form[action$="/members"] button[type="submit"]"#)
        .await;
    browser
        .wait_until(
            "vera listed as a member",
            &format!(
                "return [...document.querySelectorAll('#access .member-name')] \
                 .some(m => m.textContent === '{VIEWER}')"
            ),
        )
        .await;
    browser
        .click(r#"#access form[action$="/access"] button[type="submit"]"#)
        .await;
    browser
        .wait_until(
            "the restricted badge",
            "const b = document.querySelector('#access .badge.lock'); \
             return !!b && b.textContent.trim() === '🔒 Restricted'",
        )
        .await;
    assert_saved_in_place(&browser, "access").await;
    assert_eq!(
        browser
            .js(r#"return document.querySelector('#access form[action$="/access"] button').textContent.trim()"#)
            .await,
        json!("Open to all readers")
    );
    scroll_to(&browser, "#access").await;
    browser.screenshot("access").await;

    // The restriction holds: the member reads it, a non-member does not.
    let path = format!("/api/v1/incidents/{DEMO_KEY}");
    let vera = app.token(VIEWER, Scope::Read).await;
    let carl = app.token(CONTRIBUTOR, Scope::Read).await;
    assert_eq!(
        app.api(Method::GET, &path, &vera, None).await.0,
        StatusCode::OK
    );
    assert_eq!(
        app.api(Method::GET, &path, &carl, None).await.0,
        StatusCode::NOT_FOUND
    );

    // Everything was stored, and shows after a reload.
    let (_, doc) = app
        .api(
            Method::GET,
            &path,
            &app.token(ADMIN, Scope::Read).await,
            None,
        )
        .await;
    assert_eq!(doc["summary"], summary);
    assert!(
        doc["participants"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["name"] == "Petra Browser"),
        "{}",
        doc["participants"]
    );
    assert!(
        doc["root_causes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["title"] == cause),
        "{}",
        doc["root_causes"]
    );
    let action_id = row.strip_prefix("#action-").unwrap();
    let owner = doc["action_items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["id"] == action_id)
        .map(|a| a["owner"].clone());
    assert_eq!(owner, Some(json!("Olga Owner")));
    let stored: Vec<&str> = doc["lessons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["text"].as_str().unwrap())
        .collect();
    assert_eq!(stored, expected);
    assert_eq!(doc["communications"]["internal"]["subject"], subject);

    browser.goto(&page).await;
    browser.wait_for("#access .badge.lock").await;
    assert_eq!(texts(&browser, lessons).await, expected);
    let text = browser.body_text().await;
    for needle in [summary, "Petra Browser", cause, "Olga Owner", subject] {
        assert!(
            text.contains(needle),
            "after a reload the page lacks {needle:?}"
        );
    }
    browser.finish().await;
}

/// Fails the test when the page at 375 px scrolls sideways.
async fn fits_a_phone(browser: &Browser, name: &str) {
    browser.resize(375, 800).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    browser.screenshot(&format!("{name}-375")).await;
    let widths = browser
        .js("return [document.documentElement.scrollWidth, window.innerWidth]")
        .await;
    if widths[0].as_u64() > widths[1].as_u64() {
        browser
            .fail(&format!(
                "{name}: at 375 px the page scrolls sideways (scrollWidth, innerWidth = {widths})"
            ))
            .await;
    }
    browser.resize(1280, 900).await;
}

#[tokio::test]
async fn the_learning_loop_pages_work_in_a_real_browser() {
    let Some((app, browser)) = start("learning").await else {
        return;
    };
    sign_in(&app, &browser, VIEWER).await;

    // The similar-incidents panel loads after the page (htmx) and tells the
    // "same incident twice" story.
    browser
        .goto(&app.url(&format!("/incidents/{DEMO_KEY}")))
        .await;
    browser.wait_for(".repeat-story").await;
    browser.wait_for_text("This repeats INC-2025-0523").await;
    browser.wait_for_text("Shown NOT effective").await;
    browser
        .js("document.getElementById('similar').scrollIntoView()")
        .await;
    browser.screenshot("similar-panel").await;

    // Action items across incidents, with their filters and reviews.
    browser.goto(&app.url("/actions?overdue=true")).await;
    browser.wait_for("form.filters").await;
    browser.screenshot("actions").await;
    fits_a_phone(&browser, "actions").await;
    browser
        .goto(&app.url("/actions/review?period=quarter"))
        .await;
    browser.wait_for("h1").await;
    browser.screenshot("actions-review").await;

    // Search with highlighted hits, and the knowledge base entry.
    browser.goto(&app.url("/search?q=backup+codes")).await;
    browser.wait_for("mark").await;
    browser.wait_for_text(DEMO_KEY).await;
    browser.screenshot("search").await;
    fits_a_phone(&browser, "search").await;
    browser
        .goto(&app.url("/knowledge/Authentication%20Bypass"))
        .await;
    browser.wait_for_text("Weak MFA implementation").await;
    browser.screenshot("knowledge").await;
    fits_a_phone(&browser, "knowledge").await;

    browser.finish().await;
}
