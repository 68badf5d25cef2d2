//! The items of a post-mortem's sections: add, replace, delete and reorder
//! one section's items; set the fishbone frame and the communications; and
//! the bulk timeline append used by importers.
//!
//! Item writes touch only the rows they change, but they load the document
//! first: the rules that link items (an action item's causes, a fishbone
//! cause's parent, unique numbers) need it, and the write returns it anyway.
//! Errors name fields relative to the item, as the API reports them against
//! the request body.

use std::collections::HashSet;

use debrief_core::{Addresses, FindingKind, Fishbone, Review, StatusChange, ValidationErrors};
use sea_orm::ActiveValue::NotSet;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QuerySelect,
};
use uuid::Uuid;

use crate::audit;
use crate::convert;
use crate::entity::{
    action_items, findings, fishbone_causes, five_whys, fmea_rows, incidents, lessons, root_causes,
    timeline_entries,
};
use crate::incidents::{
    bump, find_header, incident_object, insert_chunked, load_document, new_id, position,
    unique_as_exists,
};
use crate::{
    Communications, Ctx, IncidentKey, PostMortem, Section, SectionItem, Store, StoreError,
    TimelineEntry,
};

/// The audit object naming one item: `incident:KEY/section/id`.
fn item_object(key: &IncidentKey, section: Section, id: Uuid) -> String {
    format!("{}/{section}/{id}", incident_object(key))
}

/// The audit object naming a part of an incident: `incident:KEY/part`.
fn part_object(key: &IncidentKey, part: &str) -> String {
    format!("{}/{part}", incident_object(key))
}

/// The item `id` of `section` as audit JSON, if the document has it.
fn item_json(doc: &PostMortem, section: Section, id: Uuid) -> Option<String> {
    fn find<T: serde::Serialize>(list: &[T], id: Uuid, id_of: fn(&T) -> Uuid) -> Option<String> {
        list.iter().find(|x| id_of(x) == id).map(audit::json)
    }
    match section {
        Section::Timeline => find(&doc.timeline, id, |x| x.id),
        Section::FiveWhys => find(&doc.five_whys, id, |x| x.id),
        Section::RootCauses => find(&doc.root_causes, id, |x| x.id),
        Section::FishboneCauses => find(&doc.fishbone.causes, id, |x| x.id),
        Section::Fmea => find(&doc.fmea, id, |x| x.id),
        Section::WentWell => find(&doc.findings.went_well, id, |x| x.id),
        Section::WentWrong => find(&doc.findings.went_wrong, id, |x| x.id),
        Section::ActionItems => find(&doc.action_items, id, |x| x.id),
        Section::Lessons => find(&doc.lessons, id, |x| x.id),
    }
}

/// The document of incident `id` as it now is inside `txn`, without
/// computed fields.
async fn current(txn: &sea_orm::DatabaseTransaction, id: Uuid) -> Result<PostMortem, StoreError> {
    let header = incidents::Entity::find_by_id(id)
        .one(txn)
        .await?
        .ok_or_else(|| StoreError::Database(DbErr::RecordNotFound(format!("incident {id}"))))?;
    load_document(txn, header).await
}

/// Appends the audit entry of a section write, commits, and returns the
/// document with computed fields.
async fn commit_audited(
    txn: sea_orm::DatabaseTransaction,
    doc: PostMortem,
    ctx: &Ctx,
    action: &str,
    object: &str,
    before: Option<String>,
    after: Option<String>,
) -> Result<PostMortem, StoreError> {
    crate::search::reindex(&txn, &doc).await?;
    audit::append(&txn, ctx, action, object, before, after).await?;
    txn.commit().await?;
    Ok(doc.with_computed())
}

/// The ids of one section's items, in document order.
fn section_ids(doc: &PostMortem, section: Section) -> Vec<Uuid> {
    match section {
        Section::Timeline => doc.timeline.iter().map(|x| x.id).collect(),
        Section::FiveWhys => doc.five_whys.iter().map(|x| x.id).collect(),
        Section::RootCauses => doc.root_causes.iter().map(|x| x.id).collect(),
        Section::FishboneCauses => doc.fishbone.causes.iter().map(|x| x.id).collect(),
        Section::Fmea => doc.fmea.iter().map(|x| x.id).collect(),
        Section::WentWell => doc.findings.went_well.iter().map(|x| x.id).collect(),
        Section::WentWrong => doc.findings.went_wrong.iter().map(|x| x.id).collect(),
        Section::ActionItems => doc.action_items.iter().map(|x| x.id).collect(),
        Section::Lessons => doc.lessons.iter().map(|x| x.id).collect(),
    }
}

