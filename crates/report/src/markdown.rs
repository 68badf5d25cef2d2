//! The Markdown export: one post-mortem as a document people read, shared
//! and pasted into wikis and tickets.
//!
//! The sections and their order follow the seed's worked example
//! (INC-2025-1128): facts, summary and impact, the timeline by phase with
//! what was known and not known at each moment, root-cause analysis, what
//! went well and what went wrong, action items by horizon, the internal and
//! customer communications, and the lessons learned. A section with nothing
//! in it is left out rather than shown empty.
//!
//! Everything a user typed is data, never Markdown: it goes through
//! [`escape`] (or `escape_block` for multi-paragraph text) so that no value
//! can open a heading, list, quote, table cell, link or HTML element of its
//! own, however it is rendered afterwards.
//!
//! Times are shown in UTC as `YYYY-MM-DD HH:MM UTC`. Rendering is a pure
//! function of the document; nothing here reads the clock.

use std::collections::HashSet;

use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use debrief_core::{
    ActionItem, ActionStatus, Area, CustomerNotification, Finding, FishboneCause, FmeaRow, Horizon,
    InternalSummary, Phase, Point, PostMortem, RootCauseKind, TimelineEntry,
};

/// Renders the whole post-mortem as Markdown (CommonMark with GFM tables and
/// task lists).
pub fn markdown(doc: &PostMortem) -> String {
    let mut out = Out::default();
    header(&mut out, doc);
    summary_and_impact(&mut out, doc);
    timeline(&mut out, doc);
    root_cause_analysis(&mut out, doc);
    findings(&mut out, doc);
    action_items(&mut out, doc);
    communications(&mut out, doc);
    lessons(&mut out, doc);
    out.finish()
}

/// Escapes user text for use inline: in a heading, a list item, a table
/// cell, after a bold label or inside bold markers.
///
/// The text is put on one line (line breaks and runs of white space become
/// one space) and then:
/// - `\`, `` ` ``, `*`, `[`, `]`, `|` and `~` are backslash-escaped, so text
///   cannot start emphasis, code, links, table cells or strike-through;
/// - `_` is escaped unless it sits inside a word (`snake_case` stays as it
///   is: CommonMark never reads an intraword `_` as emphasis);
/// - `<`, `>` and `&` become `&lt;`, `&gt;` and `&amp;`, so `<script>` is
///   shown as text by any renderer, raw HTML enabled or not;
/// - a leading `#`, `-`, `+` or `=` is escaped, and so is the `.` or `)` of
///   a leading number such as `1.`, so the text cannot start a heading, a
///   list, a thematic break or a setext underline when it begins a line;
/// - a trailing ` #` is escaped, so a heading does not drop it as a closing
///   sequence.
///
/// Every escape renders as the character the user typed.
pub fn escape(text: &str) -> String {
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let chars: Vec<char> = flat.chars().collect();
    let mut out = String::with_capacity(flat.len() + 8);
    for (i, &c) in chars.iter().enumerate() {
        match c {
            '\\' | '`' | '*' | '[' | ']' | '|' | '~' => {
                out.push('\\');
                out.push(c);
            }
            '_' => {
                let word = |j: Option<usize>| {
                    j.and_then(|j| chars.get(j))
                        .is_some_and(|n| n.is_alphanumeric())
                };
                if !(word(i.checked_sub(1)) && word(Some(i + 1))) {
                    out.push('\\');
                }
                out.push('_');
            }
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            _ => out.push(c),
        }
    }
    escape_line_start(out)
}

/// Escapes what would make the start of a line a block marker, and a
/// trailing run of `#` that an ATX heading would take as its closing
/// sequence and drop ("Fix #" must not render as "Fix").
fn escape_line_start(mut s: String) -> String {
    let hashes = s.bytes().rev().take_while(|b| *b == b'#').count();
    if hashes > 0 && hashes < s.len() && s.as_bytes().get(s.len() - hashes - 1) == Some(&b' ') {
        s.insert(s.len() - hashes, '\\');
    }
    match s.chars().next() {
        Some('#' | '-' | '+' | '=') => s.insert(0, '\\'),
        Some(c) if c.is_ascii_digit() => {
            // An ordered-list marker is 1-9 digits then `.` or `)`; digits
            // pass through `escape` unchanged, so byte offsets still match.
            let digits = s.bytes().take_while(u8::is_ascii_digit).count();
            if digits <= 9 && matches!(s.as_bytes().get(digits), Some(b'.' | b')')) {
                s.insert(digits, '\\');
            }
        }
        _ => {}
    }
    s
}

