//! Accounts and access: users, login with throttling, sessions, TOTP and
//! backup codes, API tokens, restricted incidents and their members, and
//! the one-time setup token of a fresh installation.
//!
//! Every write is one transaction that ends with its audit entry. No
//! password, token, TOTP secret or backup code ever reaches the audit
//! trail, a log line or an error message; tokens and codes are stored only
//! as hashes, passwords only as argon2id PHC strings.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use debrief_auth::{
    Secret, TotpSecret, backup_code_hash, check_password, constant_time_eq, dummy_verify,
    hash_password, looks_like_api_token, new_api_token, new_backup_codes, new_session_token,
    new_setup_token, new_totp_secret, normalize_backup_code, password_needs_rehash, token_hash,
    totp_secret_from_base32, verify_password, verify_totp,
};
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};
use serde::Serialize;
use serde_json::json;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::audit::{self, append};
use crate::entity::{
    api_tokens, backup_codes, incident_members, incidents, login_throttle, notifications, sessions,
    settings, users,
};
use crate::incidents::{find_header, incident_object, new_id, unique_as_exists};
use crate::{
    Actor, Ctx, IncidentAccess, IncidentKey, Principal, Scope, Store, StoreError, ThrottlePolicy,
    UserRole,
};

/// Days an MFA backup code stays valid after it was issued.
pub const BACKUP_CODE_TTL_DAYS: i64 = 90;

/// A user account as the rest of debrief sees it: no secrets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct User {
    /// The user's id.
    pub id: Uuid,
    /// The name, as it was given (unique ignoring case).
    pub name: String,
    /// The role.
    pub role: UserRole,
    /// A disabled user cannot log in, and has no sessions or tokens.
    pub disabled: bool,
    /// Whether TOTP is set up and required at login.
    pub totp_enabled: bool,
    /// When the account was created.
    #[serde(with = "debrief_core::time::utc")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: DateTime<Utc>,
}

/// What the route guard learns about an incident in one cheap read.
#[derive(Debug, Clone, Copy)]
pub struct IncidentGate {
    /// The caller's access to the incident.
    pub access: IncidentAccess,
    /// The incident's current version.
    pub version: i64,
}

/// What [`Store::create_user`] needs.
#[derive(Clone)]
pub struct NewUser {
    /// 1 to 64 characters of ASCII letters, digits and `.`, `_`, `-`, `@`.
    pub name: String,
    /// The role.
    pub role: UserRole,
    /// The password, checked against the policy of [`debrief_auth::check_password`].
    pub password: String,
}

/// Debug output never shows the password, so a stray `{:?}` cannot log it.
impl std::fmt::Debug for NewUser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewUser")
            .field("name", &self.name)
            .field("role", &self.role)
            .finish_non_exhaustive()
    }
}

/// The answer to a login attempt.
#[derive(Debug, Clone)]
pub enum LoginOutcome {
    /// The password was right: a new session.
    Ok {
        /// The session token, for the cookie; shown once, stored hashed.
        session: Secret,
        /// The session's CSRF token, for forms.
        csrf: String,
        /// Who logged in.
        user: User,
        /// The user has TOTP: the session is not yet through MFA.
        mfa_pending: bool,
        /// An admin without TOTP, who must set it up before anything else.
        mfa_setup_required: bool,
    },
    /// Wrong password, unknown user or disabled user: one answer for all,
    /// so the answer tells nothing about which accounts exist.
    Invalid,
    /// Too many failures for this user or this source: try again later.
    Throttled {
        /// Seconds until the next attempt is accepted.
        retry_after_secs: u64,
    },
}

/// How long sessions last.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionPolicy {
    /// A session unused for longer than this ends (default 30 minutes).
    pub idle: chrono::Duration,
    /// A session ends this long after login, however busy (default 12 hours).
    pub absolute: chrono::Duration,
}

impl Default for SessionPolicy {
    fn default() -> Self {
        Self {
            idle: chrono::Duration::minutes(30),
            absolute: chrono::Duration::hours(12),
        }
    }
}

/// A live session, as [`Store::session`] finds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionInfo {
    /// Whose session it is.
    pub user: User,
    /// Whether the second factor was given (always true for users without TOTP).
    pub mfa_passed: bool,
    /// The CSRF token forms of this session must carry.
    pub csrf: String,
    /// When the session ends at the latest.
    pub expires_at: DateTime<Utc>,
}

/// The answer to an MFA attempt.
#[derive(Debug, Clone)]
pub enum MfaOutcome {
    /// The code was right: the session passed MFA and got a new token (the
    /// old one no longer works).
    Ok {
        /// The new session token, for the cookie.
        session: Secret,
    },
    /// Wrong, replayed, used or expired code, or no such session.
    Invalid,
    /// Too many failures: try again later.
    Throttled {
        /// Seconds until the next attempt is accepted.
        retry_after_secs: u64,
    },
}

/// An API token as listed: never the token itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct ApiToken {
    /// The token's id, for revocation.
    pub id: Uuid,
    /// What the token is for, as its owner named it.
    pub name: String,
    /// The user the token acts as.
    pub user: String,
    /// What the token may do, on top of its user's role.
    pub scope: Scope,
    /// When it was created.
    #[serde(with = "debrief_core::time::utc")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: DateTime<Utc>,
    /// When it stops working, if ever.
    #[serde(with = "debrief_core::time::utc_opt")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub expires_at: Option<DateTime<Utc>>,
    /// When it was last used (to the minute).
    #[serde(with = "debrief_core::time::utc_opt")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub last_used_at: Option<DateTime<Utc>>,
    /// Whether it was revoked.
    pub revoked: bool,
}

/// An event in the notification outbox.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Notification {
    /// The notification's id.
    pub id: Uuid,
    /// When it was raised.
    #[serde(with = "debrief_core::time::utc")]
    #[schema(value_type = String, format = DateTime)]
    pub at: DateTime<Utc>,
    /// What happened, e.g. `mfa.backup_code_used`.
    pub kind: String,
    /// The user it concerns, if any.
    pub user_id: Option<Uuid>,
    /// A sentence for a person.
    pub message: String,
    /// When it was delivered, if it was.
    #[serde(with = "debrief_core::time::utc_opt")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub delivered_at: Option<DateTime<Utc>>,
}

/// Longest user name, in characters.
pub const MAX_USER_NAME: usize = 64;

/// Longest API token name, in characters.
pub const MAX_TOKEN_NAME: usize = 100;

/// Longest lifetime of an API token, in days (ten years).
pub const MAX_TOKEN_DAYS: u32 = 3_650;

/// The `settings` key holding the hash of the one-time setup token.
const SETUP_TOKEN_KEY: &str = "setup_token_hash";

/// Session tokens, API tokens and setup tokens are all far shorter: a
/// longer value is refused before it is hashed or looked up.
const MAX_TOKEN_LEN: usize = 256;

/// `last_seen_at` and `last_used_at` are written at most this often, so a
/// busy client does not turn every read into a write.
const TOUCH_EVERY: Duration = Duration::minutes(1);

/// Failures older than this are forgotten: a shared address or a
/// forgetful user does not stay throttled forever.
const FAILURE_MEMORY: Duration = Duration::hours(24);

/// The default and largest page of [`Store::notifications`].
const DEFAULT_NOTIFICATIONS: u64 = 100;
const MAX_NOTIFICATIONS: u64 = 1_000;

/// Whether `name` is an acceptable user name: 1 to [`MAX_USER_NAME`] ASCII
/// letters, digits and `.`, `_`, `-`, `@`.
///
/// ASCII only on purpose: names appear in the audit trail and in access
/// decisions, and Unicode look-alikes (a Cyrillic `а` for a Latin `a`)
/// would let one account pass for another. No spaces, control characters
/// or line breaks either, so a name can never forge a line of a log.
pub fn valid_user_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= MAX_USER_NAME
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-' | b'@'))
}

fn check_user_name(name: &str) -> Result<(), StoreError> {
    if valid_user_name(name) {
        Ok(())
    } else {
        Err(StoreError::invalid(
            "name",
            format!(
                "must be 1 to {MAX_USER_NAME} characters of ASCII letters, digits and . _ - @ (no spaces or control characters)"
            ),
        ))
    }
}

/// The unique, case-insensitive form of a user name.
fn name_key(name: &str) -> String {
    name.to_ascii_lowercase()
}

/// The audit object naming a user.
fn user_object(name: &str) -> String {
    format!("user:{name}")
}