/// Whether any section of the document has an item with `id`.
fn id_in_use(doc: &PostMortem, id: Uuid) -> bool {
    Section::ALL
        .iter()
        .any(|s| section_ids(doc, *s).contains(&id))
}

fn not_found(section: Section, id: Uuid) -> StoreError {
    StoreError::NotFound {
        what: format!("{} {id}", section.item_name()),
    }
}

/// One past the highest position of the incident's rows in a table (0 when
/// there are none), optionally among the rows matching `extra`.
async fn next_position<E, C>(
    conn: &C,
    incident_col: E::Column,
    position_col: E::Column,
    incident_id: Uuid,
    extra: Option<sea_orm::Condition>,
) -> Result<i32, StoreError>
where
    E: EntityTrait,
    C: ConnectionTrait,
{
    let mut q = E::find()
        .select_only()
        .column_as(Expr::col(position_col).max(), "max_position")
        .filter(incident_col.eq(incident_id));
    if let Some(c) = extra {
        q = q.filter(c);
    }
    let max: Option<Option<i32>> = q.into_tuple().one(conn).await?;
    Ok(max.flatten().map_or(0, |m| m.saturating_add(1)))
}

/// Sets `position = i` on the row with the i-th id.
async fn set_positions<E, C>(
    conn: &C,
    id_col: E::Column,
    position_col: E::Column,
    ids: &[Uuid],
) -> Result<(), StoreError>
where
    E: EntityTrait,
    C: ConnectionTrait,
{
    for (i, id) in ids.iter().enumerate() {
        E::update_many()
            .col_expr(position_col, Expr::value(position(i)))
            .filter(id_col.eq(*id))
            .exec(conn)
            .await?;
    }
    Ok(())
}

/// Inserts one item row, reporting an id taken by another incident's item
/// as [`StoreError::AlreadyExists`].
async fn insert_row<A, C>(conn: &C, row: A, section: Section, id: Uuid) -> Result<(), StoreError>
where
    A: ActiveModelTrait + Send,
    C: ConnectionTrait,
{
    <A::Entity as EntityTrait>::insert(row)
        .exec_without_returning(conn)
        .await
        .map_err(|e| unique_as_exists(e, || format!("{} {id}", section.item_name())))?;
    Ok(())
}

/// Replaces one item row (the columns that are set).
async fn update_row<A, C>(conn: &C, row: A) -> Result<(), StoreError>
where
    A: ActiveModelTrait + Send,
    <A::Entity as EntityTrait>::Model: sea_orm::IntoActiveModel<A>,
    C: ConnectionTrait,
{
    <A::Entity as EntityTrait>::update(row).exec(conn).await?;
    Ok(())
}

/// Removes links to deleted causes from the action items that had them.
async fn unlink<C: ConnectionTrait>(
    conn: &C,
    doc: &PostMortem,
    gone: &HashSet<Uuid>,
    pick: fn(&mut Addresses) -> &mut Vec<Uuid>,
) -> Result<(), StoreError> {
    for a in &doc.action_items {
        let mut addresses = a.addresses.clone();
        let list = pick(&mut addresses);
        let before = list.len();
        list.retain(|id| !gone.contains(id));
        if list.len() != before {
            action_items::Entity::update_many()
                .col_expr(
                    action_items::Column::Addresses,
                    Expr::value(convert::to_json(&addresses)?),
                )
                .filter(action_items::Column::Id.eq(a.id))
                .exec(conn)
                .await?;
        }
    }
    Ok(())
}

/// The cause `id` and every cause under it, however deep.
fn with_descendants(causes: &[debrief_core::FishboneCause], id: Uuid) -> HashSet<Uuid> {
    let mut gone = HashSet::from([id]);
    // Each pass adds the children of what is already gone; a chain of n
    // causes needs at most n passes.
    loop {
        let before = gone.len();
        for c in causes {
            if c.parent.is_some_and(|p| gone.contains(&p)) {
                gone.insert(c.id);
            }
        }
        if gone.len() == before {
            return gone;
        }
    }
}