/// Escapes user text that may hold several paragraphs, for use as a block at
/// the top level: blank lines separate paragraphs, and a single line break
/// is kept as a hard line break (a signature, an address).
fn escape_block(text: &str) -> String {
    let mut paragraphs: Vec<Vec<String>> = vec![Vec::new()];
    for line in text.lines() {
        if line.trim().is_empty() {
            if paragraphs.last().is_some_and(|p| !p.is_empty()) {
                paragraphs.push(Vec::new());
            }
        } else if let Some(p) = paragraphs.last_mut() {
            p.push(escape(line));
        }
    }
    paragraphs
        .into_iter()
        .filter(|p| !p.is_empty())
        .map(|p| p.join("\\\n"))
        .collect::<Vec<_>>()
        .join("\n\n")
}

/// An instant as debrief shows it to people: `2025-11-28 02:15 UTC`.
fn when(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M UTC").to_string()
}

/// A calendar day: `2025-11-30`.
fn day(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

/// A duration in words, to the minute under a day and to the hour above:
/// "5 minutes", "1 hour", "3 hours 45 minutes", "2 days 4 hours".
/// Negative durations read as zero.
pub fn duration_words(d: TimeDelta) -> String {
    let secs = d.num_seconds().max(0);
    if secs == 0 {
        return "0 minutes".to_owned();
    }
    let minutes = (secs + 30) / 60;
    if minutes == 0 {
        return "less than a minute".to_owned();
    }
    if minutes < 60 {
        return count(minutes, "minute");
    }
    if minutes < 24 * 60 {
        let (h, m) = (minutes / 60, minutes % 60);
        return if m == 0 {
            count(h, "hour")
        } else {
            format!("{} {}", count(h, "hour"), count(m, "minute"))
        };
    }
    let hours = (minutes + 30) / 60;
    let (d, h) = (hours / 24, hours % 24);
    if h == 0 {
        count(d, "day")
    } else {
        format!("{} {}", count(d, "day"), count(h, "hour"))
    }
}

/// "1 hour", "3 hours".
fn count(n: i64, unit: &str) -> String {
    if n == 1 {
        format!("1 {unit}")
    } else {
        format!("{n} {unit}s")
    }
}

/// A whole number with thousands separators: 50000 -> "50,000".
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// The text of an optional field, when it holds more than white space.
fn present(s: &Option<String>) -> Option<&str> {
    s.as_deref().filter(|s| !s.trim().is_empty())
}

/// Escaped items joined by commas.
fn comma_list<S: AsRef<str>>(items: &[S]) -> String {
    items
        .iter()
        .map(|s| escape(s.as_ref()))
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(", ")
}

/// The output buffer, which keeps blocks separated by exactly one blank line.
#[derive(Default)]
struct Out {
    buf: String,
}

impl Out {
    /// Writes one line.
    fn line(&mut self, s: impl AsRef<str>) {
        self.buf.push_str(s.as_ref());
        self.buf.push('\n');
    }

    /// Ends the current block.
    fn blank(&mut self) {
        if !self.buf.is_empty() && !self.buf.ends_with("\n\n") {
            self.buf.push('\n');
        }
    }

    /// Writes a block on its own, blank lines around it.
    fn block(&mut self, s: impl AsRef<str>) {
        let s = s.as_ref();
        if s.is_empty() {
            return;
        }
        self.blank();
        self.line(s);
        self.blank();
    }

    /// Writes a heading; `text` is Markdown already (escaped by the caller).
    fn heading(&mut self, level: usize, text: &str) {
        self.block(format!("{} {text}", "#".repeat(level)));
    }

    /// Writes `- **label**: value` when the value is not empty.
    fn fact(&mut self, label: &str, value: &str) {
        if !value.is_empty() {
            self.line(format!("- **{label}**: {value}"));
        }
    }

    /// The finished document, ending in a single line break.
    fn finish(self) -> String {
        let mut s = self.buf.trim_end().to_owned();
        s.push('\n');
        s
    }
}

// ---------------------------------------------------------------- header --

fn header(out: &mut Out, doc: &PostMortem) {
    out.heading(1, &format!("{}: {}", doc.key, escape(&doc.title)));

    out.fact("Severity", doc.severity.label());
    for c in &doc.severity_history {
        let reason = if c.reason.trim().is_empty() {
            String::new()
        } else {
            format!(": {}", escape(&c.reason))
        };
        out.line(format!(
            "  - {} → {} at {}{reason}",
            c.from.label(),
            c.to.label(),
            when(c.at)
        ));
    }
    out.fact("Status", doc.status.label());
    out.fact("Post-mortem status", doc.postmortem_status.label());
    out.fact(
        "Category",
        &doc.category.as_deref().map(escape).unwrap_or_default(),
    );
    let types: Vec<&str> = doc.types.iter().map(|t| t.label()).collect();
    out.fact("Types", &types.join(", "));

    let l = &doc.lifecycle;
    for (label, t) in [
        ("First activity", l.first_activity),
        ("Detected", l.detected),
        ("Contained", l.contained),
        ("Resolved", l.resolved),
        ("Closed", l.closed),
    ] {
        if let Some(t) = t {
            out.fact(label, &when(t));
        }
    }

    if !doc.participants.is_empty() {
        out.line("- **Participants**:");
        for p in &doc.participants {
            let team = present(&p.team)
                .map(|t| format!(" ({})", escape(t)))
                .unwrap_or_default();
            out.line(format!("  - {}{team}: {}", escape(&p.name), p.role.label()));
        }
    }

    let techniques: Vec<String> = doc
        .attack_techniques
        .iter()
        .map(|t| {
            // `T1110.004` lives at `techniques/T1110/004/`.
            let path = t.as_str().replace('.', "/");
            format!(
                "[{t}](https://attack.mitre.org/techniques/{path}/)",
                t = t.as_str()
            )
        })
        .collect();
    out.fact("ATT&CK techniques", &techniques.join(", "));
    out.fact("Attack vectors", &comma_list(&doc.attack_vectors));
    out.fact(
        "Patient zero",
        &present(&doc.patient_zero).map(escape).unwrap_or_default(),
    );
    out.fact(
        "Repeat of",
        &doc.repeat_of
            .as_ref()
            .map(|k| k.to_string())
            .unwrap_or_default(),
    );
    let related: Vec<&str> = doc.related.iter().map(|k| k.as_str()).collect();
    out.fact("Related", &related.join(", "));
    out.blank();
}

fn summary_and_impact(out: &mut Out, doc: &PostMortem) {
    if !doc.summary.trim().is_empty() {
        out.heading(2, "Summary");
        out.block(escape_block(&doc.summary));
    }

    let i = &doc.impact;
    let has_impact = !i.customer_impact.trim().is_empty()
        || i.records_affected.is_some()
        || !i.data_involved.is_empty()
        || !i.data_not_involved.is_empty()
        || !i.systems_affected.is_empty();
    if has_impact {
        out.heading(2, "Impact");
        out.fact("Customer impact", &escape(&i.customer_impact));
        if let Some(n) = i.records_affected {
            out.fact("Records affected", &thousands(n));
        }
        out.fact("Data involved", &comma_list(&i.data_involved));
        out.fact("Data not involved", &comma_list(&i.data_not_involved));
        out.fact("Systems affected", &comma_list(&i.systems_affected));
        out.blank();
    }
}

// -------------------------------------------------------------- timeline --

fn timeline(out: &mut Out, doc: &PostMortem) {
    let totals = total_timeline(doc);
    if doc.timeline.is_empty() && totals.is_empty() {
        return;
    }
    out.heading(2, "Timeline");
    for &phase in Phase::ALL {
        let mut entries: Vec<&TimelineEntry> =
            doc.timeline.iter().filter(|e| e.phase == phase).collect();
        if entries.is_empty() {
            continue;
        }
        entries.sort_by_key(|e| e.occurred_at);
        out.heading(3, &format!("{} Phase", phase.label()));
        for e in entries {
            timeline_entry(out, e);
        }
    }
    if !totals.is_empty() {
        out.heading(3, "Total Timeline");
        for (label, d) in totals {
            out.fact(label, &duration_words(d));
        }
        out.blank();
    }
}

fn timeline_entry(out: &mut Out, e: &TimelineEntry) {
    out.blank();
    out.line(format!(
        "**{}** - {}",
        when(e.occurred_at),
        escape(&e.title)
    ));
    for d in &e.details {
        let d = escape(d);
        if !d.is_empty() {
            out.line(format!("- {d}"));
        }
    }
    let labelled = [
        ("We knew", &e.we_knew),
        ("We didn't know", &e.we_didnt_know),
        ("Decision", &e.decision),
        ("Action taken", &e.action_taken),
    ];
    for (label, value) in labelled {
        if let Some(v) = present(value) {
            out.fact(label, &escape(v));
        }
    }
    for f in &e.facts {
        let label = escape(&f.label);
        if !label.is_empty() {
            out.fact(&label, &escape(&f.value));
        }
    }
    if let Some(s) = present(&e.source) {
        out.fact("Source", &escape(s));
    }
    if let Some(l) = e.learned_at.filter(|l| *l != e.occurred_at) {
        let delay = l - e.occurred_at;
        let after = if delay > TimeDelta::zero() {
            format!(" ({} after it happened)", duration_words(delay))
        } else {
            String::new()
        };
        out.fact("Learned at", &format!("{}{after}", when(l)));
    }
    if !e.tags.is_empty() {
        out.fact("Tags", &comma_list(&e.tags));
    }
    out.blank();
}

/// The response intervals the lifecycle allows to compute, in order. An
/// interval is left out when either end is missing or it runs backwards.
fn total_timeline(doc: &PostMortem) -> Vec<(&'static str, TimeDelta)> {
    let l = &doc.lifecycle;
    let start = l.first_activity.or(l.detected);
    let spans = [
        ("First activity to detection", l.first_activity, l.detected),
        ("Detection to response", l.detected, l.responded),
        ("Response to containment", l.responded, l.contained),
        ("Containment to recovery", l.contained, l.recovered),
        ("Total incident duration", start, l.resolved),
    ];
    spans
        .into_iter()
        .filter_map(|(label, from, to)| {
            let d = to? - from?;
            // Dwell time is only worth a line when there was some.
            let skip = d < TimeDelta::zero()
                || (d == TimeDelta::zero() && label == "First activity to detection");
            (!skip).then_some((label, d))
        })
        .collect()
}

// --------------------------------------------------- root-cause analysis --

fn root_cause_analysis(out: &mut Out, doc: &PostMortem) {
    let any = !doc.five_whys.is_empty()
        || !doc.root_causes.is_empty()
        || !doc.fishbone.causes.is_empty()
        || !doc.fmea.is_empty();
    if !any {
        return;
    }
    out.heading(2, "Root Cause Analysis");
    five_whys(out, doc);
    root_causes(out, doc);
    fishbone(out, doc);
    fmea(out, doc);
}

fn five_whys(out: &mut Out, doc: &PostMortem) {
    let n = doc.five_whys.len();
    for (i, chain) in doc.five_whys.iter().enumerate() {
        if n == 1 {
            out.heading(3, "5 Whys");
        } else {
            out.heading(3, &format!("5 Whys ({} of {n})", i + 1));
        }
        out.block(format!("**Problem**: {}", escape(&chain.problem)));
        for (k, step) in chain.steps.iter().enumerate() {
            // A hard line break (`\` at the end of the line) keeps the answer
            // under its question, as in the seed.
            out.block(format!(
                "**Why #{}**: {}\\\n→ {}",
                k + 1,
                escape(&step.why),
                escape(&step.because)
            ));
        }
    }
}

fn root_causes(out: &mut Out, doc: &PostMortem) {
    let of = |kind: RootCauseKind| doc.root_causes.iter().filter(move |r| r.kind == kind);

    let mut primary = of(RootCauseKind::Primary).peekable();
    if primary.peek().is_some() {
        out.heading(3, "Primary Root Cause");
        for r in primary {
            let details = present(&r.details)
                .map(|d| format!(": {}", escape(d)))
                .unwrap_or_default();
            out.block(format!("**{}**{details}", escape(&r.title)));
        }
    }
    for (kind, heading) in [
        (RootCauseKind::Contributing, "Contributing Factors"),
        (RootCauseKind::Systemic, "Systemic Issues"),
    ] {
        let items: Vec<_> = of(kind).collect();
        if items.is_empty() {
            continue;
        }
        out.heading(3, heading);
        for (i, r) in items.iter().enumerate() {
            let details = present(&r.details)
                .map(|d| format!(": {}", escape(d)))
                .unwrap_or_default();
            out.line(format!("{}. {}{details}", i + 1, escape(&r.title)));
        }
        out.blank();
    }
}

fn fishbone(out: &mut Out, doc: &PostMortem) {
    let fb = &doc.fishbone;
    if fb.causes.is_empty() {
        return;
    }
    out.heading(3, "Fishbone Diagram");
    let effect = present(&fb.effect).unwrap_or(&doc.title);
    out.block(format!("**Effect**: {}", escape(effect)));

    // The declared bones first, then any bone a cause names that the list
    // lacks, so that an inconsistent document still shows every cause.
    let mut categories: Vec<&str> = fb.categories.iter().map(String::as_str).collect();
    for c in &fb.causes {
        if !categories.contains(&c.category.as_str()) {
            categories.push(&c.category);
        }
    }
    let mut shown = HashSet::new();
    for category in categories {
        out.line(format!("- **{}**", escape(category)));
        let roots: Vec<usize> = (0..fb.causes.len())
            .filter(|&i| fb.causes[i].category == category && !anchored_below(&fb.causes, i))
            .collect();
        if roots.is_empty() {
            out.line("  - (none recorded)");
        }
        for i in roots {
            fishbone_cause(out, &fb.causes, i, 1, &mut shown);
        }
    }
    out.blank();
}

/// Whether cause `i` hangs under another cause that itself leads back to a
/// bone. A cause whose parent is missing, or whose parents run in a circle
/// (both refused by validation), is drawn on the bone itself so that
/// nothing in the document is lost.
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

fn fishbone_cause(
    out: &mut Out,
    all: &[FishboneCause],
    i: usize,
    depth: usize,
    shown: &mut HashSet<usize>,
) {
    // Each cause once, however the parent links run.
    let Some(c) = all.get(i) else { return };
    if !shown.insert(i) {
        return;
    }
    out.line(format!("{}- {}", "  ".repeat(depth), escape(&c.text)));
    for (j, child) in all.iter().enumerate() {
        if j != i && !c.id.is_nil() && child.parent == Some(c.id) {
            fishbone_cause(out, all, j, depth + 1, shown);
        }
    }
}

fn fmea(out: &mut Out, doc: &PostMortem) {
    if doc.fmea.is_empty() {
        return;
    }
    out.heading(3, "FMEA");
    let mut rows: Vec<&FmeaRow> = doc.fmea.iter().collect();
    rows.sort_by_key(|r| std::cmp::Reverse(r.computed_rpn()));
    out.blank();
    out.line(
        "| Failure mode | Effect | Cause | S | O | D | RPN | Current controls | Recommended action | RPN after |",
    );
    out.line("|---|---|---|--:|--:|--:|--:|---|---|--:|");
    let cell = |s: &str| {
        let e = escape(s);
        if e.is_empty() { "—".to_owned() } else { e }
    };
    for r in rows {
        out.line(format!(
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            cell(&r.failure_mode),
            cell(&r.effect),
            cell(&r.cause),
            r.severity.get(),
            r.occurrence.get(),
            r.detection.get(),
            r.computed_rpn(),
            cell(&r.current_controls),
            cell(&r.recommended_action),
            r.computed_rpn_after()
                .map_or_else(|| "—".to_owned(), |n| n.to_string()),
        ));
    }
    out.blank();
}

// -------------------------------------------------------------- findings --

fn findings(out: &mut Out, doc: &PostMortem) {
    finding_group(out, "What Went Well", "✅", &doc.findings.went_well);
    finding_group(out, "What Went Wrong", "❌", &doc.findings.went_wrong);
}

fn finding_group(out: &mut Out, heading: &str, mark: &str, list: &[Finding]) {
    if list.is_empty() {
        return;
    }
    out.heading(2, heading);
    // Areas in the order the team first wrote them, as in the seed.
    let mut areas: Vec<Area> = Vec::new();
    for f in list {
        if !areas.contains(&f.area) {
            areas.push(f.area);
        }
    }
    for area in areas {
        out.heading(3, area.label());
        for f in list.iter().filter(|f| f.area == area) {
            out.blank();
            out.line(format!("{mark} **{}**", escape(&f.title)));
            for d in &f.details {
                let d = escape(d);
                if !d.is_empty() {
                    out.line(format!("- {d}"));
                }
            }
            if let Some(i) = present(&f.impact) {
                out.fact("Impact", &escape(i));
            }
            out.blank();
        }
    }
}

// ---------------------------------------------------------- action items --

fn action_items(out: &mut Out, doc: &PostMortem) {
    if doc.action_items.is_empty() {
        return;
    }
    out.heading(2, "Action Items");
    let base = doc.horizon_base();
    // The horizon is derived from the due date whenever it can be, so that
    // a stale stored value never shows.
    let horizon = |a: &ActionItem| a.derived_horizon(base).or(a.horizon);
    let groups = Horizon::ALL
        .iter()
        .map(|h| (Some(*h), h.label()))
        .chain([(None, "Unscheduled")]);
    for (h, label) in groups {
        let mut items: Vec<&ActionItem> = doc
            .action_items
            .iter()
            .filter(|a| horizon(a) == h)
            .collect();
        if items.is_empty() {
            continue;
        }
        items.sort_by_key(|a| a.number);
        out.heading(3, label);
        for a in items {
            action_item(out, doc, a);
        }
    }
}

fn action_item(out: &mut Out, doc: &PostMortem, a: &ActionItem) {
    let title = escape(&a.title);
    if a.number == 0 {
        out.heading(4, &title);
    } else {
        out.heading(4, &format!("#{}: {title}", a.number));
    }
    let owner = match (present(&a.team), present(&a.owner)) {
        (Some(t), Some(o)) => format!("{} ({})", escape(t), escape(o)),
        (Some(one), None) | (None, Some(one)) => escape(one),
        (None, None) => "Unassigned".to_owned(),
    };
    out.fact("Owner", &owner);
    if let Some(d) = a.due {
        out.fact("Due", &day(d));
    }
    out.fact("Priority", a.priority.label());
    if let Some(k) = a.kind {
        out.fact("Kind", k.label());
    }
    out.fact("Description", &escape(&a.description));
    if !a.success_criteria.is_empty() {
        out.line("- **Success Criteria**:");
        for c in &a.success_criteria {
            let tick = if c.done { 'x' } else { ' ' };
            out.line(format!("  - [{tick}] {}", escape(&c.text)));
        }
    }
    out.fact("Status", &status(a));
    if let Some(v) = &a.verification {
        let verdict = if v.effective {
            "✅ Effective"
        } else {
            "❌ Not effective"
        };
        let evidence = if v.evidence.trim().is_empty() {
            String::new()
        } else {
            format!(": {}", escape(&v.evidence))
        };
        out.fact(
            "Verification",
            &format!("{verdict} ({}){evidence}", day(v.on)),
        );
    }
    if let Some(r) = present(&a.external_ref) {
        out.fact("External ref", &escape(r));
    }
    let addressed = addresses(doc, a);
    if !addressed.is_empty() {
        out.line("- **Addresses**:");
        for line in addressed {
            out.line(format!("  - {line}"));
        }
    }
    out.blank();
}

/// `✅ COMPLETE (2025-11-29)`: the status in capitals, with the day and note
/// of the change that set it.
fn status(a: &ActionItem) -> String {
    let mark = match a.status {
        ActionStatus::Planned => "📋",
        ActionStatus::InProgress => "🟡",
        ActionStatus::Blocked => "⛔",
        ActionStatus::Complete | ActionStatus::Verified => "✅",
        ActionStatus::WontDo => "🚫",
    };
    let mut s = format!("{mark} {}", a.status.label().to_uppercase());
    if let Some(change) = a.status_history.last().filter(|c| c.status == a.status) {
        s.push_str(&format!(" ({})", day(change.on)));
        if let Some(note) = present(&change.note) {
            s.push_str(&format!(": {}", escape(note)));
        }
    }
    s
}

/// The causes an item addresses, by their titles in this document. An id
/// that names nothing here is still shown, so a broken link is visible.
fn addresses(doc: &PostMortem, a: &ActionItem) -> Vec<String> {
    let mut lines = Vec::new();
    for id in &a.addresses.root_causes {
        lines.push(match doc.root_causes.iter().find(|r| r.id == *id) {
            Some(r) => format!("{}: {}", r.kind.label(), escape(&r.title)),
            None => format!("unknown root cause {id}"),
        });
    }
    for id in &a.addresses.fishbone_causes {
        lines.push(match doc.fishbone.causes.iter().find(|c| c.id == *id) {
            Some(c) => format!("Fishbone, {}: {}", escape(&c.category), escape(&c.text)),
            None => format!("unknown fishbone cause {id}"),
        });
    }
    for id in &a.addresses.fmea_rows {
        lines.push(match doc.fmea.iter().find(|r| r.id == *id) {
            Some(r) => format!(
                "FMEA: {} (RPN {})",
                escape(&r.failure_mode),
                r.computed_rpn()
            ),
            None => format!("unknown FMEA row {id}"),
        });
    }
    lines
}

// -------------------------------------------------------- communications --

fn communications(out: &mut Out, doc: &PostMortem) {
    let c = &doc.communications;
    if c.internal.is_none() && c.customer.is_none() {
        return;
    }
    out.heading(2, "Communications");
    if let Some(i) = &c.internal {
        internal_summary(out, i);
    }
    if let Some(n) = &c.customer {
        customer_notification(out, n);
    }
}

/// Lines `**Label**: value`, kept together with hard line breaks.
fn header_lines(out: &mut Out, fields: &[(&str, &str)]) {
    let lines: Vec<String> = fields
        .iter()
        .filter(|(_, v)| !v.trim().is_empty())
        .map(|(l, v)| format!("**{l}**: {}", escape(v)))
        .collect();
    out.block(lines.join("\\\n"));
}

fn bullets(out: &mut Out, items: &[String]) {
    out.blank();
    for i in items {
        let e = escape(i);
        if !e.is_empty() {
            out.line(format!("- {e}"));
        }
    }
    out.blank();
}

fn internal_summary(out: &mut Out, s: &InternalSummary) {
    out.heading(3, "Internal Summary");
    header_lines(
        out,
        &[("To", &s.to), ("From", &s.from), ("Subject", &s.subject)],
    );
    out.block(escape_block(&s.greeting));
    out.block(escape_block(&s.intro));
    if !s.what_happened.trim().is_empty() || !s.customer_impact.trim().is_empty() {
        out.heading(4, "What Happened (High-Level)");
        out.block(escape_block(&s.what_happened));
        if !s.customer_impact.trim().is_empty() {
            out.block(format!(
                "**Customer Impact**: {}",
                escape(&s.customer_impact)
            ));
        }
    }
    if !s.what_worked.is_empty() || !s.improvements.is_empty() {
        out.heading(4, "What We Learned");
        if !s.what_worked.is_empty() {
            out.heading(5, "What Worked");
            bullets(out, &s.what_worked);
        }
        if !s.improvements.is_empty() {
            out.heading(5, "What We're Improving");
            for i in &s.improvements {
                out.line(format!("- {}", point(i, ": ")));
            }
            out.blank();
        }
    }
    if !s.what_you_can_do.is_empty() {
        out.heading(4, "What You Can Do");
        for (n, i) in s.what_you_can_do.iter().enumerate() {
            out.line(format!("{}. {}", n + 1, point(i, " ")));
        }
        out.blank();
    }
    if !s.questions.trim().is_empty() {
        out.heading(4, "Questions?");
        out.block(escape_block(&s.questions));
    }
    out.block(escape_block(&s.sign_off));
}

fn customer_notification(out: &mut Out, n: &CustomerNotification) {
    out.heading(3, "Customer Notification");
    header_lines(out, &[("Subject", &n.subject)]);
    out.block(escape_block(&n.greeting));
    out.block(escape_block(&n.intro));
    if !n.what_happened.trim().is_empty() {
        out.heading(4, "What Happened");
        out.block(escape_block(&n.what_happened));
    }
    if !n.information_involved.is_empty() || !n.information_not_involved.is_empty() {
        out.heading(4, "What Information Was Involved");
        if !n.information_involved.is_empty() {
            out.block(lead_in(
                &n.information_involved_intro,
                "The information involved:",
            ));
            bullets(out, &n.information_involved);
        }
        if !n.information_not_involved.is_empty() {
            out.block(lead_in(
                &n.information_not_involved_intro,
                "The information NOT involved:",
            ));
            bullets(out, &n.information_not_involved);
        }
    }
    if !n.what_we_are_doing.is_empty() {
        out.heading(4, "What We're Doing");
        bullets(out, &n.what_we_are_doing);
    }
    if !n.what_you_should_do.is_empty() {
        out.heading(4, "What You Should Do");
        for p in &n.what_you_should_do {
            out.line(format!("- {}", point(p, " ")));
        }
        out.blank();
    }
    if !n.more_information.trim().is_empty() {
        out.heading(4, "More Information");
        out.block(escape_block(&n.more_information));
    }
    out.block(escape_block(&n.closing));
    out.block(escape_block(&n.signature));
}

/// "**headline**" then the detail after `sep`, as the seed writes its points.
fn point(p: &Point, sep: &str) -> String {
    if p.detail.trim().is_empty() {
        format!("**{}**", escape(&p.title))
    } else {
        format!("**{}**{sep}{}", escape(&p.title), escape(&p.detail))
    }
}

/// The user's lead-in to a list, or a neutral one.
fn lead_in(text: &str, fallback: &str) -> String {
    if text.trim().is_empty() {
        fallback.to_owned()
    } else {
        escape_block(text)
    }
}

// --------------------------------------------------------------- lessons --

fn lessons(out: &mut Out, doc: &PostMortem) {
    if doc.lessons.is_empty() {
        return;
    }
    out.heading(2, "Lessons Learned");
    for l in &doc.lessons {
        out.line(format!("- {}", escape(&l.text)));
        if let Some(d) = present(&l.details) {
            out.line(format!("  - {}", escape(d)));
        }
    }
    out.blank();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_text_passes_through_unchanged() {
        assert_eq!(
            escape("Admin account compromise via backup codes"),
            "Admin account compromise via backup codes"
        );
        assert_eq!(
            escape("snake_case stays readable"),
            "snake_case stays readable"
        );
    }

    #[test]
    fn html_is_turned_into_entities() {
        assert_eq!(
            escape("<script>alert(1)</script>"),
            "&lt;script&gt;alert(1)&lt;/script&gt;"
        );
        assert_eq!(escape("R&D"), "R&amp;D");
        assert_eq!(escape("&lt;"), "&amp;lt;");
    }

    #[test]
    fn a_leading_block_marker_is_escaped() {
        assert_eq!(escape("# not a heading"), "\\# not a heading");
        assert_eq!(escape("> not a quote"), "&gt; not a quote");
        assert_eq!(escape("- not a list"), "\\- not a list");
        assert_eq!(escape("+ not a list"), "\\+ not a list");
        assert_eq!(escape("* not a list"), "\\* not a list");
        assert_eq!(escape("---"), "\\---");
        assert_eq!(escape("==="), "\\===");
        assert_eq!(escape("1. not a list"), "1\\. not a list");
        assert_eq!(escape("2025) not a list"), "2025\\) not a list");
        assert_eq!(escape("3 hours"), "3 hours");
        assert_eq!(escape("1.5 hours"), "1\\.5 hours");
        assert_eq!(escape("Fix #"), "Fix \\#");
        assert_eq!(escape("Fix ##"), "Fix \\##");
        assert_eq!(escape("C#"), "C#");
    }

    #[test]
    fn markers_inside_the_text_are_left_alone_unless_inline() {
        assert_eq!(escape("MFA - backup #1"), "MFA - backup #1");
        assert_eq!(escape("a | b"), "a \\| b");
        assert_eq!(
            escape("*bold* _em_ `code`"),
            "\\*bold\\* \\_em\\_ \\`code\\`"
        );
        assert_eq!(escape("[link](x) ~~del~~"), "\\[link\\](x) \\~\\~del\\~\\~");
        assert_eq!(escape("C:\\temp"), "C:\\\\temp");
    }

    #[test]
    fn line_breaks_cannot_start_a_new_block() {
        assert_eq!(
            escape("title\n# heading\n\n- item"),
            "title # heading - item"
        );
        assert_eq!(escape("  padded  "), "padded");
    }

    #[test]
    fn a_block_keeps_paragraphs_and_escapes_each_line() {
        assert_eq!(
            escape_block("Sincerely,\n# Security Team\n\n\n- Second"),
            "Sincerely,\\\n\\# Security Team\n\n\\- Second"
        );
        assert_eq!(escape_block("  \n\n"), "");
    }

    fn minutes(m: i64) -> TimeDelta {
        TimeDelta::minutes(m)
    }

    #[test]
    fn durations_read_in_words() {
        assert_eq!(duration_words(TimeDelta::zero()), "0 minutes");
        assert_eq!(duration_words(TimeDelta::seconds(20)), "less than a minute");
        assert_eq!(duration_words(minutes(1)), "1 minute");
        assert_eq!(duration_words(minutes(5)), "5 minutes");
        assert_eq!(duration_words(minutes(60)), "1 hour");
        assert_eq!(duration_words(minutes(225)), "3 hours 45 minutes");
        assert_eq!(duration_words(minutes(585)), "9 hours 45 minutes");
        assert_eq!(duration_words(minutes(24 * 60)), "1 day");
        assert_eq!(
            duration_words(minutes(2 * 24 * 60 + 4 * 60 + 20)),
            "2 days 4 hours"
        );
        assert_eq!(
            duration_words(minutes(2 * 24 * 60 + 4 * 60 + 40)),
            "2 days 5 hours"
        );
    }

    #[test]
    fn durations_round_to_the_nearest_minute_and_never_go_negative() {
        assert_eq!(duration_words(TimeDelta::seconds(5 * 60 + 29)), "5 minutes");
        assert_eq!(duration_words(TimeDelta::seconds(5 * 60 + 30)), "6 minutes");
        assert_eq!(duration_words(TimeDelta::seconds(59 * 60 + 45)), "1 hour");
        assert_eq!(duration_words(minutes(-5)), "0 minutes");
    }

    #[test]
    fn record_counts_get_thousands_separators() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(50_000), "50,000");
        assert_eq!(thousands(1_234_567), "1,234,567");
    }
}
