//! `debrief actions export` and `debrief actions import`: action items to
//! and from an external tracker, on the command line.
//!
//! The CLI acts with the database's own authority (like `debrief export`):
//! the export holds every action item, restricted incidents included, and
//! the import may update any item. The formats are those of the API
//! (`GET /api/v1/action-items/export.csv`, `.json`, `POST
//! /api/v1/action-items/import`), documented in `debrief_core::tracker`.
//! The import is all or nothing: on any problem every problem is printed
//! with its line and column, nothing is applied and the exit code is 1.

use std::io::Write as _;
use std::path::PathBuf;

use anyhow::{Context, bail};
use chrono::Utc;
use clap::{Subcommand, ValueEnum};
use debrief_core::tracker::{ExportFilter, jira_csv, parse_status_updates, tracker_items};
use debrief_core::{ActionStatus, IncidentKey};
use debrief_store::{Ctx, Store, StoreError, Visibility};

/// What `debrief actions` does.
#[derive(Debug, Subcommand)]
pub enum ActionsAction {
    /// Export action items: a CSV for Jira's CSV importer (set its date format to yyyy-MM-dd), or JSON.
    Export {
        /// `csv` (Jira) or `json`.
        #[arg(long, value_enum, default_value_t = TrackerFormat::Csv)]
        format: TrackerFormat,
        /// Write to this file instead of standard output.
        #[arg(long)]
        out: Option<PathBuf>,
        /// Only items of this owner (case-insensitive).
        #[arg(long)]
        owner: Option<String>,
        /// Only items of this team (case-insensitive).
        #[arg(long)]
        team: Option<String>,
        /// Only items with this status, e.g. `in_progress`.
        #[arg(long)]
        status: Option<ActionStatus>,
        /// Only items of this incident.
        #[arg(long)]
        incident: Option<String>,
        /// The server's public address, for the links to incidents (e.g. https://debrief.example.com).
        #[arg(long, default_value = "")]
        base_url: String,
    },
    /// Apply status updates from a tracker's CSV export (columns `Issue key`, `Status`; optional `External ID`, `Resolution`), all or nothing.
    Import {
        /// The CSV file.
        file: PathBuf,
    },
}

/// Export formats of `debrief actions export`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TrackerFormat {
    /// For Jira's CSV importer.
    Csv,
    /// Each item with its incident's key, title and link.
    Json,
}

/// Runs `debrief actions ...`.
pub async fn run(store: &Store, action: ActionsAction) -> anyhow::Result<()> {
    match action {
        ActionsAction::Export {
            format,
            out,
            owner,
            team,
            status,
            incident,
            base_url,
        } => {
            let incident = incident
                .as_deref()
                .map(IncidentKey::parse)
                .transpose()
                .map_err(anyhow::Error::msg)?;
            let filter = ExportFilter {
                owner,
                team,
                status,
                incident,
            };
            let docs = store.headers_and_action_items(&Visibility::All).await?;
            let items = tracker_items(&docs, &filter, &base_url);
            let text = match format {
                TrackerFormat::Csv => jira_csv(&items)?,
                TrackerFormat::Json => serde_json::to_string_pretty(&items)? + "\n",
            };
            match out {
                Some(path) => std::fs::write(&path, text)
                    .with_context(|| format!("writing {}", path.display()))?,
                None => std::io::stdout().lock().write_all(text.as_bytes())?,
            }
            eprintln!("{} action items exported", items.len());
            Ok(())
        }
        ActionsAction::Import { file } => {
            let bytes =
                std::fs::read(&file).with_context(|| format!("reading {}", file.display()))?;
            let updates = match parse_status_updates(&bytes) {
                Ok(u) => u,
                Err(problems) => {
                    for p in &problems {
                        eprintln!("{}: {}: {}", file.display(), p.field(), p.message);
                    }
                    bail!("{} problem(s); nothing was applied", problems.len());
                }
            };
            match store
                .apply_tracker_updates(&updates, None, &Ctx::system(Utc::now()))
                .await
            {
                Ok(result) => {
                    for c in &result.changes {
                        println!(
                            "line {}: {} is {} #{}: {} -> {}{}",
                            c.line,
                            c.external_ref,
                            c.incident,
                            c.number,
                            c.from,
                            c.to,
                            if c.linked { " (linked)" } else { "" }
                        );
                    }
                    println!(
                        "{} changed, {} already up to date",
                        result.changes.len(),
                        result.unchanged
                    );
                    Ok(())
                }
                Err(StoreError::Invalid(errs)) => {
                    for e in &errs.0 {
                        eprintln!("{}: {}: {}", file.display(), e.field, e.message);
                    }
                    bail!("{} problem(s); nothing was applied", errs.0.len());
                }
                Err(e) => Err(e.into()),
            }
        }
    }
}
