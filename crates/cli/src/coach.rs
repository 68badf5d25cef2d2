//! `debrief lint` and `debrief check`: the coach on the command line.
//!
//! `lint` coaches a piece of text read from standard input and needs no
//! database, so it can run in a pre-commit hook or a CI job over Markdown
//! drafts. `check` coaches one stored post-mortem and shows where its review
//! stands. Both exit 1 when they find something worth stopping for (`lint`:
//! a warning or worse; `check`: a blocking finding), so CI can gate on
//! them; their errors exit 2 (see [`crate::cli::Command::error_exit_code`]).

use std::fmt::Write as _;
use std::io::{Read, Write};
use std::process::ExitCode;

use anyhow::{Context, anyhow};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use debrief_core::checklist::{ChecklistGroup, ChecklistItem};
use debrief_core::coach::{self, CoachFinding, FindingSeverity};
use debrief_core::process::{Deadline, DeadlineState, StepProgress};
use debrief_core::review::{self, Guide};
use debrief_core::sla::{MeasureDefinition, SlaResult};
use debrief_core::{IncidentKey, PostMortem};
use debrief_store::Store;
use serde::Serialize;
use serde_json::Value;

use crate::cli::{CheckArgs, CheckFormat, LintArgs};

/// Text output is wrapped to this many columns.
const WIDTH: usize = 100;

/// The exit code that reports findings: distinct from success (0) and from
/// an error (2).
const FINDINGS: u8 = 1;

// ------------------------------------------------------------------ lint

/// `debrief lint`: the findings on standard input as a JSON array, or the
/// rule table with `--rules`.
pub fn lint(args: &LintArgs) -> anyhow::Result<ExitCode> {
    let mut out = std::io::stdout().lock();
    if args.rules {
        out.write_all(rule_table().as_bytes())?;
        return Ok(ExitCode::SUCCESS);
    }
    let mut bytes = Vec::new();
    std::io::stdin()
        .lock()
        .read_to_end(&mut bytes)
        .context("reading standard input")?;
    // Spans are byte offsets into the input as read: refuse rather than
    // repair, so that they always slice what the caller sent.
    let text = String::from_utf8(bytes).map_err(|e| {
        anyhow!(
            "standard input is not valid UTF-8 (first invalid byte at offset {}); lint reads UTF-8 text",
            e.utf8_error().valid_up_to()
        )
    })?;
    let findings = coach::lint(&text, args.kind);
    // A finding of bare text has no field, so `field` never appears:
    // `CoachFinding` leaves it out when it is absent.
    serde_json::to_writer_pretty(&mut out, &findings)?;
    writeln!(out)?;
    let fails = findings
        .iter()
        .any(|f| f.severity >= FindingSeverity::Warning);
    Ok(if fails {
        ExitCode::from(FINDINGS)
    } else {
        ExitCode::SUCCESS
    })
}

/// Every rule: id and severity on one line, the summary wrapped below.
fn rule_table() -> String {
    let rules = coach::rules();
    let id_width = rules.iter().map(|r| r.id.len()).max().unwrap_or(0);
    let mut s = String::new();
    for r in rules {
        let severity = if r.can_block && r.severity != FindingSeverity::Blocking {
            format!("{} (blocking in some cases)", r.severity)
        } else {
            r.severity.to_string()
        };
        let _ = writeln!(s, "{:<id_width$}  {severity}", r.id);
        for line in wrap(r.summary, WIDTH - 4) {
            let _ = writeln!(s, "    {line}");
        }
        s.push('\n');
    }
    s
}

// ----------------------------------------------------------------- check

/// What `check --format json` prints: one object, these keys.
#[derive(Serialize)]
struct Report<'a> {
    /// The coach's findings, with field paths, in document order.
    findings: &'a [CoachFinding],
    /// Each response measure, its value and how it was computed.
    measures: &'a [MeasureDefinition],
    /// The default targets of the incident's severity, met or missed.
    sla: &'a [SlaResult],
    /// The post-mortem process deadlines from the incident's close.
    deadlines: &'a [Deadline],
    /// Progress through the six steps of a post-mortem.
    steps: &'a [StepProgress],
    /// The completion checklist, ticked where the data proves an item.
    checklist: &'a [ChecklistItem],
}

