//! Accounts and the audit trail: users, sessions, API tokens, MFA backup
//! codes, login throttling, incident membership and the `restricted` flag,
//! installation settings, the notification outbox and the hash-chained
//! audit log.
//!
//! Secrets are never stored: sessions, API tokens, backup codes and the
//! setup token are kept as SHA-256 hashes, passwords as argon2id PHC
//! strings. The TOTP secret is the exception, as verifying a code needs it.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema as s;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Incidents {
    Table,
    Id,
    Restricted,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
    Name,
    NameKey,
    Role,
    PasswordHash,
    TotpSecret,
    TotpEnabled,
    TotpLastStep,
    Disabled,
    MustChangePassword,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Sessions {
    Table,
    TokenHash,
    UserId,
    CreatedAt,
    LastSeenAt,
    ExpiresAt,
    MfaPassed,
    CsrfToken,
    Source,
}

#[derive(DeriveIden)]
enum ApiTokens {
    Table,
    Id,
    UserId,
    Name,
    TokenHash,
    Scope,
    CreatedAt,
    ExpiresAt,
    LastUsedAt,
    RevokedAt,
}

#[derive(DeriveIden)]
enum BackupCodes {
    Table,
    Id,
    UserId,
    CodeHash,
    CreatedAt,
    ExpiresAt,
    UsedAt,
}

#[derive(DeriveIden)]
enum LoginThrottle {
    Table,
    Key,
    Failures,
    LastFailureAt,
    BlockedUntil,
}

#[derive(DeriveIden)]
enum IncidentMembers {
    Table,
    IncidentId,
    UserId,
    AddedAt,
}

#[derive(DeriveIden)]
enum Settings {
    Table,
    Key,
    Value,
}

#[derive(DeriveIden)]
enum Notifications {
    Table,
    Id,
    At,
    Kind,
    UserId,
    Message,
    DeliveredAt,
}

#[derive(DeriveIden)]
enum AuditLog {
    Table,
    Seq,
    At,
    Actor,
    ActorId,
    Action,
    Object,
    BeforeJson,
    AfterJson,
    Source,
    RequestId,
    PrevHash,
    Hash,
}

/// The foreign key from `table.col` to a user: deleting the user deletes
/// what hangs off it.
fn to_user(table: impl IntoIden, col: impl IntoIden) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from(table, col)
        .to(Users::Table, Users::Id)
        .on_delete(ForeignKeyAction::Cascade)
        .to_owned()
}

