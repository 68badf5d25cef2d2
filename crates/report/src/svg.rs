//! Hand-laid-out SVG diagrams: the fishbone (Ishikawa) diagram of an
//! incident and a horizontal timeline of its entries.
//!
//! The output is a self-contained `<svg>` element meant to be inlined in an
//! HTML page: no external fonts, no stylesheet, no script. Styling is done
//! with presentation attributes only (`fill`, `stroke`, `font-family`...), so
//! a strict Content Security Policy that forbids inline `<style>` does not
//! break it. Every piece of user text goes through [`xml_escape`], so the
//! string is safe to insert into HTML without further escaping.
//!
//! Sizes are estimated from character counts: there is no font metric at
//! hand on the server, so widths use a generous average glyph width and long
//! labels are wrapped, which keeps labels from running into each other in
//! any common sans-serif font.

use std::collections::HashSet;
use std::fmt::Write as _;

use chrono::{DateTime, Utc};
use debrief_core::{Fishbone, FishboneCause, Phase, PostMortem};

/// Font stack used for every text element.
const FONT: &str = "system-ui, sans-serif";
/// Average glyph width at 12 px, generous so estimates err on the wide side.
const CHAR_W: f64 = 6.8;
/// Height of one label row on a bone.
const ROW_H: f64 = 20.0;
/// Labels longer than this many characters are wrapped onto several rows.
const WRAP: usize = 38;
/// Indentation of one level of sub-cause.
const INDENT: f64 = 14.0;
/// Height of a category label box.
const CAT_H: f64 = 26.0;
/// Outer margin.
const MARGIN: f64 = 16.0;

/// Escapes text for XML character data and attribute values: `&`, `<`,
/// `>`, `"` and `'` become entities, and control characters XML 1.0 does
/// not allow are dropped.
pub fn xml_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\t' | '\n' | '\r' => out.push(' '),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => {}
            c => out.push(c),
        }
    }
    out
}

/// Splits text into lines of at most `width` characters at spaces; a word
/// longer than `width` is cut.
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut cur = String::new();
    for word in text.split_whitespace() {
        let mut word: Vec<char> = word.chars().collect();
        while word.len() > width {
            if !cur.is_empty() {
                lines.push(std::mem::take(&mut cur));
            }
            let rest = word.split_off(width);
            lines.push(word.into_iter().collect());
            word = rest;
        }
        let w: String = word.into_iter().collect();
        let cur_len = cur.chars().count();
        if cur_len > 0 && cur_len + 1 + w.chars().count() > width {
            lines.push(std::mem::take(&mut cur));
        }
        if !cur.is_empty() {
            cur.push(' ');
        }
        cur.push_str(&w);
    }
    if !cur.is_empty() || lines.is_empty() {
        lines.push(cur);
    }
    lines
}

fn text_w(s: &str) -> f64 {
    s.chars().count() as f64 * CHAR_W
}

/// One row of text along a bone.
struct Row {
    text: String,
    depth: usize,
    /// First row of its cause (gets the tick mark).
    first: bool,
    /// A placeholder for an empty bone.
    placeholder: bool,
}

/// Whether cause `i` hangs under another cause that itself leads back to a
/// bone. Missing or circular parents (refused by validation) put the cause
/// on the bone itself, so nothing is lost.
fn anchored_below(all: &[FishboneCause], i: usize) -> bool {
    let parent_of = |j: usize| {
        all.get(j)
            .and_then(|c| c.parent)
            .and_then(|p| all.iter().position(|o| o.id == p))
            .filter(|&k| k != j)
    };
    let mut seen = HashSet::from([i]);
    let Some(mut cur) = parent_of(i) else {
        return false;
    };
    loop {
        if !seen.insert(cur) {
            return false;
        }
        match parent_of(cur) {
            Some(next) => cur = next,
            None => return true,
        }
    }
}

fn push_cause(
    rows: &mut Vec<Row>,
    all: &[FishboneCause],
    i: usize,
    depth: usize,
    shown: &mut HashSet<usize>,
) {
    let Some(c) = all.get(i) else { return };
    if !shown.insert(i) {
        return;
    }
    for (n, line) in wrap(&c.text, WRAP.saturating_sub(depth * 2).max(12))
        .into_iter()
        .enumerate()
    {
        rows.push(Row {
            text: line,
            depth,
            first: n == 0,
            placeholder: false,
        });
    }
    for (j, child) in all.iter().enumerate() {
        if j != i && !c.id.is_nil() && child.parent == Some(c.id) {
            push_cause(rows, all, j, depth + 1, shown);
        }
    }
}

