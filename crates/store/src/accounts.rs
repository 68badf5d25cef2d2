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
    api_tokens, backup_codes, incident_members, incidents, login_throttle, notifications,
    sessions, settings, users,
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

/// What [`Store::create_user`] needs.
#[derive(Debug, Clone)]
pub struct NewUser {
    /// 1 to 64 characters of ASCII letters, digits and `.`, `_`, `-`, `@`.
    pub name: String,
    /// The role.
    pub role: UserRole,
    /// The password, checked against the policy of [`debrief_auth::check_password`].
    pub password: String,
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