fn index(
    name: &str,
    table: impl IntoIden + 'static,
    cols: impl IntoIterator<Item = &'static str>,
) -> IndexCreateStatement {
    let mut idx = Index::create();
    idx.name(name).table(table);
    for c in cols {
        idx.col(Alias::new(c));
    }
    idx.to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Incidents::Table)
                    .add_column(s::boolean(Incidents::Restricted).default(false))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Users::Table)
                    .col(s::pk_uuid(Users::Id))
                    .col(s::text_uniq(Users::Name))
                    .col(s::text_uniq(Users::NameKey))
                    .col(s::text(Users::Role))
                    .col(s::text(Users::PasswordHash))
                    .col(s::text_null(Users::TotpSecret))
                    .col(s::boolean(Users::TotpEnabled).default(false))
                    .col(s::big_integer_null(Users::TotpLastStep))
                    .col(s::boolean(Users::Disabled).default(false))
                    .col(s::boolean(Users::MustChangePassword).default(false))
                    .col(s::timestamp_with_time_zone(Users::CreatedAt))
                    .col(s::timestamp_with_time_zone(Users::UpdatedAt))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Sessions::Table)
                    .col(s::text(Sessions::TokenHash).primary_key())
                    .col(s::uuid(Sessions::UserId))
                    .col(s::timestamp_with_time_zone(Sessions::CreatedAt))
                    .col(s::timestamp_with_time_zone(Sessions::LastSeenAt))
                    .col(s::timestamp_with_time_zone(Sessions::ExpiresAt))
                    .col(s::boolean(Sessions::MfaPassed).default(false))
                    .col(s::text(Sessions::CsrfToken))
                    .col(s::text_null(Sessions::Source))
                    .foreign_key(&mut to_user(Sessions::Table, Sessions::UserId))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index("idx_sessions_user", Sessions::Table, ["user_id"]))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(ApiTokens::Table)
                    .col(s::pk_uuid(ApiTokens::Id))
                    .col(s::uuid(ApiTokens::UserId))
                    .col(s::text(ApiTokens::Name))
                    .col(s::text_uniq(ApiTokens::TokenHash))
                    .col(s::text(ApiTokens::Scope))
                    .col(s::timestamp_with_time_zone(ApiTokens::CreatedAt))
                    .col(s::timestamp_with_time_zone_null(ApiTokens::ExpiresAt))
                    .col(s::timestamp_with_time_zone_null(ApiTokens::LastUsedAt))
                    .col(s::timestamp_with_time_zone_null(ApiTokens::RevokedAt))
                    .foreign_key(&mut to_user(ApiTokens::Table, ApiTokens::UserId))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index("idx_api_tokens_user", ApiTokens::Table, ["user_id"]))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(BackupCodes::Table)
                    .col(s::pk_uuid(BackupCodes::Id))
                    .col(s::uuid(BackupCodes::UserId))
                    .col(s::text(BackupCodes::CodeHash))
                    .col(s::timestamp_with_time_zone(BackupCodes::CreatedAt))
                    .col(s::timestamp_with_time_zone(BackupCodes::ExpiresAt))
                    .col(s::timestamp_with_time_zone_null(BackupCodes::UsedAt))
                    .foreign_key(&mut to_user(BackupCodes::Table, BackupCodes::UserId))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "idx_backup_codes_user_code",
                BackupCodes::Table,
                ["user_id", "code_hash"],
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(LoginThrottle::Table)
                    .col(s::text(LoginThrottle::Key).primary_key())
                    .col(s::integer(LoginThrottle::Failures))
                    .col(s::timestamp_with_time_zone(LoginThrottle::LastFailureAt))
                    .col(s::timestamp_with_time_zone_null(
                        LoginThrottle::BlockedUntil,
                    ))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(IncidentMembers::Table)
                    .col(s::uuid(IncidentMembers::IncidentId))
                    .col(s::uuid(IncidentMembers::UserId))
                    .col(s::timestamp_with_time_zone(IncidentMembers::AddedAt))
                    .primary_key(
                        Index::create()
                            .col(IncidentMembers::IncidentId)
                            .col(IncidentMembers::UserId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(IncidentMembers::Table, IncidentMembers::IncidentId)
                            .to(Incidents::Table, Incidents::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(&mut to_user(
                        IncidentMembers::Table,
                        IncidentMembers::UserId,
                    ))
                    .to_owned(),
            )
            .await?;
        // List visibility asks "which incidents is this user a member of".
        manager
            .create_index(index(
                "idx_incident_members_user",
                IncidentMembers::Table,
                ["user_id", "incident_id"],
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Settings::Table)
                    .col(s::text(Settings::Key).primary_key())
                    .col(s::text(Settings::Value))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Notifications::Table)
                    .col(s::pk_uuid(Notifications::Id))
                    .col(s::timestamp_with_time_zone(Notifications::At))
                    .col(s::text(Notifications::Kind))
                    .col(s::uuid_null(Notifications::UserId))
                    .col(s::text(Notifications::Message))
                    .col(s::timestamp_with_time_zone_null(Notifications::DeliveredAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index("idx_notifications_at", Notifications::Table, ["at"]))
            .await?;

        // `seq` is given by the application (one past the last), not by the
        // database: the chain needs it before the row is written, and a
        // sequence would leave gaps on rollback that look like deletions.
        manager
            .create_table(
                Table::create()
                    .table(AuditLog::Table)
                    .col(s::big_integer(AuditLog::Seq).primary_key())
                    .col(s::timestamp_with_time_zone(AuditLog::At))
                    .col(s::text(AuditLog::Actor))
                    .col(s::uuid_null(AuditLog::ActorId))
                    .col(s::text(AuditLog::Action))
                    .col(s::text(AuditLog::Object))
                    .col(s::text_null(AuditLog::BeforeJson))
                    .col(s::text_null(AuditLog::AfterJson))
                    .col(s::text_null(AuditLog::Source))
                    .col(s::text_null(AuditLog::RequestId))
                    .col(s::text(AuditLog::PrevHash))
                    .col(s::text(AuditLog::Hash))
                    .to_owned(),
            )
            .await?;
        for (name, col) in [
            ("idx_audit_log_action", "action"),
            ("idx_audit_log_actor", "actor"),
            ("idx_audit_log_at", "at"),
        ] {
            manager
                .create_index(index(name, AuditLog::Table, [col]))
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            "audit_log",
            "notifications",
            "settings",
            "incident_members",
            "login_throttle",
            "backup_codes",
            "api_tokens",
            "sessions",
            "users",
        ] {
            manager
                .drop_table(Table::drop().table(Alias::new(table)).to_owned())
                .await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table(Incidents::Table)
                    .drop_column(Incidents::Restricted)
                    .to_owned(),
            )
            .await?;
        Ok(())
    }
}