/// The rows of every bone, declared categories first, then any category a
/// cause names that the list lacks.
fn bones(fb: &Fishbone) -> Vec<(String, Vec<Row>)> {
    let mut categories: Vec<&str> = fb.categories.iter().map(String::as_str).collect();
    for c in &fb.causes {
        if !categories.contains(&c.category.as_str()) {
            categories.push(&c.category);
        }
    }
    let mut shown = HashSet::new();
    categories
        .into_iter()
        .map(|cat| {
            let mut rows = Vec::new();
            for i in 0..fb.causes.len() {
                if fb.causes[i].category == cat && !anchored_below(&fb.causes, i) {
                    push_cause(&mut rows, &fb.causes, i, 0, &mut shown);
                }
            }
            if rows.is_empty() {
                rows.push(Row {
                    text: "(none recorded)".to_owned(),
                    depth: 0,
                    first: true,
                    placeholder: true,
                });
            }
            (cat.to_owned(), rows)
        })
        .collect()
}

/// Draws the fishbone diagram with `effect` at the head.
///
/// The spine runs left to right into a box holding the effect; category
/// bones alternate above and below it, each slanting towards the head, with
/// its causes as labels along it and sub-causes indented beneath their
/// parent. A category with no causes is still drawn, marked "(none
/// recorded)". The picture is sized by its content.
pub fn fishbone(fb: &Fishbone, effect: &str) -> String {
    let bones = bones(fb);
    let above_rows = bones
        .iter()
        .step_by(2)
        .map(|(_, r)| r.len())
        .max()
        .unwrap_or(1);
    let below_rows = bones
        .iter()
        .skip(1)
        .step_by(2)
        .map(|(_, r)| r.len())
        .max()
        .unwrap_or(1);
    let len_above = (above_rows as f64 + 1.2) * ROW_H;
    let len_below = (below_rows as f64 + 1.2) * ROW_H;
    let top = MARGIN;
    let spine_y = top + CAT_H + len_above;
    let bottom_cat_y = spine_y + len_below;

    let effect_lines = wrap(effect, 26);
    let head_w = effect_lines
        .iter()
        .map(|l| text_w(l) * 1.25)
        .fold(0.0_f64, f64::max)
        .max(80.0)
        + 24.0;
    let head_h = effect_lines.len() as f64 * 16.0 + 16.0;

    let mut body = String::new();
    let cat_w = |name: &str| text_w(name) * 1.15 + 20.0;
    let mut x = MARGIN;
    let columns = bones.chunks(2).collect::<Vec<_>>();
    for pair in &columns {
        // The label boxes are centred on the bone's outer end: leave room
        // for the wider one on the left.
        x += pair
            .iter()
            .map(|(name, _)| cat_w(name) / 2.0)
            .fold(0.0_f64, f64::max);
        let mut right = x;
        for (side, (name, rows)) in pair.iter().enumerate() {
            let above = side == 0;
            let len = if above { len_above } else { len_below };
            let slant = len * 0.45;
            let (y0, y1) = if above {
                (top + CAT_H, spine_y)
            } else {
                (bottom_cat_y, spine_y)
            };
            // Category label box at the outer end of the bone.
            let cat_w = cat_w(name);
            let box_y = if above { top } else { bottom_cat_y };
            let _ = write!(
                body,
                r##"<rect x="{:.1}" y="{:.1}" width="{:.1}" height="{CAT_H}" rx="4" fill="#eef2f7" stroke="#4a5568"/><text x="{x:.1}" y="{:.1}" font-size="13" font-weight="600" fill="#1a202c" text-anchor="middle">{}</text>"##,
                x - cat_w / 2.0,
                box_y,
                cat_w,
                box_y + 17.5,
                xml_escape(name)
            );
            right = right.max(x + cat_w / 2.0);
            let _ = write!(
                body,
                r##"<line x1="{x:.1}" y1="{y0:.1}" x2="{:.1}" y2="{y1:.1}" stroke="#4a5568" stroke-width="2"/>"##,
                x + slant
            );
            // Labels, read top to bottom on both sides.
            for (i, row) in rows.iter().enumerate() {
                let y = if above {
                    y0 + (i as f64 + 1.0) * ROW_H
                } else {
                    y1 + (i as f64 + 1.0) * ROW_H
                };
                let t = if above {
                    (y - y0) / (y1 - y0)
                } else {
                    (y0 - y) / (y0 - y1)
                };
                let bone_x = x + slant * t;
                let tx = bone_x + 10.0 + row.depth as f64 * INDENT;
                if row.first && !row.placeholder {
                    let _ = write!(
                        body,
                        r##"<line x1="{bone_x:.1}" y1="{:.1}" x2="{:.1}" y2="{:.1}" stroke="#a0aec0"/>"##,
                        y - 4.0,
                        tx - 3.0,
                        y - 4.0
                    );
                }
                let style = if row.placeholder {
                    r##" fill="#718096" font-style="italic""##
                } else {
                    r##" fill="#1a202c""##
                };
                let bullet = if row.depth > 0 && row.first {
                    "– "
                } else {
                    ""
                };
                let _ = write!(
                    body,
                    r#"<text x="{tx:.1}" y="{y:.1}" font-size="12"{style}>{bullet}{}</text>"#,
                    xml_escape(&row.text)
                );
                right = right.max(tx + text_w(&row.text) + text_w(bullet));
            }
            right = right.max(x + slant);
        }
        x = right + 28.0;
    }

    let head_x = x.max(MARGIN + 60.0);
    let spine_start = MARGIN;
    let width = head_x + head_w + MARGIN;
    let height = (bottom_cat_y + CAT_H + MARGIN).max(spine_y + head_h / 2.0 + MARGIN);

    let mut out = String::new();
    let _ = write!(
        out,
        r##"<svg xmlns="http://www.w3.org/2000/svg" role="img" class="fishbone" width="{width:.0}" height="{height:.0}" viewBox="0 0 {width:.0} {height:.0}" font-family="{FONT}"><title>Fishbone diagram: {}</title>"##,
        xml_escape(effect)
    );
    let _ = write!(
        out,
        r##"<line x1="{spine_start:.1}" y1="{spine_y:.1}" x2="{head_x:.1}" y2="{spine_y:.1}" stroke="#2d3748" stroke-width="3"/>"##
    );
    out.push_str(&body);
    let head_y = spine_y - head_h / 2.0;
    let _ = write!(
        out,
        r##"<rect x="{head_x:.1}" y="{head_y:.1}" width="{head_w:.1}" height="{head_h:.1}" rx="6" fill="#fff5f5" stroke="#c53030" stroke-width="2"/>"##
    );
    for (i, line) in effect_lines.iter().enumerate() {
        let _ = write!(
            out,
            r##"<text x="{:.1}" y="{:.1}" font-size="13" font-weight="700" fill="#742a2a">{}</text>"##,
            head_x + 12.0,
            head_y + 22.0 + i as f64 * 16.0,
            xml_escape(line)
        );
    }
    out.push_str("</svg>");
    out
}

