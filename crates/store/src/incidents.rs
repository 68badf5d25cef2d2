//! Whole incidents: create, read, list, patch, delete, import, and the
//! helpers every write shares (the version bump, loading and inserting a
//! document).

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;

use chrono::{DateTime, Datelike, Utc};
use debrief_core::{ActionStatus, FindingKind, PostmortemStatus};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Func, LikeExpr, Order};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, QueryTrait, SqlErr,
};
use uuid::Uuid;
use uuid::timestamp::{Timestamp, context::ContextV7};

use crate::audit;
use crate::convert;
use crate::entity::{
    action_items, findings, fishbone_causes, five_whys, fmea_rows, incident_members, incidents,
    lessons, root_causes, timeline_entries,
};
use crate::{
    Ctx, IncidentFilter, IncidentKey, IncidentPatch, IncidentSummary, NewIncident, Page,
    PostMortem, SortOrder, Store, StoreError, Visibility, ensure_category,
};

/// Bound parameters per multi-row INSERT. SQLite allows 32,766 and
/// PostgreSQL 65,535; staying well below keeps statements of a sane size.
const MAX_PARAMS: usize = 16_000;

/// How often a create with a generated key is retried when a concurrent
/// create took the same key first.
const KEY_RETRIES: usize = 5;

/// Keeps the ids this process makes strictly increasing, even when many are
/// made for one `now` (a bulk import): increasing keys are appended to the
/// primary-key index instead of scattered through it.
static ID_CONTEXT: Mutex<ContextV7> = Mutex::new(ContextV7::new());

/// A new item id: a UUID v7 from `now`, so ids sort by creation.
pub(crate) fn new_id(now: DateTime<Utc>) -> Uuid {
    let secs = u64::try_from(now.timestamp()).unwrap_or(0);
    // A poisoned lock still holds a usable counter.
    let ctx = ID_CONTEXT.lock().unwrap_or_else(|e| e.into_inner());
    Uuid::new_v7(Timestamp::from_unix(
        &*ctx,
        secs,
        now.timestamp_subsec_nanos(),
    ))
}

/// A list index as a stored position.
pub(crate) fn position(i: usize) -> i32 {
    i32::try_from(i).unwrap_or(i32::MAX)
}

/// Maps a unique-constraint violation to [`StoreError::AlreadyExists`].
pub(crate) fn unique_as_exists(e: DbErr, what: impl FnOnce() -> String) -> StoreError {
    if matches!(e.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) {
        StoreError::AlreadyExists { what: what() }
    } else {
        StoreError::Database(e)
    }
}

/// The audit object naming an incident: `incident:INC-2025-1128`.
pub(crate) fn incident_object(key: &IncidentKey) -> String {
    format!("incident:{key}")
}

/// The header of a document as audit JSON: the document without its
/// sections, so an entry records what a header write changed and stays
/// small however long the timeline is.
pub(crate) fn header_json(doc: &PostMortem) -> String {
    match serde_json::to_value(doc) {
        Ok(serde_json::Value::Object(mut map)) => {
            for section in [
                "timeline",
                "five_whys",
                "root_causes",
                "fishbone",
                "fmea",
                "findings",
                "action_items",
                "communications",
                "lessons",
            ] {
                map.remove(section);
            }
            audit::json(&map)
        }
        _ => audit::json(doc),
    }
}

/// The condition "visible under `visibility`" on the incidents table:
/// unrestricted, or restricted with the user among the members.
pub(crate) fn visible(visibility: &Visibility) -> Option<Condition> {
    match visibility {
        Visibility::All => None,
        Visibility::User(user) => {
            let memberships = sea_orm::sea_query::Query::select()
                .column(incident_members::Column::IncidentId)
                .from(incident_members::Entity)
                .and_where(incident_members::Column::UserId.eq(*user))
                .to_owned();
            Some(
                Condition::any()
                    .add(incidents::Column::Restricted.eq(false))
                    .add(incidents::Column::Id.in_subquery(memberships)),
            )
        }
    }
}

/// The header row of the incident with `key`.
pub(crate) async fn find_header<C: ConnectionTrait>(
    conn: &C,
    key: &IncidentKey,
) -> Result<Option<incidents::Model>, StoreError> {
    Ok(incidents::Entity::find()
        .filter(incidents::Column::Key.eq(key.as_str()))
        .one(conn)
        .await?)
}