/// Checks that `ids` lists every id of `current` exactly once.
fn check_permutation(current: &[Uuid], ids: &[Uuid]) -> Result<(), StoreError> {
    let known: HashSet<Uuid> = current.iter().copied().collect();
    let mut seen = HashSet::new();
    let mut problems = Vec::new();
    for id in ids {
        if !known.contains(id) {
            problems.push(format!("{id} is not in this section"));
        } else if !seen.insert(*id) {
            problems.push(format!("{id} is listed twice"));
        }
    }
    let missing: Vec<String> = current
        .iter()
        .filter(|id| !seen.contains(id))
        .map(|id| id.to_string())
        .collect();
    if !missing.is_empty() {
        problems.push(format!("missing {}", missing.join(", ")));
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(StoreError::invalid(
            "ids",
            format!(
                "must list every item of the section exactly once: {}",
                problems.join("; ")
            ),
        ))
    }
}

/// The position after the last item of `$table` in incident `$iid`: every
/// positioned table has `incident_id` and `position` columns.
macro_rules! next_pos {
    ($txn:expr, $table:ident, $iid:expr) => {
        next_position::<$table::Entity, _>(
            $txn,
            $table::Column::IncidentId,
            $table::Column::Position,
            $iid,
            None,
        )
        .await?
    };
}

impl Store {
    /// Adds an item at the end of its section and returns the document and
    /// the item's id. A nil id gets a new UUID v7; an action item numbered 0
    /// gets the next free number. Timeline entries are shown in time order
    /// whatever their position.
    pub async fn add_item(
        &self,
        key: &IncidentKey,
        mut item: SectionItem,
        expected: Option<i64>,
        ctx: &Ctx,
    ) -> Result<(PostMortem, Uuid), StoreError> {
        let now = ctx.now;
        let txn = self.write_txn().await?;
        let header = bump(&txn, key, expected, now).await?;
        let iid = header.id;
        let doc = load_document(&txn, header).await?;
        if item.id().is_nil() {
            item.set_id(new_id(now));
        } else if id_in_use(&doc, item.id()) {
            return Err(StoreError::invalid(
                "id",
                "is already used in this incident",
            ));
        }
        let id = item.id();
        let section = item.section();
        match item {
            SectionItem::Timeline(e) => {
                StoreError::check(e.validate())?;
                let pos = next_pos!(&txn, timeline_entries, iid);
                insert_row(&txn, convert::timeline_row(&e, iid, pos)?, section, id).await?;
            }
            SectionItem::FiveWhys(w) => {
                StoreError::check(w.validate())?;
                let pos = next_pos!(&txn, five_whys, iid);
                insert_row(&txn, convert::five_whys_row(&w, iid, pos)?, section, id).await?;
            }
            SectionItem::RootCause(r) => {
                StoreError::check(r.validate())?;
                let pos = next_pos!(&txn, root_causes, iid);
                insert_row(&txn, convert::root_cause_row(&r, iid, pos), section, id).await?;
            }
            SectionItem::FishboneCause(c) => {
                StoreError::check(doc.fishbone.validate_cause(&c))?;
                let pos = next_pos!(&txn, fishbone_causes, iid);
                insert_row(&txn, convert::fishbone_row(&c, iid, pos), section, id).await?;
            }
            SectionItem::Fmea(r) => {
                StoreError::check(r.validate())?;
                let pos = next_pos!(&txn, fmea_rows, iid);
                insert_row(&txn, convert::fmea_row(&r, iid, pos), section, id).await?;
            }
            SectionItem::WentWell(f) | SectionItem::WentWrong(f) => {
                StoreError::check(f.validate())?;
                let kind = finding_kind(section);
                let pos = next_position::<findings::Entity, _>(
                    &txn,
                    findings::Column::IncidentId,
                    findings::Column::Position,
                    iid,
                    Some(sea_orm::Condition::all().add(findings::Column::Kind.eq(kind.as_str()))),
                )
                .await?;
                insert_row(&txn, convert::finding_row(&f, kind, iid, pos)?, section, id).await?;
            }
            SectionItem::ActionItem(mut a) => {
                let mut errs = ValidationErrors::default();
                if a.number == 0 {
                    a.number = doc.next_action_number();
                } else if doc.action_items.iter().any(|x| x.number == a.number) {
                    errs.push(
                        "number",
                        format!("#{} is used by another action item", a.number),
                    );
                }
                errs.0.extend(a.validate(doc.horizon_base()).0);
                errs.0.extend(doc.validate_links(&a).0);
                StoreError::check(errs)?;
                insert_row(&txn, convert::action_row(&a, iid)?, section, id).await?;
            }
            SectionItem::Lesson(l) => {
                StoreError::check(l.validate())?;
                let pos = next_pos!(&txn, lessons, iid);
                insert_row(&txn, convert::lesson_row(&l, iid, pos), section, id).await?;
            }
        }
        let after = current(&txn, iid).await?;
        let after_json = item_json(&after, section, id);
        let doc = commit_audited(
            txn,
            after,
            ctx,
            "item.create",
            &item_object(key, section, id),
            None,
            after_json,
        )
        .await?;
        Ok((doc, id))
    }

