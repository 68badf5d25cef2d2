//! The Markdown export of a whole post-mortem, checked as people see it:
//! as text (an insta snapshot) and as a CommonMark + GFM renderer draws it.

// A failed unwrap is a failed test, which is what a test should do.
#![allow(clippy::unwrap_used)]

use debrief_core::PostMortem;
use debrief_report::markdown;
use debrief_report::markdown::escape;

/// Renders Markdown the way a GitHub-like viewer does, with raw HTML let
/// through: only our escaping stands between user text and the page.
fn html(md: &str) -> String {
    render(md, true)
}

/// As [`html`]; `linkify` turns bare URLs into links (GFM's autolink
/// extension), which is left off where text must come back verbatim.
fn render(md: &str, linkify: bool) -> String {
    let mut o = comrak::Options::default();
    o.extension.table = true;
    o.extension.tasklist = true;
    o.extension.strikethrough = true;
    o.extension.autolink = linkify;
    o.render.r#unsafe = true;
    comrak::markdown_to_html(md, &o)
}

/// Text as an HTML renderer writes it: what a reader sees, escaped.
fn as_html_text(s: &str) -> String {
    s.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// INC-2025-1128, the seed's worked example, from the demo set.
fn inc_2025_1128() -> PostMortem {
    debrief_core::demo::documents()
        .unwrap()
        .into_iter()
        .find(|d| d.key.as_str() == debrief_core::demo::FEATURED_KEY)
        .unwrap()
        .with_computed()
}

#[test]
fn the_seed_incident_renders_as_the_seed_reads() {
    let doc = inc_2025_1128();
    assert!(doc.validate().0.is_empty(), "{:?}", doc.validate());
    insta::assert_snapshot!("inc_2025_1128", markdown(&doc));
}

#[test]
fn rendering_is_pure() {
    let doc = inc_2025_1128();
    assert_eq!(markdown(&doc), markdown(&doc));
}

#[test]
fn a_script_tag_in_user_text_is_shown_as_text_never_as_html() {
    let script = "<script>alert(1)</script>";
    let mut doc = inc_2025_1128();
    doc.title = script.to_owned();
    doc.timeline[0].details.push(script.to_owned());
    doc.action_items[0].description = script.to_owned();

    let md = markdown(&doc);
    assert!(!md.contains("<script"), "{md}");
    assert!(!md.contains("</script"), "{md}");
    let escaped = "&lt;script&gt;alert(1)&lt;/script&gt;";
    assert!(
        md.starts_with(&format!("# INC-2025-1128: {escaped}\n")),
        "{md}"
    );
    assert!(
        md.contains(&format!("\n- {escaped}\n")),
        "timeline detail: {md}"
    );
    assert!(
        md.contains(&format!("\n- **Description**: {escaped}\n")),
        "action description: {md}"
    );

    // Rendered with raw HTML allowed, the tag is still only text.
    let page = html(&md);
    assert!(!page.contains("<script"), "{page}");
    assert!(page.contains("<h1>INC-2025-1128: &lt;script&gt;alert(1)&lt;/script&gt;</h1>"));
}

/// Strings that would change the structure of the page if pasted raw.
const HOSTILE: &[&str] = &[
    "# heading",
    "## Fake section ##",
    "Fix #",
    "> quote",
    "- item",
    "+ item",
    "* item",
    "1. item",
    "2025) item",
    "---",
    "===",
    "*em* _em_ **strong** __strong__",
    "foo*bar*baz and snake_case_name and _lead and trail_",
    "`code` and ```fence",
    "~~~",
    "~~gone~~ and ~gone~",
    "[link](javascript:alert(1)) ![img](x.png) [^1]",
    "[ref]: /url \"title\"",
    "[ ] not a task and [x] neither",
    "<script>alert(1)</script>",
    "<b onmouseover=alert(1)>bold</b> <!-- comment -->",
    "<https://autolink.example>",
    "&amp; &#x3C; &lt;script&gt;",
    "a | b | c",
    "C:\\path\\ and \\*",
    "    indented code",
    "\tTabbed",
    "line one\n# line two\n\n- line three",
    "\\",
    "ends with a backslash\\",
    "(parenthesised) start and end (too)",
    "**",
    "_",
    "#",
    "1.",
    "-",
    "&",
    "✅ done → next",
    "x\u{a0}y",
];

#[test]
fn escaped_text_renders_as_exactly_what_was_typed_wherever_it_is_placed() {
    for s in HOSTILE {
        let e = escape(s);
        let want = as_html_text(s);
        let cases = [
            (e.clone(), format!("<p>{want}</p>\n")),
            (format!("- {e}"), format!("<ul>\n<li>{want}</li>\n</ul>\n")),
            (format!("1. {e}"), format!("<ol>\n<li>{want}</li>\n</ol>\n")),
            (format!("## {e}"), format!("<h2>{want}</h2>\n")),
            (
                format!("- **{e}**: x"),
                format!("<ul>\n<li><strong>{want}</strong>: x</li>\n</ul>\n"),
            ),
            (
                format!("**L**: {e}"),
                format!("<p><strong>L</strong>: {want}</p>\n"),
            ),
        ];
        for (md, expected) in cases {
            assert_eq!(render(&md, false), expected, "input {s:?} as {md:?}");
        }
        let table = render(&format!("| h | n |\n|---|---|\n| {e} | 1 |\n"), false);
        assert!(
            table.contains(&format!("<td>{want}</td>\n<td>1</td>")),
            "input {s:?} in a table: {table}"
        );
    }
}

#[test]
fn the_export_renders_to_the_intended_structure() {
    let doc = inc_2025_1128();
    let page = html(&markdown(&doc));
    let count = |tag: &str| page.matches(tag).count();
    assert_eq!(count("<h1>"), 1);
    // The only table is the FMEA, one row per failure mode under a header.
    let fmea = !doc.fmea.is_empty();
    assert_eq!(count("<table>"), usize::from(fmea));
    assert_eq!(count("<tr>"), if fmea { 1 + doc.fmea.len() } else { 0 });
    let criteria: usize = doc
        .action_items
        .iter()
        .map(|a| a.success_criteria.len())
        .sum();
    assert_eq!(count("type=\"checkbox\""), criteria);
    for a in &doc.action_items {
        assert!(
            page.contains(&format!(
                "<h4>#{}: {}</h4>",
                a.number,
                as_html_text(&a.title)
            )),
            "action item #{}",
            a.number
        );
    }
    for e in &doc.timeline {
        assert!(page.contains(&as_html_text(&e.title)), "{}", e.title);
    }
}

#[test]
fn user_text_cannot_open_headings_or_list_items() {
    let mut doc = inc_2025_1128();
    doc.timeline[0].title = "x\n# Owned\n- injected".to_owned();
    doc.lessons[0].text = "## Fake section".to_owned();
    let md = markdown(&doc);
    assert!(
        !md.lines()
            .any(|l| l.starts_with("# Owned") || l == "- injected")
    );
    assert!(md.contains("\n- \\## Fake section\n"), "{md}");
}

#[test]
fn empty_sections_are_left_out() {
    let doc: PostMortem = serde_json::from_value(serde_json::json!({
        "key": "INC-2025-0001", "title": "Quiet", "severity": "low",
        "status": "open", "postmortem_status": "draft"
    }))
    .unwrap();
    let md = markdown(&doc);
    assert_eq!(
        md,
        "# INC-2025-0001: Quiet\n\n- **Severity**: LOW\n- **Status**: Open\n- **Post-mortem status**: Draft\n"
    );
}

#[test]
fn fmea_rows_are_listed_by_risk_priority_highest_first() {
    let mut doc = inc_2025_1128();
    doc.fmea = serde_json::from_value(serde_json::json!([
        {"failure_mode": "Access not revoked on disable", "effect": "Attacker keeps database access",
         "cause": "Manual revocation", "severity": 8, "occurrence": 5, "detection": 4,
         "current_controls": "Manual IR checklist", "recommended_action": "Automate revocation"},
        {"failure_mode": "MFA bypassed with a backup code", "effect": "Admin account taken over",
         "cause": "Codes never expire | no rate limit", "severity": 9, "occurrence": 6, "detection": 8,
         "recommended_action": "Hardware keys", "severity_after": 9, "occurrence_after": 2, "detection_after": 3}
    ]))
    .unwrap();
    let md = markdown(&doc);
    let top = "| MFA bypassed with a backup code | Admin account taken over | Codes never expire \\| no rate limit | 9 | 6 | 8 | 432 | — | Hardware keys | 54 |";
    let next = "| Access not revoked on disable | Attacker keeps database access | Manual revocation | 8 | 5 | 4 | 160 | Manual IR checklist | Automate revocation | — |";
    let (a, b) = (md.find(top).unwrap(), md.find(next).unwrap());
    assert!(a < b, "{md}");
    assert!(html(&md).contains("<td>Codes never expire | no rate limit</td>"));
}

#[test]
fn a_late_discovery_shows_when_it_was_learned_and_how_late() {
    let mut doc = inc_2025_1128();
    let e = doc
        .timeline
        .iter_mut()
        .find(|e| e.title == "Full timeline reconstructed")
        .unwrap();
    e.title = "SSH key downloaded".to_owned();
    e.occurred_at = debrief_core::time::parse_instant("2025-11-28T03:20:00Z").unwrap();
    e.learned_at = Some(debrief_core::time::parse_instant("2025-11-28T04:00:00Z").unwrap());
    let md = markdown(&doc);
    assert!(
        md.contains("- **Learned at**: 2025-11-28 04:00 UTC (40 minutes after it happened)\n"),
        "{md}"
    );
    // Entries are shown in the order things happened, not the order found.
    let ssh = md
        .find("**2025-11-28 03:20 UTC** - SSH key downloaded")
        .unwrap();
    let escalated = md
        .find("**2025-11-28 03:25 UTC** - Incident escalated")
        .unwrap();
    assert!(ssh < escalated);
}

#[test]
fn an_action_item_shows_its_verdict_its_ticket_and_what_it_fixes() {
    let mut doc = inc_2025_1128();
    let a = &mut doc.action_items[0];
    a.verification = serde_json::from_value(serde_json::json!({
        "effective": true, "on": "2025-12-05", "evidence": "Old backup codes rejected in audit"
    }))
    .unwrap();
    a.external_ref = Some("SEC-1234".to_owned());
    let dangling = serde_json::json!("0191f0c2-0000-7000-8000-00000000dead");
    a.addresses
        .root_causes
        .push(serde_json::from_value(dangling).unwrap());
    let md = markdown(&doc);
    assert!(md.contains(
        "- **Verification**: ✅ Effective (2025-12-05): Old backup codes rejected in audit\n"
    ));
    assert!(md.contains("- **External ref**: SEC-1234\n"));
    assert!(md.contains("  - Primary root cause: Weak MFA implementation\n"));
    assert!(md.contains("  - unknown root cause 0191f0c2-0000-7000-8000-00000000dead\n"));
}

#[test]
fn the_fishbone_nests_sub_causes_and_names_empty_bones() {
    let mut doc = inc_2025_1128();
    let parent = doc
        .fishbone
        .causes
        .iter()
        .find(|c| c.text == "Weak MFA implementation")
        .unwrap()
        .clone();
    doc.fishbone.causes.push(debrief_core::FishboneCause {
        id: serde_json::from_value(serde_json::json!("0191f0c2-0000-7000-8000-00000000beef"))
            .unwrap(),
        category: parent.category.clone(),
        text: "Backup codes never expire".to_owned(),
        parent: Some(parent.id),
    });
    assert!(doc.validate().0.is_empty(), "{:?}", doc.validate());
    let md = markdown(&doc);
    assert!(
        md.contains("  - Weak MFA implementation\n    - Backup codes never expire\n"),
        "{md}"
    );
    assert!(md.contains("- **Environment**\n  - (none recorded)\n"));
}