/// Raises the version of the incident with `key` by one and sets its
/// `updated_at`, refusing when `expected` is given and is not the stored
/// version. Returns the header row as it is after the bump.
///
/// This is the first statement of every write: the UPDATE takes the row
/// lock, so on PostgreSQL a second writer of the same incident waits here
/// and then finds the version moved on, whichever server process it runs
/// in. Everything the write reads afterwards is current.
pub(crate) async fn bump<C: ConnectionTrait>(
    conn: &C,
    key: &IncidentKey,
    expected: Option<i64>,
    now: DateTime<Utc>,
) -> Result<incidents::Model, StoreError> {
    let mut update = incidents::Entity::update_many()
        .col_expr(
            incidents::Column::Version,
            Expr::col(incidents::Column::Version).add(1),
        )
        .col_expr(incidents::Column::UpdatedAt, Expr::value(now))
        .filter(incidents::Column::Key.eq(key.as_str()));
    if let Some(v) = expected {
        update = update.filter(incidents::Column::Version.eq(v));
    }
    let changed = update.exec(conn).await?.rows_affected;
    let header = find_header(conn, key)
        .await?
        .ok_or_else(|| StoreError::incident_not_found(key))?;
    match expected {
        Some(v) if changed == 0 => Err(StoreError::VersionMismatch {
            expected: v,
            actual: header.version,
        }),
        _ if changed == 0 => Err(StoreError::incident_not_found(key)),
        _ => Ok(header),
    }
}

/// The whole document of the incident whose header row is `header`, sections
/// in stored order. Computed fields are not filled in.
pub(crate) async fn load_document<C: ConnectionTrait>(
    conn: &C,
    header: incidents::Model,
) -> Result<PostMortem, StoreError> {
    let id = header.id;
    let mut doc = convert::incident_doc(header)?;
    doc.timeline = timeline_entries::Entity::find()
        .filter(timeline_entries::Column::IncidentId.eq(id))
        .order_by_asc(timeline_entries::Column::OccurredAt)
        .order_by_asc(timeline_entries::Column::Position)
        .order_by_asc(timeline_entries::Column::Id)
        .all(conn)
        .await?
        .into_iter()
        .map(convert::timeline_entry)
        .collect::<Result<_, _>>()?;
    doc.five_whys = five_whys::Entity::find()
        .filter(five_whys::Column::IncidentId.eq(id))
        .order_by_asc(five_whys::Column::Position)
        .order_by_asc(five_whys::Column::Id)
        .all(conn)
        .await?
        .into_iter()
        .map(convert::five_whys)
        .collect::<Result<_, _>>()?;
    doc.root_causes = root_causes::Entity::find()
        .filter(root_causes::Column::IncidentId.eq(id))
        .order_by_asc(root_causes::Column::Position)
        .order_by_asc(root_causes::Column::Id)
        .all(conn)
        .await?
        .into_iter()
        .map(convert::root_cause)
        .collect::<Result<_, _>>()?;
    doc.fishbone.causes = fishbone_causes::Entity::find()
        .filter(fishbone_causes::Column::IncidentId.eq(id))
        .order_by_asc(fishbone_causes::Column::Position)
        .order_by_asc(fishbone_causes::Column::Id)
        .all(conn)
        .await?
        .into_iter()
        .map(convert::fishbone_cause)
        .collect();
    doc.fmea = fmea_rows::Entity::find()
        .filter(fmea_rows::Column::IncidentId.eq(id))
        .order_by_asc(fmea_rows::Column::Position)
        .order_by_asc(fmea_rows::Column::Id)
        .all(conn)
        .await?
        .into_iter()
        .map(convert::fmea)
        .collect::<Result<_, _>>()?;
    let rows = findings::Entity::find()
        .filter(findings::Column::IncidentId.eq(id))
        .order_by_asc(findings::Column::Position)
        .order_by_asc(findings::Column::Id)
        .all(conn)
        .await?;
    for row in rows {
        match convert::finding(row)? {
            (FindingKind::WentWell, f) => doc.findings.went_well.push(f),
            (FindingKind::WentWrong, f) => doc.findings.went_wrong.push(f),
        }
    }
    doc.action_items = action_items::Entity::find()
        .filter(action_items::Column::IncidentId.eq(id))
        .order_by_asc(action_items::Column::Number)
        .all(conn)
        .await?
        .into_iter()
        .map(convert::action_item)
        .collect::<Result<_, _>>()?;
    doc.lessons = lessons::Entity::find()
        .filter(lessons::Column::IncidentId.eq(id))
        .order_by_asc(lessons::Column::Position)
        .order_by_asc(lessons::Column::Id)
        .all(conn)
        .await?
        .into_iter()
        .map(convert::lesson)
        .collect();
    Ok(doc)
}

