//! The OpenAPI document, served at `/api/openapi.json`.

use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::api::webhooks;
use crate::api::{
    access, audit, auth, categories, health, incidents, metrics, review, sections, tokens, users,
};

/// The API's description, assembled from the handlers' annotations.
#[derive(OpenApi)]
#[openapi(
    info(title = "debrief", description = "Security incident post-mortems: the whole record of an incident, its analysis and its follow-through. Authenticate with `Authorization: Bearer <token>` (tokens from `debrief token create` or `POST /api/v1/me/tokens`) or with the session cookie from `POST /api/v1/auth/login`; cookie-authenticated writes also send `X-CSRF-Token`."),
    paths(
        health::healthz,
        auth::setup, auth::login, auth::mfa, auth::logout, auth::me, auth::begin_totp, auth::confirm_totp, auth::backup_codes,
        tokens::mine, tokens::create, tokens::revoke_mine, tokens::all, tokens::revoke_any,
        users::list, users::create, users::set_role, users::disable, users::enable, users::notifications,
        audit::list, audit::verify,
        categories::list, categories::add,
        incidents::list, incidents::create, incidents::get, incidents::patch, incidents::delete, incidents::markdown,
        access::get, access::set_restricted, access::add_member, access::remove_member,
        sections::add, sections::update, sections::remove, sections::reorder, sections::fishbone, sections::communications,
        review::get, review::put, review::checks, review::acknowledge, review::agenda_md, review::agenda_ics, review::fishbone_svg, review::similar,
        metrics::get,
        crate::api::search::search, crate::api::knowledge::categories, crate::api::knowledge::entry, crate::api::knowledge::put_notes,
        crate::api::actions::list, crate::api::actions::weekly, crate::api::actions::monthly, crate::api::actions::quarterly, crate::api::actions::verify,
        webhooks::list, webhooks::create, webhooks::remove, webhooks::deliveries, webhooks::test,
        crate::api::tracker::export_csv, crate::api::tracker::export_json, crate::api::tracker::import,
        crate::api::feeds::mine, crate::api::feeds::create, crate::api::feeds::revoke, crate::api::feeds::fetch,
    ),
    components(schemas(crate::error::ErrorBody, debrief_core::PostMortem)),
    modifiers(&Security),
    security(("bearer" = []), ("session" = [])),
    tags(
        (name = "incidents", description = "Incidents and their whole post-mortem"),
        (name = "sections", description = "Timeline, analysis, findings, action items, communications and lessons"),
        (name = "access", description = "Restricted incidents and their members"),
        (name = "review", description = "The guided review: response measures and targets, process deadlines, checklist, meeting agenda, and the coach's findings"),
        (name = "metrics", description = "The metrics dashboard: volume, MTTD, MTTR, MTTC, repeats and action-item completion per period, with trends; restricted incidents counted, never named"),
        (name = "search", description = "Full-text search over every post-mortem field, ranked, with highlighted snippets and filters; restricted incidents only for their members"),
        (name = "knowledge", description = "The knowledge base: per category, common root causes, effective and failed mitigations, lessons and related incidents, with curated notes"),
        (name = "auth", description = "Signing in, the second factor, one's own account"),
        (name = "tokens", description = "API tokens"),
        (name = "users", description = "Users and roles"),
        (name = "audit", description = "The tamper-evident audit trail"),
        (name = "categories", description = "The managed list of incident categories"),
        (name = "webhooks", description = "Outbound webhooks for action items (due soon, overdue, completed, reopened): generic JSON or Slack, signed with HMAC-SHA256, retried with back-off, with a delivery log"),
        (name = "actions", description = "Action items across every incident: the filtered list, the weekly, monthly and quarterly reviews, and the verified-effective close"),
        (name = "tracker", description = "Action items for external trackers: a CSV for Jira's CSV importer, JSON, and the all-or-nothing import of status updates from a tracker's CSV"),
        (name = "feeds", description = "iCalendar feeds of action-item due dates per person or team, behind a revocable secret URL"),
        (name = "meta", description = "Health"),
    )
)]
pub struct ApiDoc;

struct Security;

impl Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
        components.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new(
                crate::auth::SESSION_COOKIE,
            ))),
        );
    }
}
