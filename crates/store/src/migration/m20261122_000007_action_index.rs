//! Indexes for the list of action items across incidents: by due day (the
//! list's order and its due window) and by team (its filter). Owner and
//! (status, due) are indexed since the first migration.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const INDEXES: &[(&str, &str)] = &[
    ("idx_action_items_due", "due"),
    ("idx_action_items_team", "team"),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (name, col) in INDEXES {
            manager
                .create_index(
                    Index::create()
                        .name(*name)
                        .table(Alias::new("action_items"))
                        .col(Alias::new(*col))
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (name, _) in INDEXES {
            manager
                .drop_index(
                    Index::drop()
                        .name(*name)
                        .table(Alias::new("action_items"))
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
