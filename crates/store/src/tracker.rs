//! Status updates from an external tracker, applied to action items:
//! [`Store::apply_tracker_updates`] takes what
//! [`debrief_core::tracker::parse_status_updates`] read from a tracker's
//! CSV and applies all of it in one transaction, or none of it.
//!
//! Decisions:
//! - A row is keyed by its ticket (`Issue key`), matched exactly against
//!   the items' `external_ref`. When no item has that reference and the row
//!   carries the item's debrief id (`External ID`, written by the export),
//!   the item is linked: its `external_ref` is set to the ticket. That
//!   closes the round trip "export, import into Jira, export from Jira,
//!   import here" without typing a single reference by hand.
//! - Every row must name exactly one action item the caller may edit.
//!   Items of restricted incidents the caller may not see are treated as
//!   absent (the error says "no action item", as for a key nobody has), so
//!   an import cannot probe for hidden tickets.
//! - `Done` never undoes a verification: an item that is complete or
//!   verified stays as it is when the tracker says done.
//! - Each status change is recorded in the item's history with the day of
//!   the import and the tracker's status as the note, raises the version of
//!   its incident once, and writes the webhook outbox event the change
//!   implies (completed, reopened) in the same transaction.
//! - One audit entry (`action_item.import`) lists every change.

use std::collections::{BTreeMap, HashMap, HashSet};

use debrief_core::access::{Action, Decision, IncidentAccess, decide};
use debrief_core::tracker::{CsvProblem, StatusUpdate, problems_as_errors};
use debrief_core::{ActionItem, ActionStatus};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::audit;
use crate::convert;
use crate::entity::{action_items, incident_members, incidents};
use crate::incidents::bump;
use crate::{Ctx, IncidentKey, Principal, Store, StoreError};

/// One action item changed by an import.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct TrackerChange {
    /// The line of the row in the file.
    pub line: u64,
    /// The ticket.
    pub external_ref: String,
    /// The incident of the item.
    pub incident: IncidentKey,
    /// The item's number in its incident.
    pub number: u32,
    /// The item's id.
    pub id: Uuid,
    /// The status before.
    pub from: ActionStatus,
    /// The status after (the same as `from` when only the link was set).
    pub to: ActionStatus,
    /// True when the item got its `external_ref` from this row.
    pub linked: bool,
}

/// What an import did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct TrackerImport {
    /// The items that changed, in file order.
    pub changes: Vec<TrackerChange>,
    /// Rows whose item already had that status and link.
    pub unchanged: u64,
}

/// The item a row resolved to.
struct Target {
    row: action_items::Model,
    key: IncidentKey,
    link: bool,
}