    /// Replaces the item `id` of the item's section (an id in the body is
    /// ignored); [`StoreError::NotFound`] when that section of the incident
    /// has no such item. The item keeps its place.
    ///
    /// An action item keeps its number when the body says 0, and keeps its
    /// status history when the body has none (the history is an audit trail:
    /// leaving it out of a form does not erase it). When its status changes
    /// and the body did not record the change itself, the change is recorded
    /// on the day of `now`.
    pub async fn update_item(
        &self,
        key: &IncidentKey,
        id: Uuid,
        mut item: SectionItem,
        expected: Option<i64>,
        ctx: &Ctx,
    ) -> Result<PostMortem, StoreError> {
        let now = ctx.now;
        let txn = self.write_txn().await?;
        let header = bump(&txn, key, expected, now).await?;
        let iid = header.id;
        let doc = load_document(&txn, header).await?;
        let section = item.section();
        if !section_ids(&doc, section).contains(&id) {
            return Err(not_found(section, id));
        }
        item.set_id(id);
        match item {
            SectionItem::Timeline(e) => {
                StoreError::check(e.validate())?;
                let mut row = convert::timeline_row(&e, iid, 0)?;
                row.position = NotSet;
                update_row(&txn, row).await?;
            }
            SectionItem::FiveWhys(w) => {
                StoreError::check(w.validate())?;
                let mut row = convert::five_whys_row(&w, iid, 0)?;
                row.position = NotSet;
                update_row(&txn, row).await?;
            }
            SectionItem::RootCause(r) => {
                StoreError::check(r.validate())?;
                let mut row = convert::root_cause_row(&r, iid, 0);
                row.position = NotSet;
                update_row(&txn, row).await?;
            }
            SectionItem::FishboneCause(c) => {
                let mut errs = doc.fishbone.validate_cause(&c);
                let causes = &doc.fishbone.causes;
                // Walk up from the new parent: meeting the cause itself means
                // the change would hang the cause below its own sub-cause.
                let mut up = c.parent;
                let mut steps = 0;
                while let Some(p) = up {
                    if p == id {
                        if c.parent != Some(id) {
                            errs.push("parent", "is a sub-cause of this cause");
                        }
                        break;
                    }
                    steps += 1;
                    if steps > causes.len() {
                        break;
                    }
                    up = causes.iter().find(|x| x.id == p).and_then(|x| x.parent);
                }
                if let Some(old) = causes.iter().find(|x| x.id == id)
                    && old.category != c.category
                    && causes.iter().any(|x| x.parent == Some(id))
                {
                    errs.push(
                        "category",
                        format!(
                            "this cause has sub-causes on `{}`; move or delete them first",
                            old.category
                        ),
                    );
                }
                StoreError::check(errs)?;
                let mut row = convert::fishbone_row(&c, iid, 0);
                row.position = NotSet;
                update_row(&txn, row).await?;
            }
            SectionItem::Fmea(r) => {
                StoreError::check(r.validate())?;
                let mut row = convert::fmea_row(&r, iid, 0);
                row.position = NotSet;
                update_row(&txn, row).await?;
            }
            SectionItem::WentWell(f) | SectionItem::WentWrong(f) => {
                StoreError::check(f.validate())?;
                let mut row = convert::finding_row(&f, finding_kind(section), iid, 0)?;
                row.position = NotSet;
                update_row(&txn, row).await?;
            }
            SectionItem::ActionItem(mut a) => {
                let mut errs = ValidationErrors::default();
                if let Some(old) = doc.action_items.iter().find(|x| x.id == id) {
                    if a.number == 0 {
                        a.number = old.number;
                    } else if a.number != old.number
                        && doc.action_items.iter().any(|x| x.number == a.number)
                    {
                        errs.push(
                            "number",
                            format!("#{} is used by another action item", a.number),
                        );
                    }
                    if a.status_history.is_empty() {
                        a.status_history = old.status_history.clone();
                    }
                    if a.status != old.status && a.status_history.len() <= old.status_history.len()
                    {
                        a.status_history.push(StatusChange {
                            status: a.status,
                            on: now.date_naive(),
                            note: None,
                        });
                    }
                }
                errs.0.extend(a.validate(doc.horizon_base()).0);
                errs.0.extend(doc.validate_links(&a).0);
                StoreError::check(errs)?;
                update_row(&txn, convert::action_row(&a, iid)?).await?;
                if let Some(old) = doc.action_items.iter().find(|x| x.id == id) {
                    crate::outbox::record_action_transition(&txn, now, iid, old, &a).await?;
                }
            }
            SectionItem::Lesson(l) => {
                StoreError::check(l.validate())?;
                let mut row = convert::lesson_row(&l, iid, 0);
                row.position = NotSet;
                update_row(&txn, row).await?;
            }
        }
        let before_json = item_json(&doc, section, id);
        let after = current(&txn, iid).await?;
        let after_json = item_json(&after, section, id);
        commit_audited(
            txn,
            after,
            ctx,
            "item.update",
            &item_object(key, section, id),
            before_json,
            after_json,
        )
        .await
    }

