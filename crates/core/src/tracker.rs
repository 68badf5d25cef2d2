//! Action items and external trackers (Jira and anything that reads or
//! writes Jira's CSV): the export of items as a CSV that Jira's CSV
//! importer maps without a configuration file, as JSON, and the parser for
//! the status updates that come back as a CSV exported from the tracker.
//!
//! # Export
//!
//! One row per action item, with the columns Jira's importer recognises by
//! name ([`JIRA_COLUMNS`]):
//!
//! | Column        | Value                                                              |
//! |---------------|--------------------------------------------------------------------|
//! | Summary       | `#N title`                                                         |
//! | Description   | the item's description, incident key and title, success criteria (`[x]` when met), the link to the incident |
//! | Issue Type    | `Task`                                                             |
//! | Priority      | Jira's names: critical → `Highest`, high → `High`, medium → `Medium`, low → `Low` |
//! | Assignee      | the owner as written in debrief: map it to Jira users in the importer's value-mapping step |
//! | Due Date      | `yyyy-MM-dd`: enter exactly `yyyy-MM-dd` as the importer's "Date format" |
//! | Labels (×4)   | `debrief`, the incident key, the horizon, the kind: one per column (Jira reads repeated `Labels` columns as several labels; a label cannot contain white space, so white space becomes `_`) |
//! | Component     | the owning team                                                    |
//! | Status        | Jira's default workflow names: `To Do`, `In Progress`, `Blocked`, `Done` |
//! | Resolution    | `Done`, or `Won't Do` for an item decided against; empty while open |
//! | External ID   | the debrief item id: keep it in a custom field, so a later import can match the issue to its item |
//! | Issue key     | the item's `external_ref`, when it already has one                 |
//!
//! Headers carry no punctuation beyond the separating commas (Jira's
//! importer asks for that), which is why the team column is `Component`
//! and not `Component/s`.
//!
//! The file is also opened in spreadsheets, which run a cell starting with
//! `=`, `+`, `-`, `@`, a tab or a carriage return as a formula (CSV
//! injection). Cells holding free user text (Description, Assignee,
//! Component, Issue key) that start with one of those get a leading `'`,
//! as OWASP advises; Summary always starts with `#N` and needs none.
//!
//! # Import of status updates
//!
//! [`parse_status_updates`] reads a CSV as Jira exports it. The header row
//! is the first non-empty record; its columns are found by name, ignoring
//! case and surrounding white space: `Issue key` and `Status` are required;
//! `External ID`, `Resolution` and `Resolved` are optional and every other
//! column is ignored (a Jira export has dozens). A UTF-8 byte order mark is
//! skipped. Statuses map as follows (case-insensitive):
//!
//! | Jira status                                                    | debrief status |
//! |----------------------------------------------------------------|----------------|
//! | To Do, Open, Backlog, New, Reopened, Selected for Development  | `planned`      |
//! | In Progress, In Review, In Development, Under Review            | `in_progress`  |
//! | Blocked, On Hold                                               | `blocked`      |
//! | Done, Closed, Resolved, Complete, Completed                    | `complete`, or `wont_do` when the Resolution is Won't Do, Won't Fix, Wontfix, Declined, Rejected, Duplicate or Cannot Reproduce |
//!
//! debrief's own status names (`planned`, `in_progress`, `blocked`,
//! `complete`, `wont_do`) are accepted too. `verified` is not: verification
//! needs evidence of the success criteria, which a tracker does not have.
//!
//! Every problem in the file is collected, each with its 1-based line and
//! column and the column's name, so one round of fixes is enough: an
//! unknown status, an empty key, an External ID that is not a UUID, a key
//! given twice, a row with a different number of fields than the header,
//! bytes that are not UTF-8, a missing header. Whether the keys match
//! action items is for the store to check; it reports in the same shape
//! ([`CsvProblem::field`]). The parser returns either every update or every
//! problem, never a part: callers apply a file whole or not at all.

use std::collections::HashMap;
use std::fmt::Write as _;

