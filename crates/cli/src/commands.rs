//! What each subcommand does. Thin: configuration, then a call into the
//! store, the web service or the report crate.

use std::io::{Read, Write};
use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, bail};
use chrono::Utc;
use debrief_core::access::{Scope, UserRole};
use debrief_core::input::from_json_slice;
use debrief_core::{IncidentKey, PostMortem};
use debrief_store::{AuditFilter, Ctx, IncidentFilter, NewUser, Store, StoreError, Visibility};

use crate::cli::{Args, AuditAction, Command, DemoAction, ExportFormat, TokenAction, UserAction};
use crate::config::{Config, Overrides, redact};

/// Runs one command to completion; the exit code is success unless the
/// command has findings to report (`lint`, `check`).
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    // `lint` reads standard input only: no configuration, no database, and
    // the data folder is never created.
    if let Command::Lint(lint) = &args.command {
        return crate::coach::lint(lint);
    }
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
    // One-shot commands print their own results; their logs stay quiet
    // unless asked for, while `serve` logs at the configured level.
    let serving = matches!(args.command, Command::Serve { .. });
    let explicit =
        std::env::var_os("DEBRIEF_LOG").is_some() || std::env::var_os("RUST_LOG").is_some();
    init_logging(if serving || explicit {
        &config.log
    } else {
        "warn"
    });
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

async fn dispatch(command: Command, config: Config) -> anyhow::Result<ExitCode> {
    let done = match command {
        Command::Lint(lint) => return crate::coach::lint(&lint),
        Command::Check(check) => {
            let guide = config.guide()?;
            return crate::coach::check(&open(&config).await?, &guide, &check).await;
        }
        Command::Metrics(metrics) => {
            crate::metrics::run(&open(&config).await?, &metrics).await?;
            Ok(())
        }
        Command::Actions { action } => crate::tracker::run(&open(&config).await?, action).await,
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
            // The CLI runs with the database's own authority (whoever can
            // run it can read the file or connect to the database anyway).
            let page = store.list(&filter, &Visibility::All).await?;
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
                match store.import(doc, replace, &Ctx::system(Utc::now())).await {
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
        Command::User { action } => user(open(&config).await?, action).await,
        Command::Token { action } => token(open(&config).await?, action).await,
        Command::Audit { action } => audit(open(&config).await?, action).await,
        Command::Demo {
            action: DemoAction::Load { replace },
        } => {
            let store = open(&config).await?;
            let n = load_demo(&store, replace).await?;
            println!("loaded {n} demo incidents");
            Ok(())
        }
    };
    done.map(|()| ExitCode::SUCCESS)
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
        match store.import(doc, replace, &Ctx::system(Utc::now())).await {
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
        demo_users(&store).await?;
    }
    if let Some(token) = store.create_setup_token(&Ctx::system(Utc::now())).await? {
        // No users yet: there is no default password, only this one-time
        // token, printed where the operator who started the server sees it.
        println!(
            "first start: no users yet. Create the first admin with\n  debrief user create NAME --role admin --password-stdin\nor once, over the API, with this setup token:\n  POST /api/v1/setup {{\"token\": \"{}\", \"name\": ..., \"password\": ...}}",
            token.expose()
        );
    }
    let listener = tokio::net::TcpListener::bind(config.bind)
        .await
        .with_context(|| format!("listening on {}", config.bind))?;
    let addr = listener.local_addr()?;
    // Scripts and tests read this line to find the port when bound to :0.
    println!("debrief listening on http://{addr}");
    std::io::stdout().flush()?;
    tracing::info!(%addr, database = %redact(&config.database_url()?), "serving");
    // Expired sessions and stale throttle rows are deleted every ten
    // minutes; a failure is logged and tried again next time.
    let pruner = store.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(600));
        loop {
            tick.tick().await;
            if let Err(e) = pruner.prune_expired(Utc::now()).await {
                tracing::warn!(error = %e, "pruning expired sessions failed");
            }
        }
    });
    // Webhooks: the due-date scanner and the delivery dispatcher run beside
    // the server on the system clock and stop with it. Requests only write
    // the outbox, so a target that hangs never holds one up.
    let public_url = debrief_notify::worker::public_url_from_env();
    let notifier = {
        let store = store.clone();
        let public_url = public_url.clone();
        tokio::spawn(async move {
            let run = debrief_notify::worker::run(
                store,
                std::sync::Arc::new(debrief_notify::SystemClock),
                debrief_notify::worker::WorkerConfig::from_env(public_url),
                std::future::pending(),
            );
            if let Err(e) = run.await {
                tracing::error!(error = %e, "webhook delivery is not running");
            }
        })
    };
    let mut state = debrief_web::AppState::new(store);
    state.secure_cookies = config.secure_cookies;
    state.require_admin_mfa = config.require_admin_mfa;
    state.guide = std::sync::Arc::new(config.guide()?);
    state.public_url = public_url;
    let app = debrief_web::router(state);
    // Connection info gives handlers the peer address for the audit trail
    // and the per-address login throttle.
    let service = app.into_make_service_with_connect_info::<std::net::SocketAddr>();
    let served = axum::serve(listener, service)
        .with_graceful_shutdown(shutdown())
        .await;
    // A delivery cut off mid-flight is retried by the next start: its
    // claim expires and it is still pending.
    notifier.abort();
    served?;
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