fn user_not_found(name: &str) -> StoreError {
    StoreError::NotFound {
        what: format!("user {name}"),
    }
}

/// Audit JSON describing a user: never a secret.
fn user_json(name: &str, role: UserRole) -> String {
    audit::json(&json!({ "name": name, "role": role.as_str() }))
}

fn corrupt(what: String) -> StoreError {
    StoreError::Database(DbErr::Type(what))
}

fn user_of(m: users::Model) -> Result<User, StoreError> {
    let role = m
        .role
        .parse::<UserRole>()
        .map_err(|e| corrupt(format!("users.role: {e}")))?;
    Ok(User {
        id: m.id,
        name: m.name,
        role,
        disabled: m.disabled,
        totp_enabled: m.totp_enabled,
        created_at: m.created_at,
    })
}

fn scope_of(s: &str) -> Result<Scope, StoreError> {
    s.parse::<Scope>()
        .map_err(|e| corrupt(format!("api_tokens.scope: {e}")))
}

fn token_of(m: api_tokens::Model, user: String) -> Result<ApiToken, StoreError> {
    Ok(ApiToken {
        id: m.id,
        name: m.name,
        user,
        scope: scope_of(&m.scope)?,
        created_at: m.created_at,
        expires_at: m.expires_at,
        last_used_at: m.last_used_at,
        revoked: m.revoked_at.is_some(),
    })
}

/// The user row called `name`, ignoring case; `None` for names that cannot
/// be user names at all.
async fn find_user<C: ConnectionTrait>(
    conn: &C,
    name: &str,
) -> Result<Option<users::Model>, StoreError> {
    if !valid_user_name(name) {
        return Ok(None);
    }
    Ok(users::Entity::find()
        .filter(users::Column::NameKey.eq(name_key(name)))
        .one(conn)
        .await?)
}

async fn require_user<C: ConnectionTrait>(
    conn: &C,
    name: &str,
) -> Result<users::Model, StoreError> {
    find_user(conn, name)
        .await?
        .ok_or_else(|| user_not_found(name))
}

async fn require_user_id<C: ConnectionTrait>(
    conn: &C,
    id: Uuid,
) -> Result<users::Model, StoreError> {
    users::Entity::find_by_id(id)
        .one(conn)
        .await?
        .ok_or_else(|| user_not_found(&id.to_string()))
}

/// Locks the row of user `id` for the rest of the transaction if the user
/// is enabled; false if not (or absent).
///
/// Whatever grants access (a session at login, a token, a membership)
/// takes this lock first, and disabling takes it too: on PostgreSQL the
/// two then cannot interleave, so nothing granted survives a disable that
/// committed first, and a disable that comes second sweeps it away.
async fn lock_enabled_user<C: ConnectionTrait>(conn: &C, id: Uuid) -> Result<bool, StoreError> {
    let n = users::Entity::update_many()
        .col_expr(users::Column::Disabled, Expr::col(users::Column::Disabled))
        .filter(users::Column::Id.eq(id))
        .filter(users::Column::Disabled.eq(false))
        .exec(conn)
        .await?
        .rows_affected;
    Ok(n == 1)
}

/// How many enabled admins there are besides `except`.
async fn other_enabled_admins<C: ConnectionTrait>(
    conn: &C,
    except: Uuid,
) -> Result<u64, StoreError> {
    Ok(users::Entity::find()
        .filter(users::Column::Role.eq(UserRole::Admin.as_str()))
        .filter(users::Column::Disabled.eq(false))
        .filter(users::Column::Id.ne(except))
        .count(conn)
        .await?)
}

/// Refuses to leave the installation without an enabled admin.
async fn keep_an_admin<C: ConnectionTrait>(
    conn: &C,
    user: &users::Model,
    field: &str,
) -> Result<(), StoreError> {
    if user.role == UserRole::Admin.as_str()
        && !user.disabled
        && other_enabled_admins(conn, user.id).await? == 0
    {
        return Err(StoreError::invalid(
            field,
            format!(
                "{} is the last enabled administrator; make someone else an administrator first",
                user.name
            ),
        ));
    }
    Ok(())
}

/// Hashes a password off the async executor: argon2 is deliberately slow.
async fn hash_blocking(password: String) -> Result<String, StoreError> {
    tokio::task::spawn_blocking(move || hash_password(&password))
        .await
        .map_err(|e| StoreError::Database(DbErr::Custom(format!("password hashing failed: {e}"))))
}

/// Checks a password against a stored hash off the async executor; with
/// no hash, spends the same time on a dummy check and fails, so an unknown
/// user name cannot be told from a wrong password by the response time.
async fn verify_blocking(password: String, phc: Option<String>) -> Result<bool, StoreError> {
    tokio::task::spawn_blocking(move || match phc {
        Some(phc) => verify_password(&password, &phc),
        None => {
            dummy_verify(&password);
            false
        }
    })
    .await
    .map_err(|e| StoreError::Database(DbErr::Custom(format!("password check failed: {e}"))))
}

/// Checks a new password against the policy.
fn check_new_password(password: &str, name: &str) -> Result<(), StoreError> {
    check_password(password, name).map_err(|p| StoreError::invalid("password", p.to_string()))
}

/// Seconds until `until`, rounded up, at least 1.
fn secs_until(until: DateTime<Utc>, now: DateTime<Utc>) -> u64 {
    let ms = Ord::max((until - now).num_milliseconds(), 0);
    Ord::max(
        u64::try_from(ms.div_euclid(1000) + i64::from(ms % 1000 != 0)).unwrap_or(0),
        1,
    )
}

/// The longest wait any of `keys` imposes at `now`, if one is blocked.
async fn throttle_wait<C: ConnectionTrait>(
    conn: &C,
    keys: &[String],
    now: DateTime<Utc>,
) -> Result<Option<u64>, StoreError> {
    if keys.is_empty() {
        return Ok(None);
    }
    let rows = login_throttle::Entity::find()
        .filter(login_throttle::Column::Key.is_in(keys.iter().cloned()))
        .all(conn)
        .await?;
    Ok(rows
        .into_iter()
        .filter_map(|r| r.blocked_until)
        .filter(|until| *until > now)
        .map(|until| secs_until(until, now))
        .max())
}

/// Counts one more failure for `key` and blocks it for as long as the
/// policy says.
///
/// The count is raised by one upsert, so concurrent failures from several
/// server processes all count; a count last raised more than
/// [`FAILURE_MEMORY`] ago starts again from one.
async fn record_failure<C: ConnectionTrait>(
    conn: &C,
    key: &str,
    now: DateTime<Utc>,
    policy: &ThrottlePolicy,
) -> Result<(), StoreError> {
    use login_throttle::Column as C;
    let stale = now - FAILURE_MEMORY;
    let existing = |c: C| Expr::col((login_throttle::Entity, c));
    let next = Expr::case(existing(C::LastFailureAt).lt(stale), Expr::val(1))
        .finally(existing(C::Failures).add(1));
    login_throttle::Entity::insert(login_throttle::ActiveModel {
        key: Set(key.to_owned()),
        failures: Set(1),
        last_failure_at: Set(now),
        blocked_until: Set(None),
    })
    .on_conflict(
        OnConflict::column(C::Key)
            .value(C::Failures, next)
            .value(C::LastFailureAt, Expr::val(now))
            .to_owned(),
    )
    .exec_without_returning(conn)
    .await?;
    let failures: Option<i32> = login_throttle::Entity::find_by_id(key.to_owned())
        .select_only()
        .column(C::Failures)
        .into_tuple()
        .one(conn)
        .await?;
    let failures = u32::try_from(failures.unwrap_or(1)).unwrap_or(u32::MAX);
    let delay = policy.delay_after(failures);
    let blocked_until = (!delay.is_zero())
        .then(|| Duration::from_std(delay).ok().map(|d| now + d))
        .flatten();
    login_throttle::Entity::update_many()
        .col_expr(C::BlockedUntil, Expr::val(blocked_until))
        .filter(C::Key.eq(key))
        .exec(conn)
        .await?;
    Ok(())
}

/// Forgets the failures of `key`.
async fn clear_failures<C: ConnectionTrait>(conn: &C, key: &str) -> Result<(), StoreError> {
    login_throttle::Entity::delete_by_id(key.to_owned())
        .exec(conn)
        .await?;
    Ok(())
}

