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

/// The list of migrations, oldest first.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261122_000001_initial::Migration),
            Box::new(m20261122_000002_accounts::Migration),
            Box::new(m20261122_000003_review::Migration),
        ]
    }
}