/// `debrief check KEY`: coaches one stored post-mortem.
pub async fn check(store: &Store, guide: &Guide, args: &CheckArgs) -> anyhow::Result<ExitCode> {
    let key = IncidentKey::parse(&args.key).map_err(anyhow::Error::msg)?;
    let doc = store.get(&key).await?;
    // The CLI is the edge where the clock may be read; the day given on the
    // command line is judged from its start, so that a deadline falling
    // later that day is not yet overdue.
    let now = match args.today {
        Some(day) => day.and_time(chrono::NaiveTime::MIN).and_utc(),
        None => Utc::now(),
    };
    let today = now.date_naive();
    // Incidents of the same category in the year before this one, each
    // placed by its detection, else its creation; unknown (the check stays
    // off) without a category or a time.
    let same = match (
        doc.category.as_deref(),
        doc.lifecycle.detected.or(doc.created_at),
    ) {
        (Some(c), Some(at)) => Some(store.category_count_before(&doc.key, c, at, 365).await?),
        _ => None,
    };
    let r = review::report(&doc, guide, same, now);
    // Acknowledged findings were accepted, with a reason, by a person.
    let findings: Vec<CoachFinding> = r
        .findings
        .iter()
        .filter(|f| f.acknowledgement.is_none())
        .map(|f| f.finding.clone())
        .collect();
    let report = Report {
        findings: &findings,
        measures: &r.measures,
        sla: &r.sla,
        deadlines: &r.deadlines,
        steps: &r.steps,
        checklist: &r.checklist,
    };
    let mut out = std::io::stdout().lock();
    match args.format {
        CheckFormat::Json => {
            serde_json::to_writer_pretty(&mut out, &report)?;
            writeln!(out)?;
        }
        CheckFormat::Text => out.write_all(render(&doc, today, &report)?.as_bytes())?,
    }
    Ok(if findings.iter().any(CoachFinding::is_blocking) {
        ExitCode::from(FINDINGS)
    } else {
        ExitCode::SUCCESS
    })
}

/// The report for people: aligned, grouped, one section per part.
fn render(doc: &PostMortem, today: NaiveDate, r: &Report<'_>) -> anyhow::Result<String> {
    let mut s = String::new();
    let _ = writeln!(s, "{}  {}", doc.key, doc.title);
    let mut about = vec![
        doc.severity.to_string(),
        doc.status.to_string(),
        format!("post-mortem {}", doc.postmortem_status),
    ];
    if let Some(c) = &doc.category {
        about.push(c.clone());
    }
    about.push(format!("judged on {today}"));
    let _ = writeln!(s, "{}", about.join(" · "));
    s.push('\n');
    render_findings(&mut s, doc, r.findings)?;
    render_measures(&mut s, r.measures);
    render_sla(&mut s, r.sla);
    render_deadlines(&mut s, r.deadlines);
    render_steps(&mut s, r.steps);
    render_checklist(&mut s, r.checklist);
    Ok(s)
}

/// "2 blocking, 3 warnings, 1 info".
fn summary(findings: &[CoachFinding]) -> String {
    let n = |sev: FindingSeverity| findings.iter().filter(|f| f.severity == sev).count();
    let warnings = n(FindingSeverity::Warning);
    format!(
        "{} blocking, {warnings} warning{}, {} info",
        n(FindingSeverity::Blocking),
        if warnings == 1 { "" } else { "s" },
        n(FindingSeverity::Info)
    )
}

fn render_findings(
    s: &mut String,
    doc: &PostMortem,
    findings: &[CoachFinding],
) -> anyhow::Result<()> {
    let _ = writeln!(s, "Coach: {}", summary(findings));
    // The phrase a finding points at is quoted from the document itself,
    // found by the finding's field path in the document's JSON form.
    let json = serde_json::to_value(doc)?;
    let rule_width = findings.iter().map(|f| f.rule.len()).max().unwrap_or(0);
    for severity in [
        FindingSeverity::Blocking,
        FindingSeverity::Warning,
        FindingSeverity::Info,
    ] {
        for f in findings.iter().filter(|f| f.severity == severity) {
            let mut head = format!("  {:<8}  {:<rule_width$}", severity.as_str(), f.rule);
            if let Some(field) = &f.field {
                let _ = write!(head, "  {field}");
                if let Some(phrase) = field_text(&json, field).and_then(|t| f.excerpt(t)) {
                    let _ = write!(head, "  \"{}\"", shorten(phrase, 60));
                }
            }
            let _ = writeln!(s, "{}", head.trim_end());
            for line in wrap(&f.message, WIDTH - 6) {
                let _ = writeln!(s, "      {line}");
            }
            if !f.suggestion.is_empty() {
                for (i, line) in wrap(&format!("Suggestion: {}", f.suggestion), WIDTH - 6)
                    .iter()
                    .enumerate()
                {
                    let indent = if i == 0 { "      " } else { "        " };
                    let _ = writeln!(s, "{indent}{line}");
                }
            }
        }
    }
    s.push('\n');
    Ok(())
}