/// Replaces the backup codes of `user_id` with new ones and returns them.
async fn replace_backup_codes<C: ConnectionTrait>(
    conn: &C,
    user_id: Uuid,
    now: DateTime<Utc>,
) -> Result<Vec<Secret>, StoreError> {
    backup_codes::Entity::delete_many()
        .filter(backup_codes::Column::UserId.eq(user_id))
        .exec(conn)
        .await?;
    let codes = new_backup_codes();
    let mut rows = Vec::with_capacity(codes.len());
    for code in &codes {
        let normalized = normalize_backup_code(code.expose()).ok_or_else(|| {
            StoreError::Database(DbErr::Custom(
                "a freshly issued backup code did not normalize".to_owned(),
            ))
        })?;
        rows.push(backup_codes::ActiveModel {
            id: Set(new_id(now)),
            user_id: Set(user_id),
            code_hash: Set(backup_code_hash(&normalized)),
            created_at: Set(now),
            expires_at: Set(now + Duration::days(BACKUP_CODE_TTL_DAYS)),
            used_at: Set(None),
        });
    }
    backup_codes::Entity::insert_many(rows)
        .exec_without_returning(conn)
        .await?;
    Ok(codes)
}

/// The Unix time of `now` for TOTP, or `None` before 1970.
fn unix_secs(now: DateTime<Utc>) -> Option<u64> {
    u64::try_from(now.timestamp()).ok()
}

/// A session token as given by a client, if it could be one at all.
fn plausible_token(token: &str) -> bool {
    !token.is_empty() && token.len() <= MAX_TOKEN_LEN
}

/// Which second factor a code turned out to be.
enum SecondFactor {
    Totp(i64),
    BackupCode,
}

impl Store {
    /// Creates a user. The name must pass [`valid_user_name`]
    /// ([`StoreError::Invalid`] naming `name`), the password the policy of
    /// [`debrief_auth::check_password`] (naming `password`, with the
    /// policy's message); a name taken in any letter case is
    /// [`StoreError::AlreadyExists`]. Creating a user retires a pending
    /// setup token: it only ever creates the first account.
    pub async fn create_user(&self, u: NewUser, ctx: &Ctx) -> Result<User, StoreError> {
        check_user_name(&u.name)?;
        check_new_password(&u.password, &u.name)?;
        let hash = hash_blocking(u.password).await?;
        let txn = self.write_txn().await?;
        let user = insert_user(&txn, &u.name, u.role, hash, ctx).await?;
        settings::Entity::delete_by_id(SETUP_TOKEN_KEY.to_owned())
            .exec(&txn)
            .await?;
        append(
            &txn,
            ctx,
            "user.create",
            &user_object(&user.name),
            None,
            Some(user_json(&user.name, user.role)),
        )
        .await?;
        txn.commit().await?;
        Ok(user)
    }

    /// Every user, sorted by name ignoring case.
    pub async fn users(&self) -> Result<Vec<User>, StoreError> {
        users::Entity::find()
            .order_by_asc(users::Column::NameKey)
            .all(&self.db)
            .await?
            .into_iter()
            .map(user_of)
            .collect()
    }

    /// The user called `name`, ignoring case.
    pub async fn user_by_name(&self, name: &str) -> Result<Option<User>, StoreError> {
        find_user(&self.db, name).await?.map(user_of).transpose()
    }

    /// The user with id `id`.
    pub async fn user(&self, id: Uuid) -> Result<Option<User>, StoreError> {
        users::Entity::find_by_id(id)
            .one(&self.db)
            .await?
            .map(user_of)
            .transpose()
    }

    /// How many users there are, disabled ones included.
    pub async fn user_count(&self) -> Result<u64, StoreError> {
        Ok(users::Entity::find().count(&self.db).await?)
    }

    /// Changes a user's role; effective on the user's next request. The
    /// last enabled admin cannot be demoted ([`StoreError::Invalid`] naming
    /// `role`).
    pub async fn set_role(
        &self,
        name: &str,
        role: UserRole,
        ctx: &Ctx,
    ) -> Result<User, StoreError> {
        let txn = self.write_txn().await?;
        let m = require_user(&txn, name).await?;
        let before = user_of(m.clone())?;
        if before.role == role {
            txn.commit().await?;
            return Ok(before);
        }
        if role != UserRole::Admin {
            keep_an_admin(&txn, &m, "role").await?;
        }
        users::Entity::update_many()
            .col_expr(users::Column::Role, Expr::val(role.as_str()))
            .col_expr(users::Column::UpdatedAt, Expr::val(ctx.now))
            .filter(users::Column::Id.eq(m.id))
            .exec(&txn)
            .await?;
        append(
            &txn,
            ctx,
            "user.role",
            &user_object(&m.name),
            Some(user_json(&m.name, before.role)),
            Some(user_json(&m.name, role)),
        )
        .await?;
        txn.commit().await?;
        Ok(User { role, ..before })
    }

    /// Sets a new password (checked against the policy, [`StoreError::Invalid`]
    /// naming `password`) and ends every session of the user.
    pub async fn set_password(
        &self,
        name: &str,
        new_password: &str,
        ctx: &Ctx,
    ) -> Result<(), StoreError> {
        let m = require_user(&self.db, name).await?;
        check_new_password(new_password, &m.name)?;
        let hash = hash_blocking(new_password.to_owned()).await?;
        let txn = self.write_txn().await?;
        let m = require_user(&txn, name).await?;
        users::Entity::update_many()
            .col_expr(users::Column::PasswordHash, Expr::val(hash))
            .col_expr(users::Column::MustChangePassword, Expr::val(false))
            .col_expr(users::Column::UpdatedAt, Expr::val(ctx.now))
            .filter(users::Column::Id.eq(m.id))
            .exec(&txn)
            .await?;
        let ended = sessions::Entity::delete_many()
            .filter(sessions::Column::UserId.eq(m.id))
            .exec(&txn)
            .await?
            .rows_affected;
        append(
            &txn,
            ctx,
            "user.password",
            &user_object(&m.name),
            None,
            Some(audit::json(
                &json!({ "name": m.name, "sessions_ended": ended }),
            )),
        )
        .await?;
        txn.commit().await?;
        Ok(())
    }

    /// Changes the password of user `user_id` after checking the current
    /// one: a wrong current password is [`StoreError::Invalid`] naming
    /// `current_password`, a new one against the policy names `password`.
    /// In one transaction the hash is replaced, every session of the user
    /// ends (the caller signs in again) and `user.password` is audited.
    pub async fn change_password(
        &self,
        user_id: Uuid,
        current: &str,
        new_password: &str,
        ctx: &Ctx,
    ) -> Result<(), StoreError> {
        let m = require_user_id(&self.db, user_id).await?;
        if !verify_blocking(current.to_owned(), Some(m.password_hash.clone())).await? {
            return Err(StoreError::invalid(
                "current_password",
                "is not your current password",
            ));
        }
        check_new_password(new_password, &m.name)?;
        let hash = hash_blocking(new_password.to_owned()).await?;
        let txn = self.write_txn().await?;
        let m = require_user_id(&txn, user_id).await?;
        users::Entity::update_many()
            .col_expr(users::Column::PasswordHash, Expr::val(hash))
            .col_expr(users::Column::MustChangePassword, Expr::val(false))
            .col_expr(users::Column::UpdatedAt, Expr::val(ctx.now))
            .filter(users::Column::Id.eq(m.id))
            .exec(&txn)
            .await?;
        let ended = sessions::Entity::delete_many()
            .filter(sessions::Column::UserId.eq(m.id))
            .exec(&txn)
            .await?
            .rows_affected;
        append(
            &txn,
            ctx,
            "user.password",
            &user_object(&m.name),
            None,
            Some(audit::json(
                &json!({ "name": m.name, "by": "self", "sessions_ended": ended }),
            )),
        )
        .await?;
        txn.commit().await?;
        Ok(())
    }