/// Reads the document of incident `id` as it now is in this transaction,
/// with computed fields, appends the write's audit entry and commits. The
/// last step of every whole-incident write that returns the document.
///
/// The entry comes after the read: on PostgreSQL the audit lock
/// serializes every writer, so it is taken as late as possible.
pub(crate) async fn finish_audited(
    txn: sea_orm::DatabaseTransaction,
    id: Uuid,
    ctx: &Ctx,
    action: &str,
    object: &str,
    before: Option<String>,
    after: Option<String>,
) -> Result<PostMortem, StoreError> {
    let header = incidents::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or_else(|| StoreError::Database(DbErr::RecordNotFound(format!("incident {id}"))))?;
    let doc = load_document(&txn, header).await?;
    crate::search::reindex(&txn, &doc).await?;
    audit::append(&txn, ctx, action, object, before, after).await?;
    txn.commit().await?;
    Ok(doc.with_computed())
}

/// Inserts rows in multi-row INSERTs of at most [`MAX_PARAMS`] parameters.
pub(crate) async fn insert_chunked<E, C>(
    conn: &C,
    mut rows: Vec<E::ActiveModel>,
    columns: usize,
) -> Result<(), DbErr>
where
    E: EntityTrait,
    E::ActiveModel: ActiveModelTrait<Entity = E> + Send,
    C: ConnectionTrait,
{
    let per = (MAX_PARAMS / columns.max(1)).max(1);
    while !rows.is_empty() {
        let rest = rows.split_off(rows.len().min(per));
        let batch = std::mem::replace(&mut rows, rest);
        E::insert_many(batch).exec_without_returning(conn).await?;
    }
    Ok(())
}

/// Inserts every section of `doc` for incident `id`, positions from the
/// order in the document.
pub(crate) async fn insert_sections<C: ConnectionTrait>(
    conn: &C,
    doc: &PostMortem,
    id: Uuid,
) -> Result<(), StoreError> {
    let timeline = doc
        .timeline
        .iter()
        .enumerate()
        .map(|(i, e)| convert::timeline_row(e, id, position(i)))
        .collect::<Result<Vec<_>, _>>()?;
    insert_chunked::<timeline_entries::Entity, _>(conn, timeline, convert::TIMELINE_COLUMNS)
        .await?;
    let whys = doc
        .five_whys
        .iter()
        .enumerate()
        .map(|(i, w)| convert::five_whys_row(w, id, position(i)))
        .collect::<Result<Vec<_>, _>>()?;
    insert_chunked::<five_whys::Entity, _>(conn, whys, 5).await?;
    let causes = doc
        .root_causes
        .iter()
        .enumerate()
        .map(|(i, r)| convert::root_cause_row(r, id, position(i)))
        .collect();
    insert_chunked::<root_causes::Entity, _>(conn, causes, 6).await?;
    let fishbone = doc
        .fishbone
        .causes
        .iter()
        .enumerate()
        .map(|(i, c)| convert::fishbone_row(c, id, position(i)))
        .collect();
    insert_chunked::<fishbone_causes::Entity, _>(conn, fishbone, 6).await?;
    let fmea = doc
        .fmea
        .iter()
        .enumerate()
        .map(|(i, r)| convert::fmea_row(r, id, position(i)))
        .collect();
    insert_chunked::<fmea_rows::Entity, _>(conn, fmea, 14).await?;
    let mut found = Vec::new();
    for (kind, list) in [
        (FindingKind::WentWell, &doc.findings.went_well),
        (FindingKind::WentWrong, &doc.findings.went_wrong),
    ] {
        for (i, f) in list.iter().enumerate() {
            found.push(convert::finding_row(f, kind, id, position(i))?);
        }
    }
    insert_chunked::<findings::Entity, _>(conn, found, 8).await?;
    let actions = doc
        .action_items
        .iter()
        .map(|a| convert::action_row(a, id))
        .collect::<Result<Vec<_>, _>>()?;
    insert_chunked::<action_items::Entity, _>(conn, actions, 16).await?;
    let lessons = doc
        .lessons
        .iter()
        .enumerate()
        .map(|(i, l)| convert::lesson_row(l, id, position(i)))
        .collect();
    insert_chunked::<lessons::Entity, _>(conn, lessons, 5).await?;
    Ok(())
}

