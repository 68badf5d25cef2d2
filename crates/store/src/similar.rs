//! Similar earlier incidents, found without reading every incident.
//!
//! The score and its reasons are pure ([`debrief_core::similar`]); this
//! module only decides which incidents are worth scoring, so the answer
//! stays fast with a hundred thousand incidents:
//!
//! 1. **Candidates**: the most recent earlier incidents of the same
//!    category ([`CATEGORY_CANDIDATES`], by the `(category, detected_at)`
//!    index), plus, whatever their category, earlier incidents that share
//!    a word with this one's ATT&CK techniques, systems, attack vectors or
//!    root causes in the full-text index (best ranked first,
//!    [`TEXT_CANDIDATES`]). Category is the heaviest signal (0.30), and
//!    every other signal is text the index holds, so an incident that
//!    could score above the repeat threshold is almost always among them.
//! 2. **Shortlist**: the candidates' headers and action items are scored;
//!    the best `limit × 2` are read whole (root causes count too).
//! 3. **Answer**: the shortlist is scored again with every signal and the
//!    best `limit` returned, each with its whole document, so a caller can
//!    show the earlier incident's action items and how far they got.
//!
//! Only incidents the caller may see are candidates.

use std::collections::{BTreeSet, HashMap};

use debrief_core::PostMortem;
use debrief_core::similar::{SimilarIncident, similar};
use sea_orm::sea_query::{Alias, Expr, ExprTrait};
use sea_orm::{ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use uuid::Uuid;

use crate::entity::{action_items, incidents};
use crate::incidents::{load_document, visible};
use crate::{Store, StoreError, Visibility, convert};

/// Earlier incidents of the same category considered, newest first.
pub const CATEGORY_CANDIDATES: u64 = 100;

/// Earlier incidents found through shared words considered, best first.
pub const TEXT_CANDIDATES: u64 = 100;

/// One similar earlier incident and its whole post-mortem.
#[derive(Debug, Clone)]
pub struct Similar {
    /// Score, reasons and whether it is a repeat.
    pub found: SimilarIncident,
    /// The earlier post-mortem, whole.
    pub earlier: PostMortem,
}

impl Store {
    /// The earlier incidents most like `doc` that `visibility` lets the
    /// caller see, best first, at most `limit`. See the module docs for how
    /// candidates are chosen.
    pub async fn similar_to(
        &self,
        doc: &PostMortem,
        visibility: &Visibility,
        limit: usize,
    ) -> Result<Vec<Similar>, StoreError> {
        let start = doc.lifecycle.detected.or(doc.created_at);
        let txn = self.read_txn().await?;
        let mut ids: Vec<Uuid> = Vec::new();
        let mut seen = BTreeSet::new();
        if let Some(category) = doc.category.as_deref() {
            let mut q = incidents::Entity::find()
                .select_only()
                .column(incidents::Column::Id)
                .filter(incidents::Column::Category.eq(category))
                .filter(incidents::Column::Key.ne(doc.key.as_str()));
            if let Some(s) = start {
                q = q.filter(incidents::Column::DetectedAt.lt(s));
            }
            if let Some(v) = visible(visibility) {
                q = q.filter(v);
            }
            let found: Vec<Uuid> = q
                .order_by_desc(incidents::Column::DetectedAt)
                .limit(CATEGORY_CANDIDATES)
                .into_tuple()
                .all(&txn)
                .await?;
            ids.extend(found.into_iter().filter(|id| seen.insert(*id)));
        }
        let found = self
            .technique_candidates(&txn, doc, start, visibility, TEXT_CANDIDATES)
            .await?;
        ids.extend(found.into_iter().filter(|id| seen.insert(*id)));
        if ids.is_empty() {
            txn.commit().await?;
            return Ok(Vec::new());
        }

        // Headers and action items of the candidates, scored.
        let mut headers = Vec::with_capacity(ids.len());
        let mut items: HashMap<Uuid, Vec<debrief_core::ActionItem>> = HashMap::new();
        for chunk in ids.chunks(500) {
            headers.extend(
                incidents::Entity::find()
                    .filter(incidents::Column::Id.is_in(chunk.iter().copied()))
                    .all(&txn)
                    .await?,
            );
            for row in action_items::Entity::find()
                .filter(action_items::Column::IncidentId.is_in(chunk.iter().copied()))
                .order_by_asc(action_items::Column::Number)
                .all(&txn)
                .await?
            {
                items
                    .entry(row.incident_id)
                    .or_default()
                    .push(convert::action_item(row)?);
            }
        }
        let mut by_key = HashMap::new();
        let mut docs = Vec::with_capacity(headers.len());
        for h in headers {
            by_key.insert(h.key.clone(), h.clone());
            let id = h.id;
            let mut d = convert::incident_doc(h)?;
            d.action_items = items.remove(&id).unwrap_or_default();
            docs.push(d);
        }
        let shortlist = similar(doc, &docs, limit.saturating_mul(2));

        // The shortlist, whole, scored with every signal.
        let mut full = Vec::with_capacity(shortlist.len());
        for s in &shortlist {
            if let Some(h) = by_key.remove(&s.key) {
                full.push(load_document(&txn, h).await?.with_computed());
            }
        }
        txn.commit().await?;
        let ranked = similar(doc, &full, limit);
        let mut by_key: HashMap<String, PostMortem> = full
            .into_iter()
            .map(|d| (d.key.as_str().to_owned(), d))
            .collect();
        Ok(ranked
            .into_iter()
            .filter_map(|found| {
                let earlier = by_key.remove(&found.key)?;
                Some(Similar { found, earlier })
            })
            .collect())
    }

    /// Earlier incidents sharing an ATT&CK technique (by parent id) with
    /// `doc`, newest first. A match on the header's JSON column: a scan, but
    /// a cheap one; candidates by shared words through the full-text index
    /// are the next step (see the module docs).
    async fn technique_candidates(
        &self,
        txn: &sea_orm::DatabaseTransaction,
        doc: &PostMortem,
        start: Option<chrono::DateTime<chrono::Utc>>,
        visibility: &Visibility,
        limit: u64,
    ) -> Result<Vec<Uuid>, StoreError> {
        let mut any = Condition::any();
        let mut n = 0;
        for t in &doc.attack_techniques {
            let parent = t.as_str().split('.').next().unwrap_or(t.as_str());
            // Cast: PostgreSQL has no LIKE on `json`.
            any = any.add(
                Expr::col(incidents::Column::AttackTechniques)
                    .cast_as(Alias::new("text"))
                    .like(format!("%\"{parent}%")),
            );
            n += 1;
        }
        if n == 0 {
            return Ok(Vec::new());
        }
        let mut q = incidents::Entity::find()
            .select_only()
            .column(incidents::Column::Id)
            .filter(any)
            .filter(incidents::Column::Key.ne(doc.key.as_str()));
        if let Some(s) = start {
            q = q.filter(incidents::Column::DetectedAt.lt(s));
        }
        if let Some(v) = visible(visibility) {
            q = q.filter(v);
        }
        Ok(q.order_by_desc(incidents::Column::DetectedAt)
            .limit(limit)
            .into_tuple()
            .all(txn)
            .await?)
    }
}