fn render_measures(s: &mut String, measures: &[MeasureDefinition]) {
    let _ = writeln!(s, "Response measures");
    let width = measures
        .iter()
        .map(|m| m.measure.label().len())
        .max()
        .unwrap_or(0);
    let moment_width = measures
        .iter()
        .flat_map(|m| [&m.from, &m.to])
        .map(|v| v.moment.as_str().len() + 2)
        .max()
        .unwrap_or(0);
    for m in measures {
        let value = m.value.map_or_else(|| "unknown".to_owned(), human);
        let _ = writeln!(s, "  {:<width$}  {value}", m.measure.label());
        for (word, end) in [("from", &m.from), ("to", &m.to)] {
            let name = format!("`{}`", end.moment);
            let Some(at) = end.at else {
                let _ = writeln!(s, "      {word:<4} {name:<moment_width$}  unknown");
                continue;
            };
            let lead = format!("      {word:<4} {name:<moment_width$}  {}  ", stamp(at));
            let source = end.source.describe();
            let mut lines = wrap(&source, WIDTH.saturating_sub(lead.len()).max(40)).into_iter();
            let _ = writeln!(s, "{lead}{}", lines.next().unwrap_or_default());
            for line in lines {
                let _ = writeln!(s, "{:indent$}{line}", "", indent = lead.len());
            }
        }
    }
    s.push('\n');
}

fn render_sla(s: &mut String, results: &[SlaResult]) {
    let severity = results
        .first()
        .map_or_else(String::new, |r| format!(" for {}", r.severity));
    let _ = writeln!(s, "SLA (default targets{severity}, from detection)");
    let width = results
        .iter()
        .map(|r| r.measure.label().len())
        .max()
        .unwrap_or(0);
    let rows: Vec<(String, String, String)> = results
        .iter()
        .map(|r| {
            let actual = r.actual.map_or_else(|| "-".to_owned(), human);
            let target = r.target.map_or_else(
                || "no target".to_owned(),
                |t| format!("target {}", human(t)),
            );
            let verdict = match r.met {
                Some(true) => "met".to_owned(),
                Some(false) => "MISSED".to_owned(),
                None if r.target.is_none() => "-".to_owned(),
                None => format!("not judged: `{}` unknown", r.until.moment),
            };
            (actual, target, verdict)
        })
        .collect();
    let aw = rows.iter().map(|r| r.0.len()).max().unwrap_or(0);
    let tw = rows.iter().map(|r| r.1.len()).max().unwrap_or(0);
    for (r, (actual, target, verdict)) in results.iter().zip(&rows) {
        let _ = writeln!(
            s,
            "  {:<width$}  {actual:>aw$}  {target:<tw$}  {verdict}",
            r.measure.label()
        );
    }
    s.push('\n');
}

fn render_deadlines(s: &mut String, deadlines: &[Deadline]) {
    let _ = writeln!(
        s,
        "Post-mortem process (deadlines from the incident's close)"
    );
    let width = deadlines.iter().map(|d| d.label.len()).max().unwrap_or(0);
    for d in deadlines {
        let due = d.due.map_or_else(
            || "no close time yet".to_owned(),
            |t| format!("due {}", stamp(t)),
        );
        let mut state = match d.state {
            DeadlineState::Overdue => "OVERDUE".to_owned(),
            other => other.label().to_lowercase(),
        };
        if d.done_late {
            state.push_str(" (late)");
        }
        if let Some(e) = &d.evidence {
            let _ = write!(state, ": {e}");
        }
        let _ = writeln!(s, "  {:<width$}  {due:<24}  {state}", d.label);
    }
    s.push('\n');
}

fn render_steps(s: &mut String, steps: &[StepProgress]) {
    let done = steps.iter().filter(|p| p.done).count();
    let _ = writeln!(s, "Six steps ({done} of {} done)", steps.len());
    let width = steps.iter().map(|p| p.label.len()).max().unwrap_or(0);
    for p in steps {
        let mark = if p.done { "[x]" } else { "[ ]" };
        let detail = if p.missing.is_empty() {
            p.evidence.join("; ")
        } else {
            format!("to do: {}", p.missing.join("; "))
        };
        let lead = format!("  {mark} {:<width$}  ", p.label);
        let mut lines = wrap(&detail, WIDTH.saturating_sub(lead.len()).max(40)).into_iter();
        let _ = writeln!(s, "{lead}{}", lines.next().unwrap_or_default().trim_end());
        for line in lines {
            let _ = writeln!(s, "{:indent$}{line}", "", indent = lead.len());
        }
    }
    s.push('\n');
}