    /// Disables a user and takes away everything that lets them in, in one
    /// transaction: every session ends, every API token is revoked and
    /// every incident membership is removed. The audit entry records the
    /// counts. The last enabled admin cannot be disabled
    /// ([`StoreError::Invalid`] naming `name`).
    pub async fn disable_user(&self, name: &str, ctx: &Ctx) -> Result<User, StoreError> {
        let txn = self.write_txn().await?;
        let m = require_user(&txn, name).await?;
        keep_an_admin(&txn, &m, "name").await?;
        // First, so that it takes the user row lock before anything else
        // (see `lock_enabled_user`).
        users::Entity::update_many()
            .col_expr(users::Column::Disabled, Expr::val(true))
            .col_expr(users::Column::UpdatedAt, Expr::val(ctx.now))
            .filter(users::Column::Id.eq(m.id))
            .exec(&txn)
            .await?;
        let sessions_ended = sessions::Entity::delete_many()
            .filter(sessions::Column::UserId.eq(m.id))
            .exec(&txn)
            .await?
            .rows_affected;
        let tokens_revoked = api_tokens::Entity::update_many()
            .col_expr(api_tokens::Column::RevokedAt, Expr::val(ctx.now))
            .filter(api_tokens::Column::UserId.eq(m.id))
            .filter(api_tokens::Column::RevokedAt.is_null())
            .exec(&txn)
            .await?
            .rows_affected;
        let memberships_removed = incident_members::Entity::delete_many()
            .filter(incident_members::Column::UserId.eq(m.id))
            .exec(&txn)
            .await?
            .rows_affected;
        append(
            &txn,
            ctx,
            "user.disable",
            &user_object(&m.name),
            Some(audit::json(
                &json!({ "name": m.name, "disabled": m.disabled }),
            )),
            Some(audit::json(&json!({
                "name": m.name,
                "disabled": true,
                "sessions_ended": sessions_ended,
                "tokens_revoked": tokens_revoked,
                "memberships_removed": memberships_removed,
            }))),
        )
        .await?;
        txn.commit().await?;
        Ok(User {
            disabled: true,
            ..user_of(m)?
        })
    }

    /// Enables a disabled user. Tokens and memberships taken away on
    /// disabling stay gone.
    pub async fn enable_user(&self, name: &str, ctx: &Ctx) -> Result<User, StoreError> {
        let txn = self.write_txn().await?;
        let m = require_user(&txn, name).await?;
        if !m.disabled {
            txn.commit().await?;
            return user_of(m);
        }
        users::Entity::update_many()
            .col_expr(users::Column::Disabled, Expr::val(false))
            .col_expr(users::Column::UpdatedAt, Expr::val(ctx.now))
            .filter(users::Column::Id.eq(m.id))
            .exec(&txn)
            .await?;
        append(
            &txn,
            ctx,
            "user.enable",
            &user_object(&m.name),
            Some(audit::json(&json!({ "name": m.name, "disabled": true }))),
            Some(audit::json(&json!({ "name": m.name, "disabled": false }))),
        )
        .await?;
        txn.commit().await?;
        Ok(User {
            disabled: false,
            ..user_of(m)?
        })
    }

    /// Logs in with a name and password.
    ///
    /// - Throttled per user (`user:<name>`, also for names nobody has, so
    ///   throttling tells nothing about which exist) and per source
    ///   (`ip:<source>`): once the policy blocks either,
    ///   [`LoginOutcome::Throttled`] without looking at the password, and
    ///   `login.throttled` is audited.
    /// - An unknown user costs a full dummy hash check; a disabled user's
    ///   password is checked too; wrong password, unknown and disabled user
    ///   all answer [`LoginOutcome::Invalid`]. The failure counts against
    ///   both keys and is audited as `login.failure`, object
    ///   `user:<name as typed>` (or `user:(invalid)` for a name that cannot
    ///   be one), with the reason for the auditor.
    /// - Success forgets the user's failures (not the source's), creates a
    ///   session (a new random token, stored hashed, expiring after the
    ///   store's [`SessionPolicy::absolute`]) and audits `login.success`.
    ///   The session has passed MFA unless the user has TOTP.
    pub async fn login(
        &self,
        name: &str,
        password: &str,
        ctx: &Ctx,
    ) -> Result<LoginOutcome, StoreError> {
        let now = ctx.now;
        let valid = valid_user_name(name);
        let object = if valid {
            user_object(name)
        } else {
            "user:(invalid)".to_owned()
        };
        let user_key = valid.then(|| format!("user:{}", name_key(name)));
        let keys: Vec<String> = user_key
            .iter()
            .cloned()
            .chain(ctx.source.iter().map(|s| format!("ip:{s}")))
            .collect();
        if let Some(wait) = throttle_wait(&self.db, &keys, now).await? {
            self.audit_record(
                ctx,
                "login.throttled",
                &object,
                None,
                Some(audit::json(&json!({ "retry_after_secs": wait }))),
            )
            .await?;
            return Ok(LoginOutcome::Throttled {
                retry_after_secs: wait,
            });
        }

        let found = find_user(&self.db, name).await?;
        let password_ok = verify_blocking(
            password.to_owned(),
            found.as_ref().map(|u| u.password_hash.clone()),
        )
        .await?;
        let reason = match &found {
            None => "unknown_user",
            Some(_) if !password_ok => "wrong_password",
            Some(u) if u.disabled => "disabled",
            Some(_) => "",
        };

        let txn = self.write_txn().await?;
        let granted = match &found {
            Some(u) if reason.is_empty() => lock_enabled_user(&txn, u.id).await?,
            _ => false,
        };
        let Some(m) = found.filter(|_| granted) else {
            for key in &keys {
                record_failure(&txn, key, now, &self.throttle).await?;
            }
            let reason = if reason.is_empty() {
                "disabled"
            } else {
                reason
            };
            append(
                &txn,
                ctx,
                "login.failure",
                &object,
                None,
                Some(audit::json(&json!({ "reason": reason }))),
            )
            .await?;
            txn.commit().await?;
            return Ok(LoginOutcome::Invalid);
        };

        if let Some(k) = &user_key {
            clear_failures(&txn, k).await?;
        }
        if password_needs_rehash(&m.password_hash) {
            // Parameters were raised since this hash was made: store one
            // made with today's, now that the password is at hand.
            let hash = hash_blocking(password.to_owned()).await?;
            users::Entity::update_many()
                .col_expr(users::Column::PasswordHash, Expr::val(hash))
                .filter(users::Column::Id.eq(m.id))
                .exec(&txn)
                .await?;
        }
        // Housekeeping: this user's dead sessions go.
        sessions::Entity::delete_many()
            .filter(sessions::Column::UserId.eq(m.id))
            .filter(sessions::Column::ExpiresAt.lte(now))
            .exec(&txn)
            .await?;
        let session = new_session_token();
        let csrf = new_session_token().expose().to_owned();
        let mfa_pending = m.totp_enabled;
        sessions::Entity::insert(sessions::ActiveModel {
            token_hash: Set(token_hash(session.expose())),
            user_id: Set(m.id),
            created_at: Set(now),
            last_seen_at: Set(now),
            expires_at: Set(now + self.sessions.absolute),
            mfa_passed: Set(!mfa_pending),
            csrf_token: Set(csrf.clone()),
            source: Set(ctx.source.clone()),
        })
        .exec_without_returning(&txn)
        .await?;
        let user = user_of(m)?;
        let mfa_setup_required = user.role == UserRole::Admin && !user.totp_enabled;
        append(
            &txn,
            &ctx.as_actor(Actor::from(&user)),
            "login.success",
            &user_object(&user.name),
            None,
            Some(audit::json(&json!({ "mfa_pending": mfa_pending }))),
        )
        .await?;
        txn.commit().await?;
        Ok(LoginOutcome::Ok {
            session,
            csrf,
            user,
            mfa_pending,
            mfa_setup_required,
        })
    }

    /// The live session of `token`, or `None` when there is none: unknown
    /// token, disabled user, idle for longer than `policy.idle`, or past
    /// its absolute end (the earlier of its stored expiry and
    /// `policy.absolute` after login). A dead session found here is
    /// deleted. `last_seen_at` is written at most once a minute.
    pub async fn session(
        &self,
        token: &str,
        policy: &SessionPolicy,
        now: DateTime<Utc>,
    ) -> Result<Option<SessionInfo>, StoreError> {
        if !plausible_token(token) {
            return Ok(None);
        }
        let hash = token_hash(token);
        let Some(s) = sessions::Entity::find_by_id(hash.clone())
            .one(&self.db)
            .await?
        else {
            return Ok(None);
        };
        let expires_at = Ord::min(s.expires_at, s.created_at + policy.absolute);
        let user = users::Entity::find_by_id(s.user_id).one(&self.db).await?;
        let alive = now < expires_at && now - s.last_seen_at <= policy.idle;
        let Some(user) = user.filter(|u| alive && !u.disabled) else {
            sessions::Entity::delete_by_id(hash).exec(&self.db).await?;
            return Ok(None);
        };
        if now - s.last_seen_at >= TOUCH_EVERY {
            sessions::Entity::update_many()
                .col_expr(sessions::Column::LastSeenAt, Expr::val(now))
                .filter(sessions::Column::TokenHash.eq(hash))
                .exec(&self.db)
                .await?;
        }
        Ok(Some(SessionInfo {
            user: user_of(user)?,
            mfa_passed: s.mfa_passed,
            csrf: s.csrf_token,
            expires_at,
        }))
    }

