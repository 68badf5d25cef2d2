//! `action_events`: the outbox of action-item events (due soon, overdue,
//! completed, reopened, test), each with the payload facts it was raised
//! with.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "action_events")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub at: DateTimeUtc,
    pub kind: String,
    pub incident_id: Option<Uuid>,
    pub action_item_id: Option<Uuid>,
    #[sea_orm(unique)]
    pub dedupe_key: String,
    pub payload: Json,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