    /// Deletes the item `id` of `section`. Deleting a fishbone cause deletes
    /// its sub-causes; deleting a root cause, fishbone cause or FMEA row
    /// removes it from the action items that addressed it.
    pub async fn delete_item(
        &self,
        key: &IncidentKey,
        section: Section,
        id: Uuid,
        expected: Option<i64>,
        ctx: &Ctx,
    ) -> Result<PostMortem, StoreError> {
        let txn = self.write_txn().await?;
        let header = bump(&txn, key, expected, ctx.now).await?;
        let iid = header.id;
        let doc = load_document(&txn, header).await?;
        if !section_ids(&doc, section).contains(&id) {
            return Err(not_found(section, id));
        }
        match section {
            Section::Timeline => {
                timeline_entries::Entity::delete_by_id(id)
                    .exec(&txn)
                    .await?;
            }
            Section::FiveWhys => {
                five_whys::Entity::delete_by_id(id).exec(&txn).await?;
            }
            Section::RootCauses => {
                root_causes::Entity::delete_by_id(id).exec(&txn).await?;
                unlink(&txn, &doc, &HashSet::from([id]), |a| &mut a.root_causes).await?;
            }
            Section::FishboneCauses => {
                let gone = with_descendants(&doc.fishbone.causes, id);
                fishbone_causes::Entity::delete_many()
                    .filter(fishbone_causes::Column::Id.is_in(gone.iter().copied()))
                    .exec(&txn)
                    .await?;
                unlink(&txn, &doc, &gone, |a| &mut a.fishbone_causes).await?;
            }
            Section::Fmea => {
                fmea_rows::Entity::delete_by_id(id).exec(&txn).await?;
                unlink(&txn, &doc, &HashSet::from([id]), |a| &mut a.fmea_rows).await?;
            }
            Section::WentWell | Section::WentWrong => {
                findings::Entity::delete_by_id(id).exec(&txn).await?;
            }
            Section::ActionItems => {
                action_items::Entity::delete_by_id(id).exec(&txn).await?;
            }
            Section::Lessons => {
                lessons::Entity::delete_by_id(id).exec(&txn).await?;
            }
        }
        let before_json = item_json(&doc, section, id);
        let after = current(&txn, iid).await?;
        commit_audited(
            txn,
            after,
            ctx,
            "item.delete",
            &item_object(key, section, id),
            before_json,
            None,
        )
        .await
    }