    /// Ends the session of `token` and audits `logout`. An unknown token
    /// is not an error: the session is gone either way.
    pub async fn logout(&self, token: &str, ctx: &Ctx) -> Result<(), StoreError> {
        if !plausible_token(token) {
            return Ok(());
        }
        let hash = token_hash(token);
        let txn = self.write_txn().await?;
        let Some(s) = sessions::Entity::find_by_id(hash.clone()).one(&txn).await? else {
            txn.commit().await?;
            return Ok(());
        };
        sessions::Entity::delete_by_id(hash).exec(&txn).await?;
        let user = users::Entity::find_by_id(s.user_id).one(&txn).await?;
        let (actor, object) = match &user {
            Some(u) => (Actor::user(u.id, u.name.clone()), user_object(&u.name)),
            None => (ctx.actor.clone(), format!("user:{}", s.user_id)),
        };
        append(&txn, &ctx.as_actor(actor), "logout", &object, None, None).await?;
        txn.commit().await?;
        Ok(())
    }

    /// Completes the second factor of the session `token` with a TOTP code
    /// or a backup code.
    ///
    /// A TOTP code is refused if its time step is not after the last one
    /// accepted (a code works once). A backup code must be unused and
    /// unexpired; it is marked used, `mfa.backup_code_used` is audited and
    /// a notification raised. Failures are throttled under `mfa:<user>`
    /// and audited as `mfa.failure`.
    ///
    /// On success the session passes MFA and gets a new token (the old one
    /// stops working): privilege changed, so the session id changes. An
    /// unknown or expired session is [`MfaOutcome::Invalid`].
    pub async fn complete_mfa(
        &self,
        token: &str,
        code: &str,
        ctx: &Ctx,
    ) -> Result<MfaOutcome, StoreError> {
        let now = ctx.now;
        if !plausible_token(token) {
            return Ok(MfaOutcome::Invalid);
        }
        let hash = token_hash(token);
        let Some(s) = sessions::Entity::find_by_id(hash.clone())
            .one(&self.db)
            .await?
            .filter(|s| s.expires_at > now)
        else {
            return Ok(MfaOutcome::Invalid);
        };
        let Some(m) = users::Entity::find_by_id(s.user_id)
            .one(&self.db)
            .await?
            .filter(|u| !u.disabled)
        else {
            return Ok(MfaOutcome::Invalid);
        };
        let ctx = ctx.as_actor(Actor::user(m.id, m.name.clone()));
        let object = user_object(&m.name);
        let throttle_key = format!("mfa:{}", m.name_key);
        if let Some(wait) =
            throttle_wait(&self.db, std::slice::from_ref(&throttle_key), now).await?
        {
            self.audit_record(
                &ctx,
                "mfa.throttled",
                &object,
                None,
                Some(audit::json(&json!({ "retry_after_secs": wait }))),
            )
            .await?;
            return Ok(MfaOutcome::Throttled {
                retry_after_secs: wait,
            });
        }

        let txn = self.write_txn().await?;
        let mut failure = "invalid_code";
        let mut used = None;
        if m.totp_enabled
            && let Some(secret) = m
                .totp_secret
                .as_deref()
                .and_then(|s| totp_secret_from_base32(s).ok())
            && let Some(step) = unix_secs(now).and_then(|t| verify_totp(&secret, code, t))
        {
            let step = i64::try_from(step).unwrap_or(i64::MAX);
            // Conditional on the stored step, so two concurrent uses of
            // one code cannot both pass.
            let fresh = users::Entity::update_many()
                .col_expr(users::Column::TotpLastStep, Expr::val(step))
                .filter(users::Column::Id.eq(m.id))
                .filter(
                    sea_orm::Condition::any()
                        .add(users::Column::TotpLastStep.is_null())
                        .add(users::Column::TotpLastStep.lt(step)),
                )
                .exec(&txn)
                .await?
                .rows_affected
                == 1;
            if fresh {
                used = Some(SecondFactor::Totp(step));
            } else {
                failure = "replayed_code";
            }
        } else if let Some(normalized) = normalize_backup_code(code) {
            let found = backup_codes::Entity::find()
                .filter(backup_codes::Column::UserId.eq(m.id))
                .filter(backup_codes::Column::CodeHash.eq(backup_code_hash(&normalized)))
                .filter(backup_codes::Column::UsedAt.is_null())
                .one(&txn)
                .await?;
            match found {
                Some(b) if b.expires_at <= now => failure = "expired_backup_code",
                Some(b) => {
                    let marked = backup_codes::Entity::update_many()
                        .col_expr(backup_codes::Column::UsedAt, Expr::val(now))
                        .filter(backup_codes::Column::Id.eq(b.id))
                        .filter(backup_codes::Column::UsedAt.is_null())
                        .exec(&txn)
                        .await?
                        .rows_affected;
                    if marked == 1 {
                        used = Some(SecondFactor::BackupCode);
                    }
                }
                None => {}
            }
        }

        let Some(factor) = used else {
            record_failure(&txn, &throttle_key, now, &self.throttle).await?;
            append(
                &txn,
                &ctx,
                "mfa.failure",
                &object,
                None,
                Some(audit::json(&json!({ "reason": failure }))),
            )
            .await?;
            txn.commit().await?;
            return Ok(MfaOutcome::Invalid);
        };

        clear_failures(&txn, &throttle_key).await?;
        let new_token = new_session_token();
        let rotated = sessions::Entity::update_many()
            .col_expr(
                sessions::Column::TokenHash,
                Expr::val(token_hash(new_token.expose())),
            )
            .col_expr(sessions::Column::MfaPassed, Expr::val(true))
            .col_expr(sessions::Column::LastSeenAt, Expr::val(now))
            .filter(sessions::Column::TokenHash.eq(hash))
            .exec(&txn)
            .await?
            .rows_affected;
        if rotated != 1 {
            // The session ended (logout, disable) while the code was checked.
            return Ok(MfaOutcome::Invalid);
        }
        let (action, after) = match factor {
            SecondFactor::Totp(step) => ("mfa.success", json!({ "method": "totp", "step": step })),
            SecondFactor::BackupCode => {
                let left = backup_codes::Entity::find()
                    .filter(backup_codes::Column::UserId.eq(m.id))
                    .filter(backup_codes::Column::UsedAt.is_null())
                    .filter(backup_codes::Column::ExpiresAt.gt(now))
                    .count(&txn)
                    .await?;
                notifications::Entity::insert(notifications::ActiveModel {
                    id: Set(new_id(now)),
                    at: Set(now),
                    kind: Set("mfa.backup_code_used".to_owned()),
                    user_id: Set(Some(m.id)),
                    message: Set(format!(
                        "A backup code was used to sign in as {}{}; {left} unused code(s) left. If this was not them, disable the account.",
                        m.name,
                        ctx.source
                            .as_deref()
                            .map(|s| format!(" from {s}"))
                            .unwrap_or_default(),
                    )),
                    delivered_at: Set(None),
                })
                .exec_without_returning(&txn)
                .await?;
                (
                    "mfa.backup_code_used",
                    json!({ "method": "backup_code", "codes_left": left }),
                )
            }
        };
        append(&txn, &ctx, action, &object, None, Some(audit::json(&after))).await?;
        txn.commit().await?;
        Ok(MfaOutcome::Ok { session: new_token })
    }

    /// Starts TOTP enrollment: stores a new secret and returns it, for the
    /// QR code ([`TotpSecret::otpauth_url`]). TOTP is not required until
    /// [`Store::confirm_totp`]. Refused ([`StoreError::Invalid`] naming
    /// `totp`) while TOTP is enabled: reset it first
    /// ([`Store::reset_totp`]).
    pub async fn begin_totp_enrollment(
        &self,
        user_id: Uuid,
        ctx: &Ctx,
    ) -> Result<TotpSecret, StoreError> {
        let txn = self.write_txn().await?;
        let m = require_user_id(&txn, user_id).await?;
        if m.totp_enabled {
            return Err(StoreError::invalid(
                "totp",
                "is already enabled; reset it before enrolling again",
            ));
        }
        let secret = new_totp_secret();
        users::Entity::update_many()
            .col_expr(users::Column::TotpSecret, Expr::val(secret.base32()))
            .col_expr(users::Column::TotpLastStep, Expr::val(Option::<i64>::None))
            .col_expr(users::Column::UpdatedAt, Expr::val(ctx.now))
            .filter(users::Column::Id.eq(m.id))
            .exec(&txn)
            .await?;
        append(
            &txn,
            ctx,
            "mfa.enroll",
            &user_object(&m.name),
            None,
            Some(audit::json(&json!({ "name": m.name }))),
        )
        .await?;
        txn.commit().await?;
        Ok(secret)
    }