fn render_checklist(s: &mut String, items: &[ChecklistItem]) {
    let done = items.iter().filter(|i| i.done).count();
    let _ = writeln!(s, "Checklist ({done} of {} done)", items.len());
    for group in ChecklistGroup::ALL {
        let in_group: Vec<&ChecklistItem> = items.iter().filter(|i| i.group == *group).collect();
        if in_group.is_empty() {
            continue;
        }
        let _ = writeln!(s, "  {}", group.label());
        for i in in_group {
            let mark = if i.done { "[x]" } else { "[ ]" };
            let _ = writeln!(s, "    {mark} {}", i.text);
            if let Some(e) = &i.evidence {
                for line in wrap(e, WIDTH - 10) {
                    let _ = writeln!(s, "        {line}");
                }
            }
        }
    }
}

// --------------------------------------------------------------- helpers

/// The text at a field path such as `timeline[3].details[0]` or
/// `impact.customer_impact` in a document's JSON form, if it is text.
fn field_text<'a>(doc: &'a Value, path: &str) -> Option<&'a str> {
    let mut at = doc;
    for part in path.split('.') {
        let (name, indices) = part
            .split_once('[')
            .map_or((part, ""), |(n, rest)| (n, rest));
        at = at.get(name)?;
        for index in indices.split('[').filter(|i| !i.is_empty()) {
            at = at.get(index.strip_suffix(']')?.parse::<usize>().ok()?)?;
        }
    }
    at.as_str()
}

/// A duration for people: "5m", "2h 15m", "3d 4h"; "-" before a negative one.
fn human(d: Duration) -> String {
    let total = d.num_seconds();
    let sign = if total < 0 { "-" } else { "" };
    let mut rest = total.unsigned_abs();
    let mut parts = Vec::new();
    for (unit, secs) in [("d", 86_400), ("h", 3_600), ("m", 60), ("s", 1)] {
        if rest >= secs {
            parts.push(format!("{}{unit}", rest / secs));
            rest %= secs;
        }
    }
    if parts.is_empty() {
        return "0s".to_owned();
    }
    format!("{sign}{}", parts.join(" "))
}

/// `text` cut to at most `max` characters, with "…" when it was cut.
fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let cut: String = text.chars().take(max.saturating_sub(1)).collect();
    format!("{}…", cut.trim_end())
}

/// "2025-11-28 14:23 UTC".
fn stamp(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M UTC").to_string()
}

/// Greedy word wrap to `width` columns (counted in characters); a word
/// longer than the width gets a line of its own.
pub(crate) fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > width {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_as_people_say_them() {
        assert_eq!(human(Duration::seconds(300)), "5m");
        assert_eq!(human(Duration::seconds(8_100)), "2h 15m");
        assert_eq!(human(Duration::seconds(93_600 + 60)), "1d 2h 1m");
        assert_eq!(human(Duration::zero()), "0s");
        assert_eq!(human(Duration::seconds(-90)), "-1m 30s");
    }

    #[test]
    fn a_field_path_finds_its_text_in_the_document() {
        let doc = serde_json::json!({
            "impact": {"customer_impact": "none"},
            "timeline": [{"details": ["a", "b"]}],
        });
        assert_eq!(field_text(&doc, "impact.customer_impact"), Some("none"));
        assert_eq!(field_text(&doc, "timeline[0].details[1]"), Some("b"));
        assert_eq!(field_text(&doc, "timeline[1].details[0]"), None);
        assert_eq!(field_text(&doc, "timeline[0]"), None, "not text");
    }

    #[test]
    fn a_long_quote_is_cut_on_a_character_boundary() {
        assert_eq!(shorten("short", 60), "short");
        assert_eq!(shorten("ééééé", 3), "éé…");
    }

    #[test]
    fn wrapping_keeps_words_whole_and_lines_short() {
        let lines = wrap("one two three four five", 9);
        assert_eq!(lines, ["one two", "three", "four five"]);
        assert!(wrap("", 10).is_empty());
    }
}
