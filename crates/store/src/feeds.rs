//! Calendar feeds: the due dates of open action items as an iCalendar
//! feed, per person or per team, behind a secret URL that calendar apps
//! poll without signing in.
//!
//! Decisions:
//! - The token in the URL is the credential: `dbc_` followed by 32 random
//!   bytes in base64url (256 bits), shown once at creation and stored only
//!   as its SHA-256 hash, as API tokens are ([`debrief_auth::token_hash`]).
//!   A leaked database yields no working feed address.
//! - A feed belongs to the user who made it and shows what that user may
//!   see, decided again at every fetch ([`Store::feed_for_token`] returns
//!   the owner's current [`Visibility`]): losing membership of a restricted
//!   incident, or being disabled, takes effect on the next poll. Revoked
//!   feeds and feeds of disabled users answer like unknown ones.
//! - A person feed matches the items' `owner`, a team feed their `team`,
//!   both ignoring case: owners and teams are free text on action items,
//!   not user accounts, so anyone may follow a colleague's or a team's
//!   due dates as long as they may see the incidents.
//! - Fetches are bookkeeping, not changes: `last_used_at` is written at
//!   most once a minute and leaves no audit entry; creating and revoking a
//!   feed are audited (`feed.create`, `feed.revoke`).

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Duration, Utc};
use debrief_auth::{Secret, new_session_token, token_hash};
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, DbErr, EntityTrait, QueryFilter, QueryOrder};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::audit;
use crate::entity::{calendar_feeds, users};
use crate::incidents::new_id;
use crate::{Ctx, Store, StoreError, UserRole, Visibility};

/// The prefix of every feed token: recognisable in a leaked URL.
pub const FEED_TOKEN_PREFIX: &str = "dbc_";

/// The length of a feed token: the prefix and 43 base64url characters.
const FEED_TOKEN_LEN: usize = FEED_TOKEN_PREFIX.len() + 43;

/// Longest feed subject (a person's or team's name), in characters.
pub const MAX_FEED_SUBJECT: usize = 100;

/// How often a feed's `last_used_at` is written at most.
const TOUCH_EVERY: Duration = Duration::minutes(1);

/// Whose due dates a feed shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum FeedScope {
    /// Items owned by one person (the `owner` field).
    Person,
    /// Items owned by one team (the `team` field).
    Team,
}

impl FeedScope {
    /// The stable text form.
    pub fn as_str(self) -> &'static str {
        match self {
            FeedScope::Person => "person",
            FeedScope::Team => "team",
        }
    }
}

impl FromStr for FeedScope {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "person" => Ok(FeedScope::Person),
            "team" => Ok(FeedScope::Team),
            _ => Err(format!("`{s}` is not one of: person, team")),
        }
    }
}

impl fmt::Display for FeedScope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A calendar feed, without its token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct CalendarFeed {
    /// The feed's id.
    pub id: Uuid,
    /// Whose due dates: a person's or a team's.
    pub scope: FeedScope,
    /// The person's or team's name, as on the action items.
    pub subject: String,
    /// When it was made.
    #[serde(with = "debrief_core::time::utc")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: DateTime<Utc>,
    /// When a calendar last fetched it, to the minute.
    #[serde(with = "debrief_core::time::utc_opt")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub last_used_at: Option<DateTime<Utc>>,
    /// When it was revoked; a revoked feed answers 404.
    #[serde(with = "debrief_core::time::utc_opt")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub revoked_at: Option<DateTime<Utc>>,
}

/// A live feed found by its token: what to show, and what its owner may
/// see now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedAccess {
    /// The feed.
    pub feed: CalendarFeed,
    /// The owner's name.
    pub owner: String,
    /// What the owner may see, as of this fetch.
    pub visibility: Visibility,
}

fn feed_of(m: calendar_feeds::Model) -> Result<CalendarFeed, StoreError> {
    Ok(CalendarFeed {
        id: m.id,
        scope: m.scope.parse().map_err(|e: String| {
            StoreError::Database(DbErr::Type(format!("calendar_feeds.scope: {e}")))
        })?,
        subject: m.subject,
        created_at: m.created_at,
        last_used_at: m.last_used_at,
        revoked_at: m.revoked_at,
    })
}

