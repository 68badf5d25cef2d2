//! Schema migrations, run by [`crate::Store::migrate`] and `debrief migrate`.
//!
//! Migrations are append-only: once one has shipped it is never edited (a
//! database that ran it will not run it again); a schema change is a new
//! file named `mYYYYMMDD_NNNNNN_what.rs` added at the end of the list. They
//! spell out the schema explicitly instead of deriving it from the entities,
//! so that changing an entity can never silently change an old migration.

use sea_orm_migration::prelude::*;

mod m20261122_000001_initial;
mod m20261122_000002_accounts;
mod m20261122_000003_review;
mod m20261122_000004_webhooks;
mod m20261122_000005_feeds;
mod m20261122_000006_search;
mod m20261122_000007_action_index;
mod m20261122_000008_similar;

/// The list of migrations, oldest first.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261122_000001_initial::Migration),
            Box::new(m20261122_000002_accounts::Migration),
            Box::new(m20261122_000003_review::Migration),
            Box::new(m20261122_000004_webhooks::Migration),
            Box::new(m20261122_000005_feeds::Migration),
            Box::new(m20261122_000006_search::Migration),
            Box::new(m20261122_000007_action_index::Migration),
            Box::new(m20261122_000008_similar::Migration),
        ]
    }
}