use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::action::{ActionItem, ActionStatus, Priority};
use crate::document::PostMortem;
use crate::incident::IncidentKey;

/// The header row of the Jira CSV export, in order.
pub const JIRA_COLUMNS: [&str; 15] = [
    "Summary",
    "Description",
    "Issue Type",
    "Priority",
    "Assignee",
    "Due Date",
    "Labels",
    "Labels",
    "Labels",
    "Labels",
    "Component",
    "Status",
    "Resolution",
    "External ID",
    "Issue key",
];

/// The most rows [`parse_status_updates`] reads; a bigger file is refused
/// as a whole, so one request cannot pin the server.
pub const MAX_IMPORT_ROWS: usize = 10_000;

/// Which action items an export holds.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExportFilter {
    /// Only items of this owner (case-insensitive).
    pub owner: Option<String>,
    /// Only items of this team (case-insensitive).
    pub team: Option<String>,
    /// Only items with this status.
    pub status: Option<ActionStatus>,
    /// Only items of this incident.
    pub incident: Option<IncidentKey>,
}

impl ExportFilter {
    /// Whether `item` of incident `key` passes the filter.
    pub fn matches(&self, key: &IncidentKey, item: &ActionItem) -> bool {
        let same = |want: &Option<String>, have: &Option<String>| {
            // A blank filter value filters nothing (an empty form field).
            want.as_deref()
                .filter(|w| !w.trim().is_empty())
                .is_none_or(|w| {
                    have.as_deref()
                        .is_some_and(|h| h.trim().eq_ignore_ascii_case(w.trim()))
                })
        };
        same(&self.owner, &item.owner)
            && same(&self.team, &item.team)
            && self.status.is_none_or(|s| s == item.status)
            && self.incident.as_ref().is_none_or(|k| k == key)
    }
}

/// One action item with the incident it belongs to: a row of the export.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct TrackerItem {
    /// The incident's key.
    pub incident: IncidentKey,
    /// The incident's title.
    pub incident_title: String,
    /// Where the incident's post-mortem is, in debrief.
    pub link: String,
    /// The item, horizon filled in.
    pub item: ActionItem,
}

impl TrackerItem {
    /// `#N title (INC-...)`: how calendars and lists name the item.
    pub fn headline(&self) -> String {
        format!(
            "#{} {} ({})",
            self.item.number, self.item.title, self.incident
        )
    }
}

/// Every action item of `docs` that passes `filter`, in incident and item
/// order. `link_base` is put before `/incidents/KEY` in each link (empty
/// for a link relative to the server).
pub fn tracker_items(
    docs: &[PostMortem],
    filter: &ExportFilter,
    link_base: &str,
) -> Vec<TrackerItem> {
    let base = link_base.trim_end_matches('/');
    docs.iter()
        .flat_map(|doc| {
            doc.action_items
                .iter()
                .filter(|a| filter.matches(&doc.key, a))
                .map(|a| TrackerItem {
                    incident: doc.key.clone(),
                    incident_title: doc.title.clone(),
                    link: format!("{base}/incidents/{}", doc.key),
                    item: a.clone(),
                })
        })
        .collect()
}

/// Jira's priority name for a debrief priority.
pub fn jira_priority(p: Priority) -> &'static str {
    match p {
        Priority::Critical => "Highest",
        Priority::High => "High",
        Priority::Medium => "Medium",
        Priority::Low => "Low",
    }
}

/// The status and resolution of Jira's default workflow for a debrief
/// status. Verified and complete are both `Done`: Jira has no "proven to
/// work".
pub fn jira_status(s: ActionStatus) -> (&'static str, &'static str) {
    match s {
        ActionStatus::Planned => ("To Do", ""),
        ActionStatus::InProgress => ("In Progress", ""),
        ActionStatus::Blocked => ("Blocked", ""),
        ActionStatus::Complete | ActionStatus::Verified => ("Done", "Done"),
        ActionStatus::WontDo => ("Done", "Won't Do"),
    }
}

