//! An index for similar-incident candidates: the most recent earlier
//! incidents of one category (`WHERE category = ? AND detected_at < ?
//! ORDER BY detected_at DESC`) are read from the index alone.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const NAME: &str = "idx_incidents_category_detected";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(
                Index::create()
                    .name(NAME)
                    .table(Alias::new("incidents"))
                    .col(Alias::new("category"))
                    .col(Alias::new("detected_at"))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name(NAME)
                    .table(Alias::new("incidents"))
                    .to_owned(),
            )
            .await
    }
}