/// The demo's users, one per role, with random passwords printed once when
/// they are created (a later `serve --demo` finds them and prints nothing).
async fn demo_users(store: &Store) -> anyhow::Result<()> {
    let roles = [
        ("demo-admin", UserRole::Admin),
        ("demo-commander", UserRole::IncidentCommander),
        ("demo-contributor", UserRole::Contributor),
        ("demo-viewer", UserRole::Viewer),
        ("demo-auditor", UserRole::Auditor),
    ];
    let mut created = Vec::new();
    for (name, role) in roles {
        if store.user_by_name(name).await?.is_some() {
            continue;
        }
        let password = debrief_auth::new_session_token()
            .expose()
            .chars()
            .take(20)
            .collect::<String>();
        store
            .create_user(
                NewUser {
                    name: name.into(),
                    role,
                    password: password.clone(),
                },
                &Ctx::system(Utc::now()),
            )
            .await?;
        created.push((name, role, password));
    }
    if !created.is_empty() {
        println!("demo users (passwords shown once; the admin sets up TOTP at first sign-in):");
        for (name, role, password) in created {
            println!("  {name:<18} {:<20} {password}", role.as_str());
        }
    }
    Ok(())
}

async fn user(store: Store, action: UserAction) -> anyhow::Result<()> {
    let ctx = Ctx::system(Utc::now());
    match action {
        UserAction::Create {
            name,
            role,
            password_stdin: _,
        } => {
            let role: UserRole = role.parse().map_err(anyhow::Error::msg).context("--role")?;
            let mut password = String::new();
            std::io::stdin()
                .read_line(&mut password)
                .context("reading the password from standard input")?;
            let password = password.trim_end_matches(['\n', '\r']).to_owned();
            let user = store
                .create_user(
                    NewUser {
                        name,
                        role,
                        password,
                    },
                    &ctx,
                )
                .await?;
            println!("created {} ({})", user.name, user.role);
        }
        UserAction::Disable { name } => {
            let user = store.disable_user(&name, &ctx).await?;
            println!(
                "disabled {}: sessions ended, tokens revoked, memberships removed",
                user.name
            );
        }
        UserAction::Enable { name } => {
            let user = store.enable_user(&name, &ctx).await?;
            println!("enabled {}", user.name);
        }
        UserAction::List => {
            for u in store.users().await? {
                let state = if u.disabled { "disabled" } else { "active" };
                let mfa = if u.totp_enabled { "totp" } else { "-" };
                println!("{:<24} {:<20} {:<8} {mfa}", u.name, u.role.as_str(), state);
            }
        }
    }
    Ok(())
}

async fn token(store: Store, action: TokenAction) -> anyhow::Result<()> {
    let ctx = Ctx::system(Utc::now());
    match action {
        TokenAction::Create {
            user,
            scope,
            expires,
            name,
        } => {
            let scope: Scope = scope
                .parse()
                .map_err(anyhow::Error::msg)
                .context("--scope")?;
            let (token, secret) = store
                .create_token(&user, &name, scope, expires, &ctx)
                .await?;
            let expiry = token
                .expires_at
                .map_or_else(|| "never".to_owned(), |t| t.to_rfc3339());
            println!(
                "token {} for {} (scope {}, expires {expiry}); it is shown once:",
                token.id, token.user, token.scope
            );
            // Alone on the last line, so scripts can take it with `tail -n 1`.
            println!("{}", secret.expose());
        }
        TokenAction::Revoke { id } => {
            let id = id
                .parse()
                .map_err(|_| anyhow::anyhow!("`{id}` is not a token id"))?;
            store.revoke_token(id, &ctx).await?;
            println!("revoked {id}");
        }
        TokenAction::List { user } => {
            for t in store.tokens(user.as_deref()).await? {
                let state = if t.revoked { "revoked" } else { "active" };
                println!(
                    "{} {:<20} {:<6} {:<8} {}",
                    t.id,
                    t.user,
                    t.scope.as_str(),
                    state,
                    t.name
                );
            }
        }
    }
    Ok(())
}

async fn audit(store: Store, action: AuditAction) -> anyhow::Result<()> {
    match action {
        AuditAction::Verify { head } => {
            let v = store.audit_verify(head).await?;
            match v.broken {
                None => println!(
                    "audit trail intact: {} entries, head {}",
                    v.entries,
                    v.head.unwrap_or_else(|| "(empty)".into())
                ),
                Some(b) => bail!("audit trail broken at entry {}: {}", b.seq, b.reason),
            }
        }
        AuditAction::Head => match store.audit_head().await? {
            Some((seq, hash)) => println!("{seq} {hash}"),
            None => println!("0 {}", debrief_core::audit::GENESIS),
        },
        AuditAction::List {
            actor,
            action,
            object,
            limit,
        } => {
            let filter = AuditFilter {
                actor,
                action,
                object,
                limit: limit.clamp(1, 1000),
                ..AuditFilter::default()
            };
            let mut out = std::io::stdout().lock();
            for e in store.audit_list(&filter).await?.items {
                serde_json::to_writer(&mut out, &e)?;
                writeln!(out)?;
            }
        }
    }
    Ok(())
}
