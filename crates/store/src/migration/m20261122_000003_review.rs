//! The review record of each incident (meeting agenda, process facts,
//! checklist ticks, acknowledged coach findings), kept as one JSON document
//! on the incident row: it is read and written whole, with the header.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema as s;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Incidents {
    Table,
    Review,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Incidents::Table)
                    .add_column(s::json(Incidents::Review).default("{}"))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Incidents::Table)
                    .drop_column(Incidents::Review)
                    .to_owned(),
            )
            .await
    }
}