/// Whether `name` is on the managed list of categories.
pub(crate) async fn category_known<C: ConnectionTrait>(
    conn: &C,
    name: &str,
) -> Result<bool, StoreError> {
    Ok(
        crate::entity::categories::Entity::find_by_id(name.to_owned())
            .one(conn)
            .await?
            .is_some(),
    )
}

/// The message for a category that is not on the managed list.
pub(crate) fn unknown_category(name: &str) -> String {
    format!(
        "`{name}` is not in the list of categories; add it to the list first or pick one from it"
    )
}

/// Gives every nil id of the document a new id, and every action item
/// without a number the next free one.
fn assign_ids(doc: &mut PostMortem, now: DateTime<Utc>) {
    let fresh = |id: &mut Uuid| {
        if id.is_nil() {
            *id = new_id(now);
        }
    };
    doc.timeline.iter_mut().for_each(|x| fresh(&mut x.id));
    doc.five_whys.iter_mut().for_each(|x| fresh(&mut x.id));
    doc.root_causes.iter_mut().for_each(|x| fresh(&mut x.id));
    doc.fishbone
        .causes
        .iter_mut()
        .for_each(|x| fresh(&mut x.id));
    doc.fmea.iter_mut().for_each(|x| fresh(&mut x.id));
    doc.findings
        .went_well
        .iter_mut()
        .for_each(|x| fresh(&mut x.id));
    doc.findings
        .went_wrong
        .iter_mut()
        .for_each(|x| fresh(&mut x.id));
    doc.action_items.iter_mut().for_each(|x| fresh(&mut x.id));
    doc.lessons.iter_mut().for_each(|x| fresh(&mut x.id));
    let mut next = doc.next_action_number();
    for a in &mut doc.action_items {
        if a.number == 0 {
            a.number = next;
            next += 1;
        }
    }
}

/// The text forms of the action statuses that count as open.
fn open_statuses() -> Vec<&'static str> {
    ActionStatus::ALL
        .iter()
        .filter(|s| !s.is_closed())
        .map(|s| s.as_str())
        .collect()
}

/// `pattern` for a LIKE that matches it anywhere, with LIKE's wildcards
/// escaped by `\`.
fn contains_pattern(text: &str) -> String {
    let mut p = String::with_capacity(text.len() + 2);
    p.push('%');
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            p.push('\\');
        }
        p.push(c);
    }
    p.push('%');
    p
}

impl Store {
    /// Creates an incident from its header, with empty sections, at version 1.
    ///
    /// Without a key, the key is generated as `INC-{year}-{NNNN}`: the year of
    /// detection (or of `now`), and the number after the highest one used for
    /// that year. The category, if any, must be on the managed list
    /// ([`StoreError::Invalid`] naming `category` otherwise). A key in use is
    /// [`StoreError::AlreadyExists`].
    pub async fn create_incident(
        &self,
        input: NewIncident,
        ctx: &Ctx,
    ) -> Result<PostMortem, StoreError> {
        let generated = input.key.is_none();
        let mut attempt = 0;
        loop {
            match self.try_create(input.clone(), ctx).await {
                // Two servers generated the same key at once; the loser takes
                // the next number.
                Err(StoreError::AlreadyExists { .. }) if generated && attempt < KEY_RETRIES => {
                    attempt += 1;
                }
                other => return other,
            }
        }
    }

    async fn try_create(&self, input: NewIncident, ctx: &Ctx) -> Result<PostMortem, StoreError> {
        let now = ctx.now;
        let txn = self.write_txn().await?;
        let key = match &input.key {
            Some(k) => k.clone(),
            None => {
                let year = input.lifecycle.detected.unwrap_or(now).year();
                next_generated_key(&txn, year).await?
            }
        };
        let mut doc = input.into_document(key.clone());
        doc.version = 1;
        doc.created_at = Some(now);
        doc.updated_at = Some(now);
        let mut errs = doc.validate();
        if let Some(c) = &doc.category
            && !c.trim().is_empty()
            && !category_known(&txn, c).await?
        {
            errs.push("category", unknown_category(c));
        }
        StoreError::check(errs)?;
        if find_header(&txn, &key).await?.is_some() {
            return Err(StoreError::AlreadyExists {
                what: format!("incident {key}"),
            });
        }
        let id = new_id(now);
        incidents::Entity::insert(convert::incident_row(&doc, id, 1, now, now)?)
            .exec_without_returning(&txn)
            .await
            .map_err(|e| unique_as_exists(e, || format!("incident {key}")))?;
        finish_audited(
            txn,
            id,
            ctx,
            "incident.create",
            &incident_object(&key),
            None,
            Some(header_json(&doc)),
        )
        .await
    }