    /// Confirms TOTP enrollment with a code from the authenticator: TOTP
    /// becomes required at login, and ten new backup codes (valid
    /// [`BACKUP_CODE_TTL_DAYS`] days) replace any old ones. The codes are
    /// returned in the clear this once. A wrong code is
    /// [`StoreError::Invalid`] naming `code` (attempts are throttled like
    /// MFA).
    pub async fn confirm_totp(
        &self,
        user_id: Uuid,
        code: &str,
        ctx: &Ctx,
    ) -> Result<Vec<Secret>, StoreError> {
        let now = ctx.now;
        let m = require_user_id(&self.db, user_id).await?;
        if m.totp_enabled {
            return Err(StoreError::invalid("totp", "is already enabled"));
        }
        let Some(secret) = m
            .totp_secret
            .as_deref()
            .and_then(|s| totp_secret_from_base32(s).ok())
        else {
            return Err(StoreError::invalid(
                "code",
                "no TOTP enrollment is in progress; start one first",
            ));
        };
        let throttle_key = format!("mfa:{}", m.name_key);
        if let Some(wait) =
            throttle_wait(&self.db, std::slice::from_ref(&throttle_key), now).await?
        {
            return Err(StoreError::invalid(
                "code",
                format!("too many wrong codes; try again in {wait} s"),
            ));
        }
        let step = unix_secs(now).and_then(|t| verify_totp(&secret, code, t));
        let txn = self.write_txn().await?;
        let object = user_object(&m.name);
        let Some(step) = step else {
            record_failure(&txn, &throttle_key, now, &self.throttle).await?;
            append(
                &txn,
                ctx,
                "mfa.failure",
                &object,
                None,
                Some(audit::json(&json!({ "reason": "invalid_enrollment_code" }))),
            )
            .await?;
            txn.commit().await?;
            return Err(StoreError::invalid(
                "code",
                "is not the current code of the authenticator",
            ));
        };
        let step = i64::try_from(step).unwrap_or(i64::MAX);
        // Conditional on the secret checked above and on TOTP still being
        // off: a concurrent re-enrollment or confirmation wins, this fails.
        let enabled = users::Entity::update_many()
            .col_expr(users::Column::TotpEnabled, Expr::val(true))
            .col_expr(users::Column::TotpLastStep, Expr::val(step))
            .col_expr(users::Column::UpdatedAt, Expr::val(now))
            .filter(users::Column::Id.eq(m.id))
            .filter(users::Column::TotpEnabled.eq(false))
            .filter(users::Column::TotpSecret.eq(m.totp_secret.clone()))
            .exec(&txn)
            .await?
            .rows_affected;
        if enabled != 1 {
            return Err(StoreError::invalid(
                "code",
                "the enrollment changed meanwhile; start again",
            ));
        }
        clear_failures(&txn, &throttle_key).await?;
        let codes = replace_backup_codes(&txn, m.id, now).await?;
        append(
            &txn,
            ctx,
            "mfa.enable",
            &object,
            Some(audit::json(
                &json!({ "name": m.name, "totp_enabled": false }),
            )),
            Some(audit::json(&json!({
                "name": m.name,
                "totp_enabled": true,
                "backup_codes": codes.len(),
            }))),
        )
        .await?;
        txn.commit().await?;
        Ok(codes)
    }

    /// Replaces a user's backup codes with ten new ones, returned in the
    /// clear this once. Only with TOTP enabled ([`StoreError::Invalid`]
    /// naming `totp` otherwise).
    pub async fn new_backup_codes(
        &self,
        user_id: Uuid,
        ctx: &Ctx,
    ) -> Result<Vec<Secret>, StoreError> {
        let txn = self.write_txn().await?;
        let m = require_user_id(&txn, user_id).await?;
        if !m.totp_enabled {
            return Err(StoreError::invalid(
                "totp",
                "is not enabled; backup codes come with TOTP",
            ));
        }
        let codes = replace_backup_codes(&txn, m.id, ctx.now).await?;
        append(
            &txn,
            ctx,
            "mfa.backup_codes",
            &user_object(&m.name),
            None,
            Some(audit::json(
                &json!({ "name": m.name, "backup_codes": codes.len() }),
            )),
        )
        .await?;
        txn.commit().await?;
        Ok(codes)
    }

    /// Turns TOTP off for user `name` (e.g. after a lost phone, by an
    /// admin): the secret and the backup codes are deleted and every
    /// session ends, so the next login enrolls again.
    pub async fn reset_totp(&self, name: &str, ctx: &Ctx) -> Result<User, StoreError> {
        let txn = self.write_txn().await?;
        let m = require_user(&txn, name).await?;
        users::Entity::update_many()
            .col_expr(users::Column::TotpEnabled, Expr::val(false))
            .col_expr(users::Column::TotpSecret, Expr::val(Option::<String>::None))
            .col_expr(users::Column::TotpLastStep, Expr::val(Option::<i64>::None))
            .col_expr(users::Column::UpdatedAt, Expr::val(ctx.now))
            .filter(users::Column::Id.eq(m.id))
            .exec(&txn)
            .await?;
        backup_codes::Entity::delete_many()
            .filter(backup_codes::Column::UserId.eq(m.id))
            .exec(&txn)
            .await?;
        let ended = sessions::Entity::delete_many()
            .filter(sessions::Column::UserId.eq(m.id))
            .exec(&txn)
            .await?
            .rows_affected;
        append(
            &txn,
            ctx,
            "mfa.reset",
            &user_object(&m.name),
            Some(audit::json(
                &json!({ "name": m.name, "totp_enabled": m.totp_enabled }),
            )),
            Some(audit::json(&json!({
                "name": m.name,
                "totp_enabled": false,
                "sessions_ended": ended,
            }))),
        )
        .await?;
        txn.commit().await?;
        Ok(User {
            totp_enabled: false,
            ..user_of(m)?
        })
    }

    /// Creates an API token for user `user_name` and returns it with the
    /// token itself, shown this once and stored only as a hash. Any scope
    /// may be given: the user's role still caps what the token can do.
    ///
    /// `name` must be 1 to [`MAX_TOKEN_NAME`] characters without control
    /// characters; `expires_in_days` 1 to [`MAX_TOKEN_DAYS`] or `None` for
    /// a token that does not expire. A disabled user gets no token
    /// ([`StoreError::Invalid`] naming `user`).
    pub async fn create_token(
        &self,
        user_name: &str,
        name: &str,
        scope: Scope,
        expires_in_days: Option<u32>,
        ctx: &Ctx,
    ) -> Result<(ApiToken, Secret), StoreError> {
        let now = ctx.now;
        let name = name.trim();
        let chars = name.chars().count();
        if chars == 0 || chars > MAX_TOKEN_NAME || name.chars().any(char::is_control) {
            return Err(StoreError::invalid(
                "name",
                format!("must be 1 to {MAX_TOKEN_NAME} characters without control characters"),
            ));
        }
        let expires_at = match expires_in_days {
            None => None,
            Some(d) if (1..=MAX_TOKEN_DAYS).contains(&d) => {
                Some(now + Duration::days(i64::from(d)))
            }
            Some(_) => {
                return Err(StoreError::invalid(
                    "expires_in_days",
                    format!("must be from 1 to {MAX_TOKEN_DAYS}"),
                ));
            }
        };
        let txn = self.write_txn().await?;
        let m = require_user(&txn, user_name).await?;
        if !lock_enabled_user(&txn, m.id).await? {
            return Err(StoreError::invalid("user", "is disabled"));
        }
        let secret = new_api_token();
        let id = new_id(now);
        api_tokens::Entity::insert(api_tokens::ActiveModel {
            id: Set(id),
            user_id: Set(m.id),
            name: Set(name.to_owned()),
            token_hash: Set(token_hash(secret.expose())),
            scope: Set(scope.as_str().to_owned()),
            created_at: Set(now),
            expires_at: Set(expires_at),
            last_used_at: Set(None),
            revoked_at: Set(None),
        })
        .exec_without_returning(&txn)
        .await?;
        let token = ApiToken {
            id,
            name: name.to_owned(),
            user: m.name.clone(),
            scope,
            created_at: now,
            expires_at,
            last_used_at: None,
            revoked: false,
        };
        append(
            &txn,
            ctx,
            "token.create",
            &format!("token:{id}"),
            None,
            Some(audit::json(&token)),
        )
        .await?;
        txn.commit().await?;
        Ok((token, secret))
    }