/// The colour of a phase's markers.
pub fn phase_colour(p: Phase) -> &'static str {
    match p {
        Phase::Detection => "#2b6cb0",
        Phase::Response => "#6b46c1",
        Phase::Containment => "#c05621",
        Phase::Eradication => "#c53030",
        Phase::Recovery => "#2f855a",
        Phase::PostIncident => "#4a5568",
    }
}

fn hhmm(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M UTC").to_string()
}

/// Draws the timeline as a horizontal time axis with one marker per entry,
/// coloured by phase, and a legend of the phases present. Each marker
/// carries a `<title>` (a tooltip) with its time and headline. An empty
/// timeline gives an empty string.
pub fn timeline(doc: &PostMortem) -> String {
    let mut entries: Vec<_> = doc.timeline.iter().collect();
    if entries.is_empty() {
        return String::new();
    }
    entries.sort_by_key(|e| e.occurred_at);
    let (Some(first), Some(last)) = (entries.first(), entries.last()) else {
        return String::new();
    };
    let (t0, t1) = (first.occurred_at, last.occurred_at);
    let span = (t1 - t0).num_seconds().max(1) as f64;
    let width = 900.0;
    let (ax0, ax1) = (40.0, width - 40.0);
    let axis_y = 70.0;
    let mut out = String::new();
    let _ = write!(
        out,
        r##"<svg xmlns="http://www.w3.org/2000/svg" role="img" class="timeline-axis" width="100%" viewBox="0 0 {width:.0} 130" font-family="{FONT}"><title>Timeline of {} from {} to {}</title>"##,
        xml_escape(doc.key.as_str()),
        hhmm(t0),
        hhmm(t1)
    );
    let _ = write!(
        out,
        r##"<line x1="{ax0}" y1="{axis_y}" x2="{ax1}" y2="{axis_y}" stroke="#4a5568" stroke-width="2"/>"##
    );
    // Markers close together are stacked upwards in lanes so each stays visible.
    let mut lane_end = [f64::MIN; 3];
    for e in &entries {
        let x = ax0 + (e.occurred_at - t0).num_seconds() as f64 / span * (ax1 - ax0);
        let lane = lane_end
            .iter()
            .position(|&end| x - end >= 14.0)
            .unwrap_or(0);
        lane_end[lane] = x;
        let y = axis_y - 12.0 - lane as f64 * 16.0;
        let _ = write!(
            out,
            r##"<line x1="{x:.1}" y1="{axis_y}" x2="{x:.1}" y2="{y:.1}" stroke="#cbd5e0"/><circle cx="{x:.1}" cy="{y:.1}" r="6" fill="{}"><title>{}: {} ({})</title></circle>"##,
            phase_colour(e.phase),
            hhmm(e.occurred_at),
            xml_escape(&e.title),
            e.phase.label()
        );
    }
    for (x, t, anchor) in [(ax0, t0, "start"), (ax1, t1, "end")] {
        let _ = write!(
            out,
            r##"<text x="{x}" y="{:.1}" font-size="11" fill="#4a5568" text-anchor="{anchor}">{}</text>"##,
            axis_y + 18.0,
            hhmm(t)
        );
    }
    let mut lx = ax0;
    for p in Phase::ALL {
        if entries.iter().any(|e| e.phase == *p) {
            let _ = write!(
                out,
                r##"<circle cx="{:.1}" cy="112" r="5" fill="{}"/><text x="{:.1}" y="116" font-size="11" fill="#2d3748">{}</text>"##,
                lx + 5.0,
                phase_colour(*p),
                lx + 14.0,
                p.label()
            );
            lx += 24.0 + text_w(p.label());
        }
    }
    out.push_str("</svg>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use debrief_core::demo;

    fn featured() -> PostMortem {
        demo::documents()
            .unwrap()
            .into_iter()
            .find(|d| d.key.as_str() == demo::FEATURED_KEY)
            .unwrap()
    }

    #[test]
    fn escaping_covers_markup_ampersands_and_quotes() {
        assert_eq!(
            xml_escape(r#"<script>alert("x")</script> & 'y'"#),
            "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;y&#39;"
        );
        assert_eq!(xml_escape("a\u{0}b\u{1b}c\nd"), "abc d");
    }

    #[test]
    fn the_seed_fishbone_shows_every_cause_and_the_effect() {
        let doc = featured();
        let svg = fishbone(&doc.fishbone, "Admin account compromise");
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        assert!(svg.contains(r#"role="img""#));
        assert!(svg.contains("<title>Fishbone diagram: Admin account compromise</title>"));
        for c in &doc.fishbone.causes {
            assert!(svg.contains(&xml_escape(&c.text)), "{}", c.text);
        }
        for cat in &doc.fishbone.categories {
            assert!(svg.contains(&format!(">{cat}</text>")), "{cat}");
        }
        assert!(!svg.contains("<style"), "attributes only");
    }

    #[test]
    fn empty_categories_are_still_drawn() {
        let fb = Fishbone::default();
        let svg = fishbone(&fb, "Nothing yet");
        for cat in ["People", "Process", "Technology", "Environment"] {
            assert!(svg.contains(&format!(">{cat}</text>")), "{cat}");
        }
        assert_eq!(svg.matches("(none recorded)").count(), 4);
    }

    #[test]
    fn user_text_cannot_break_out_of_the_svg() {
        let mut fb = Fishbone::default();
        fb.categories.push("<b>Bone</b>".into());
        fb.causes.push(cause(serde_json::json!({
            "category": "<b>Bone</b>", "text": "\"><script>alert(1)</script>"
        })));
        let svg = fishbone(&fb, "<img src=x onerror=alert(1)>");
        assert!(!svg.contains("<script"));
        assert!(!svg.contains("<img"));
        assert!(!svg.contains("<b>"));
        assert!(svg.contains("&lt;script&gt;"));
    }

    #[test]
    fn sub_causes_are_indented_under_their_parent() {
        let parent = "00000000-0000-7000-8000-000000000001";
        let mut fb = Fishbone::default();
        fb.causes.push(cause(serde_json::json!({
            "id": parent, "category": "People", "text": "Parent cause"
        })));
        fb.causes.push(cause(serde_json::json!({
            "id": "00000000-0000-7000-8000-000000000002", "category": "People",
            "text": "Child cause", "parent": parent
        })));
        let svg = fishbone(&fb, "Effect");
        let p = svg.find("Parent cause").unwrap();
        let c = svg.find("– Child cause").unwrap();
        assert!(p < c);
    }

    #[test]
    fn long_labels_wrap_and_keep_every_word() {
        let lines = wrap(
            "An unusually long cause text that will not fit on one row at all",
            20,
        );
        assert!(lines.len() > 2);
        assert!(lines.iter().all(|l| l.chars().count() <= 20));
        assert_eq!(
            lines.join(" "),
            "An unusually long cause text that will not fit on one row at all"
        );
    }

    #[test]
    fn the_timeline_has_one_marker_per_entry() {
        let doc = featured();
        let svg = timeline(&doc);
        assert_eq!(
            svg.matches("<circle").count() - legend(&doc),
            doc.timeline.len()
        );
        assert!(svg.contains("Detection"));
    }

    fn cause(v: serde_json::Value) -> FishboneCause {
        serde_json::from_value(v).unwrap()
    }

    fn legend(doc: &PostMortem) -> usize {
        Phase::ALL
            .iter()
            .filter(|p| doc.timeline.iter().any(|e| e.phase == **p))
            .count()
    }
}