    /// The whole document of an incident, computed fields filled in and
    /// sections in stored order (timeline by time, then position; action
    /// items by number).
    pub async fn get(&self, key: &IncidentKey) -> Result<PostMortem, StoreError> {
        let txn = self.read_txn().await?;
        let header = find_header(&txn, key)
            .await?
            .ok_or_else(|| StoreError::incident_not_found(key))?;
        let doc = load_document(&txn, header).await?;
        txn.commit().await?;
        Ok(doc.with_computed())
    }

    /// One page of incidents matching `filter` among those `visibility`
    /// lets the caller see, and how many match in all. Restricted incidents
    /// the caller may not see are filtered out in SQL, so they count
    /// nowhere.
    pub async fn list(
        &self,
        filter: &IncidentFilter,
        visibility: &Visibility,
    ) -> Result<Page<IncidentSummary>, StoreError> {
        use incidents::Column as C;
        let mut cond = Condition::all();
        if let Some(v) = visible(visibility) {
            cond = cond.add(v);
        }
        if let Some(s) = filter.status {
            cond = cond.add(C::Status.eq(s.as_str()));
        }
        if let Some(s) = filter.severity {
            cond = cond.add(C::Severity.eq(s.as_str()));
        }
        if let Some(c) = &filter.category {
            cond = cond.add(C::Category.eq(c.as_str()));
        }
        if let Some(t) = filter.types {
            // `types` is a JSON array of enum texts, written compactly by
            // serde_json: a quoted substring match is exact and portable.
            cond = cond.add(
                Expr::col(C::Types)
                    .cast_as(Alias::new("TEXT"))
                    .like(LikeExpr::new(format!("%\"{}\"%", t.as_str()))),
            );
        }
        if let Some(q) = filter.q.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
            let pattern = contains_pattern(&q.to_lowercase());
            let mut any = Condition::any();
            for col in [C::Key, C::Title, C::Summary] {
                any = any.add(
                    Expr::expr(Func::lower(Expr::col(col)))
                        .like(LikeExpr::new(pattern.clone()).escape('\\')),
                );
            }
            cond = cond.add(any);
        }
        if let Some(from) = filter.detected_from {
            cond = cond.add(C::DetectedAt.gte(from));
        }
        if let Some(to) = filter.detected_to {
            cond = cond.add(C::DetectedAt.lte(to));
        }

        let txn = self.read_txn().await?;
        let base = incidents::Entity::find().filter(cond);
        let total = base.clone().count(&txn).await?;
        let undetected_last = Expr::col(C::DetectedAt).is_null();
        let query = match filter.sort {
            SortOrder::DetectedDesc => base
                .order_by(undetected_last, Order::Asc)
                .order_by_desc(C::DetectedAt),
            SortOrder::DetectedAsc => base
                .order_by(undetected_last, Order::Asc)
                .order_by_asc(C::DetectedAt),
            SortOrder::UpdatedDesc => base.order_by_desc(C::UpdatedAt),
            SortOrder::Severity => {
                let rank = Expr::case(C::Severity.eq("critical"), 0)
                    .case(C::Severity.eq("high"), 1)
                    .case(C::Severity.eq("medium"), 2)
                    .case(C::Severity.eq("low"), 3)
                    .finally(4);
                base.order_by(Into::<Expr>::into(rank), Order::Asc)
                    .order_by(undetected_last, Order::Asc)
                    .order_by_desc(C::DetectedAt)
            }
            SortOrder::Key => base,
        };
        let rows = query
            .order_by_asc(C::Key)
            .limit(filter.effective_limit())
            .offset(filter.offset)
            .all(&txn)
            .await?;

        let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
        let open: HashMap<Uuid, i64> = if ids.is_empty() {
            HashMap::new()
        } else {
            action_items::Entity::find()
                .select_only()
                .column(action_items::Column::IncidentId)
                .column_as(Expr::col(action_items::Column::Id).count(), "open")
                .filter(action_items::Column::IncidentId.is_in(ids))
                .filter(action_items::Column::Status.is_in(open_statuses()))
                .group_by(action_items::Column::IncidentId)
                .into_tuple::<(Uuid, i64)>()
                .all(&txn)
                .await?
                .into_iter()
                .collect()
        };
        txn.commit().await?;