/// A Jira label: white space (not allowed in labels) becomes `_`.
fn label(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join("_")
}

/// The Description column: the item's text, then where it comes from,
/// its success criteria and the link back.
fn jira_description(t: &TrackerItem) -> String {
    let mut d = String::new();
    if !t.item.description.trim().is_empty() {
        d.push_str(t.item.description.trim());
        d.push_str("\n\n");
    }
    let _ = writeln!(d, "Incident: {} {}", t.incident, t.incident_title);
    if !t.item.success_criteria.is_empty() {
        d.push_str("Success criteria:\n");
        for c in &t.item.success_criteria {
            let _ = writeln!(d, "- [{}] {}", if c.done { "x" } else { " " }, c.text);
        }
    }
    let _ = write!(d, "Link: {}", t.link);
    d
}

/// User text for a CSV cell: a leading `'` when a spreadsheet would read
/// the cell as a formula.
fn cell(s: &str) -> String {
    if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s.to_owned()
    }
}

/// Writing the CSV failed (it writes to memory, so this means a bug).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the CSV could not be written: {0}")]
pub struct CsvWriteError(String);

/// The items as a CSV for Jira's CSV importer: the header [`JIRA_COLUMNS`],
/// then one row per item.
pub fn jira_csv(items: &[TrackerItem]) -> Result<String, CsvWriteError> {
    let err = |e: csv::Error| CsvWriteError(e.to_string());
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(JIRA_COLUMNS).map_err(err)?;
    for t in items {
        let a = &t.item;
        let (status, resolution) = jira_status(a.status);
        let due = a.due.map(|d| d.format("%Y-%m-%d").to_string());
        let horizon = a.horizon.map(|h| h.as_str()).unwrap_or_default();
        let kind = a.kind.map(|k| k.as_str()).unwrap_or_default();
        w.write_record([
            format!("#{} {}", a.number, a.title).as_str(),
            cell(&jira_description(t)).as_str(),
            "Task",
            jira_priority(a.priority),
            &cell(a.owner.as_deref().unwrap_or_default()),
            due.as_deref().unwrap_or_default(),
            "debrief",
            &label(t.incident.as_str()),
            horizon,
            kind,
            &cell(a.team.as_deref().unwrap_or_default()),
            status,
            resolution,
            &a.id.to_string(),
            &cell(a.external_ref.as_deref().unwrap_or_default()),
        ])
        .map_err(err)?;
    }
    let bytes = w.into_inner().map_err(|e| CsvWriteError(e.to_string()))?;
    String::from_utf8(bytes).map_err(|e| CsvWriteError(e.to_string()))
}

/// One status update read from a tracker's CSV.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct StatusUpdate {
    /// The line of the row in the file, from 1.
    pub line: u64,
    /// The column of `Issue key`, from 1, for problems with the key.
    pub key_column: usize,
    /// The ticket in the tracker, matched against `external_ref`.
    pub external_ref: String,
    /// The debrief item id from the `External ID` column, if given: links
    /// an item that has no `external_ref` yet to its ticket.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub external_id: Option<Uuid>,
    /// The status the item is to have.
    pub status: ActionStatus,
    /// The status as the tracker wrote it (with the resolution, if any),
    /// for the note in the item's status history.
    pub tracker_status: String,
}

/// One problem with a CSV file, by line and column.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct CsvProblem {
    /// The line, from 1.
    pub line: u64,
    /// The column, from 1; `None` when the problem is the whole row.
    pub column: Option<usize>,
    /// The column's name from the header, if it has one.
    pub column_name: Option<String>,
    /// What is wrong, in words a user can act on.
    pub message: String,
}

impl CsvProblem {
    /// A problem in column `column` (from 1) named `name`.
    pub fn at(line: u64, column: usize, name: &str, message: impl Into<String>) -> Self {
        Self {
            line,
            column: Some(column),
            column_name: Some(name.to_owned()),
            message: message.into(),
        }
    }

