//! What each subcommand does. Thin: configuration, then a call into the
//! store, the web service or the report crate.

use std::io::{Read, Write};
use std::path::Path;

use anyhow::{Context, bail};
use chrono::Utc;
use debrief_core::input::from_json_slice;
use debrief_core::{IncidentKey, PostMortem};
use debrief_store::{IncidentFilter, Store, StoreError};

use crate::cli::{Args, Command, DemoAction, ExportFormat};
use crate::config::{Config, Overrides, redact};

/// Runs one command to completion.
pub fn run(args: Args) -> anyhow::Result<()> {
    let bind = match &args.command {
        Command::Serve { bind, .. } => *bind,
        _ => None,
    };
    let config = Config::load(
        args.config.as_deref(),
        Overrides {
            database_url: args.database_url.clone(),
            data_dir: args.data_dir.clone(),
            bind,
        },
    )?;
    init_logging(&config.log);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(dispatch(args.command, config))
}

fn init_logging(filter: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("RUST_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(filter));
    // Logs go to standard error so that standard output stays clean for
    // exports and JSON that scripts read.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

async fn open(config: &Config) -> anyhow::Result<Store> {
    let url = config.database_url()?;
    let store = Store::connect(&url)
        .await
        .with_context(|| format!("connecting to {}", redact(&url)))?;
    store.migrate().await.context("applying migrations")?;
    Ok(store)
}

async fn dispatch(command: Command, config: Config) -> anyhow::Result<()> {
    match command {
        Command::Serve { demo, .. } => serve(config, demo).await,
        Command::Migrate => {
            open(&config).await?;
            println!("database is up to date");
            Ok(())
        }
        Command::List {
            status,
            severity,
            category,
            q,
            limit,
            json,
        } => {
            let store = open(&config).await?;
            let filter = IncidentFilter {
                status: status
                    .map(|s| s.parse())
                    .transpose()
                    .map_err(anyhow::Error::msg)
                    .context("--status")?,
                severity: severity
                    .map(|s| s.parse())
                    .transpose()
                    .map_err(anyhow::Error::msg)
                    .context("--severity")?,
                category,
                q,
                limit: limit.clamp(1, 500),
                ..IncidentFilter::default()
            };
            let page = store.list(&filter).await?;
            let mut out = std::io::stdout().lock();
            if json {
                serde_json::to_writer_pretty(&mut out, &page)?;
                writeln!(out)?;
            } else {
                for s in &page.items {
                    let detected = s
                        .detected
                        .map(|d| d.format("%Y-%m-%d").to_string())
                        .unwrap_or_else(|| "-".into());
                    writeln!(
                        out,
                        "{:<16} {:<10} {:<9} {:<10} {}",
                        s.key, detected, s.severity, s.status, s.title
                    )?;
                }
                writeln!(out, "{} of {} incidents", page.items.len(), page.total)?;
            }
            Ok(())
        }
        Command::Export {
            key,
            format,
            output,
        } => {
            let store = open(&config).await?;
            let key = IncidentKey::parse(&key).map_err(anyhow::Error::msg)?;
            let doc = store.get(&key).await?;
            let text = match format {
                ExportFormat::Json => serde_json::to_string_pretty(&doc)? + "\n",
                ExportFormat::Md => debrief_report::markdown(&doc),
            };
            match output {
                Some(path) => std::fs::write(&path, text)
                    .with_context(|| format!("writing {}", path.display()))?,
                None => std::io::stdout().lock().write_all(text.as_bytes())?,
            }
            Ok(())
        }
        Command::Import { file, replace } => {
            let docs = read_documents(&file)?;
            let store = open(&config).await?;
            for doc in docs {
                let key = doc.key.clone();
                match store.import(doc, replace, Utc::now()).await {
                    Ok(d) => println!("imported {} (version {})", d.key, d.version),
                    Err(StoreError::AlreadyExists { .. }) => {
                        bail!(
                            "{key} exists already; nothing was changed for it (use --replace to overwrite)"
                        )
                    }
                    Err(e) => return Err(anyhow::Error::new(e).context(format!("importing {key}"))),
                }
            }
            Ok(())
        }
        Command::Demo {
            action: DemoAction::Load { replace },
        } => {
            let store = open(&config).await?;
            let n = load_demo(&store, replace).await?;
            println!("loaded {n} demo incidents");
            Ok(())
        }
    }
}

/// Reads one document or an array of documents, naming the field at fault.
fn read_documents(path: &Path) -> anyhow::Result<Vec<PostMortem>> {
    let mut bytes = Vec::new();
    if path == Path::new("-") {
        std::io::stdin().read_to_end(&mut bytes)?;
    } else {
        bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    }
    let first = bytes.iter().find(|b| !b.is_ascii_whitespace());
    let parsed = if first == Some(&b'[') {
        from_json_slice::<Vec<PostMortem>>(&bytes)
    } else {
        from_json_slice::<PostMortem>(&bytes).map(|d| vec![d])
    };
    parsed.with_context(|| format!("{} is not a debrief export", path.display()))
}

/// Loads the demo set; returns how many incidents were written.
pub async fn load_demo(store: &Store, replace: bool) -> anyhow::Result<usize> {
    let docs = debrief_core::demo::documents().context("the bundled demo data set is invalid")?;
    let mut written = 0;
    for doc in docs {
        match store.import(doc, replace, Utc::now()).await {
            Ok(_) => written += 1,
            Err(StoreError::AlreadyExists { .. }) => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(written)
}

async fn serve(config: Config, demo: bool) -> anyhow::Result<()> {
    let store = open(&config).await?;
    if demo {
        let n = load_demo(&store, false).await?;
        tracing::info!(loaded = n, "demo data set ready");
    }
    let listener = tokio::net::TcpListener::bind(config.bind)
        .await
        .with_context(|| format!("listening on {}", config.bind))?;
    let addr = listener.local_addr()?;
    // Scripts and tests read this line to find the port when bound to :0.
    println!("debrief listening on http://{addr}");
    std::io::stdout().flush()?;
    tracing::info!(%addr, database = %redact(&config.database_url()?), "serving");
    let app = debrief_web::router(debrief_web::AppState::new(store));
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown())
        .await?;
    Ok(())
}

async fn shutdown() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { () = ctrl_c => {}, () = term => {} }
    tracing::info!("shutting down");
}
