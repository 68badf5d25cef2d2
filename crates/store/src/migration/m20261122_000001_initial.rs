//! The initial schema: incidents, their sections, and the managed list of
//! categories with its seed values.
//!
//! Types are chosen to be portable: `uuid` (a 16-byte blob on SQLite),
//! `timestamp with time zone` (RFC 3339 text in UTC on SQLite, which sorts
//! chronologically), `json` (text on SQLite) and enumerations as their
//! stable text form, so that no enum type has to be altered when a
//! vocabulary grows.

use chrono::Utc;
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema as s;

/// The categories a fresh database starts with.
pub const SEED_CATEGORIES: [&str; 11] = [
    "Authentication Bypass",
    "Data Exfiltration",
    "Malware",
    "Phishing",
    "Ransomware",
    "Denial of Service",
    "Insider Threat",
    "Vulnerability Exploitation",
    "Misconfiguration",
    "Account Compromise",
    "Supply Chain",
];

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Categories {
    Table,
    Name,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Incidents {
    Table,
    Id,
    Key,
    Title,
    Summary,
    Category,
    Types,
    Severity,
    SeverityHistory,
    Status,
    PostmortemStatus,
    FirstActivityAt,
    DetectedAt,
    RespondedAt,
    EscalatedAt,
    ContainedAt,
    RecoveredAt,
    ResolvedAt,
    ClosedAt,
    Impact,
    AttackVectors,
    AttackTechniques,
    PatientZero,
    Participants,
    RepeatOf,
    Related,
    FishboneEffect,
    FishboneCategories,
    Communications,
    Version,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum TimelineEntries {
    Table,
    Id,
    IncidentId,
    Position,
    OccurredAt,
    LearnedAt,
    Phase,
    Title,
    Details,
    WeKnew,
    WeDidntKnow,
    Decision,
    ActionTaken,
    Facts,
    Source,
    Tags,
}

#[derive(DeriveIden)]
enum FiveWhys {
    Table,
    Id,
    IncidentId,
    Position,
    Problem,
    Steps,
}

#[derive(DeriveIden)]
enum RootCauses {
    Table,
    Id,
    IncidentId,
    Position,
    Kind,
    Title,
    Details,
}

#[derive(DeriveIden)]
enum FishboneCauses {
    Table,
    Id,
    IncidentId,
    Position,
    Category,
    Text,
    ParentId,
}

#[derive(DeriveIden)]
enum FmeaRows {
    Table,
    Id,
    IncidentId,
    Position,
    FailureMode,
    Effect,
    Cause,
    Severity,
    Occurrence,
    Detection,
    CurrentControls,
    RecommendedAction,
    SeverityAfter,
    OccurrenceAfter,
    DetectionAfter,
}

#[derive(DeriveIden)]
enum Findings {
    Table,
    Id,
    IncidentId,
    Position,
    Kind,
    Area,
    Title,
    Details,
    Impact,
}

#[derive(DeriveIden)]
enum ActionItems {
    Table,
    Id,
    IncidentId,
    Number,
    Title,
    Description,
    Owner,
    Team,
    Due,
    Priority,
    Kind,
    SuccessCriteria,
    Status,
    StatusHistory,
    Verification,
    Addresses,
    ExternalRef,
}

#[derive(DeriveIden)]
enum Lessons {
    Table,
    Id,
    IncidentId,
    Position,
    Text,
    Details,
}

/// The foreign key from a section table to its incident: deleting the
/// incident deletes its sections.
fn to_incident(table: impl IntoIden, col: impl IntoIden) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from(table, col)
        .to(Incidents::Table, Incidents::Id)
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
            .create_table(
                Table::create()
                    .table(Categories::Table)
                    .col(s::text(Categories::Name).primary_key())
                    .col(s::timestamp_with_time_zone(Categories::CreatedAt))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Incidents::Table)
                    .col(s::pk_uuid(Incidents::Id))
                    .col(s::text_uniq(Incidents::Key))
                    .col(s::text(Incidents::Title))
                    .col(s::text(Incidents::Summary))
                    .col(s::text_null(Incidents::Category))
                    .col(s::json(Incidents::Types))
                    .col(s::text(Incidents::Severity))
                    .col(s::json(Incidents::SeverityHistory))
                    .col(s::text(Incidents::Status))
                    .col(s::text(Incidents::PostmortemStatus))
                    .col(s::timestamp_with_time_zone_null(Incidents::FirstActivityAt))
                    .col(s::timestamp_with_time_zone_null(Incidents::DetectedAt))
                    .col(s::timestamp_with_time_zone_null(Incidents::RespondedAt))
                    .col(s::timestamp_with_time_zone_null(Incidents::EscalatedAt))
                    .col(s::timestamp_with_time_zone_null(Incidents::ContainedAt))
                    .col(s::timestamp_with_time_zone_null(Incidents::RecoveredAt))
                    .col(s::timestamp_with_time_zone_null(Incidents::ResolvedAt))
                    .col(s::timestamp_with_time_zone_null(Incidents::ClosedAt))
                    .col(s::json(Incidents::Impact))
                    .col(s::json(Incidents::AttackVectors))
                    .col(s::json(Incidents::AttackTechniques))
                    .col(s::text_null(Incidents::PatientZero))
                    .col(s::json(Incidents::Participants))
                    .col(s::text_null(Incidents::RepeatOf))
                    .col(s::json(Incidents::Related))
                    .col(s::text_null(Incidents::FishboneEffect))
                    .col(s::json(Incidents::FishboneCategories))
                    .col(s::json(Incidents::Communications))
                    .col(s::big_integer(Incidents::Version))
                    .col(s::timestamp_with_time_zone(Incidents::CreatedAt))
                    .col(s::timestamp_with_time_zone(Incidents::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Incidents::Table, Incidents::Category)
                            .to(Categories::Table, Categories::Name)
                            // A category in use cannot disappear from the list.
                            .on_delete(ForeignKeyAction::Restrict)
                            .on_update(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        for (name, col) in [
            ("idx_incidents_detected_at", "detected_at"),
            ("idx_incidents_status", "status"),
            ("idx_incidents_severity", "severity"),
            ("idx_incidents_category", "category"),
            ("idx_incidents_updated_at", "updated_at"),
        ] {
            manager
                .create_index(index(name, Incidents::Table, [col]))
                .await?;
        }

        manager
            .create_table(
                Table::create()
                    .table(TimelineEntries::Table)
                    .col(s::pk_uuid(TimelineEntries::Id))
                    .col(s::uuid(TimelineEntries::IncidentId))
                    .col(s::integer(TimelineEntries::Position))
                    .col(s::timestamp_with_time_zone(TimelineEntries::OccurredAt))
                    .col(s::timestamp_with_time_zone_null(TimelineEntries::LearnedAt))
                    .col(s::text(TimelineEntries::Phase))
                    .col(s::text(TimelineEntries::Title))
                    .col(s::json(TimelineEntries::Details))
                    .col(s::text_null(TimelineEntries::WeKnew))
                    .col(s::text_null(TimelineEntries::WeDidntKnow))
                    .col(s::text_null(TimelineEntries::Decision))
                    .col(s::text_null(TimelineEntries::ActionTaken))
                    .col(s::json(TimelineEntries::Facts))
                    .col(s::text_null(TimelineEntries::Source))
                    .col(s::json(TimelineEntries::Tags))
                    .foreign_key(&mut to_incident(
                        TimelineEntries::Table,
                        TimelineEntries::IncidentId,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "idx_timeline_entries_incident",
                TimelineEntries::Table,
                ["incident_id", "occurred_at", "position"],
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(FiveWhys::Table)
                    .col(s::pk_uuid(FiveWhys::Id))
                    .col(s::uuid(FiveWhys::IncidentId))
                    .col(s::integer(FiveWhys::Position))
                    .col(s::text(FiveWhys::Problem))
                    .col(s::json(FiveWhys::Steps))
                    .foreign_key(&mut to_incident(FiveWhys::Table, FiveWhys::IncidentId))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(RootCauses::Table)
                    .col(s::pk_uuid(RootCauses::Id))
                    .col(s::uuid(RootCauses::IncidentId))
                    .col(s::integer(RootCauses::Position))
                    .col(s::text(RootCauses::Kind))
                    .col(s::text(RootCauses::Title))
                    .col(s::text_null(RootCauses::Details))
                    .foreign_key(&mut to_incident(RootCauses::Table, RootCauses::IncidentId))
                    .to_owned(),
            )
            .await?;

        // `parent_id` has no foreign key on purpose: a document may list a
        // sub-cause before its parent, and the store deletes sub-causes with
        // their parent itself.
        manager
            .create_table(
                Table::create()
                    .table(FishboneCauses::Table)
                    .col(s::pk_uuid(FishboneCauses::Id))
                    .col(s::uuid(FishboneCauses::IncidentId))
                    .col(s::integer(FishboneCauses::Position))
                    .col(s::text(FishboneCauses::Category))
                    .col(s::text(FishboneCauses::Text))
                    .col(s::uuid_null(FishboneCauses::ParentId))
                    .foreign_key(&mut to_incident(
                        FishboneCauses::Table,
                        FishboneCauses::IncidentId,
                    ))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(FmeaRows::Table)
                    .col(s::pk_uuid(FmeaRows::Id))
                    .col(s::uuid(FmeaRows::IncidentId))
                    .col(s::integer(FmeaRows::Position))
                    .col(s::text(FmeaRows::FailureMode))
                    .col(s::text(FmeaRows::Effect))
                    .col(s::text(FmeaRows::Cause))
                    .col(s::integer(FmeaRows::Severity))
                    .col(s::integer(FmeaRows::Occurrence))
                    .col(s::integer(FmeaRows::Detection))
                    .col(s::text(FmeaRows::CurrentControls))
                    .col(s::text(FmeaRows::RecommendedAction))
                    .col(s::integer_null(FmeaRows::SeverityAfter))
                    .col(s::integer_null(FmeaRows::OccurrenceAfter))
                    .col(s::integer_null(FmeaRows::DetectionAfter))
                    .foreign_key(&mut to_incident(FmeaRows::Table, FmeaRows::IncidentId))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Findings::Table)
                    .col(s::pk_uuid(Findings::Id))
                    .col(s::uuid(Findings::IncidentId))
                    .col(s::integer(Findings::Position))
                    .col(s::text(Findings::Kind))
                    .col(s::text(Findings::Area))
                    .col(s::text(Findings::Title))
                    .col(s::json(Findings::Details))
                    .col(s::text_null(Findings::Impact))
                    .foreign_key(&mut to_incident(Findings::Table, Findings::IncidentId))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(ActionItems::Table)
                    .col(s::pk_uuid(ActionItems::Id))
                    .col(s::uuid(ActionItems::IncidentId))
                    .col(s::integer(ActionItems::Number))
                    .col(s::text(ActionItems::Title))
                    .col(s::text(ActionItems::Description))
                    .col(s::text_null(ActionItems::Owner))
                    .col(s::text_null(ActionItems::Team))
                    .col(s::date_null(ActionItems::Due))
                    .col(s::text(ActionItems::Priority))
                    .col(s::text_null(ActionItems::Kind))
                    .col(s::json(ActionItems::SuccessCriteria))
                    .col(s::text(ActionItems::Status))
                    .col(s::json(ActionItems::StatusHistory))
                    .col(s::json_null(ActionItems::Verification))
                    .col(s::json(ActionItems::Addresses))
                    .col(s::text_null(ActionItems::ExternalRef))
                    .foreign_key(&mut to_incident(
                        ActionItems::Table,
                        ActionItems::IncidentId,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                index(
                    "uq_action_items_incident_number",
                    ActionItems::Table,
                    ["incident_id", "number"],
                )
                .unique()
                .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "idx_action_items_status_due",
                ActionItems::Table,
                ["status", "due"],
            ))
            .await?;
        manager
            .create_index(index(
                "idx_action_items_owner",
                ActionItems::Table,
                ["owner"],
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Lessons::Table)
                    .col(s::pk_uuid(Lessons::Id))
                    .col(s::uuid(Lessons::IncidentId))
                    .col(s::integer(Lessons::Position))
                    .col(s::text(Lessons::Text))
                    .col(s::text_null(Lessons::Details))
                    .foreign_key(&mut to_incident(Lessons::Table, Lessons::IncidentId))
                    .to_owned(),
            )
            .await?;

        // The small section tables are read per incident, in position order.
        for (name, table) in [
            ("idx_five_whys_incident", "five_whys"),
            ("idx_root_causes_incident", "root_causes"),
            ("idx_fishbone_causes_incident", "fishbone_causes"),
            ("idx_fmea_rows_incident", "fmea_rows"),
            ("idx_findings_incident", "findings"),
            ("idx_lessons_incident", "lessons"),
        ] {
            manager
                .create_index(index(name, Alias::new(table), ["incident_id", "position"]))
                .await?;
        }

        let now = Utc::now();
        let mut seed = Query::insert();
        seed.into_table(Categories::Table)
            .columns([Categories::Name, Categories::CreatedAt]);
        for name in SEED_CATEGORIES {
            seed.values([name.into(), now.into()])
                .map_err(|e| DbErr::Custom(e.to_string()))?;
        }
        manager.exec_stmt(seed).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            "lessons",
            "action_items",
            "findings",
            "fmea_rows",
            "fishbone_causes",
            "root_causes",
            "five_whys",
            "timeline_entries",
            "incidents",
            "categories",
        ] {
            manager
                .drop_table(Table::drop().table(Alias::new(table)).to_owned())
                .await?;
        }
        Ok(())
    }
}