impl Store {
    /// Applies status updates read from a tracker's CSV (see the module
    /// documentation for the matching rules) as `who` (`None`: the
    /// installation itself, e.g. the CLI, which may edit everything).
    ///
    /// All or nothing: when any row fails (no or several matching items,
    /// an item the caller may not edit, a change the item's rules refuse),
    /// nothing is written and [`StoreError::Invalid`] lists every failing
    /// row, each named `line L, column C (Issue key)` like the parser's
    /// problems.
    pub async fn apply_tracker_updates(
        &self,
        updates: &[StatusUpdate],
        who: Option<&Principal>,
        ctx: &Ctx,
    ) -> Result<TrackerImport, StoreError> {
        let now = ctx.now;
        let txn = self.write_txn().await?;
        // Resolve once to learn which incidents are touched, take their row
        // locks (sorted by key, so two imports cannot deadlock), then
        // resolve again on what is now current under the locks.
        let first = resolve(&txn, updates, who).await?;
        let mut bumped: HashSet<IncidentKey> = HashSet::new();
        if let Ok(targets) = &first {
            let keys: std::collections::BTreeSet<&IncidentKey> =
                targets.iter().map(|t| &t.key).collect();
            for key in keys {
                bump(&txn, key, None, now).await?;
                bumped.insert(key.clone());
            }
        }
        let targets = match first {
            Ok(_) => resolve(&txn, updates, who).await?,
            Err(problems) => Err(problems),
        }
        .map_err(|p| StoreError::Invalid(problems_as_errors(&p)))?;

        let mut problems = Vec::new();
        let mut changes = Vec::new();
        let mut unchanged = 0u64;
        let mut writes: Vec<(Uuid, ActionItem, ActionItem)> = Vec::new();
        for (u, t) in updates.iter().zip(targets) {
            let incident_id = t.row.incident_id;
            let old = convert::action_item(t.row)?;
            let mut new = old.clone();
            if t.link {
                new.external_ref = Some(u.external_ref.clone());
            }
            // Done in the tracker does not undo a verification.
            let keep = u.status == ActionStatus::Complete && old.status.is_done();
            if !keep {
                new.set_status(
                    u.status,
                    now,
                    Some(format!("from the tracker: {}", u.tracker_status)),
                );
            }
            if new == old {
                unchanged += 1;
                continue;
            }
            let errs = new.validate(None);
            if !errs.0.is_empty() {
                problems.push(CsvProblem {
                    line: u.line,
                    column: Some(u.key_column),
                    column_name: Some("Issue key".to_owned()),
                    message: format!("item #{} of {}: {}", old.number, t.key, errs.summary()),
                });
                continue;
            }
            if !bumped.contains(&t.key) {
                bump(&txn, &t.key, None, now).await?;
                bumped.insert(t.key.clone());
            }
            changes.push(TrackerChange {
                line: u.line,
                external_ref: u.external_ref.clone(),
                incident: t.key.clone(),
                number: old.number,
                id: old.id,
                from: old.status,
                to: new.status,
                linked: t.link,
            });
            writes.push((incident_id, old, new));
        }
        if !problems.is_empty() {
            return Err(StoreError::Invalid(problems_as_errors(&problems)));
        }
        for (incident_id, old, new) in &writes {
            action_items::Entity::update(convert::action_row(new, *incident_id)?)
                .exec(&txn)
                .await?;
            crate::outbox::record_action_transition(&txn, now, *incident_id, old, new).await?;
        }
        let result = TrackerImport { changes, unchanged };
        audit::append(
            &txn,
            ctx,
            "action_item.import",
            "action_items",
            None,
            Some(audit::json(&result)),
        )
        .await?;
        txn.commit().await?;
        Ok(result)
    }
}