    /// Where the problem is, as the `field` of a validation error:
    /// `line 3, column 2 (Status)`.
    pub fn field(&self) -> String {
        match (self.column, &self.column_name) {
            (Some(c), Some(n)) => format!("line {}, column {c} ({n})", self.line),
            (Some(c), None) => format!("line {}, column {c}", self.line),
            _ => format!("line {}", self.line),
        }
    }
}

/// Problems as validation errors: one per problem, the field naming line
/// and column.
pub fn problems_as_errors(problems: &[CsvProblem]) -> crate::ValidationErrors {
    let mut errs = crate::ValidationErrors::default();
    for p in problems {
        errs.push(p.field(), p.message.clone());
    }
    errs
}

/// The debrief status for a tracker status and resolution; `None` when the
/// status is not one of the documented names.
pub fn map_status(status: &str, resolution: &str) -> Option<ActionStatus> {
    let s = status.trim().to_ascii_lowercase();
    let r = resolution
        .trim()
        .to_ascii_lowercase()
        .replace('\u{2019}', "'");
    let wont = matches!(
        r.as_str(),
        "won't do"
            | "won't fix"
            | "wont do"
            | "wont fix"
            | "wontfix"
            | "declined"
            | "rejected"
            | "duplicate"
            | "cannot reproduce"
    );
    Some(match s.as_str() {
        "to do"
        | "todo"
        | "open"
        | "backlog"
        | "new"
        | "reopened"
        | "selected for development"
        | "planned" => ActionStatus::Planned,
        "in progress" | "in review" | "in development" | "under review" | "in_progress" => {
            ActionStatus::InProgress
        }
        "blocked" | "on hold" => ActionStatus::Blocked,
        "done" | "closed" | "resolved" | "complete" | "completed" if wont => ActionStatus::WontDo,
        "done" | "closed" | "resolved" | "complete" | "completed" => ActionStatus::Complete,
        "wont_do" | "won't do" => ActionStatus::WontDo,
        _ => return None,
    })
}

/// Where the columns the import reads are, 0-based.
struct Header {
    key: usize,
    status: usize,
    external_id: Option<usize>,
    resolution: Option<usize>,
    names: Vec<String>,
}

impl Header {
    fn find(fields: &[String], name: &str) -> Option<usize> {
        fields
            .iter()
            .position(|f| f.trim().eq_ignore_ascii_case(name))
    }

    fn name(&self, i: usize) -> &str {
        self.names.get(i).map(|s| s.trim()).unwrap_or_default()
    }
}

