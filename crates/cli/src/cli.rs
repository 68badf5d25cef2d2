//! The command line, declared with clap.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

/// debrief: security incident post-mortems that teams learn from.
#[derive(Debug, Parser)]
#[command(name = "debrief", version, about, long_about = None)]
pub struct Args {
    /// Database URL: `sqlite://PATH` (default: a file in the data folder) or `postgres://...`.
    #[arg(long, global = true)]
    pub database_url: Option<String>,
    /// Configuration file (default: ./debrief.toml when present).
    #[arg(long, global = true)]
    pub config: Option<PathBuf>,
    /// Folder for the default SQLite database.
    #[arg(long, global = true)]
    pub data_dir: Option<PathBuf>,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the web service (applies pending migrations first).
    Serve {
        /// Address to listen on, e.g. 127.0.0.1:8080 (port 0 picks a free one).
        #[arg(long)]
        bind: Option<SocketAddr>,
        /// Load the demo data set (INC-2025-1128 and the 2025 history) if absent.
        #[arg(long)]
        demo: bool,
    },
    /// Apply pending database migrations.
    Migrate,
    /// List incidents.
    List {
        /// Only this incident status.
        #[arg(long)]
        status: Option<String>,
        /// Only this severity.
        #[arg(long)]
        severity: Option<String>,
        /// Only this category.
        #[arg(long)]
        category: Option<String>,
        /// Text to find in key, title or summary.
        #[arg(long)]
        q: Option<String>,
        /// At most this many.
        #[arg(long, default_value_t = 100)]
        limit: u64,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Write one post-mortem as JSON (lossless) or Markdown.
    Export {
        /// Incident key, e.g. INC-2025-1128.
        key: String,
        /// Output format.
        #[arg(long, value_enum, default_value_t = ExportFormat::Json)]
        format: ExportFormat,
        /// Write to this file instead of standard output.
        #[arg(long, short)]
        output: Option<PathBuf>,
    },
    /// Read post-mortems from a JSON file (one document or an array) written by `export`.
    Import {
        /// The file; `-` for standard input.
        file: PathBuf,
        /// Replace incidents whose key exists already.
        #[arg(long)]
        replace: bool,
    },
    /// The demo data set.
    Demo {
        /// What to do with it.
        #[command(subcommand)]
        action: DemoAction,
    },
}

/// Demo subcommands.
#[derive(Debug, Subcommand)]
pub enum DemoAction {
    /// Load the demo incidents (skipping keys that exist, unless --replace).
    Load {
        /// Replace demo incidents that exist already.
        #[arg(long)]
        replace: bool,
    },
}

/// Export formats.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ExportFormat {
    /// The whole document as JSON; `import` reads it back without loss.
    Json,
    /// Markdown in the order of the review.
    Md,
}
