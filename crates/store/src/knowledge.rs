//! What the knowledge base reads and writes: the categories with their
//! incident counts, the parts of a category's post-mortems the entry is
//! built from (see `debrief_core::knowledge`), and the curated notes per
//! category (`knowledge_notes`).
//!
//! Reads honour [`Visibility`]: a restricted incident contributes to a
//! caller's knowledge base only if the caller may see it, so no cause,
//! lesson or title leaks through the entry.
//!
//! Notes are Markdown, stored as written; rendering and sanitising are the
//! web layer's job. Writing them is one transaction with one audit entry
//! (`knowledge.notes`, object `category:NAME`, before and after body);
//! an empty body deletes the note.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use debrief_core::PostMortem;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, QueryTrait, Set};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::entity::{action_items, categories, incidents, knowledge_notes, lessons, root_causes};
use crate::incidents::visible;
use crate::{Ctx, Store, StoreError, Visibility, audit, convert};

/// The longest note accepted, in characters.
pub const MAX_NOTE_CHARS: usize = 50_000;

/// A category and its incidents, as the knowledge base index lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct CategoryCount {
    /// The category.
    pub name: String,
    /// Incidents of the category the caller may see.
    pub incidents: u64,
    /// The latest detection among them.
    #[serde(with = "debrief_core::time::utc_opt")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub last_detected: Option<DateTime<Utc>>,
}

/// The curated text on top of a category's entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct KnowledgeNote {
    /// The category.
    pub category: String,
    /// Markdown, as written.
    pub body: String,
    /// When it was last written.
    #[serde(with = "debrief_core::time::utc")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: DateTime<Utc>,
    /// Who wrote it last.
    pub updated_by: String,
}

impl From<knowledge_notes::Model> for KnowledgeNote {
    fn from(m: knowledge_notes::Model) -> Self {
        Self {
            category: m.category,
            body: m.body,
            updated_at: m.updated_at,
            updated_by: m.updated_by,
        }
    }
}

fn category_object(name: &str) -> String {
    format!("category:{name}")
}

impl Store {
    /// Every category on the managed list or used by a visible incident,
    /// sorted by name, with the number of visible incidents in it.
    pub async fn knowledge_categories(
        &self,
        visibility: &Visibility,
    ) -> Result<Vec<CategoryCount>, StoreError> {
        let mut q = incidents::Entity::find()
            .select_only()
            .column(incidents::Column::Category)
            .column_as(Expr::col(incidents::Column::Id).count(), "n")
            .column_as(Expr::col(incidents::Column::DetectedAt).max(), "last")
            .filter(incidents::Column::Category.is_not_null())
            .group_by(incidents::Column::Category);
        if let Some(v) = visible(visibility) {
            q = q.filter(v);
        }
        let txn = self.read_txn().await?;
        let used: Vec<(String, i64, Option<DateTime<Utc>>)> = q.into_tuple().all(&txn).await?;
        let managed: Vec<String> = categories::Entity::find()
            .select_only()
            .column(categories::Column::Name)
            .into_tuple()
            .all(&txn)
            .await?;
        txn.commit().await?;
        let mut all: BTreeMap<String, CategoryCount> = managed
            .into_iter()
            .map(|name| {
                (
                    name.clone(),
                    CategoryCount {
                        name,
                        incidents: 0,
                        last_detected: None,
                    },
                )
            })
            .collect();
        for (name, n, last) in used {
            if name.trim().is_empty() {
                continue;
            }
            all.insert(
                name.clone(),
                CategoryCount {
                    name,
                    incidents: u64::try_from(n).unwrap_or(0),
                    last_detected: last,
                },
            );
        }
        Ok(all.into_values().collect())
    }

    /// Whether `name` is a category: on the managed list or used by any
    /// incident (visible or not: the name alone reveals nothing).
    pub async fn category_exists(&self, name: &str) -> Result<bool, StoreError> {
        if categories::Entity::find_by_id(name.to_owned())
            .one(&self.db)
            .await?
            .is_some()
        {
            return Ok(true);
        }
        Ok(incidents::Entity::find()
            .filter(incidents::Column::Category.eq(name))
            .one(&self.db)
            .await?
            .is_some())
    }