    /// API tokens, revoked and expired ones included, oldest first; only
    /// those of `user_name` when given ([`StoreError::NotFound`] if there
    /// is no such user).
    pub async fn tokens(&self, user_name: Option<&str>) -> Result<Vec<ApiToken>, StoreError> {
        let mut q = api_tokens::Entity::find()
            .order_by_asc(api_tokens::Column::CreatedAt)
            .order_by_asc(api_tokens::Column::Id);
        if let Some(name) = user_name {
            let m = require_user(&self.db, name).await?;
            q = q.filter(api_tokens::Column::UserId.eq(m.id));
        }
        let rows = q.all(&self.db).await?;
        let names: HashMap<Uuid, String> = users::Entity::find()
            .select_only()
            .column(users::Column::Id)
            .column(users::Column::Name)
            .into_tuple::<(Uuid, String)>()
            .all(&self.db)
            .await?
            .into_iter()
            .collect();
        rows.into_iter()
            .map(|t| {
                let user = names.get(&t.user_id).cloned().unwrap_or_default();
                token_of(t, user)
            })
            .collect()
    }

    /// Revokes the API token `id` ([`StoreError::NotFound`] if there is
    /// none); it stops working on the next request. Revoking a revoked
    /// token changes nothing.
    pub async fn revoke_token(&self, id: Uuid, ctx: &Ctx) -> Result<(), StoreError> {
        let txn = self.write_txn().await?;
        let Some(t) = api_tokens::Entity::find_by_id(id).one(&txn).await? else {
            return Err(StoreError::NotFound {
                what: format!("token {id}"),
            });
        };
        if t.revoked_at.is_some() {
            txn.commit().await?;
            return Ok(());
        }
        api_tokens::Entity::update_many()
            .col_expr(api_tokens::Column::RevokedAt, Expr::val(ctx.now))
            .filter(api_tokens::Column::Id.eq(id))
            .exec(&txn)
            .await?;
        let user = users::Entity::find_by_id(t.user_id)
            .one(&txn)
            .await?
            .map(|u| u.name)
            .unwrap_or_default();
        let before = token_of(t, user)?;
        let after = ApiToken {
            revoked: true,
            ..before.clone()
        };
        append(
            &txn,
            ctx,
            "token.revoke",
            &format!("token:{id}"),
            Some(audit::json(&before)),
            Some(audit::json(&after)),
        )
        .await?;
        txn.commit().await?;
        Ok(())
    }

