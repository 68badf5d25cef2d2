//! `calendar_feeds`: iCalendar feeds of action-item due dates, one per
//! person or team, each behind a secret URL. Only the SHA-256 of the URL's
//! token is stored, like API tokens: a database leak yields no working
//! feed address.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema as s;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum CalendarFeeds {
    Table,
    Id,
    UserId,
    Scope,
    Subject,
    TokenHash,
    CreatedAt,
    RevokedAt,
    LastUsedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(CalendarFeeds::Table)
                    .col(s::pk_uuid(CalendarFeeds::Id))
                    .col(s::uuid(CalendarFeeds::UserId))
                    .col(s::text(CalendarFeeds::Scope))
                    .col(s::text(CalendarFeeds::Subject))
                    .col(s::text_uniq(CalendarFeeds::TokenHash))
                    .col(s::timestamp_with_time_zone(CalendarFeeds::CreatedAt))
                    .col(s::timestamp_with_time_zone_null(CalendarFeeds::RevokedAt))
                    .col(s::timestamp_with_time_zone_null(CalendarFeeds::LastUsedAt))
                    // A deleted user's feeds go with them.
                    .foreign_key(
                        ForeignKey::create()
                            .from(CalendarFeeds::Table, CalendarFeeds::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_calendar_feeds_user")
                    .table(CalendarFeeds::Table)
                    .col(CalendarFeeds::UserId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(CalendarFeeds::Table).to_owned())
            .await
    }
}