        let mut items = Vec::with_capacity(rows.len());
        for row in rows {
            let open = open.get(&row.id).copied().unwrap_or(0);
            let doc = convert::incident_doc(row)?;
            items.push(IncidentSummary {
                key: doc.key,
                title: doc.title,
                category: doc.category,
                types: doc.types,
                severity: doc.severity,
                status: doc.status,
                postmortem_status: doc.postmortem_status,
                detected: doc.lifecycle.detected,
                action_items_open: u64::try_from(open).unwrap_or(0),
                version: doc.version,
                updated_at: doc.updated_at.unwrap_or_default(),
            });
        }
        Ok(Page { items, total })
    }

    /// How many incidents other than `key` share `category` and were
    /// detected (or, lacking a detection time, created) in the `days` days
    /// before `before`: the coach's "same category recurring" count.
    /// Restricted incidents are counted too; only the number is revealed.
    pub async fn category_count_before(
        &self,
        key: &IncidentKey,
        category: &str,
        before: DateTime<Utc>,
        days: i64,
    ) -> Result<usize, StoreError> {
        let since = before - chrono::Duration::days(days);
        let n = incidents::Entity::find()
            .filter(incidents::Column::Category.eq(category))
            .filter(incidents::Column::Key.ne(key.as_str()))
            .filter(
                Condition::any()
                    .add(
                        Condition::all()
                            .add(incidents::Column::DetectedAt.gte(since))
                            .add(incidents::Column::DetectedAt.lt(before)),
                    )
                    .add(
                        Condition::all()
                            .add(incidents::Column::DetectedAt.is_null())
                            .add(incidents::Column::CreatedAt.gte(since))
                            .add(incidents::Column::CreatedAt.lt(before)),
                    ),
            )
            .count(&self.db)
            .await?;
        Ok(usize::try_from(n).unwrap_or(usize::MAX))
    }

    /// Changes the header of an incident. A severity change is recorded in
    /// the severity history at `now`.
    ///
    /// `expected`, and `patch.version` when present, must both be the stored
    /// version ([`StoreError::VersionMismatch`] otherwise).
    pub async fn patch_incident(
        &self,
        key: &IncidentKey,
        patch: IncidentPatch,
        expected: Option<i64>,
        ctx: &Ctx,
    ) -> Result<PostMortem, StoreError> {
        let now = ctx.now;
        let txn = self.write_txn().await?;
        let old = find_header(&txn, key)
            .await?
            .ok_or_else(|| StoreError::incident_not_found(key))?;
        let was_published = old.postmortem_status == PostmortemStatus::Published.as_str();
        let before_json = header_json(&convert::incident_doc(old)?);
        let header = bump(&txn, key, expected.or(patch.version), now).await?;
        let before = header.version - 1;
        if let Some(v) = patch.version.filter(|v| *v != before) {
            return Err(StoreError::VersionMismatch {
                expected: v,
                actual: before,
            });
        }
        let id = header.id;
        let created_at = header.created_at;
        // Publishing is gated on the whole document (see
        // `debrief_core::review::publish_blockers`), so only then are the
        // sections read.
        let publishing =
            patch.postmortem_status == Some(PostmortemStatus::Published) && !was_published;
        let full = match publishing {
            true => Some(load_document(&txn, header.clone()).await?),
            false => None,
        };
        let mut doc = convert::incident_doc(header)?;
        let old_category = doc.category.clone();
        doc.apply(patch.clone(), now);
        let mut errs = doc.validate_header();
        if let Some(mut full) = full {
            full.apply(patch, now);
            let blockers = debrief_core::review::publish_blockers(&full, now.date_naive());
            if !blockers.is_empty() {
                errs.push(
                    "postmortem_status",
                    format!("cannot publish yet: {}", blockers.join("; ")),
                );
            }
        }
        if let Some(c) = &doc.category
            && doc.category != old_category
            && !c.trim().is_empty()
            && !category_known(&txn, c).await?
        {
            errs.push("category", unknown_category(c));
        }
        StoreError::check(errs)?;
        let row = convert::incident_row(&doc, id, doc.version, created_at, now)?;
        incidents::Entity::update(row).exec(&txn).await?;
        finish_audited(
            txn,
            id,
            ctx,
            "incident.update",
            &incident_object(key),
            Some(before_json),
            Some(header_json(&doc)),
        )
        .await
    }

    /// Deletes an incident and everything in it. With `expected`, only if it
    /// is still at that version. The audit entry keeps the whole document
    /// as it was.
    pub async fn delete_incident(
        &self,
        key: &IncidentKey,
        expected: Option<i64>,
        ctx: &Ctx,
    ) -> Result<(), StoreError> {
        let txn = self.write_txn().await?;
        let before = match find_header(&txn, key).await? {
            Some(h) => Some(load_document(&txn, h).await?),
            None => None,
        };
        let mut delete =
            incidents::Entity::delete_many().filter(incidents::Column::Key.eq(key.as_str()));
        if let Some(v) = expected {
            delete = delete.filter(incidents::Column::Version.eq(v));
        }
        let deleted = delete.exec(&txn).await?.rows_affected;
        if deleted == 0 {
            let header = find_header(&txn, key).await?;
            return Err(match (header, expected) {
                (Some(h), Some(v)) => StoreError::VersionMismatch {
                    expected: v,
                    actual: h.version,
                },
                _ => StoreError::incident_not_found(key),
            });
        }
        audit::append(
            &txn,
            ctx,
            "incident.delete",
            &incident_object(key),
            before.map(|d| audit::json(&d)),
            None,
        )
        .await?;
        txn.commit().await?;
        Ok(())
    }

    /// Stores a whole document as it is: ids, action item numbers, version
    /// and times are kept (version 0 becomes 1, missing times become `now`,
    /// nil ids and zero numbers are assigned). An unknown category is added
    /// to the managed list.
    ///
    /// An existing key is [`StoreError::AlreadyExists`] unless `replace`, in
    /// which case the old document is deleted and the new one inserted in one
    /// transaction: if anything fails, the old one stays as it was. A
    /// replaced incident keeps its restriction and its members.
    pub async fn import(
        &self,
        doc: PostMortem,
        replace: bool,
        ctx: &Ctx,
    ) -> Result<PostMortem, StoreError> {
        let txn = self.write_txn().await?;
        let (id, key, before, after) = import_into(&txn, doc, replace, ctx).await?;
        finish_audited(
            txn,
            id,
            ctx,
            "incident.import",
            &incident_object(&key),
            before,
            Some(after),
        )
        .await
    }

    /// Stores many new documents in one transaction, as [`Store::import`]
    /// does one (each with its own audit entry): all of them, or, if one is
    /// refused, none. Returns how many were stored. For loading a data set:
    /// one commit (one disk flush) instead of one per incident.
    pub async fn import_many(&self, docs: Vec<PostMortem>, ctx: &Ctx) -> Result<usize, StoreError> {
        let n = docs.len();
        let txn = self.write_txn().await?;
        for doc in docs {
            let (id, key, before, after) = import_into(&txn, doc, false, ctx).await?;
            crate::search::reindex_id(&txn, id).await?;
            audit::append(
                &txn,
                ctx,
                "incident.import",
                &incident_object(&key),
                before,
                Some(after),
            )
            .await?;
        }
        txn.commit().await?;
        Ok(n)
    }

    /// Every incident `visibility` lets the caller see, sorted by key, with
    /// its header and its action items only: the other sections are left
    /// empty. Two queries in one read transaction, however many incidents,
    /// so metrics over every incident never read a timeline.
    ///
    /// Callers that pass [`Visibility::All`] to count restricted incidents
    /// must reveal nothing of them but aggregates.
    pub async fn headers_and_action_items(
        &self,
        visibility: &Visibility,
    ) -> Result<Vec<PostMortem>, StoreError> {
        let mut q = incidents::Entity::find();
        if let Some(v) = visible(visibility) {
            q = q.filter(v);
        }
        let txn = self.read_txn().await?;
        let headers = q.order_by_asc(incidents::Column::Key).all(&txn).await?;
        let mut items = action_items::Entity::find();
        if let Some(v) = visible(visibility) {
            // A subquery, not a list of ids: no bound-parameter limit.
            let ids = incidents::Entity::find()
                .select_only()
                .column(incidents::Column::Id)
                .filter(v)
                .into_query();
            items = items.filter(action_items::Column::IncidentId.in_subquery(ids));
        }
        let rows = items
            .order_by_asc(action_items::Column::IncidentId)
            .order_by_asc(action_items::Column::Number)
            .all(&txn)
            .await?;
        txn.commit().await?;
        let mut by_incident: HashMap<Uuid, Vec<debrief_core::ActionItem>> = HashMap::new();
        for row in rows {
            let id = row.incident_id;
            by_incident
                .entry(id)
                .or_default()
                .push(convert::action_item(row)?);
        }
        headers
            .into_iter()
            .map(|h| {
                let id = h.id;
                let mut doc = convert::incident_doc(h)?;
                doc.action_items = by_incident.remove(&id).unwrap_or_default();
                Ok(doc.with_computed())
            })
            .collect()
    }

    /// Every incident key `visibility` lets the caller see, sorted.
    pub async fn keys(&self, visibility: &Visibility) -> Result<Vec<IncidentKey>, StoreError> {
        let mut q = incidents::Entity::find();
        if let Some(v) = visible(visibility) {
            q = q.filter(v);
        }
        let keys: Vec<String> = q
            .select_only()
            .column(incidents::Column::Key)
            .order_by_asc(incidents::Column::Key)
            .into_tuple()
            .all(&self.db)
            .await?;
        keys.iter()
            .map(|k| {
                IncidentKey::parse(k)
                    .map_err(|e| StoreError::Database(DbErr::Type(format!("incidents.key: {e}"))))
            })
            .collect()
    }
}

