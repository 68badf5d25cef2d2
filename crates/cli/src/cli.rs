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
    /// Users.
    User {
        /// What to do.
        #[command(subcommand)]
        action: UserAction,
    },
    /// API tokens.
    Token {
        /// What to do.
        #[command(subcommand)]
        action: TokenAction,
    },
    /// The tamper-evident audit trail.
    Audit {
        /// What to do.
        #[command(subcommand)]
        action: AuditAction,
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

/// User subcommands.
#[derive(Debug, Subcommand)]
pub enum UserAction {
    /// Create a user; the password is read from standard input.
    Create {
        /// User name.
        name: String,
        /// Role: admin, incident_commander, contributor, viewer or auditor.
        #[arg(long)]
        role: String,
        /// Read the password from standard input (one line). Required: passwords never go on the command line.
        #[arg(long, required = true)]
        password_stdin: bool,
    },
    /// Disable a user: ends their sessions, revokes their tokens, removes their memberships.
    Disable {
        /// User name.
        name: String,
    },
    /// Enable a disabled user.
    Enable {
        /// User name.
        name: String,
    },
    /// List users.
    List,
}

/// Token subcommands.
#[derive(Debug, Subcommand)]
pub enum TokenAction {
    /// Create an API token; prints it alone on the last line (shown once).
    Create {
        /// The user the token acts as.
        #[arg(long)]
        user: String,
        /// What it may do: read, write or admin.
        #[arg(long, default_value = "read")]
        scope: String,
        /// Days until it expires (never when absent).
        #[arg(long)]
        expires: Option<u32>,
        /// What it is for.
        #[arg(long, default_value = "cli")]
        name: String,
    },
    /// Revoke a token by id.
    Revoke {
        /// Token id (from `token list`).
        id: String,
    },
    /// List tokens.
    List {
        /// Only this user's.
        #[arg(long)]
        user: Option<String>,
    },
}

/// Audit subcommands.
#[derive(Debug, Subcommand)]
pub enum AuditAction {
    /// Walk the hash chain; exit 1 and name the first broken link if any.
    Verify {
        /// A head hash kept outside the database (from `audit head`), to catch a cut tail.
        #[arg(long)]
        head: Option<String>,
    },
    /// Print the current head: sequence number and hash.
    Head,
    /// Print entries, newest first, as JSON lines.
    List {
        /// Only this actor.
        #[arg(long)]
        actor: Option<String>,
        /// Only actions starting with this, e.g. `login.`.
        #[arg(long)]
        action: Option<String>,
        /// Only objects starting with this, e.g. `incident:INC-2025-1128`.
        #[arg(long)]
        object: Option<String>,
        /// At most this many.
        #[arg(long, default_value_t = 100)]
        limit: u64,
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
