//! The Markdown export of a whole post-mortem, checked as people see it.

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
];

#[test]
fn escaped_text_renders_as_exactly_what_was_typed_wherever_it_is_placed() {
    for s in HOSTILE {
        let e = escape(s);
        let want = as_html_text(s);
        let cases = [
            (format!("{e}"), format!("<p>{want}</p>\n")),
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
    assert_eq!(count("<table>"), 1, "FMEA");
    assert_eq!(count("<tr>"), 1 + doc.fmea.len());
    let criteria: usize = doc.action_items.iter().map(|a| a.success_criteria.len()).sum();
    assert_eq!(count("type=\"checkbox\""), criteria);
    for a in &doc.action_items {
        assert!(
            page.contains(&format!("<h4>#{}: {}</h4>", a.number, as_html_text(&a.title))),
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
    assert!(!md.lines().any(|l| l.starts_with("# Owned") || l == "- injected"));
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
