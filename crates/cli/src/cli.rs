//! The command line, declared with clap.

use std::net::SocketAddr;
use std::path::PathBuf;

use chrono::NaiveDate;
use clap::{Parser, Subcommand, ValueEnum};
use debrief_core::coach::TextKind;
use debrief_core::dashboard::Group;

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
    /// Coach a piece of text read from standard input (needs no database).
    #[command(long_about = LINT_ABOUT)]
    Lint(LintArgs),
    /// Coach one post-mortem: findings, response measures, SLA, process and checklist.
    #[command(long_about = CHECK_ABOUT)]
    Check(CheckArgs),
    /// The metrics dashboard: volume, MTTD, MTTR, MTTC, repeats and action-item completion per period.
    #[command(long_about = METRICS_ABOUT)]
    Metrics(MetricsArgs),
    /// Action items for external trackers: Jira CSV / JSON export, status import.
    Actions {
        /// What to do.
        #[command(subcommand)]
        action: crate::tracker::ActionsAction,
    },
}

impl Command {
    /// The exit code of a failure. `lint` and `check` use 1 for "findings"
    /// so that CI can gate on them; their errors exit 2 so that a gate can
    /// tell a finding from a failure to look (as clap's usage errors do).
    pub fn error_exit_code(&self) -> u8 {
        match self {
            Command::Lint(_) | Command::Check(_) => 2,
            _ => 1,
        }
    }
}

const LINT_ABOUT: &str = "\
Coach a piece of text read from standard input (UTF-8) and print the findings as a JSON array.

Each element has the fields rule, severity (info, warning or blocking), message, start, end \
(byte offsets of the offending phrase in the input exactly as read) and suggestion. There is \
no field path: the text stands alone. `debrief lint --rules` lists the rules.

No database is opened or created.

Exit codes: 0 when no finding is a warning or worse (info findings, such as hindsight prompts, \
do not fail), 1 when there is a warning or a blocking finding, so that CI can gate on it; 2 on \
an error (bad arguments, input that is not UTF-8).

Example: echo 'The engineer failed to rotate the key.' | debrief lint";

const CHECK_ABOUT: &str = "\
Coach one stored post-mortem and show where its review stands: the coach's findings (with \
field paths), the response measures with how each was computed, the SLA targets of its \
severity met or missed (default targets), the post-mortem process deadlines, the six steps \
and the completion checklist.

The recurring-category pitfall counts the incidents of the same category detected (else \
created) in the 365 days before this one. Meeting length, follow-up review and sharing are \
not known to the CLI, so their pitfalls are not checked.

--today sets the day findings, deadlines and the checklist are judged on (deadlines at 00:00 \
UTC of that day); the default is the current UTC date and time.

Exit codes: 0 when no finding blocks publishing, 1 when one does, 2 on an error (such as an \
unknown key).";

const METRICS_ABOUT: &str = "\
The metrics dashboard over every incident (restricted ones counted, none named), per quarter or \
month of detection (UTC): incident volume, mean and median time to detect, respond and contain, \
dwell time, repeat incidents, action-item completion by horizon (0-7, 7-30, 30-90, 90+ days), \
and the trend of each. --format json prints exactly what GET /api/v1/metrics answers; the text \
format ends with the definition of every measure.

--from and --to are days of detection, both included. --today sets the day that decides which \
action items are due (the completion trends compare only those); the default is today, UTC.

Example: debrief metrics --from 2025-04-01 --group month";

/// `debrief lint`.
#[derive(Debug, clap::Args)]
pub struct LintArgs {
    /// What the text is: narrative, root-cause or action-item.
    #[arg(long = "as", value_name = "KIND", default_value = "narrative", value_parser = text_kind_parser())]
    pub kind: TextKind,
    /// Print the rule table (id, severity, summary) instead of linting.
    #[arg(long, conflicts_with = "kind")]
    pub rules: bool,
}

/// `debrief check`.
#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    /// Incident key, e.g. INC-2025-1128.
    pub key: String,
    /// The day to judge on, YYYY-MM-DD (default: today, UTC).
    #[arg(long, value_name = "YYYY-MM-DD", value_parser = parse_day)]
    pub today: Option<NaiveDate>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = CheckFormat::Text)]
    pub format: CheckFormat,
}

/// `debrief metrics`.
#[derive(Debug, clap::Args)]
pub struct MetricsArgs {
    /// First day of detection included, YYYY-MM-DD (default: no limit).
    #[arg(long, value_name = "YYYY-MM-DD", value_parser = parse_day)]
    pub from: Option<NaiveDate>,
    /// Last day of detection included, YYYY-MM-DD (default: no limit).
    #[arg(long, value_name = "YYYY-MM-DD", value_parser = parse_day)]
    pub to: Option<NaiveDate>,
    /// Periods: quarter or month.
    #[arg(long, value_name = "GROUP", default_value = "quarter", value_parser = group_parser())]
    pub group: Group,
    /// The day that decides which action items are due, YYYY-MM-DD (default: today, UTC).
    #[arg(long, value_name = "YYYY-MM-DD", value_parser = parse_day)]
    pub today: Option<NaiveDate>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = MetricsFormat::Text)]
    pub format: MetricsFormat,
}

/// Output formats of `metrics`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum MetricsFormat {
    /// A table per period with trends, then the definitions, for people.
    Text,
    /// The API's body: periods, completion_by_horizon, trends, definitions.
    Json,
}

/// `--group`: clap lists quarter and month in `--help` and in its error.
fn group_parser() -> impl clap::builder::TypedValueParser<Value = Group> {
    use clap::builder::TypedValueParser;
    clap::builder::PossibleValuesParser::new(Group::ALL.iter().map(|g| g.as_str()))
        .try_map(|s| s.parse::<Group>())
}

/// Output formats of `check`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CheckFormat {
    /// Aligned and grouped, for people.
    Text,
    /// One object with the keys findings, measures, sla, deadlines, steps, checklist.
    Json,
}

/// `--as`: clap lists the kinds in `--help` and in its error for a bad one.
fn text_kind_parser() -> impl clap::builder::TypedValueParser<Value = TextKind> {
    use clap::builder::TypedValueParser;
    clap::builder::PossibleValuesParser::new(TextKind::ALL.iter().map(|k| k.as_str()))
        .try_map(|s| s.parse::<TextKind>())
}

fn parse_day(s: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .map_err(|_| format!("`{s}` is not a date; use YYYY-MM-DD, e.g. 2025-12-01"))
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