/// The next generated key for `year`: one past the highest `INC-{year}-NNNN`.
async fn next_generated_key<C: ConnectionTrait>(
    conn: &C,
    year: i32,
) -> Result<IncidentKey, StoreError> {
    let prefix = format!("INC-{year:04}-");
    let keys: Vec<String> = incidents::Entity::find()
        .select_only()
        .column(incidents::Column::Key)
        .filter(incidents::Column::Key.starts_with(&prefix))
        .into_tuple()
        .all(conn)
        .await?;
    let used: HashSet<u32> = keys
        .iter()
        .filter_map(|k| IncidentKey::parse(k).ok()?.generated_parts())
        .filter(|(y, _)| *y == year)
        .map(|(_, n)| n)
        .collect();
    let next = used.iter().max().copied().unwrap_or(0) + 1;
    Ok(IncidentKey::generated(year, next))
}

/// The body of [`Store::import`] inside `txn`, without the audit entry:
/// returns the incident's row id, key, and the audit texts before and after.
async fn import_into(
    txn: &sea_orm::DatabaseTransaction,
    mut doc: PostMortem,
    replace: bool,
    ctx: &Ctx,
) -> Result<(Uuid, IncidentKey, Option<String>, String), StoreError> {
    let now = ctx.now;
    if doc.version <= 0 {
        doc.version = 1;
    }
    let created_at = *doc.created_at.get_or_insert(now);
    let updated_at = *doc.updated_at.get_or_insert(now);
    assign_ids(&mut doc, now);
    StoreError::check(doc.validate())?;

    let existing = find_header(txn, &doc.key).await?;
    let mut kept_access = None;
    let mut before = None;
    let id = match existing {
        Some(_) if !replace => {
            return Err(StoreError::AlreadyExists {
                what: format!("incident {}", doc.key),
            });
        }
        Some(old) => {
            let id = old.id;
            let restricted = old.restricted;
            let members = incident_members::Entity::find()
                .filter(incident_members::Column::IncidentId.eq(id))
                .all(txn)
                .await?;
            kept_access = Some((restricted, members));
            before = Some(audit::json(&load_document(txn, old).await?));
            // Sections and memberships go with it (ON DELETE CASCADE);
            // the access settings are put back below.
            incidents::Entity::delete_by_id(id).exec(txn).await?;
            id
        }
        None => new_id(now),
    };
    if let Some(c) = doc.category.as_deref() {
        ensure_category(txn, c, now).await?;
    }
    let key = doc.key.clone();
    incidents::Entity::insert(convert::incident_row(
        &doc,
        id,
        doc.version,
        created_at,
        updated_at,
    )?)
    .exec_without_returning(txn)
    .await
    .map_err(|e| unique_as_exists(e, || format!("incident {key}")))?;
    insert_sections(txn, &doc, id).await.map_err(|e| match e {
        StoreError::Database(e) => unique_as_exists(e, || {
            format!("an item id of {key} (item ids are unique across incidents)")
        }),
        other => other,
    })?;
    if let Some((restricted, members)) = kept_access {
        if restricted {
            incidents::Entity::update_many()
                .col_expr(incidents::Column::Restricted, Expr::value(true))
                .filter(incidents::Column::Id.eq(id))
                .exec(txn)
                .await?;
        }
        let rows: Vec<incident_members::ActiveModel> =
            members.into_iter().map(Into::into).collect();
        insert_chunked::<incident_members::Entity, _>(txn, rows, 3).await?;
    }
    Ok((id, key, before, audit::json(&doc)))
}
