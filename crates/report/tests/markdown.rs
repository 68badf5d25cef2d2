//! The Markdown export of a whole post-mortem, checked as people see it.

use debrief_core::PostMortem;
use debrief_report::markdown;

/// INC-2025-1128, the seed's worked example.
fn inc_2025_1128() -> PostMortem {
    let json = include_str!("fixtures/inc-2025-1128.json");
    serde_json::from_str::<PostMortem>(json)
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
    assert!(md.starts_with(&format!("# INC-2025-1128: {escaped}\n")), "{md}");
    assert!(md.contains(&format!("\n- {escaped}\n")), "timeline detail: {md}");
    assert!(
        md.contains(&format!("\n- **Description**: {escaped}\n")),
        "action description: {md}"
    );
}

#[test]
fn user_text_cannot_open_headings_or_list_items() {
    let mut doc = inc_2025_1128();
    doc.timeline[0].title = "x\n# Owned\n- injected".to_owned();
    doc.lessons[0].text = "## Fake section".to_owned();
    let md = markdown(&doc);
    assert!(!md.lines().any(|l| l.starts_with("# Owned") || l == "- injected"));
    assert!(md.contains("- \\#\\# Fake section\n") || md.contains("- \\## Fake section\n"), "{md}");
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
