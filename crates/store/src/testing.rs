//! Helpers for the tests of this crate and of the crates built on it: a
//! fresh, migrated store on SQLite or PostgreSQL.
//!
//! ```no_run
//! # async fn t() {
//! let store = debrief_store::testing::sqlite_store().await;
//! let Some(pg) = debrief_store::testing::postgres_store().await else {
//!     println!("skipped: DEBRIEF_TEST_PG not set");
//!     return;
//! };
//! # }
//! ```
//!
//! These helpers panic on failure: a test that cannot get a database has
//! nothing to test.
#![allow(clippy::expect_used, clippy::panic)]

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use sea_orm::{ConnectionTrait, Database, Statement};

use crate::{Backend, Store};

/// The environment variable naming a PostgreSQL admin URL for tests.
pub const PG_ENV: &str = "DEBRIEF_TEST_PG";

/// The prefix of every database [`postgres_store`] creates.
pub const PG_PREFIX: &str = "debrief_test_";

/// Test databases older than this are dropped by the next [`postgres_store`]:
/// a test run that crashed leaves nothing behind for long.
const PG_STALE_SECS: u64 = 3600;

/// A fresh, migrated SQLite store in a file of its own temporary directory.
///
/// The directory lives as long as the store: it is removed when the last
/// clone of the returned [`Store`] is dropped.
pub async fn sqlite_store() -> Store {
    let dir = tempfile::Builder::new()
        .prefix("debrief-test-")
        .tempdir()
        .expect("create a temporary directory");
    let path = dir.path().join("debrief.db");
    let mut store = Store::connect(&format!("sqlite://{}", path.display()))
        .await
        .expect("open the SQLite test database");
    store.temp_dir = Some(Arc::new(dir));
    store
        .migrate()
        .await
        .expect("migrate the SQLite test database");
    store
}

/// A fresh, migrated PostgreSQL store in a database of its own, when
/// `DEBRIEF_TEST_PG` names an admin URL (such as
/// `postgres://postgres@127.0.0.1:5432/postgres`); `None` when it is unset,
/// and the caller prints `skipped: DEBRIEF_TEST_PG not set`.
///
/// The database is called `debrief_test_<unix time>_<random>`. Drop it with
/// [`drop_postgres_store`] at the end of the test; any left behind are
/// dropped by a later call once they are an hour old.
pub async fn postgres_store() -> Option<Store> {
    let admin_url = std::env::var(PG_ENV)
        .ok()
        .filter(|u| !u.trim().is_empty())?;
    let admin = Database::connect(admin_url.as_str())
        .await
        .expect("connect to DEBRIEF_TEST_PG");
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    drop_stale(&admin, now).await;
    let name = format!("{PG_PREFIX}{now}_{}", uuid::Uuid::new_v4().simple());
    admin
        .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
        .await
        .expect("create the PostgreSQL test database");
    admin.close().await.ok();
    let store = Store::connect(&with_database(&admin_url, &name))
        .await
        .expect("connect to the PostgreSQL test database");
    store
        .migrate()
        .await
        .expect("migrate the PostgreSQL test database");
    Some(store)
}

/// Closes a store made by [`postgres_store`] and drops its database. Does
/// nothing for other stores.
pub async fn drop_postgres_store(store: Store) {
    if store.backend() != Backend::Postgres {
        return;
    }
    let Ok(admin_url) = std::env::var(PG_ENV) else {
        return;
    };
    let row = store
        .connection()
        .query_one_raw(Statement::from_string(
            store.connection().get_database_backend(),
            "SELECT current_database()",
        ))
        .await
        .expect("ask for the database name");
    let name: String = row
        .and_then(|r| r.try_get_by_index(0).ok())
        .expect("current_database()");
    if !name.starts_with(PG_PREFIX) {
        return;
    }
    store.connection().clone().close().await.ok();
    let admin = Database::connect(admin_url.as_str())
        .await
        .expect("connect to DEBRIEF_TEST_PG");
    admin
        .execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
        .await
        .expect("drop the PostgreSQL test database");
    admin.close().await.ok();
}

/// Drops the test databases created more than [`PG_STALE_SECS`] ago.
async fn drop_stale(admin: &sea_orm::DatabaseConnection, now: u64) {
    let Ok(rows) = admin
        .query_all_raw(Statement::from_string(
            admin.get_database_backend(),
            format!("SELECT datname FROM pg_database WHERE datname LIKE '{PG_PREFIX}%'"),
        ))
        .await
    else {
        return;
    };
    for row in rows {
        let Ok(name) = row.try_get_by_index::<String>(0) else {
            continue;
        };
        let created = name
            .strip_prefix(PG_PREFIX)
            .and_then(|rest| rest.split('_').next())
            .and_then(|t| t.parse::<u64>().ok());
        if created.is_some_and(|t| t + PG_STALE_SECS < now) {
            // Best effort: another run may be dropping it too.
            let _ = admin
                .execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
                .await;
        }
    }
}

/// `url` with its database name replaced by `name`.
fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let root = match base[scheme_end..].find('/') {
        Some(i) => &base[..scheme_end + i],
        None => base,
    };
    match query {
        Some(q) => format!("{root}/{name}?{q}"),
        None => format!("{root}/{name}"),
    }
}

#[cfg(test)]
mod tests {
    use super::with_database;

    #[test]
    fn the_database_name_is_replaced_and_the_query_kept() {
        assert_eq!(
            with_database("postgres://postgres@127.0.0.1:5432/postgres", "x"),
            "postgres://postgres@127.0.0.1:5432/x"
        );
        assert_eq!(
            with_database("postgres://u:p@h/db?sslmode=disable", "x"),
            "postgres://u:p@h/x?sslmode=disable"
        );
        assert_eq!(
            with_database("postgres://h:5432", "x"),
            "postgres://h:5432/x"
        );
    }
}