    /// Puts the items of `section` in the order of `ids`, which must list
    /// each of the section's ids exactly once ([`StoreError::Invalid`] naming
    /// `ids` otherwise). Action items are renumbered 1..n in that order.
    /// Timeline entries stay in time order; the new order settles ties.
    pub async fn reorder(
        &self,
        key: &IncidentKey,
        section: Section,
        ids: Vec<Uuid>,
        expected: Option<i64>,
        ctx: &Ctx,
    ) -> Result<PostMortem, StoreError> {
        let txn = self.write_txn().await?;
        let header = bump(&txn, key, expected, ctx.now).await?;
        let iid = header.id;
        let doc = load_document(&txn, header).await?;
        check_permutation(&section_ids(&doc, section), &ids)?;
        // Every positioned table has `id` and `position` columns.
        macro_rules! positions {
            ($table:ident) => {
                set_positions::<$table::Entity, _>(
                    &txn,
                    $table::Column::Id,
                    $table::Column::Position,
                    &ids,
                )
                .await?
            };
        }
        match section {
            Section::Timeline => positions!(timeline_entries),
            Section::FiveWhys => positions!(five_whys),
            Section::RootCauses => positions!(root_causes),
            Section::FishboneCauses => positions!(fishbone_causes),
            Section::Fmea => positions!(fmea_rows),
            Section::WentWell | Section::WentWrong => positions!(findings),
            Section::ActionItems => {
                // (incident_id, number) is unique and checked row by row, so
                // first move every item out of the way to a negative number.
                for (i, id) in ids.iter().enumerate() {
                    action_items::Entity::update_many()
                        .col_expr(action_items::Column::Number, Expr::value(-position(i) - 1))
                        .filter(action_items::Column::Id.eq(*id))
                        .exec(&txn)
                        .await?;
                }
                for (i, id) in ids.iter().enumerate() {
                    action_items::Entity::update_many()
                        .col_expr(action_items::Column::Number, Expr::value(position(i) + 1))
                        .filter(action_items::Column::Id.eq(*id))
                        .exec(&txn)
                        .await?;
                }
            }
            Section::Lessons => positions!(lessons),
        }
        let before_json = audit::json(&serde_json::json!({ "ids": section_ids(&doc, section) }));
        let after = current(&txn, iid).await?;
        commit_audited(
            txn,
            after,
            ctx,
            "section.reorder",
            &part_object(key, section.as_str()),
            Some(before_json),
            Some(audit::json(&serde_json::json!({ "ids": ids }))),
        )
        .await
    }

    /// Sets the fishbone's effect (blank clears it) and its category bones,
    /// in drawing order. Removing a category that still has causes is
    /// refused ([`StoreError::Invalid`] naming `categories`).
    pub async fn set_fishbone_frame(
        &self,
        key: &IncidentKey,
        effect: Option<String>,
        categories: Vec<String>,
        expected: Option<i64>,
        ctx: &Ctx,
    ) -> Result<PostMortem, StoreError> {
        let txn = self.write_txn().await?;
        let header = bump(&txn, key, expected, ctx.now).await?;
        let iid = header.id;
        let doc = load_document(&txn, header).await?;
        let frame = Fishbone {
            effect: effect.filter(|e| !e.trim().is_empty()),
            categories,
            causes: Vec::new(),
        };
        let mut errs = frame.validate();
        for old in &doc.fishbone.categories {
            let n = doc
                .fishbone
                .causes
                .iter()
                .filter(|c| &c.category == old)
                .count();
            if n > 0 && !frame.categories.contains(old) {
                errs.push(
                    "categories",
                    format!("`{old}` still has {n} cause(s); move or delete them first"),
                );
            }
        }
        StoreError::check(errs)?;
        let frame_json = |effect: &Option<String>, categories: &[String]| {
            audit::json(&serde_json::json!({ "effect": effect, "categories": categories }))
        };
        let before_json = frame_json(&doc.fishbone.effect, &doc.fishbone.categories);
        let after_json = frame_json(&frame.effect, &frame.categories);
        incidents::Entity::update_many()
            .col_expr(incidents::Column::FishboneEffect, Expr::value(frame.effect))
            .col_expr(
                incidents::Column::FishboneCategories,
                Expr::value(convert::to_json(&frame.categories)?),
            )
            .filter(incidents::Column::Id.eq(iid))
            .exec(&txn)
            .await?;
        let after = current(&txn, iid).await?;
        commit_audited(
            txn,
            after,
            ctx,
            "fishbone.update",
            &part_object(key, "fishbone"),
            Some(before_json),
            Some(after_json),
        )
        .await
    }

    /// Replaces the internal summary and the customer notification.
    pub async fn set_communications(
        &self,
        key: &IncidentKey,
        comms: Communications,
        expected: Option<i64>,
        ctx: &Ctx,
    ) -> Result<PostMortem, StoreError> {
        let txn = self.write_txn().await?;
        let header = bump(&txn, key, expected, ctx.now).await?;
        let iid = header.id;
        let before_json = convert::incident_doc(header)
            .map(|d| audit::json(&d.communications))
            .ok();
        let after_json = audit::json(&comms);
        incidents::Entity::update_many()
            .col_expr(
                incidents::Column::Communications,
                Expr::value(convert::to_json(&comms)?),
            )
            .filter(incidents::Column::Id.eq(iid))
            .exec(&txn)
            .await?;
        let after = current(&txn, iid).await?;
        commit_audited(
            txn,
            after,
            ctx,
            "communications.update",
            &part_object(key, "communications"),
            before_json,
            Some(after_json),
        )
        .await
    }