/// Reads the status updates of a CSV exported from a tracker (see the
/// module documentation for the columns and the status mapping). Returns
/// every update, or every problem found in the whole file.
pub fn parse_status_updates(bytes: &[u8]) -> Result<Vec<StatusUpdate>, Vec<CsvProblem>> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    // The csv crate's line numbers skip blank lines; count them from byte
    // offsets instead, so a line number is the one an editor shows.
    let newlines: Vec<usize> = bytes
        .iter()
        .enumerate()
        .filter(|(_, b)| **b == b'\n')
        .map(|(i, _)| i)
        .collect();
    let line_at = |pos: Option<&csv::Position>| -> u64 {
        let mut byte = pos.map_or(0, |p| usize::try_from(p.byte()).unwrap_or(usize::MAX));
        // A record's position is where reading started, before the blank
        // lines the reader skipped: the record starts after them.
        while bytes.get(byte).is_some_and(|b| matches!(b, b'\r' | b'\n')) {
            byte += 1;
        }
        let before = newlines.partition_point(|&i| i < byte);
        u64::try_from(before).unwrap_or(u64::MAX).saturating_add(1)
    };
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(bytes);
    let mut problems = Vec::new();
    let mut header: Option<Header> = None;
    let mut updates = Vec::new();
    let mut seen: HashMap<String, u64> = HashMap::new();
    let mut rows = 0usize;
    let mut record = csv::ByteRecord::new();
    loop {
        let line = line_at(Some(reader.position()));
        match reader.read_byte_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                // A CSV syntax error cannot be skipped reliably (a stray quote
                // swallows what follows): report it and stop reading.
                let line = e.position().map_or(line, |p| line_at(Some(p)));
                problems.push(CsvProblem {
                    line,
                    column: None,
                    column_name: None,
                    message: format!("is not valid CSV: {e}"),
                });
                break;
            }
        }
        let line = record.position().map_or(line, |p| line_at(Some(p)));
        // Decode every field, reporting each one that is not UTF-8.
        let mut fields = Vec::with_capacity(record.len());
        let mut bad = false;
        for (i, raw) in record.iter().enumerate() {
            match std::str::from_utf8(raw) {
                Ok(s) => fields.push(s.to_owned()),
                Err(e) => {
                    bad = true;
                    let name = header.as_ref().map(|h| h.name(i).to_owned());
                    problems.push(CsvProblem {
                        line,
                        column: Some(i + 1),
                        column_name: name.filter(|n| !n.is_empty()),
                        message: format!(
                            "is not UTF-8 text (invalid byte at offset {}); save the file as UTF-8",
                            e.valid_up_to()
                        ),
                    });
                    fields.push(String::new());
                }
            }
        }
        if fields.iter().all(|f| f.trim().is_empty()) && !bad {
            continue;
        }
        let Some(h) = &header else {
            let key = Header::find(&fields, "Issue key");
            let status = Header::find(&fields, "Status");
            match (key, status) {
                (Some(key), Some(status)) => {
                    header = Some(Header {
                        key,
                        status,
                        external_id: Header::find(&fields, "External ID"),
                        resolution: Header::find(&fields, "Resolution"),
                        names: fields,
                    });
                }
                _ => {
                    let missing: Vec<&str> = [("Issue key", key), ("Status", status)]
                        .into_iter()
                        .filter(|(_, at)| at.is_none())
                        .map(|(n, _)| n)
                        .collect();
                    problems.push(CsvProblem {
                        line,
                        column: None,
                        column_name: None,
                        message: format!(
                            "the header row has no {} column; export the issues from the tracker with the columns `Issue key` and `Status`",
                            missing.join(" or ")
                        ),
                    });
                    // Without a header no row can be read.
                    return Err(problems);
                }
            }
            continue;
        };
        rows += 1;
        if rows > MAX_IMPORT_ROWS {
            problems.push(CsvProblem {
                line,
                column: None,
                column_name: None,
                message: format!("the file has more than {MAX_IMPORT_ROWS} rows; split it"),
            });
            break;
        }
        if fields.len() != h.names.len() {
            problems.push(CsvProblem {
                line,
                column: Some(fields.len().min(h.names.len()) + 1),
                column_name: None,
                message: format!(
                    "the row has {} fields but the header has {}",
                    fields.len(),
                    h.names.len()
                ),
            });
            continue;
        }
        if bad {
            continue;
        }
        let get = |i: usize| fields.get(i).map(|s| s.trim()).unwrap_or_default();
        let mut ok = true;
        let key = get(h.key);
        if key.is_empty() {
            ok = false;
            problems.push(CsvProblem::at(line, h.key + 1, h.name(h.key), "is empty"));
        } else if let Some(first) = seen.get(key) {
            ok = false;
            problems.push(CsvProblem::at(
                line,
                h.key + 1,
                h.name(h.key),
                format!("`{key}` is already on line {first}"),
            ));
        } else {
            seen.insert(key.to_owned(), line);
        }
        let resolution = h.resolution.map(get).unwrap_or_default();
        let raw_status = get(h.status);
        let status = map_status(raw_status, resolution);
        if status.is_none() {
            ok = false;
            problems.push(CsvProblem::at(
                line,
                h.status + 1,
                h.name(h.status),
                format!(
                    "`{raw_status}` is not a known status; use To Do, In Progress, Blocked or Done (see the mapping in the documentation)"
                ),
            ));
        }
        let external_id = match h.external_id.map(get).filter(|s| !s.is_empty()) {
            None => None,
            Some(s) => match Uuid::parse_str(s) {
                Ok(id) => Some(id),
                Err(_) => {
                    ok = false;
                    let col = h.external_id.unwrap_or_default();
                    problems.push(CsvProblem::at(
                        line,
                        col + 1,
                        h.name(col),
                        format!("`{s}` is not a debrief action item id (a UUID)"),
                    ));
                    None
                }
            },
        };
        if let (true, Some(status)) = (ok, status) {
            let tracker_status = if resolution.is_empty() {
                raw_status.to_owned()
            } else {
                format!("{raw_status} ({resolution})")
            };
            updates.push(StatusUpdate {
                line,
                key_column: h.key + 1,
                external_ref: key.to_owned(),
                external_id,
                status,
                tracker_status,
            });
        }
    }
    if header.is_none() && problems.is_empty() {
        problems.push(CsvProblem {
            line: 1,
            column: None,
            column_name: None,
            message: "the file is empty; expected a header row with `Issue key` and `Status`"
                .to_owned(),
        });
    }
    if problems.is_empty() {
        Ok(updates)
    } else {
        Err(problems)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc() -> PostMortem {
        serde_json::from_value(serde_json::json!({
            "key": "INC-2025-1128", "title": "Admin account compromise", "severity": "critical",
            "status": "closed", "postmortem_status": "draft", "lifecycle": {"detected": "2025-11-28T10:00:00Z"},
            "action_items": [
                {"number": 1, "title": "Enforce MFA, everywhere", "priority": "critical",
                 "status": "in_progress", "owner": "Ana", "team": "Identity Team",
                 "due": "2025-11-30", "kind": "prevent", "description": "Line one\nline \"two\"",
                 "success_criteria": [{"text": "100% of admins", "done": true}],
                 "id": "0192f3c0-0000-7000-8000-000000000001"},
                {"number": 2, "title": "Drop legacy VPN", "priority": "low", "status": "wont_do",
                 "external_ref": "SEC-7", "id": "0192f3c0-0000-7000-8000-000000000002"}
            ]
        }))
        .map(PostMortem::with_computed)
        .unwrap()
    }

    #[test]
    fn the_export_has_one_row_per_item_under_the_jira_header() {
        let items = tracker_items(&[doc()], &ExportFilter::default(), "https://d.example/");
        let csv = jira_csv(&items).unwrap();
        let mut r = csv::ReaderBuilder::new().from_reader(csv.as_bytes());
        let header: Vec<String> = r.headers().unwrap().iter().map(str::to_owned).collect();
        assert_eq!(header, JIRA_COLUMNS);
        let rows: Vec<csv::StringRecord> = r.records().map(Result::unwrap).collect();
        assert_eq!(rows.len(), 2);
        let row = &rows[0];
        assert_eq!(&row[0], "#1 Enforce MFA, everywhere");
        assert!(row[1].contains("Line one\nline \"two\""), "{}", &row[1]);
        assert!(row[1].contains("Incident: INC-2025-1128"));
        assert!(row[1].contains("- [x] 100% of admins"));
        assert!(row[1].contains("Link: https://d.example/incidents/INC-2025-1128"));
        assert_eq!(&row[3], "Highest");
        assert_eq!(&row[5], "2025-11-30");
        assert_eq!(
            [&row[6], &row[7], &row[8], &row[9]],
            ["debrief", "INC-2025-1128", "immediate", "prevent"]
        );
        assert_eq!(&row[10], "Identity Team");
        assert_eq!(&row[11], "In Progress");
        assert_eq!(&row[13], "0192f3c0-0000-7000-8000-000000000001");
        assert_eq!(
            (&rows[1][11], &rows[1][12], &rows[1][14]),
            ("Done", "Won't Do", "SEC-7")
        );
    }

    #[test]
    fn cells_a_spreadsheet_would_run_as_formulas_are_neutralised() {
        let mut d = doc();
        d.action_items[0].owner = Some("=HYPERLINK(\"http://x\")".into());
        d.action_items[0].description = "@SUM(A1)".into();
        d.action_items[0].team = Some("-2+3".into());
        let csv = jira_csv(&tracker_items(&[d], &ExportFilter::default(), "")).unwrap();
        let mut r = csv::ReaderBuilder::new().from_reader(csv.as_bytes());
        let row = r.records().next().unwrap().unwrap();
        assert_eq!(&row[4], "'=HYPERLINK(\"http://x\")");
        assert!(row[1].starts_with("'@SUM(A1)"));
        assert_eq!(&row[10], "'-2+3");
        assert_eq!(cell("Identity"), "Identity");
    }

    #[test]
    fn filters_pick_items_by_owner_team_status_and_incident() {
        let d = [doc()];
        let pick = |f: ExportFilter| {
            tracker_items(&d, &f, "")
                .iter()
                .map(|t| t.item.number)
                .collect::<Vec<_>>()
        };
        assert_eq!(
            pick(ExportFilter {
                owner: Some("ana".into()),
                ..Default::default()
            }),
            [1]
        );
        assert_eq!(
            pick(ExportFilter {
                team: Some("Nobody".into()),
                ..Default::default()
            }),
            [0; 0]
        );
        assert_eq!(
            pick(ExportFilter {
                status: Some(ActionStatus::WontDo),
                ..Default::default()
            }),
            [2]
        );
        let other = IncidentKey::parse("INC-2025-0001").unwrap();
        assert!(
            pick(ExportFilter {
                incident: Some(other),
                ..Default::default()
            })
            .is_empty()
        );
    }

    #[test]
    fn our_own_export_reads_back_as_the_same_statuses() {
        let items = tracker_items(&[doc()], &ExportFilter::default(), "");
        let csv = jira_csv(&items).unwrap();
        // The first item has no ticket yet: its key column is empty.
        let problems = parse_status_updates(csv.as_bytes()).unwrap_err();
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].field(), "line 2, column 15 (Issue key)");
        let fixed = csv.replacen(
            ",0192f3c0-0000-7000-8000-000000000001,",
            ",0192f3c0-0000-7000-8000-000000000001,SEC-6",
            1,
        );
        let updates = parse_status_updates(fixed.as_bytes()).unwrap();
        let got: Vec<(&str, ActionStatus, Option<Uuid>)> = updates
            .iter()
            .map(|u| (u.external_ref.as_str(), u.status, u.external_id))
            .collect();
        assert_eq!(got[0].0, "SEC-6");
        assert_eq!(got[0].1, ActionStatus::InProgress);
        assert_eq!(got[1].1, ActionStatus::WontDo);
        // A description spanning lines moves the second row's line number.
        assert!(updates[1].line > 3, "{updates:?}");
    }

    #[test]
    fn a_jira_export_maps_statuses_and_resolutions() {
        let file = "\u{feff}Summary,Issue key,Issue id,STATUS,Resolution,Resolved\n\
                    A,SEC-1,1,To Do,,\n\
                    B,SEC-2,2,In Review,,\n\
                    C,SEC-3,3,blocked,,\n\
                    D,SEC-4,4,Done,Done,22/Nov/26 7:35 AM\n\
                    E,SEC-5,5,Closed,Won't Fix,\n\
                    \n\
                    F,SEC-6,6,Resolved,Duplicate,\n";
        let updates = parse_status_updates(file.as_bytes()).unwrap();
        let got: Vec<(&str, ActionStatus, u64)> = updates
            .iter()
            .map(|u| (u.external_ref.as_str(), u.status, u.line))
            .collect();
        assert_eq!(
            got,
            [
                ("SEC-1", ActionStatus::Planned, 2),
                ("SEC-2", ActionStatus::InProgress, 3),
                ("SEC-3", ActionStatus::Blocked, 4),
                ("SEC-4", ActionStatus::Complete, 5),
                ("SEC-5", ActionStatus::WontDo, 6),
                ("SEC-6", ActionStatus::WontDo, 8),
            ]
        );
        assert_eq!(updates[4].tracker_status, "Closed (Won't Fix)");
        assert_eq!(updates[0].key_column, 2);
    }

    #[test]
    fn every_bad_row_is_reported_by_line_and_column() {
        let mut file = b"Issue key,Status,External ID\n\
                     SEC-1,Done,\n\
                     ,Done,\n\
                     SEC-3,Sleeping,\n\
                     SEC-4,Done\n\
                     SEC-1,To Do,\n\
                     SEC-6,Done,not-a-uuid\n"
            .to_vec();
        file.extend_from_slice(b"SEC-7,Don\xFFe,\n");
        let problems = parse_status_updates(&file).unwrap_err();
        let fields: Vec<String> = problems.iter().map(CsvProblem::field).collect();
        assert_eq!(
            fields,
            [
                "line 3, column 1 (Issue key)",
                "line 4, column 2 (Status)",
                "line 5, column 3",
                "line 6, column 1 (Issue key)",
                "line 7, column 3 (External ID)",
                "line 8, column 2 (Status)",
            ]
        );
        assert!(problems[1].message.contains("`Sleeping`"));
        assert!(
            problems[2]
                .message
                .contains("2 fields but the header has 3")
        );
        assert!(problems[3].message.contains("already on line 2"));
        assert!(problems[5].message.contains("UTF-8"));
        let errs = problems_as_errors(&problems);
        assert_eq!(errs.0.len(), 6);
    }

    #[test]
    fn a_file_without_the_header_columns_is_refused() {
        let problems = parse_status_updates(b"\n\nSummary,State\nA,Done\n").unwrap_err();
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].line, 3);
        assert!(
            problems[0].message.contains("Issue key or Status"),
            "{problems:?}"
        );
        assert!(parse_status_updates(b"").is_err());
        assert!(
            parse_status_updates(b"Issue key,Status\n")
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn an_unterminated_quote_is_reported_not_swallowed() {
        // The csv crate reads an open quote to the end of input: the row
        // becomes one long field, which is a ragged row.
        let problems =
            parse_status_updates(b"Issue key,Status\nSEC-1,\"Done\nSEC-2,Done\n").unwrap_err();
        assert_eq!(problems[0].line, 2);
    }

    /// Lines of real files nobody wrote for debrief: logs, CSVs of other
    /// shapes, JSON. The parser must answer with problems, never panic.
    #[test]
    fn garbage_from_the_shared_datasets_gives_errors_not_panics() {
        let root =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/datasets");
        if !root.is_dir() {
            println!("skipped: {} is absent", root.display());
            return;
        }
        let files = [
            "loghub/OpenSSH/OpenSSH_2k.log",
            "loghub/Linux/Linux_2k.log_structured.csv",
            "loghub/OpenSSH/OpenSSH_2k.log_templates.csv",
            "SOURCES.md",
        ];
        let mut tried = 0;
        for f in files {
            let Ok(bytes) = std::fs::read(root.join(f)) else {
                continue;
            };
            tried += 1;
            let head: Vec<u8> = bytes.iter().copied().take(20_000).collect();
            assert!(parse_status_updates(&head).is_err(), "{f}");
            // The same lines under a valid header: every row is a problem.
            let mut with_header = b"Issue key,Status\n".to_vec();
            with_header.extend_from_slice(&head);
            let problems = parse_status_updates(&with_header).unwrap_err();
            assert!(!problems.is_empty(), "{f}");
            assert!(problems.iter().all(|p| p.line >= 2), "{f}");
            // And cut at arbitrary bytes, including inside UTF-8 sequences.
            for cut in [1, 7, 100, 1001] {
                let part: Vec<u8> = with_header
                    .iter()
                    .copied()
                    .step_by(cut.min(3))
                    .take(cut * 10)
                    .collect();
                let _ = parse_status_updates(&part);
            }
        }
        assert!(tried > 0, "no dataset file could be read");
    }
}