    /// Who an API token acts as, or `None` unless it has the shape of a
    /// token, is known, not revoked, not expired and its user is enabled.
    /// `last_used_at` is written at most once a minute.
    pub async fn principal_for_token(
        &self,
        token: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<Principal>, StoreError> {
        if !looks_like_api_token(token) {
            return Ok(None);
        }
        let Some((t, Some(u))) = api_tokens::Entity::find()
            .filter(api_tokens::Column::TokenHash.eq(token_hash(token)))
            .find_also_related(users::Entity)
            .one(&self.db)
            .await?
        else {
            return Ok(None);
        };
        if t.revoked_at.is_some() || t.expires_at.is_some_and(|e| e <= now) || u.disabled {
            return Ok(None);
        }
        if t.last_used_at.is_none_or(|at| now - at >= TOUCH_EVERY) {
            api_tokens::Entity::update_many()
                .col_expr(api_tokens::Column::LastUsedAt, Expr::val(now))
                .filter(api_tokens::Column::Id.eq(t.id))
                .exec(&self.db)
                .await?;
        }
        let user = user_of(u)?;
        Ok(Some(Principal {
            user_id: user.id,
            name: user.name,
            role: user.role,
            scope: Some(scope_of(&t.scope)?),
        }))
    }

    /// Restricts an incident to its members (and admins and auditors), or
    /// opens it again. Audited as `incident.restrict`; the version is not
    /// raised, as the document did not change.
    pub async fn set_restricted(
        &self,
        key: &IncidentKey,
        restricted: bool,
        ctx: &Ctx,
    ) -> Result<(), StoreError> {
        let txn = self.write_txn().await?;
        let h = find_header(&txn, key)
            .await?
            .ok_or_else(|| StoreError::incident_not_found(key))?;
        if h.restricted == restricted {
            txn.commit().await?;
            return Ok(());
        }
        incidents::Entity::update_many()
            .col_expr(incidents::Column::Restricted, Expr::val(restricted))
            .filter(incidents::Column::Id.eq(h.id))
            .exec(&txn)
            .await?;
        append(
            &txn,
            ctx,
            "incident.restrict",
            &incident_object(key),
            Some(audit::json(&json!({ "restricted": h.restricted }))),
            Some(audit::json(&json!({ "restricted": restricted }))),
        )
        .await?;
        txn.commit().await?;
        Ok(())
    }

    /// The names of an incident's members, sorted ignoring case.
    pub async fn members(&self, key: &IncidentKey) -> Result<Vec<String>, StoreError> {
        let h = find_header(&self.db, key)
            .await?
            .ok_or_else(|| StoreError::incident_not_found(key))?;
        let ids: Vec<Uuid> = incident_members::Entity::find()
            .select_only()
            .column(incident_members::Column::UserId)
            .filter(incident_members::Column::IncidentId.eq(h.id))
            .into_tuple()
            .all(&self.db)
            .await?;
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        Ok(users::Entity::find()
            .select_only()
            .column(users::Column::Name)
            .filter(users::Column::Id.is_in(ids))
            .order_by_asc(users::Column::NameKey)
            .into_tuple()
            .all(&self.db)
            .await?)
    }

    /// Makes user `user_name` a member of an incident; effective on their
    /// next request. Adding a member twice changes nothing. A disabled
    /// user cannot become a member ([`StoreError::Invalid`] naming `user`).
    pub async fn add_member(
        &self,
        key: &IncidentKey,
        user_name: &str,
        ctx: &Ctx,
    ) -> Result<(), StoreError> {
        let txn = self.write_txn().await?;
        let h = find_header(&txn, key)
            .await?
            .ok_or_else(|| StoreError::incident_not_found(key))?;
        let m = require_user(&txn, user_name).await?;
        if !lock_enabled_user(&txn, m.id).await? {
            return Err(StoreError::invalid("user", "is disabled"));
        }
        let inserted = incident_members::Entity::insert(incident_members::ActiveModel {
            incident_id: Set(h.id),
            user_id: Set(m.id),
            added_at: Set(ctx.now),
        })
        .on_conflict_do_nothing()
        .exec_without_returning(&txn)
        .await?;
        if matches!(inserted, sea_orm::TryInsertResult::Inserted(n) if n > 0) {
            append(
                &txn,
                ctx,
                "incident.member.add",
                &incident_object(key),
                None,
                Some(audit::json(&json!({ "member": m.name }))),
            )
            .await?;
        }
        txn.commit().await?;
        Ok(())
    }

    /// Removes user `user_name` from an incident's members; effective on
    /// their next request. Removing a non-member changes nothing.
    pub async fn remove_member(
        &self,
        key: &IncidentKey,
        user_name: &str,
        ctx: &Ctx,
    ) -> Result<(), StoreError> {
        let txn = self.write_txn().await?;
        let h = find_header(&txn, key)
            .await?
            .ok_or_else(|| StoreError::incident_not_found(key))?;
        let m = require_user(&txn, user_name).await?;
        let removed = incident_members::Entity::delete_many()
            .filter(incident_members::Column::IncidentId.eq(h.id))
            .filter(incident_members::Column::UserId.eq(m.id))
            .exec(&txn)
            .await?
            .rows_affected;
        if removed > 0 {
            append(
                &txn,
                ctx,
                "incident.member.remove",
                &incident_object(key),
                Some(audit::json(&json!({ "member": m.name }))),
                None,
            )
            .await?;
        }
        txn.commit().await?;
        Ok(())
    }

    /// What user `user_id` is to an incident (restricted? member?), for
    /// [`debrief_core::access::decide`]; `None` when the incident does not
    /// exist.
    pub async fn incident_access(
        &self,
        key: &IncidentKey,
        user_id: Uuid,
    ) -> Result<Option<IncidentAccess>, StoreError> {
        Ok(self.incident_gate(key, user_id).await?.map(|g| g.access))
    }

    /// What the route guard needs about an incident, read as cheaply as
    /// possible because every incident request pays for it: the caller's
    /// access and the current version (which lets the web layer serve a
    /// cached document that is provably current). Reads three narrow
    /// columns, and the membership only when the incident is restricted.
    pub async fn incident_gate(
        &self,
        key: &IncidentKey,
        user_id: Uuid,
    ) -> Result<Option<IncidentGate>, StoreError> {
        let row: Option<(Uuid, bool, i64)> = incidents::Entity::find()
            .select_only()
            .column(incidents::Column::Id)
            .column(incidents::Column::Restricted)
            .column(incidents::Column::Version)
            .filter(incidents::Column::Key.eq(key.as_str()))
            .into_tuple()
            .one(&self.db)
            .await?;
        let Some((id, restricted, version)) = row else {
            return Ok(None);
        };
        // Membership only matters for a restricted incident.
        let member = restricted
            && incident_members::Entity::find_by_id((id, user_id))
                .one(&self.db)
                .await?
                .is_some();
        Ok(Some(IncidentGate {
            access: IncidentAccess { restricted, member },
            version,
        }))
    }

    /// Whether an incident is restricted; `None` when it does not exist.
    pub async fn is_restricted(&self, key: &IncidentKey) -> Result<Option<bool>, StoreError> {
        Ok(find_header(&self.db, key).await?.map(|h| h.restricted))
    }

    /// A new one-time setup token for creating the first admin, only while
    /// there are no users (`None` otherwise). Its hash replaces any older
    /// one, so only the token printed last works.
    pub async fn create_setup_token(&self, ctx: &Ctx) -> Result<Option<Secret>, StoreError> {
        let txn = self.write_txn().await?;
        if users::Entity::find().count(&txn).await? > 0 {
            txn.commit().await?;
            return Ok(None);
        }
        let token = new_setup_token();
        settings::Entity::insert(settings::ActiveModel {
            key: Set(SETUP_TOKEN_KEY.to_owned()),
            value: Set(token_hash(token.expose())),
        })
        .on_conflict(
            OnConflict::column(settings::Column::Key)
                .update_column(settings::Column::Value)
                .to_owned(),
        )
        .exec_without_returning(&txn)
        .await?;
        append(&txn, ctx, "setup.token", "setup", None, None).await?;
        txn.commit().await?;
        Ok(Some(token))
    }

    /// Creates the first admin with the setup token, in one transaction
    /// that also retires the token. `admin.role` is ignored: the account is
    /// an admin. A wrong or used token, or any user existing already, is
    /// [`StoreError::Invalid`] naming `token`; name and password are
    /// checked as in [`Store::create_user`].
    pub async fn redeem_setup_token(
        &self,
        token: &str,
        admin: NewUser,
        ctx: &Ctx,
    ) -> Result<User, StoreError> {
        let bad_token = || StoreError::invalid("token", "is not a valid setup token");
        let offered = plausible_token(token).then(|| token_hash(token));
        let stored = settings::Entity::find_by_id(SETUP_TOKEN_KEY.to_owned())
            .one(&self.db)
            .await?
            .map(|s| s.value);
        let matches = |stored: &Option<String>| match (stored, &offered) {
            (Some(s), Some(o)) => constant_time_eq(s, o),
            _ => false,
        };
        if !matches(&stored) {
            return Err(bad_token());
        }
        check_user_name(&admin.name)?;
        check_new_password(&admin.password, &admin.name)?;
        let hash = hash_blocking(admin.password).await?;

        let txn = self.write_txn().await?;
        // Deleting the row is the gate: of two concurrent redemptions only
        // one deletes it.
        let Some(stored) = stored else {
            return Err(bad_token());
        };
        let taken = settings::Entity::delete_many()
            .filter(settings::Column::Key.eq(SETUP_TOKEN_KEY))
            .filter(settings::Column::Value.eq(stored))
            .exec(&txn)
            .await?
            .rows_affected;
        if taken != 1 || users::Entity::find().count(&txn).await? > 0 {
            return Err(bad_token());
        }
        let user = insert_user(&txn, &admin.name, UserRole::Admin, hash, ctx).await?;
        append(
            &txn,
            ctx,
            "setup.complete",
            &user_object(&user.name),
            None,
            Some(user_json(&user.name, user.role)),
        )
        .await?;
        txn.commit().await?;
        Ok(user)
    }

    /// The newest notifications first: at most `limit` (100 when 0, at
    /// most 1,000).
    pub async fn notifications(&self, limit: u64) -> Result<Vec<Notification>, StoreError> {
        let limit = match limit {
            0 => DEFAULT_NOTIFICATIONS,
            n => Ord::min(n, MAX_NOTIFICATIONS),
        };
        Ok(notifications::Entity::find()
            .order_by_desc(notifications::Column::At)
            .order_by_desc(notifications::Column::Id)
            .limit(limit)
            .all(&self.db)
            .await?
            .into_iter()
            .map(|n| Notification {
                id: n.id,
                at: n.at,
                kind: n.kind,
                user_id: n.user_id,
                message: n.message,
                delivered_at: n.delivered_at,
            })
            .collect())
    }

    /// Marks a notification delivered ([`StoreError::NotFound`] if there
    /// is none). Outbox bookkeeping, not audited.
    pub async fn mark_notification_delivered(
        &self,
        id: Uuid,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let n = notifications::Entity::update_many()
            .col_expr(notifications::Column::DeliveredAt, Expr::val(now))
            .filter(notifications::Column::Id.eq(id))
            .filter(notifications::Column::DeliveredAt.is_null())
            .exec(&self.db)
            .await?
            .rows_affected;
        if n == 0
            && notifications::Entity::find_by_id(id)
                .one(&self.db)
                .await?
                .is_none()
        {
            return Err(StoreError::NotFound {
                what: format!("notification {id}"),
            });
        }
        Ok(())
    }

    /// Deletes what has expired by `now`: sessions past their end and
    /// throttle records older than a day that block nothing. Housekeeping,
    /// not audited; returns how many rows went.
    pub async fn prune_expired(&self, now: DateTime<Utc>) -> Result<u64, StoreError> {
        let sessions = sessions::Entity::delete_many()
            .filter(sessions::Column::ExpiresAt.lte(now))
            .exec(&self.db)
            .await?
            .rows_affected;
        let throttle = login_throttle::Entity::delete_many()
            .filter(login_throttle::Column::LastFailureAt.lt(now - FAILURE_MEMORY))
            .filter(
                sea_orm::Condition::any()
                    .add(login_throttle::Column::BlockedUntil.is_null())
                    .add(login_throttle::Column::BlockedUntil.lte(now)),
            )
            .exec(&self.db)
            .await?
            .rows_affected;
        Ok(sessions + throttle)
    }
}

/// Inserts a user row (name and password already checked and hashed).
async fn insert_user<C: ConnectionTrait>(
    conn: &C,
    name: &str,
    role: UserRole,
    password_hash: String,
    ctx: &Ctx,
) -> Result<User, StoreError> {
    let exists = || StoreError::AlreadyExists {
        what: format!("user {name}"),
    };
    if find_user(conn, name).await?.is_some() {
        return Err(exists());
    }
    let id = new_id(ctx.now);
    users::Entity::insert(users::ActiveModel {
        id: Set(id),
        name: Set(name.to_owned()),
        name_key: Set(name_key(name)),
        role: Set(role.as_str().to_owned()),
        password_hash: Set(password_hash),
        totp_secret: Set(None),
        totp_enabled: Set(false),
        totp_last_step: Set(None),
        disabled: Set(false),
        must_change_password: Set(false),
        created_at: Set(ctx.now),
        updated_at: Set(ctx.now),
    })
    .exec_without_returning(conn)
    .await
    .map_err(|e| unique_as_exists(e, || format!("user {name}")))?;
    Ok(User {
        id,
        name: name.to_owned(),
        role,
        disabled: false,
        totp_enabled: false,
        created_at: ctx.now,
    })
}