    /// Replaces the review record (agenda, process facts, checklist ticks,
    /// acknowledgements) after checking it. Audited as `review.update`.
    pub async fn set_review(
        &self,
        key: &IncidentKey,
        review: Review,
        expected: Option<i64>,
        ctx: &Ctx,
    ) -> Result<PostMortem, StoreError> {
        StoreError::check(review.validate().nest("review"))?;
        let txn = self.write_txn().await?;
        let header = bump(&txn, key, expected, ctx.now).await?;
        let iid = header.id;
        let before_json = convert::incident_doc(header)
            .map(|d| audit::json(&d.review))
            .ok();
        let after_json = audit::json(&review);
        incidents::Entity::update_many()
            .col_expr(
                incidents::Column::Review,
                Expr::value(convert::to_json(&review)?),
            )
            .filter(incidents::Column::Id.eq(iid))
            .exec(&txn)
            .await?;
        let after = current(&txn, iid).await?;
        commit_audited(
            txn,
            after,
            ctx,
            "review.update",
            &part_object(key, "review"),
            before_json,
            Some(after_json),
        )
        .await
    }

    /// Appends many timeline entries at once, for importers: every entry is
    /// validated first (errors name `[i].field`), then the entries are
    /// written with multi-row INSERTs in one transaction. The document is
    /// not loaded. Returns how many entries were added.
    ///
    /// Nil ids get new ids; an id already used by a timeline entry is
    /// [`StoreError::AlreadyExists`]. An empty list changes nothing (the
    /// incident and version are still checked).
    pub async fn append_timeline(
        &self,
        key: &IncidentKey,
        mut entries: Vec<TimelineEntry>,
        expected: Option<i64>,
        ctx: &Ctx,
    ) -> Result<u64, StoreError> {
        let now = ctx.now;
        let mut errs = ValidationErrors::default();
        let mut seen = HashSet::new();
        for (i, e) in entries.iter().enumerate() {
            errs.0.extend(e.validate().nest(&format!("[{i}]")).0);
            if !e.id.is_nil() && !seen.insert(e.id) {
                errs.push(format!("[{i}].id"), "is used twice in this list");
            }
        }
        StoreError::check(errs)?;
        if entries.is_empty() {
            let header = find_header(&self.db, key)
                .await?
                .ok_or_else(|| StoreError::incident_not_found(key))?;
            return match expected {
                Some(v) if v != header.version => Err(StoreError::VersionMismatch {
                    expected: v,
                    actual: header.version,
                }),
                _ => Ok(0),
            };
        }
        for e in &mut entries {
            if e.id.is_nil() {
                e.id = new_id(now);
            }
        }

        let txn = self.write_txn().await?;
        let header = bump(&txn, key, expected, now).await?;
        let iid = header.id;
        let first = next_pos!(&txn, timeline_entries, iid);
        let count = entries.len();
        let rows = entries
            .iter()
            .enumerate()
            .map(|(i, e)| convert::timeline_row(e, iid, first.saturating_add(position(i))))
            .collect::<Result<Vec<_>, _>>()?;
        insert_chunked::<timeline_entries::Entity, _>(&txn, rows, convert::TIMELINE_COLUMNS)
            .await
            .map_err(|e: DbErr| {
                unique_as_exists(e, || "a timeline entry with one of these ids".to_owned())
            })?;
        crate::search::reindex_id(&txn, iid).await?;
        // The count only: a bulk import of 100,000 events would otherwise
        // copy the whole import into the trail.
        audit::append(
            &txn,
            ctx,
            "timeline.append",
            &part_object(key, "timeline"),
            None,
            Some(audit::json(&serde_json::json!({ "entries": count }))),
        )
        .await?;
        txn.commit().await?;
        Ok(count as u64)
    }
}

fn finding_kind(section: Section) -> FindingKind {
    if section == Section::WentWrong {
        FindingKind::WentWrong
    } else {
        FindingKind::WentWell
    }
}