/// Finds the one item each update names, or every problem.
async fn resolve<C: ConnectionTrait>(
    conn: &C,
    updates: &[StatusUpdate],
    who: Option<&Principal>,
) -> Result<Result<Vec<Target>, Vec<CsvProblem>>, StoreError> {
    let refs: Vec<&str> = updates.iter().map(|u| u.external_ref.as_str()).collect();
    let ids: Vec<Uuid> = updates.iter().filter_map(|u| u.external_id).collect();
    let mut rows = Vec::new();
    // Chunks keep every statement under the bound-parameter limits.
    for chunk in refs.chunks(1000) {
        rows.extend(
            action_items::Entity::find()
                .filter(action_items::Column::ExternalRef.is_in(chunk.iter().copied()))
                .all(conn)
                .await?,
        );
    }
    for chunk in ids.chunks(1000) {
        rows.extend(
            action_items::Entity::find()
                .filter(action_items::Column::Id.is_in(chunk.iter().copied()))
                .all(conn)
                .await?,
        );
    }
    // The incidents of those rows, and what the caller is to each.
    let incident_ids: Vec<Uuid> = rows
        .iter()
        .map(|r| r.incident_id)
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let mut heads: HashMap<Uuid, (IncidentKey, IncidentAccess)> = HashMap::new();
    for chunk in incident_ids.chunks(1000) {
        let found = incidents::Entity::find()
            .filter(incidents::Column::Id.is_in(chunk.iter().copied()))
            .all(conn)
            .await?;
        let member_of: HashSet<Uuid> = match who {
            Some(p) => incident_members::Entity::find()
                .filter(incident_members::Column::UserId.eq(p.user_id))
                .filter(incident_members::Column::IncidentId.is_in(chunk.iter().copied()))
                .all(conn)
                .await?
                .into_iter()
                .map(|m| m.incident_id)
                .collect(),
            None => HashSet::new(),
        };
        for h in found {
            let key = IncidentKey::parse(&h.key)
                .map_err(|e| StoreError::Database(DbErr::Type(format!("incidents.key: {e}"))))?;
            let access = IncidentAccess {
                restricted: h.restricted,
                member: member_of.contains(&h.id),
            };
            heads.insert(h.id, (key, access));
        }
    }
    let decision = |incident_id: Uuid| -> Decision {
        match (who, heads.get(&incident_id)) {
            (_, None) => Decision::Hide,
            (None, Some(_)) => Decision::Allow,
            (Some(p), Some((_, access))) => decide(p, Action::EditIncident, Some(*access)),
        }
    };
    let mut by_ref: BTreeMap<&str, Vec<&action_items::Model>> = BTreeMap::new();
    let mut by_id: HashMap<Uuid, &action_items::Model> = HashMap::new();
    for r in &rows {
        if let Some(x) = r.external_ref.as_deref() {
            let list = by_ref.entry(x).or_default();
            if !list.iter().any(|o| o.id == r.id) {
                list.push(r);
            }
        }
        by_id.insert(r.id, r);
    }

    let mut problems = Vec::new();
    let mut targets = Vec::new();
    for u in updates {
        let problem = |message: String| CsvProblem::at(u.line, u.key_column, "Issue key", message);
        // Hidden items do not exist for this caller.
        let matches: Vec<&action_items::Model> = by_ref
            .get(u.external_ref.as_str())
            .map(|l| {
                l.iter()
                    .copied()
                    .filter(|r| decision(r.incident_id) != Decision::Hide)
                    .collect()
            })
            .unwrap_or_default();
        let (row, link) = match matches.as_slice() {
            [one] => (*one, false),
            [] => {
                let linkable = u
                    .external_id
                    .and_then(|id| by_id.get(&id).copied())
                    .filter(|r| decision(r.incident_id) != Decision::Hide)
                    .filter(|r| r.external_ref.as_deref().is_none_or(|x| x.is_empty()));
                match linkable {
                    Some(r) => (r, true),
                    None => {
                        problems.push(problem(format!(
                            "no action item has the external reference `{}`; set it on the item first, or keep the `External ID` column of debrief's export",
                            u.external_ref
                        )));
                        continue;
                    }
                }
            }
            many => {
                let names: Vec<String> = many
                    .iter()
                    .map(|r| {
                        let key = heads.get(&r.incident_id).map(|(k, _)| k.to_string());
                        format!("{} #{}", key.unwrap_or_default(), r.number)
                    })
                    .collect();
                problems.push(problem(format!(
                    "`{}` is the external reference of {} action items ({}); give each its own",
                    u.external_ref,
                    many.len(),
                    names.join(", ")
                )));
                continue;
            }
        };
        let Some((key, _)) = heads.get(&row.incident_id) else {
            problems.push(problem(format!(
                "no action item has the external reference `{}`",
                u.external_ref
            )));
            continue;
        };
        if decision(row.incident_id) != Decision::Allow {
            problems.push(problem(format!(
                "`{}` is item #{} of {key}, which you may not edit",
                u.external_ref, row.number
            )));
            continue;
        }
        if link && targets.iter().any(|t: &Target| t.row.id == row.id) {
            problems.push(problem(format!(
                "item #{} of {key} is linked to another ticket by an earlier line of this file",
                row.number
            )));
            continue;
        }
        targets.push(Target {
            row: row.clone(),
            key: key.clone(),
            link,
        });
    }
    Ok(if problems.is_empty() {
        Ok(targets)
    } else {
        Err(problems)
    })
}