    /// The visible incidents of `category`, with their header, root causes,
    /// action items and lessons (the other sections are left empty): what
    /// `debrief_core::knowledge::entry` reads. Four queries in one read
    /// transaction, however many incidents.
    pub async fn category_documents(
        &self,
        visibility: &Visibility,
        category: &str,
    ) -> Result<Vec<PostMortem>, StoreError> {
        let mut heads = incidents::Entity::find().filter(incidents::Column::Category.eq(category));
        if let Some(v) = visible(visibility) {
            heads = heads.filter(v);
        }
        let ids = heads
            .clone()
            .select_only()
            .column(incidents::Column::Id)
            .into_query();
        let txn = self.read_txn().await?;
        let headers = heads.order_by_asc(incidents::Column::Key).all(&txn).await?;
        let causes = root_causes::Entity::find()
            .filter(root_causes::Column::IncidentId.in_subquery(ids.clone()))
            .order_by_asc(root_causes::Column::Position)
            .order_by_asc(root_causes::Column::Id)
            .all(&txn)
            .await?;
        let items = action_items::Entity::find()
            .filter(action_items::Column::IncidentId.in_subquery(ids.clone()))
            .order_by_asc(action_items::Column::Number)
            .all(&txn)
            .await?;
        let lessons = lessons::Entity::find()
            .filter(lessons::Column::IncidentId.in_subquery(ids))
            .order_by_asc(lessons::Column::Position)
            .order_by_asc(lessons::Column::Id)
            .all(&txn)
            .await?;
        txn.commit().await?;
        let mut docs: HashMap<Uuid, PostMortem> = HashMap::new();
        let mut order = Vec::with_capacity(headers.len());
        for h in headers {
            order.push(h.id);
            docs.insert(h.id, convert::incident_doc(h)?);
        }
        for r in causes {
            let id = r.incident_id;
            let cause = convert::root_cause(r)?;
            if let Some(d) = docs.get_mut(&id) {
                d.root_causes.push(cause);
            }
        }
        for a in items {
            let id = a.incident_id;
            let item = convert::action_item(a)?;
            if let Some(d) = docs.get_mut(&id) {
                d.action_items.push(item);
            }
        }
        for l in lessons {
            let id = l.incident_id;
            if let Some(d) = docs.get_mut(&id) {
                d.lessons.push(convert::lesson(l));
            }
        }
        Ok(order
            .into_iter()
            .filter_map(|id| docs.remove(&id))
            .map(PostMortem::with_computed)
            .collect())
    }

    /// The curated note of `category`, if any.
    pub async fn knowledge_note(
        &self,
        category: &str,
    ) -> Result<Option<KnowledgeNote>, StoreError> {
        Ok(knowledge_notes::Entity::find_by_id(category.to_owned())
            .one(&self.db)
            .await?
            .map(Into::into))
    }

    /// Writes the curated note of `category` (Markdown, trimmed); an empty
    /// body deletes it. The category must exist ([`StoreError::NotFound`])
    /// and the body may hold at most [`MAX_NOTE_CHARS`] characters
    /// ([`StoreError::Invalid`] naming `body`). One transaction, one audit
    /// entry; writing the text that is already stored changes nothing and
    /// leaves no entry.
    pub async fn set_knowledge_note(
        &self,
        category: &str,
        body: &str,
        ctx: &Ctx,
    ) -> Result<Option<KnowledgeNote>, StoreError> {
        let body = body.trim();
        if body.chars().count() > MAX_NOTE_CHARS {
            return Err(StoreError::invalid(
                "body",
                format!("is longer than {MAX_NOTE_CHARS} characters"),
            ));
        }
        if !self.category_exists(category).await? {
            return Err(StoreError::NotFound {
                what: format!("category {category}"),
            });
        }
        let txn = self.write_txn().await?;
        let old = knowledge_notes::Entity::find_by_id(category.to_owned())
            .one(&txn)
            .await?;
        let before = old.as_ref().map(|n| n.body.clone());
        if before.as_deref().unwrap_or("") == body {
            txn.commit().await?;
            return Ok(old.map(Into::into));
        }
        let note = if body.is_empty() {
            knowledge_notes::Entity::delete_by_id(category.to_owned())
                .exec(&txn)
                .await?;
            None
        } else {
            let row = knowledge_notes::ActiveModel {
                category: Set(category.to_owned()),
                body: Set(body.to_owned()),
                updated_at: Set(ctx.now),
                updated_by: Set(ctx.actor.name.clone()),
            };
            knowledge_notes::Entity::insert(row)
                .on_conflict(
                    sea_orm::sea_query::OnConflict::column(knowledge_notes::Column::Category)
                        .update_columns([
                            knowledge_notes::Column::Body,
                            knowledge_notes::Column::UpdatedAt,
                            knowledge_notes::Column::UpdatedBy,
                        ])
                        .to_owned(),
                )
                .exec_without_returning(&txn)
                .await?;
            Some(KnowledgeNote {
                category: category.to_owned(),
                body: body.to_owned(),
                updated_at: ctx.now,
                updated_by: ctx.actor.name.clone(),
            })
        };
        let json = |b: Option<&str>| b.map(|b| audit::json(&serde_json::json!({ "body": b })));
        audit::append(
            &txn,
            ctx,
            "knowledge.notes",
            &category_object(category),
            json(before.as_deref()),
            json(note.as_ref().map(|n| n.body.as_str())),
        )
        .await?;
        txn.commit().await?;
        Ok(note)
    }
}