/// Whether `s` has the shape of a feed token, checked before any lookup.
fn looks_like_feed_token(s: &str) -> bool {
    s.len() == FEED_TOKEN_LEN
        && s.starts_with(FEED_TOKEN_PREFIX)
        && s[FEED_TOKEN_PREFIX.len()..]
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

impl Store {
    /// Makes a feed of `scope` for `subject`, owned by user `user_id`, and
    /// returns it with its token (shown this once). The subject must be 1
    /// to [`MAX_FEED_SUBJECT`] characters without control characters.
    pub async fn create_feed(
        &self,
        user_id: Uuid,
        scope: FeedScope,
        subject: &str,
        ctx: &Ctx,
    ) -> Result<(CalendarFeed, Secret), StoreError> {
        let subject = subject.trim();
        let chars = subject.chars().count();
        if chars == 0 || chars > MAX_FEED_SUBJECT || subject.chars().any(char::is_control) {
            return Err(StoreError::invalid(
                "subject",
                format!("must be 1 to {MAX_FEED_SUBJECT} characters without control characters"),
            ));
        }
        let now = ctx.now;
        let txn = self.write_txn().await?;
        let user = users::Entity::find_by_id(user_id)
            .one(&txn)
            .await?
            .ok_or_else(|| StoreError::NotFound {
                what: format!("user {user_id}"),
            })?;
        if user.disabled {
            return Err(StoreError::invalid("user", "is disabled"));
        }
        let secret = Secret::new(format!(
            "{FEED_TOKEN_PREFIX}{}",
            new_session_token().expose()
        ));
        let id = new_id(now);
        let model = calendar_feeds::Model {
            id,
            user_id,
            scope: scope.as_str().to_owned(),
            subject: subject.to_owned(),
            token_hash: token_hash(secret.expose()),
            created_at: now,
            revoked_at: None,
            last_used_at: None,
        };
        calendar_feeds::Entity::insert(calendar_feeds::ActiveModel {
            id: Set(model.id),
            user_id: Set(model.user_id),
            scope: Set(model.scope.clone()),
            subject: Set(model.subject.clone()),
            token_hash: Set(model.token_hash.clone()),
            created_at: Set(now),
            revoked_at: Set(None),
            last_used_at: Set(None),
        })
        .exec_without_returning(&txn)
        .await?;
        let feed = feed_of(model)?;
        audit::append(
            &txn,
            ctx,
            "feed.create",
            &format!("feed:{id}"),
            None,
            Some(audit::json(&feed)),
        )
        .await?;
        txn.commit().await?;
        Ok((feed, secret))
    }

    /// The feeds of user `user_id`, revoked ones included, oldest first.
    pub async fn feeds(&self, user_id: Uuid) -> Result<Vec<CalendarFeed>, StoreError> {
        calendar_feeds::Entity::find()
            .filter(calendar_feeds::Column::UserId.eq(user_id))
            .order_by_asc(calendar_feeds::Column::CreatedAt)
            .order_by_asc(calendar_feeds::Column::Id)
            .all(&self.db)
            .await?
            .into_iter()
            .map(feed_of)
            .collect()
    }

    /// Revokes feed `id` of user `user_id`: [`StoreError::NotFound`] when
    /// that user has no such feed (another user's feed is not found
    /// either). Revoking a revoked feed changes nothing.
    pub async fn revoke_feed(&self, user_id: Uuid, id: Uuid, ctx: &Ctx) -> Result<(), StoreError> {
        let txn = self.write_txn().await?;
        let Some(m) = calendar_feeds::Entity::find_by_id(id)
            .filter(calendar_feeds::Column::UserId.eq(user_id))
            .one(&txn)
            .await?
        else {
            return Err(StoreError::NotFound {
                what: format!("feed {id}"),
            });
        };
        if m.revoked_at.is_some() {
            txn.commit().await?;
            return Ok(());
        }
        calendar_feeds::Entity::update_many()
            .col_expr(calendar_feeds::Column::RevokedAt, Expr::val(ctx.now))
            .filter(calendar_feeds::Column::Id.eq(id))
            .exec(&txn)
            .await?;
        let before = feed_of(m)?;
        let after = CalendarFeed {
            revoked_at: Some(ctx.now),
            ..before.clone()
        };
        audit::append(
            &txn,
            ctx,
            "feed.revoke",
            &format!("feed:{id}"),
            Some(audit::json(&before)),
            Some(audit::json(&after)),
        )
        .await?;
        txn.commit().await?;
        Ok(())
    }

    /// The live feed with this token and what its owner may see now, or
    /// `None` unless the token has the shape of a feed token, is known, not
    /// revoked, and its owner is enabled.
    pub async fn feed_for_token(
        &self,
        token: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<FeedAccess>, StoreError> {
        if !looks_like_feed_token(token) {
            return Ok(None);
        }
        let Some(m) = calendar_feeds::Entity::find()
            .filter(calendar_feeds::Column::TokenHash.eq(token_hash(token)))
            .one(&self.db)
            .await?
        else {
            return Ok(None);
        };
        if m.revoked_at.is_some() {
            return Ok(None);
        }
        let Some(user) = users::Entity::find_by_id(m.user_id).one(&self.db).await? else {
            return Ok(None);
        };
        if user.disabled {
            return Ok(None);
        }
        let role: UserRole = user
            .role
            .parse()
            .map_err(|e: String| StoreError::Database(DbErr::Type(format!("users.role: {e}"))))?;
        if m.last_used_at.is_none_or(|at| now - at >= TOUCH_EVERY) {
            calendar_feeds::Entity::update_many()
                .col_expr(calendar_feeds::Column::LastUsedAt, Expr::val(now))
                .filter(calendar_feeds::Column::Id.eq(m.id))
                .exec(&self.db)
                .await?;
        }
        let visibility = if role.sees_all_incidents() {
            Visibility::All
        } else {
            Visibility::User(user.id)
        };
        Ok(Some(FeedAccess {
            feed: feed_of(m)?,
            owner: user.name,
            visibility,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_well_formed_tokens_reach_the_database() {
        let good = format!("{FEED_TOKEN_PREFIX}{}", new_session_token().expose());
        assert!(looks_like_feed_token(&good));
        assert!(!looks_like_feed_token("dbc_short"));
        assert!(!looks_like_feed_token(&good.replace("dbc_", "dbf_")));
        assert!(!looks_like_feed_token(&format!(
            "{}%",
            &good[..good.len() - 1]
        )));
    }
}
