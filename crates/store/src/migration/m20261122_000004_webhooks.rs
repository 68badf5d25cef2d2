//! Outbound webhooks for action items: the registered `webhooks`, the
//! `action_events` outbox, one `webhook_deliveries` row per event and
//! webhook (its state) and one `webhook_attempts` row per HTTP attempt (the
//! delivery log: every try with its status code or error, not just the
//! last).
//!
//! The webhook secret is stored as given, unlike API tokens: signing each
//! delivery with HMAC needs the secret itself, not a hash of it.
//! `action_events.dedupe_key` is unique, so a due-date event is raised once
//! per item and due date even when two servers scan at the same moment.
//! Events keep no foreign key to the incident: an event raised before its
//! incident was deleted is still delivered.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema as s;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Webhooks {
    Table,
    Id,
    Name,
    Url,
    Format,
    Secret,
    Events,
    Active,
    CreatedAt,
    CreatedBy,
}

#[derive(DeriveIden)]
enum ActionEvents {
    Table,
    Id,
    At,
    Kind,
    IncidentId,
    ActionItemId,
    DedupeKey,
    Payload,
}

#[derive(DeriveIden)]
enum WebhookDeliveries {
    Table,
    Id,
    WebhookId,
    EventId,
    Status,
    Attempts,
    NextAttemptAt,
    LastAttemptAt,
    LastStatus,
    LastError,
    DeliveredAt,
}

#[derive(DeriveIden)]
enum WebhookAttempts {
    Table,
    Id,
    DeliveryId,
    At,
    StatusCode,
    Error,
    Ok,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Webhooks::Table)
                    .col(s::pk_uuid(Webhooks::Id))
                    .col(s::text(Webhooks::Name))
                    .col(s::text(Webhooks::Url))
                    .col(s::text(Webhooks::Format))
                    .col(s::text(Webhooks::Secret))
                    .col(s::json(Webhooks::Events))
                    .col(s::boolean(Webhooks::Active))
                    .col(s::timestamp_with_time_zone(Webhooks::CreatedAt))
                    .col(s::text(Webhooks::CreatedBy))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ActionEvents::Table)
                    .col(s::pk_uuid(ActionEvents::Id))
                    .col(s::timestamp_with_time_zone(ActionEvents::At))
                    .col(s::text(ActionEvents::Kind))
                    .col(s::uuid_null(ActionEvents::IncidentId))
                    .col(s::uuid_null(ActionEvents::ActionItemId))
                    .col(s::text(ActionEvents::DedupeKey).unique_key())
                    .col(s::json(ActionEvents::Payload))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(WebhookDeliveries::Table)
                    .col(s::pk_uuid(WebhookDeliveries::Id))
                    .col(s::uuid(WebhookDeliveries::WebhookId))
                    .col(s::uuid(WebhookDeliveries::EventId))
                    .col(s::text(WebhookDeliveries::Status))
                    .col(s::integer(WebhookDeliveries::Attempts))
                    .col(s::timestamp_with_time_zone(
                        WebhookDeliveries::NextAttemptAt,
                    ))
                    .col(s::timestamp_with_time_zone_null(
                        WebhookDeliveries::LastAttemptAt,
                    ))
                    .col(s::integer_null(WebhookDeliveries::LastStatus))
                    .col(s::text_null(WebhookDeliveries::LastError))
                    .col(s::timestamp_with_time_zone_null(
                        WebhookDeliveries::DeliveredAt,
                    ))
                    .foreign_key(
                        ForeignKey::create()
                            .from(WebhookDeliveries::Table, WebhookDeliveries::WebhookId)
                            .to(Webhooks::Table, Webhooks::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(WebhookDeliveries::Table, WebhookDeliveries::EventId)
                            .to(ActionEvents::Table, ActionEvents::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(WebhookAttempts::Table)
                    .col(s::pk_uuid(WebhookAttempts::Id))
                    .col(s::uuid(WebhookAttempts::DeliveryId))
                    .col(s::timestamp_with_time_zone(WebhookAttempts::At))
                    .col(s::integer_null(WebhookAttempts::StatusCode))
                    .col(s::text_null(WebhookAttempts::Error))
                    .col(s::boolean(WebhookAttempts::Ok))
                    .foreign_key(
                        ForeignKey::create()
                            .from(WebhookAttempts::Table, WebhookAttempts::DeliveryId)
                            .to(WebhookDeliveries::Table, WebhookDeliveries::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_webhook_attempts_delivery")
                    .table(WebhookAttempts::Table)
                    .col(WebhookAttempts::DeliveryId)
                    .to_owned(),
            )
            .await?;
        // The dispatcher's query: pending rows whose time has come.
        manager
            .create_index(
                Index::create()
                    .name("idx_webhook_deliveries_due")
                    .table(WebhookDeliveries::Table)
                    .col(WebhookDeliveries::Status)
                    .col(WebhookDeliveries::NextAttemptAt)
                    .to_owned(),
            )
            .await?;
        // The delivery log of one webhook.
        manager
            .create_index(
                Index::create()
                    .name("idx_webhook_deliveries_webhook")
                    .table(WebhookDeliveries::Table)
                    .col(WebhookDeliveries::WebhookId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_webhook_deliveries_event")
                    .table(WebhookDeliveries::Table)
                    .col(WebhookDeliveries::EventId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            "webhook_attempts",
            "webhook_deliveries",
            "action_events",
            "webhooks",
        ] {
            manager
                .drop_table(Table::drop().table(Alias::new(table)).to_owned())
                .await?;
        }
        Ok(())
    }
}
