//! Accounts, access control and the audit trail, told to SQLite and to
//! PostgreSQL alike: every scenario runs on a fresh store of each kind.
//!
//! PostgreSQL runs when `DEBRIEF_TEST_PG` names an admin URL, e.g.
//! `DEBRIEF_TEST_PG=postgres://postgres@127.0.0.1:5432/postgres cargo test -p debrief-store`;
//! otherwise those tests print `skipped: DEBRIEF_TEST_PG not set` and pass.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use chrono::{DateTime, Duration, Utc};
use debrief_auth::{totp_code, totp_secret_from_base32};
use debrief_core::time::parse_instant;
use debrief_core::{IncidentKey, NewIncident, TimelineEntry};
use debrief_store::testing::{drop_postgres_store, postgres_store, sqlite_store};
use debrief_store::{
    Actor, AuditFilter, Ctx, IncidentAccess, IncidentFilter, LoginOutcome, MfaOutcome, NewUser,
    Scope, Section, SectionItem, SessionPolicy, Store, StoreError, User, UserRole, Visibility,
};
use sea_orm::ConnectionTrait;
use serde_json::json;

/// Runs a scenario on a fresh SQLite store and, when configured, on a
/// fresh PostgreSQL store.
macro_rules! on_both_backends {
    ($($name:ident),+ $(,)?) => {$(
        mod $name {
            #[tokio::test]
            async fn on_sqlite() {
                super::$name(debrief_store::testing::sqlite_store().await).await;
            }

            #[tokio::test]
            async fn on_postgres() {
                let Some(store) = debrief_store::testing::postgres_store().await else {
                    println!("skipped: DEBRIEF_TEST_PG not set");
                    return;
                };
                super::$name(store.clone()).await;
                debrief_store::testing::drop_postgres_store(store).await;
            }
        }
    )+};
}

on_both_backends!(
    users_are_validated_and_unique_ignoring_case,
    every_failed_login_looks_the_same_and_is_audited,
    logins_are_throttled_per_user_and_per_source_with_back_off,
    sessions_end_when_idle_at_their_absolute_end_and_on_logout,
    disabling_a_user_ends_sessions_revokes_tokens_and_memberships_at_once,
    totp_mfa_rotates_the_session_and_refuses_replays,
    backup_codes_are_single_use_expire_and_are_audited_and_notified,
    api_tokens_honour_scope_expiry_and_revocation,
    restricted_incidents_are_listed_only_for_members,
    the_setup_token_works_once_and_only_while_there_are_no_users,
    every_write_leaves_exactly_one_audit_entry,
    tampering_with_the_audit_trail_is_detected,
    concurrent_writers_keep_the_chain_intact,
);

const PASSWORD: &str = "correct horse battery staple";

fn t(s: &str) -> DateTime<Utc> {
    parse_instant(s).unwrap()
}

fn t0() -> DateTime<Utc> {
    t("2025-11-28T03:00:00Z")
}

fn sys(at: DateTime<Utc>) -> Ctx {
    Ctx::system(at)
}

fn from_ip(at: DateTime<Utc>, ip: &str) -> Ctx {
    Ctx::new(at, Actor::anonymous())
        .with_source(ip)
        .with_request_id("req-1")
}

fn key(s: &str) -> IncidentKey {
    IncidentKey::parse(s).unwrap()
}

fn new_user(name: &str, role: UserRole) -> NewUser {
    NewUser {
        name: name.to_owned(),
        role,
        password: PASSWORD.to_owned(),
    }
}

async fn user(store: &Store, name: &str, role: UserRole) -> User {
    store
        .create_user(new_user(name, role), &sys(t0()))
        .await
        .unwrap()
}

fn invalid_field(e: &StoreError) -> String {
    match e {
        StoreError::Invalid(errs) => errs.0[0].field.clone(),
        other => panic!("expected Invalid, got {other:?}"),
    }
}

fn session_of(o: LoginOutcome) -> (String, User, bool) {
    match o {
        LoginOutcome::Ok {
            session,
            user,
            mfa_pending,
            ..
        } => (session.expose().to_owned(), user, mfa_pending),
        other => panic!("expected a session, got {other:?}"),
    }
}

async fn login(store: &Store, name: &str, at: DateTime<Utc>) -> String {
    session_of(store.login(name, PASSWORD, &sys(at)).await.unwrap()).0
}

async fn incident(store: &Store, k: &str) -> IncidentKey {
    let input: NewIncident = serde_json::from_value(
        json!({"key": k, "title": format!("Incident {k}"), "severity": "high"}),
    )
    .unwrap();
    store.create_incident(input, &sys(t0())).await.unwrap().key
}

async fn audit_actions(store: &Store, prefix: &str) -> Vec<(String, String)> {
    let page = store
        .audit_list(&AuditFilter {
            action: Some(prefix.to_owned()),
            limit: 1000,
            ..Default::default()
        })
        .await
        .unwrap();
    page.items
        .into_iter()
        .rev()
        .map(|e| (e.event.action, e.event.object))
        .collect()
}

async fn users_are_validated_and_unique_ignoring_case(store: Store) {
    let ctx = sys(t0());
    for bad in [
        "",
        "has space",
        "crlf\r\nlogin.success",
        "nul\0byte",
        "tab\tname",
        "ünicode",
        "slash/name",
        &"a".repeat(65),
    ] {
        let err = store
            .create_user(new_user(bad, UserRole::Viewer), &ctx)
            .await
            .unwrap_err();
        assert_eq!(invalid_field(&err), "name", "{bad:?}");
    }
    for bad in [
        "fourteen chars".to_owned(),
        "polniypizdec0211".to_owned(),
        "x".repeat(1 << 20),
        "line\nbreak in a long password".to_owned(),
    ] {
        let err = store
            .create_user(
                NewUser {
                    password: bad,
                    ..new_user("alice", UserRole::Viewer)
                },
                &ctx,
            )
            .await
            .unwrap_err();
        assert_eq!(invalid_field(&err), "password");
    }
    assert_eq!(store.user_count().await.unwrap(), 0, "nothing was written");

    let alice = user(&store, "Alice.Smith@corp", UserRole::Contributor).await;
    assert_eq!(alice.name, "Alice.Smith@corp", "kept as given");
    let err = store
        .create_user(new_user("alice.smith@CORP", UserRole::Viewer), &ctx)
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::AlreadyExists { .. }), "{err:?}");
    let found = store
        .user_by_name("ALICE.SMITH@corp")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found, alice);
    assert_eq!(store.user(alice.id).await.unwrap(), Some(alice.clone()));
    assert!(store.user_by_name("bad\nname").await.unwrap().is_none());
    let bob = user(&store, "bob", UserRole::Admin).await;
    let names: Vec<String> = store
        .users()
        .await
        .unwrap()
        .into_iter()
        .map(|u| u.name)
        .collect();
    assert_eq!(names, ["Alice.Smith@corp", "bob"]);
    assert_eq!(store.user_count().await.unwrap(), 2);

    // The serialized user carries no secret.
    let text = serde_json::to_string(&alice).unwrap();
    assert!(
        !text.contains("argon2") && !text.contains(PASSWORD),
        "{text}"
    );

    // Roles: the last enabled admin keeps the role and stays enabled.
    let err = store
        .set_role("bob", UserRole::Viewer, &ctx)
        .await
        .unwrap_err();
    assert_eq!(invalid_field(&err), "role");
    let err = store.disable_user("bob", &ctx).await.unwrap_err();
    assert_eq!(invalid_field(&err), "name");
    let a = store
        .set_role("alice.smith@corp", UserRole::Admin, &ctx)
        .await
        .unwrap();
    assert_eq!(a.role, UserRole::Admin);
    assert_eq!(
        store
            .set_role("bob", UserRole::Auditor, &ctx)
            .await
            .unwrap()
            .role,
        UserRole::Auditor
    );
    let err = store
        .set_role("nobody", UserRole::Viewer, &ctx)
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::NotFound { .. }), "{err:?}");

    // A new password is checked, works, and ends the user's sessions.
    let s = login(&store, "bob", t0()).await;
    let err = store
        .set_password("bob", "too short", &ctx)
        .await
        .unwrap_err();
    assert_eq!(invalid_field(&err), "password");
    let new_password = "an entirely different pass phrase";
    store.set_password("bob", new_password, &ctx).await.unwrap();
    let policy = SessionPolicy::default();
    assert!(store.session(&s, &policy, t0()).await.unwrap().is_none());
    assert!(matches!(
        store.login("bob", PASSWORD, &ctx).await.unwrap(),
        LoginOutcome::Invalid
    ));
    assert!(matches!(
        store.login("bob", new_password, &ctx).await.unwrap(),
        LoginOutcome::Ok { .. }
    ));
    let _ = bob;

    // No password ever reaches the audit trail.
    let all = store.audit_list(&AuditFilter::default()).await.unwrap();
    for e in &all.items {
        let text = format!("{:?}", e.event);
        assert!(
            !text.contains(PASSWORD) && !text.contains(new_password) && !text.contains("argon2"),
            "{text}"
        );
    }
    assert_eq!(
        audit_actions(&store, "user.").await,
        [
            ("user.create".to_owned(), "user:Alice.Smith@corp".to_owned()),
            ("user.create".to_owned(), "user:bob".to_owned()),
            ("user.role".to_owned(), "user:Alice.Smith@corp".to_owned()),
            ("user.role".to_owned(), "user:bob".to_owned()),
            ("user.password".to_owned(), "user:bob".to_owned()),
        ]
    );
}

async fn every_failed_login_looks_the_same_and_is_audited(store: Store) {
    user(&store, "alice", UserRole::Viewer).await;
    user(&store, "admin", UserRole::Admin).await;
    user(&store, "mallory", UserRole::Viewer).await;
    store.disable_user("mallory", &sys(t0())).await.unwrap();
    let ctx = from_ip(t0(), "198.51.100.7");

    match store.login("ALICE", PASSWORD, &ctx).await.unwrap() {
        LoginOutcome::Ok {
            session,
            csrf,
            user,
            mfa_pending,
            mfa_setup_required,
        } => {
            assert_eq!(user.name, "alice");
            assert!(!mfa_pending && !mfa_setup_required);
            assert_eq!(session.expose().len(), 43);
            assert!(!csrf.is_empty() && csrf != session.expose());
            let info = store
                .session(session.expose(), &SessionPolicy::default(), t0())
                .await
                .unwrap()
                .unwrap();
            assert_eq!(info.user.name, "alice");
            assert!(info.mfa_passed);
            assert_eq!(info.csrf, csrf);
            assert_eq!(info.expires_at, t0() + Duration::hours(12));
        }
        other => panic!("{other:?}"),
    }
    match store.login("admin", PASSWORD, &ctx).await.unwrap() {
        LoginOutcome::Ok {
            mfa_setup_required, ..
        } => assert!(mfa_setup_required, "an admin without TOTP must set it up"),
        other => panic!("{other:?}"),
    }

    for (name, password) in [
        ("alice", "a wrong password of some length"),
        ("nobody", PASSWORD),
        ("mallory", PASSWORD),
        ("bad\r\nname", PASSWORD),
    ] {
        let outcome = store.login(name, password, &ctx).await.unwrap();
        assert!(
            matches!(outcome, LoginOutcome::Invalid),
            "{name:?}: {outcome:?}"
        );
    }
    // A megabyte password is just another wrong password.
    let huge = "x".repeat(1 << 20);
    assert!(matches!(
        store.login("alice", &huge, &ctx).await.unwrap(),
        LoginOutcome::Invalid
    ));

    let failures = store
        .audit_list(&AuditFilter {
            action: Some("login.failure".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(failures.total, 5);
    let objects: Vec<&str> = failures
        .items
        .iter()
        .rev()
        .map(|e| e.event.object.as_str())
        .collect();
    assert_eq!(
        objects,
        [
            "user:alice",
            "user:nobody",
            "user:mallory",
            "user:(invalid)",
            "user:alice"
        ]
    );
    let first = failures.items.last().unwrap();
    assert_eq!(first.event.source.as_deref(), Some("198.51.100.7"));
    assert_eq!(first.event.request_id.as_deref(), Some("req-1"));
    assert_eq!(first.event.actor, "anonymous");
    assert!(!format!("{:?}", failures.items).contains("wrong password"));
    let success = store
        .audit_list(&AuditFilter {
            action: Some("login.success".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(success.total, 2);
    assert_eq!(success.items[1].event.actor, "alice", "the user logged in");
}

async fn logins_are_throttled_per_user_and_per_source_with_back_off(store: Store) {
    user(&store, "alice", UserRole::Viewer).await;
    user(&store, "bob", UserRole::Viewer).await;
    let wrong = "a wrong password of some length";
    let at = |secs: i64| sys(t0() + Duration::seconds(secs));

    // Per user (no source address): five failures are free.
    for _ in 0..6 {
        assert!(matches!(
            store.login("alice", wrong, &at(0)).await.unwrap(),
            LoginOutcome::Invalid
        ));
    }
    // After the sixth the next attempt waits 2 s, right password or not,
    // and an unknown name is throttled the same way.
    let o = store.login("alice", PASSWORD, &at(0)).await.unwrap();
    assert!(
        matches!(
            o,
            LoginOutcome::Throttled {
                retry_after_secs: 2
            }
        ),
        "{o:?}"
    );
    let o = store.login("ALICE", PASSWORD, &at(1)).await.unwrap();
    assert!(
        matches!(
            o,
            LoginOutcome::Throttled {
                retry_after_secs: 1
            }
        ),
        "{o:?}"
    );
    for _ in 0..6 {
        store.login("ghost", wrong, &at(0)).await.unwrap();
    }
    assert!(matches!(
        store.login("ghost", wrong, &at(0)).await.unwrap(),
        LoginOutcome::Throttled { .. }
    ));
    // Another user is not affected.
    assert!(matches!(
        store.login("bob", PASSWORD, &at(0)).await.unwrap(),
        LoginOutcome::Ok { .. }
    ));
    // Back-off: one more failure doubles the wait.
    assert!(matches!(
        store.login("alice", wrong, &at(2)).await.unwrap(),
        LoginOutcome::Invalid
    ));
    assert!(matches!(
        store.login("alice", PASSWORD, &at(3)).await.unwrap(),
        LoginOutcome::Throttled {
            retry_after_secs: 3
        }
    ));
    // Once the wait is over the right password works and resets the count.
    assert!(matches!(
        store.login("alice", PASSWORD, &at(6)).await.unwrap(),
        LoginOutcome::Ok { .. }
    ));
    assert!(matches!(
        store.login("alice", wrong, &at(6)).await.unwrap(),
        LoginOutcome::Invalid
    ));
    assert!(matches!(
        store.login("alice", PASSWORD, &at(6)).await.unwrap(),
        LoginOutcome::Ok { .. }
    ));
    let throttled = store
        .audit_list(&AuditFilter {
            action: Some("login.throttled".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(throttled.total, 4);

    // Per source: failures against many names from one address block that
    // address, even for a right password; another address is fine.
    let later = t0() + Duration::hours(1);
    let ip = |ip: &str| from_ip(later, ip);
    for i in 0..6 {
        store
            .login(&format!("guess{i}"), wrong, &ip("203.0.113.9"))
            .await
            .unwrap();
    }
    assert!(matches!(
        store
            .login("bob", PASSWORD, &ip("203.0.113.9"))
            .await
            .unwrap(),
        LoginOutcome::Throttled {
            retry_after_secs: 2
        }
    ));
    assert!(matches!(
        store
            .login("bob", PASSWORD, &ip("192.0.2.1"))
            .await
            .unwrap(),
        LoginOutcome::Ok { .. }
    ));

    // A day later the failures are forgotten: counting starts again.
    let next_day = sys(later + Duration::days(1) + Duration::seconds(1));
    for _ in 0..2 {
        assert!(matches!(
            store.login("ghost", wrong, &next_day).await.unwrap(),
            LoginOutcome::Invalid
        ));
    }
    // Pruning removes what no longer blocks anything.
    assert!(
        store
            .prune_expired(later + Duration::days(2))
            .await
            .unwrap()
            > 0
    );
}

async fn sessions_end_when_idle_at_their_absolute_end_and_on_logout(store: Store) {
    user(&store, "alice", UserRole::Viewer).await;
    let policy = SessionPolicy::default();
    let min = Duration::minutes;

    let s = login(&store, "alice", t0()).await;
    assert!(
        store
            .session(&s, &policy, t0() + min(29))
            .await
            .unwrap()
            .is_some()
    );
    // Use keeps it alive...
    assert!(
        store
            .session(&s, &policy, t0() + min(58))
            .await
            .unwrap()
            .is_some()
    );
    // ...31 idle minutes end it, for good.
    assert!(
        store
            .session(&s, &policy, t0() + min(89))
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        store
            .session(&s, &policy, t0() + min(60))
            .await
            .unwrap()
            .is_none()
    );

    // However busy, a session ends 12 hours after login.
    let s = login(&store, "alice", t0()).await;
    let mut at = t0();
    while at < t0() + Duration::hours(12) - min(20) {
        at += min(20);
        assert!(
            store.session(&s, &policy, at).await.unwrap().is_some(),
            "{at}"
        );
    }
    assert!(
        store
            .session(&s, &policy, t0() + Duration::hours(12))
            .await
            .unwrap()
            .is_none()
    );
    // A stricter policy applies to sessions made under a looser one.
    let s = login(&store, "alice", t0()).await;
    let strict = SessionPolicy {
        idle: min(5),
        absolute: Duration::hours(1),
    };
    assert!(
        store
            .session(&s, &strict, t0() + min(6))
            .await
            .unwrap()
            .is_none()
    );

    // Logout ends it on the next request.
    let s = login(&store, "alice", t0()).await;
    assert!(store.session(&s, &policy, t0()).await.unwrap().is_some());
    store.logout(&s, &sys(t0())).await.unwrap();
    assert!(store.session(&s, &policy, t0()).await.unwrap().is_none());
    store.logout(&s, &sys(t0())).await.unwrap();
    assert_eq!(audit_actions(&store, "logout").await.len(), 1);

    // Malformed tokens are simply no session.
    for bad in ["", "x", &"a".repeat(10_000), "\0\r\n"] {
        assert!(store.session(bad, &policy, t0()).await.unwrap().is_none());
    }
}

async fn disabling_a_user_ends_sessions_revokes_tokens_and_memberships_at_once(store: Store) {
    user(&store, "admin", UserRole::Admin).await;
    let eve = user(&store, "eve", UserRole::Contributor).await;
    let k = incident(&store, "INC-2025-1128").await;
    let ctx = sys(t0());
    store.set_restricted(&k, true, &ctx).await.unwrap();
    store.add_member(&k, "eve", &ctx).await.unwrap();
    let s1 = login(&store, "eve", t0()).await;
    let s2 = login(&store, "eve", t0()).await;
    let (_, token) = store
        .create_token("eve", "laptop", Scope::Write, None, &ctx)
        .await
        .unwrap();
    let policy = SessionPolicy::default();
    assert!(store.session(&s1, &policy, t0()).await.unwrap().is_some());
    assert!(
        store
            .principal_for_token(token.expose(), t0())
            .await
            .unwrap()
            .is_some()
    );
    assert_eq!(
        store.incident_access(&k, eve.id).await.unwrap(),
        Some(IncidentAccess {
            restricted: true,
            member: true
        })
    );

    let disabled = store.disable_user("eve", &ctx).await.unwrap();
    assert!(disabled.disabled);
    for s in [&s1, &s2] {
        assert!(store.session(s, &policy, t0()).await.unwrap().is_none());
    }
    assert!(
        store
            .principal_for_token(token.expose(), t0())
            .await
            .unwrap()
            .is_none()
    );
    assert!(store.tokens(Some("eve")).await.unwrap()[0].revoked);
    assert!(store.members(&k).await.unwrap().is_empty());
    assert_eq!(
        store
            .list(&IncidentFilter::default(), &Visibility::User(eve.id))
            .await
            .unwrap()
            .total,
        0
    );
    let entry = &store
        .audit_list(&AuditFilter {
            action: Some("user.disable".into()),
            ..Default::default()
        })
        .await
        .unwrap()
        .items[0];
    let after: serde_json::Value =
        serde_json::from_str(entry.event.after.as_deref().unwrap()).unwrap();
    assert_eq!(after["sessions_ended"], 2);
    assert_eq!(after["tokens_revoked"], 1);
    assert_eq!(after["memberships_removed"], 1);

    // A disabled user cannot log in, get a token or become a member.
    assert!(matches!(
        store.login("eve", PASSWORD, &ctx).await.unwrap(),
        LoginOutcome::Invalid
    ));
    let err = store
        .create_token("eve", "again", Scope::Read, None, &ctx)
        .await
        .unwrap_err();
    assert_eq!(invalid_field(&err), "user");
    let err = store.add_member(&k, "eve", &ctx).await.unwrap_err();
    assert_eq!(invalid_field(&err), "user");

    // Enabled again, she logs in; what was taken stays taken.
    store.enable_user("eve", &ctx).await.unwrap();
    let s = login(&store, "eve", t0()).await;
    assert!(store.session(&s, &policy, t0()).await.unwrap().is_some());
    assert!(
        store
            .principal_for_token(token.expose(), t0())
            .await
            .unwrap()
            .is_none()
    );
}

async fn totp_mfa_rotates_the_session_and_refuses_replays(store: Store) {
    let carol = user(&store, "carol", UserRole::Admin).await;
    let policy = SessionPolicy::default();
    let t1 = t0() + Duration::minutes(1);
    let unix = |at: DateTime<Utc>| u64::try_from(at.timestamp()).unwrap();

    let s = login(&store, "carol", t0()).await;
    let secret = store
        .begin_totp_enrollment(carol.id, &sys(t0()))
        .await
        .unwrap();
    let stored = totp_secret_from_base32(&secret.base32()).unwrap();
    assert!(
        !store.user(carol.id).await.unwrap().unwrap().totp_enabled,
        "not before confirmation"
    );
    let right = totp_code(&stored, unix(t1));
    let wrong = format!("{:06}", (right.parse::<u32>().unwrap() + 1) % 1_000_000);
    let err = store
        .confirm_totp(carol.id, &wrong, &sys(t1))
        .await
        .unwrap_err();
    assert_eq!(invalid_field(&err), "code");
    let codes = store
        .confirm_totp(carol.id, &right, &sys(t1))
        .await
        .unwrap();
    assert_eq!(codes.len(), 10);
    assert!(store.user(carol.id).await.unwrap().unwrap().totp_enabled);
    let err = store
        .begin_totp_enrollment(carol.id, &sys(t1))
        .await
        .unwrap_err();
    assert_eq!(invalid_field(&err), "totp");
    // The session that enrolled stays as it was.
    assert!(
        store
            .session(&s, &policy, t1)
            .await
            .unwrap()
            .unwrap()
            .mfa_passed
    );

    // Login now needs the second factor.
    let t2 = t1 + Duration::seconds(30);
    let (s, _, pending) = session_of(store.login("carol", PASSWORD, &sys(t2)).await.unwrap());
    assert!(pending);
    assert!(
        !store
            .session(&s, &policy, t2)
            .await
            .unwrap()
            .unwrap()
            .mfa_passed
    );
    // The confirmation code cannot be used again, nor a wrong one.
    for code in [&right, &wrong] {
        assert!(matches!(
            store.complete_mfa(&s, code, &sys(t2)).await.unwrap(),
            MfaOutcome::Invalid
        ));
    }
    let code = totp_code(&stored, unix(t2));
    let new = match store.complete_mfa(&s, &code, &sys(t2)).await.unwrap() {
        MfaOutcome::Ok { session } => session.expose().to_owned(),
        other => panic!("{other:?}"),
    };
    assert_ne!(new, s);
    assert!(
        store.session(&s, &policy, t2).await.unwrap().is_none(),
        "the old token no longer works"
    );
    let info = store.session(&new, &policy, t2).await.unwrap().unwrap();
    assert!(info.mfa_passed);
    assert_eq!(info.user.id, carol.id);

    // The same code in the same 30 s step is refused: a code works once.
    let (s, _, _) = session_of(
        store
            .login("carol", PASSWORD, &sys(t2 + Duration::seconds(5)))
            .await
            .unwrap(),
    );
    assert!(matches!(
        store
            .complete_mfa(&s, &code, &sys(t2 + Duration::seconds(5)))
            .await
            .unwrap(),
        MfaOutcome::Invalid
    ));
    let t3 = t2 + Duration::seconds(30);
    assert!(matches!(
        store
            .complete_mfa(&s, &totp_code(&stored, unix(t3)), &sys(t3))
            .await
            .unwrap(),
        MfaOutcome::Ok { .. }
    ));
    let reasons: Vec<String> = store
        .audit_list(&AuditFilter {
            action: Some("mfa.failure".into()),
            ..Default::default()
        })
        .await
        .unwrap()
        .items
        .into_iter()
        .map(|e| e.event.after.unwrap())
        .collect();
    assert!(
        reasons.iter().any(|r| r.contains("replayed_code")),
        "{reasons:?}"
    );

    // Repeated wrong codes are throttled.
    let t4 = t3 + Duration::minutes(5);
    let (s, _, _) = session_of(store.login("carol", PASSWORD, &sys(t4)).await.unwrap());
    for _ in 0..6 {
        store.complete_mfa(&s, "000000", &sys(t4)).await.unwrap();
    }
    assert!(matches!(
        store.complete_mfa(&s, "000000", &sys(t4)).await.unwrap(),
        MfaOutcome::Throttled { .. }
    ));
    // An unknown session is simply invalid.
    assert!(matches!(
        store.complete_mfa("nope", &code, &sys(t4)).await.unwrap(),
        MfaOutcome::Invalid
    ));

    // An admin can reset TOTP; the user enrolls again.
    let u = store.reset_totp("carol", &sys(t4)).await.unwrap();
    assert!(!u.totp_enabled);
    assert!(store.session(&new, &policy, t4).await.unwrap().is_none());
}

async fn backup_codes_are_single_use_expire_and_are_audited_and_notified(store: Store) {
    let dan = user(&store, "dan", UserRole::Contributor).await;
    let err = store
        .new_backup_codes(dan.id, &sys(t0()))
        .await
        .unwrap_err();
    assert_eq!(invalid_field(&err), "totp");
    let secret = store
        .begin_totp_enrollment(dan.id, &sys(t0()))
        .await
        .unwrap();
    let code = totp_code(
        &totp_secret_from_base32(&secret.base32()).unwrap(),
        u64::try_from(t0().timestamp()).unwrap(),
    );
    let first = store.confirm_totp(dan.id, &code, &sys(t0())).await.unwrap();
    let codes = store.new_backup_codes(dan.id, &sys(t0())).await.unwrap();
    assert_eq!(codes.len(), 10);
    let policy = SessionPolicy::default();

    // Codes from the first batch were replaced.
    let s = login(&store, "dan", t0()).await;
    assert!(matches!(
        store
            .complete_mfa(&s, first[0].expose(), &sys(t0()))
            .await
            .unwrap(),
        MfaOutcome::Invalid
    ));

    // A code works once, typed in any case and grouping.
    let typed = codes[0].expose().to_lowercase().replace('-', " ");
    let ctx = from_ip(t0(), "198.51.100.23");
    let new = match store.complete_mfa(&s, &typed, &ctx).await.unwrap() {
        MfaOutcome::Ok { session } => session.expose().to_owned(),
        other => panic!("{other:?}"),
    };
    assert!(
        store
            .session(&new, &policy, t0())
            .await
            .unwrap()
            .unwrap()
            .mfa_passed
    );
    let s = login(&store, "dan", t0()).await;
    assert!(matches!(
        store
            .complete_mfa(&s, codes[0].expose(), &sys(t0()))
            .await
            .unwrap(),
        MfaOutcome::Invalid
    ));

    // Every use is audited and raises a notification.
    let used = store
        .audit_list(&AuditFilter {
            action: Some("mfa.backup_code_used".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(used.total, 1);
    assert_eq!(used.items[0].event.actor, "dan");
    assert_eq!(used.items[0].event.object, "user:dan");
    assert_eq!(used.items[0].event.source.as_deref(), Some("198.51.100.23"));
    assert!(!format!("{:?}", used.items).contains(codes[0].expose()));
    let notes = store.notifications(10).await.unwrap();
    assert_eq!(notes.len(), 1);
    assert_eq!(notes[0].kind, "mfa.backup_code_used");
    assert_eq!(notes[0].user_id, Some(dan.id));
    assert!(
        notes[0].message.contains("198.51.100.23"),
        "{}",
        notes[0].message
    );
    assert!(notes[0].delivered_at.is_none());
    store
        .mark_notification_delivered(notes[0].id, t0())
        .await
        .unwrap();
    assert!(
        store.notifications(10).await.unwrap()[0]
            .delivered_at
            .is_some()
    );

    // After 90 days the unused codes no longer work.
    let late = t0() + Duration::days(90) + Duration::seconds(1);
    let s = login(&store, "dan", late).await;
    assert!(matches!(
        store
            .complete_mfa(&s, codes[1].expose(), &sys(late))
            .await
            .unwrap(),
        MfaOutcome::Invalid
    ));
    let early = t0() + Duration::days(89);
    let s = login(&store, "dan", early).await;
    assert!(matches!(
        store
            .complete_mfa(&s, codes[1].expose(), &sys(early))
            .await
            .unwrap(),
        MfaOutcome::Ok { .. }
    ));
}

async fn api_tokens_honour_scope_expiry_and_revocation(store: Store) {
    let frank = user(&store, "frank", UserRole::Contributor).await;
    let ctx = sys(t0());
    let (read, read_secret) = store
        .create_token("FRANK", "ci pipeline", Scope::Read, Some(1), &ctx)
        .await
        .unwrap();
    assert_eq!(read.user, "frank");
    assert_eq!(read.expires_at, Some(t0() + Duration::days(1)));
    assert!(read_secret.expose().starts_with("dbf_"));
    let p = store
        .principal_for_token(read_secret.expose(), t0())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(p.user_id, frank.id);
    assert_eq!(p.role, UserRole::Contributor);
    assert_eq!(p.scope, Some(Scope::Read));
    let listed = &store.tokens(Some("frank")).await.unwrap()[0];
    assert_eq!(listed.last_used_at, Some(t0()));
    // Expired.
    assert!(
        store
            .principal_for_token(read_secret.expose(), t0() + Duration::days(1))
            .await
            .unwrap()
            .is_none()
    );

    let (write, write_secret) = store
        .create_token("frank", "laptop", Scope::Write, None, &ctx)
        .await
        .unwrap();
    let far = t0() + Duration::days(3650);
    assert_eq!(
        store
            .principal_for_token(write_secret.expose(), far)
            .await
            .unwrap()
            .unwrap()
            .scope,
        Some(Scope::Write)
    );
    store.revoke_token(write.id, &ctx).await.unwrap();
    store.revoke_token(write.id, &ctx).await.unwrap();
    assert!(
        store
            .principal_for_token(write_secret.expose(), t0())
            .await
            .unwrap()
            .is_none()
    );
    let err = store
        .revoke_token(debrief_store::Uuid::now_v7(), &ctx)
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::NotFound { .. }), "{err:?}");

    let all = store.tokens(None).await.unwrap();
    assert_eq!(all.len(), 2);
    assert_eq!(all[0].id, read.id);
    assert!(all[1].revoked);
    let text = serde_json::to_string(&all).unwrap();
    assert!(!text.contains(read_secret.expose()) && !text.contains(write_secret.expose()));
    let err = store.tokens(Some("nobody")).await.unwrap_err();
    assert!(matches!(err, StoreError::NotFound { .. }), "{err:?}");

    // Bad input.
    for (name, days, field) in [
        ("", None, "name"),
        ("line\nbreak", None, "name"),
        ("ok", Some(0), "expires_in_days"),
        ("ok", Some(100_000), "expires_in_days"),
    ] {
        let err = store
            .create_token("frank", name, Scope::Read, days, &ctx)
            .await
            .unwrap_err();
        assert_eq!(invalid_field(&err), field, "{name:?} {days:?}");
    }
    for bad in [
        "",
        "dbf_",
        "dbf_short",
        &format!("{}x", read_secret.expose()),
        &"dbf_".repeat(1000),
    ] {
        assert!(
            store
                .principal_for_token(bad, t0())
                .await
                .unwrap()
                .is_none()
        );
    }
    // Token writes are audited without the token.
    let entries = store
        .audit_list(&AuditFilter {
            action: Some("token.".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(entries.total, 3);
    assert!(!format!("{:?}", entries.items).contains(read_secret.expose()));
}

async fn restricted_incidents_are_listed_only_for_members(store: Store) {
    let viewer = user(&store, "vera", UserRole::Viewer).await;
    let other = user(&store, "otto", UserRole::IncidentCommander).await;
    let ctx = sys(t0());
    let open = incident(&store, "OPEN-1").await;
    let secret = incident(&store, "SECRET-1").await;
    assert_eq!(store.is_restricted(&secret).await.unwrap(), Some(false));
    store.set_restricted(&secret, true, &ctx).await.unwrap();
    store.set_restricted(&secret, true, &ctx).await.unwrap();
    assert_eq!(store.is_restricted(&secret).await.unwrap(), Some(true));
    assert_eq!(store.is_restricted(&key("NONE-1")).await.unwrap(), None);
    assert_eq!(
        audit_actions(&store, "incident.restrict").await.len(),
        1,
        "only a change is a write"
    );

    let keys = |p: debrief_store::Page<debrief_store::IncidentSummary>| {
        (
            p.total,
            p.items
                .into_iter()
                .map(|s| s.key.as_str().to_owned())
                .collect::<Vec<_>>(),
        )
    };
    let f = IncidentFilter {
        sort: debrief_store::SortOrder::Key,
        ..Default::default()
    };
    let as_viewer = Visibility::User(viewer.id);
    assert_eq!(
        keys(store.list(&f, &as_viewer).await.unwrap()),
        (1, vec!["OPEN-1".to_owned()])
    );
    assert_eq!(store.keys(&as_viewer).await.unwrap(), vec![open]);
    assert_eq!(
        keys(store.list(&f, &Visibility::All).await.unwrap()).0,
        2,
        "admins, auditors and the CLI see everything"
    );
    assert_eq!(
        store.incident_access(&secret, viewer.id).await.unwrap(),
        Some(IncidentAccess {
            restricted: true,
            member: false
        })
    );
    assert_eq!(
        store
            .incident_access(&key("NONE-1"), viewer.id)
            .await
            .unwrap(),
        None
    );

    store.add_member(&secret, "VERA", &ctx).await.unwrap();
    store.add_member(&secret, "vera", &ctx).await.unwrap();
    store.add_member(&secret, "otto", &ctx).await.unwrap();
    assert_eq!(store.members(&secret).await.unwrap(), ["otto", "vera"]);
    assert_eq!(keys(store.list(&f, &as_viewer).await.unwrap()).0, 2);
    assert_eq!(
        store.incident_access(&secret, viewer.id).await.unwrap(),
        Some(IncidentAccess {
            restricted: true,
            member: true
        })
    );
    let err = store.add_member(&secret, "nobody", &ctx).await.unwrap_err();
    assert!(matches!(err, StoreError::NotFound { .. }), "{err:?}");
    let err = store.members(&key("NONE-1")).await.unwrap_err();
    assert!(matches!(err, StoreError::NotFound { .. }), "{err:?}");

    // Editing or re-importing the incident keeps it restricted, with its members.
    store
        .patch_incident(
            &secret,
            serde_json::from_value(json!({"title": "Renamed"})).unwrap(),
            None,
            &ctx,
        )
        .await
        .unwrap();
    let doc = store.get(&secret).await.unwrap();
    store.import(doc, true, &ctx).await.unwrap();
    assert_eq!(store.is_restricted(&secret).await.unwrap(), Some(true));
    assert_eq!(store.members(&secret).await.unwrap(), ["otto", "vera"]);

    store.remove_member(&secret, "vera", &ctx).await.unwrap();
    store.remove_member(&secret, "vera", &ctx).await.unwrap();
    assert_eq!(keys(store.list(&f, &as_viewer).await.unwrap()).0, 1);
    assert_eq!(
        keys(store.list(&f, &Visibility::User(other.id)).await.unwrap()).0,
        2
    );
    store.set_restricted(&secret, false, &ctx).await.unwrap();
    assert_eq!(keys(store.list(&f, &as_viewer).await.unwrap()).0, 2);
    assert_eq!(
        audit_actions(&store, "incident.member").await,
        [
            (
                "incident.member.add".to_owned(),
                "incident:SECRET-1".to_owned()
            ),
            (
                "incident.member.add".to_owned(),
                "incident:SECRET-1".to_owned()
            ),
            (
                "incident.member.remove".to_owned(),
                "incident:SECRET-1".to_owned()
            ),
        ]
    );
}

async fn the_setup_token_works_once_and_only_while_there_are_no_users(store: Store) {
    let ctx = sys(t0());
    let first = store.create_setup_token(&ctx).await.unwrap().unwrap();
    let second = store.create_setup_token(&ctx).await.unwrap().unwrap();
    assert!(second.expose().starts_with("dbs_"));
    let admin = || new_user("root", UserRole::Viewer);

    for bad in [first.expose(), "", "dbs_guess", &"x".repeat(100_000)] {
        let err = store
            .redeem_setup_token(bad, admin(), &ctx)
            .await
            .unwrap_err();
        assert_eq!(invalid_field(&err), "token");
    }
    // A bad name or password is refused without spending the token.
    let err = store
        .redeem_setup_token(
            second.expose(),
            NewUser {
                password: "short".into(),
                ..admin()
            },
            &ctx,
        )
        .await
        .unwrap_err();
    assert_eq!(invalid_field(&err), "password");
    let root = store
        .redeem_setup_token(second.expose(), admin(), &ctx)
        .await
        .unwrap();
    assert_eq!(root.role, UserRole::Admin, "the setup token makes an admin");
    let err = store
        .redeem_setup_token(second.expose(), new_user("root2", UserRole::Admin), &ctx)
        .await
        .unwrap_err();
    assert_eq!(invalid_field(&err), "token");
    assert!(store.create_setup_token(&ctx).await.unwrap().is_none());
    assert_eq!(store.user_count().await.unwrap(), 1);
    assert_eq!(
        audit_actions(&store, "setup.").await,
        [
            ("setup.token".to_owned(), "setup".to_owned()),
            ("setup.token".to_owned(), "setup".to_owned()),
            ("setup.complete".to_owned(), "user:root".to_owned()),
        ]
    );

    // On a fresh database, creating a user with the CLI retires the token.
    let fresh = match store.backend() {
        debrief_store::Backend::Sqlite => sqlite_store().await,
        debrief_store::Backend::Postgres => postgres_store().await.unwrap(),
    };
    let token = fresh.create_setup_token(&ctx).await.unwrap().unwrap();
    fresh
        .create_user(new_user("cli-admin", UserRole::Admin), &ctx)
        .await
        .unwrap();
    let err = fresh
        .redeem_setup_token(token.expose(), admin(), &ctx)
        .await
        .unwrap_err();
    assert_eq!(invalid_field(&err), "token");
    drop_postgres_store(fresh).await;
}

/// Each write, and the seq and action of the entry it must leave.
async fn every_write_leaves_exactly_one_audit_entry(store: Store) {
    let at = t0();
    let ctx = Ctx::new(at, Actor::user(debrief_store::Uuid::now_v7(), "ic"))
        .with_source("192.0.2.10")
        .with_request_id("req-42");
    let mut seq = 0;
    let mut expect = async |store: &Store, action: &str, object_prefix: &str| {
        seq += 1;
        let (head, _) = store.audit_head().await.unwrap().unwrap();
        assert_eq!(head, seq, "exactly one entry for {action}");
        let e = &store
            .audit_list(&AuditFilter::default())
            .await
            .unwrap()
            .items[0];
        assert_eq!(e.event.action, action);
        assert!(
            e.event.object.starts_with(object_prefix),
            "{} / {object_prefix}",
            e.event.object
        );
        e.clone()
    };
    assert!(store.audit_head().await.unwrap().is_none());

    store.add_category("Cloud Misuse", &ctx).await.unwrap();
    let e = expect(&store, "category.create", "category:Cloud Misuse").await;
    assert_eq!(e.event.actor, "ic");
    assert_eq!(e.event.source.as_deref(), Some("192.0.2.10"));
    assert_eq!(e.event.request_id.as_deref(), Some("req-42"));
    assert_eq!(e.event.at, at);
    store.add_category("Cloud Misuse", &ctx).await.unwrap();

    let input: NewIncident = serde_json::from_value(
        json!({"key": "INC-2025-1128", "title": "Admin account compromise", "severity": "critical"}),
    )
    .unwrap();
    let k = store.create_incident(input, &ctx).await.unwrap().key;
    let e = expect(&store, "incident.create", "incident:INC-2025-1128").await;
    assert!(e.event.before.is_none());
    assert!(
        e.event
            .after
            .as_deref()
            .unwrap()
            .contains("Admin account compromise")
    );

    let d = store
        .patch_incident(
            &k,
            serde_json::from_value(json!({"title": "Admin compromise"})).unwrap(),
            None,
            &ctx,
        )
        .await
        .unwrap();
    let e = expect(&store, "incident.update", "incident:INC-2025-1128").await;
    let before: serde_json::Value =
        serde_json::from_str(e.event.before.as_deref().unwrap()).unwrap();
    let after: serde_json::Value = serde_json::from_str(e.event.after.as_deref().unwrap()).unwrap();
    assert_eq!(before["title"], "Admin account compromise");
    assert_eq!(after["title"], "Admin compromise");
    assert!(
        after.get("timeline").is_none(),
        "the header, without sections"
    );

    let lesson =
        |text: &str| SectionItem::Lesson(serde_json::from_value(json!({"text": text})).unwrap());
    let (_, id) = store.add_item(&k, lesson("one"), None, &ctx).await.unwrap();
    let e = expect(
        &store,
        "item.create",
        &format!("incident:INC-2025-1128/lessons/{id}"),
    )
    .await;
    assert!(e.event.after.as_deref().unwrap().contains("\"one\""));
    let (_, id2) = store.add_item(&k, lesson("two"), None, &ctx).await.unwrap();
    expect(&store, "item.create", "incident:INC-2025-1128/lessons/").await;
    store
        .update_item(&k, id, lesson("uno"), None, &ctx)
        .await
        .unwrap();
    let e = expect(
        &store,
        "item.update",
        &format!("incident:INC-2025-1128/lessons/{id}"),
    )
    .await;
    assert!(e.event.before.as_deref().unwrap().contains("\"one\""));
    assert!(e.event.after.as_deref().unwrap().contains("\"uno\""));
    store
        .reorder(&k, Section::Lessons, vec![id2, id], None, &ctx)
        .await
        .unwrap();
    let e = expect(&store, "section.reorder", "incident:INC-2025-1128/lessons").await;
    assert!(e.event.after.as_deref().unwrap().contains(&id2.to_string()));
    store
        .delete_item(&k, Section::Lessons, id2, None, &ctx)
        .await
        .unwrap();
    let e = expect(
        &store,
        "item.delete",
        &format!("incident:INC-2025-1128/lessons/{id2}"),
    )
    .await;
    assert!(e.event.after.is_none());
    store
        .set_fishbone_frame(
            &k,
            Some("Compromise".into()),
            vec!["People".into()],
            None,
            &ctx,
        )
        .await
        .unwrap();
    expect(&store, "fishbone.update", "incident:INC-2025-1128/fishbone").await;
    store
        .set_communications(&k, d.communications.clone(), None, &ctx)
        .await
        .unwrap();
    expect(
        &store,
        "communications.update",
        "incident:INC-2025-1128/communications",
    )
    .await;
    let entries: Vec<TimelineEntry> = (0..3)
        .map(|i| {
            serde_json::from_value(json!({"occurred_at": format!("2025-11-28T02:1{i}:00Z"),
                "phase": "detection", "title": format!("event {i}")}))
            .unwrap()
        })
        .collect();
    store
        .append_timeline(&k, entries, None, &ctx)
        .await
        .unwrap();
    let e = expect(&store, "timeline.append", "incident:INC-2025-1128/timeline").await;
    assert_eq!(e.event.after.as_deref(), Some(r#"{"entries":3}"#));
    let doc = store.get(&k).await.unwrap();
    store.import(doc, true, &ctx).await.unwrap();
    let e = expect(&store, "incident.import", "incident:INC-2025-1128").await;
    assert!(e.event.before.as_deref().unwrap().contains("event 2"));
    store.set_restricted(&k, true, &ctx).await.unwrap();
    expect(&store, "incident.restrict", "incident:INC-2025-1128").await;
    store.delete_incident(&k, None, &ctx).await.unwrap();
    let e = expect(&store, "incident.delete", "incident:INC-2025-1128").await;
    assert!(
        e.event
            .before
            .as_deref()
            .unwrap()
            .contains("Admin compromise")
    );
    store
        .audit_record(&ctx, "incident.read", "incident:SECRET-1", None, None)
        .await
        .unwrap();
    expect(&store, "incident.read", "incident:SECRET-1").await;

    // Failed writes leave nothing.
    let err = store.delete_incident(&k, None, &ctx).await.unwrap_err();
    assert!(matches!(err, StoreError::NotFound { .. }), "{err:?}");
    let bad: NewIncident =
        serde_json::from_value(json!({"title": " ", "severity": "low"})).unwrap();
    store.create_incident(bad, &ctx).await.unwrap_err();
    assert_eq!(store.audit_head().await.unwrap().unwrap().0, seq);
    let v = store.audit_verify(None).await.unwrap();
    assert!(v.is_intact(), "{v:?}");
    assert_eq!(v.entries, u64::try_from(seq).unwrap());
}

async fn tampering_with_the_audit_trail_is_detected(store: Store) {
    let ctx = sys(t0());
    // More rows than one verification page.
    for i in 0..1_205 {
        store
            .audit_record(
                &ctx,
                "test.event",
                &format!("thing:{i}"),
                None,
                Some(format!("{{\"i\":{i}}}")),
            )
            .await
            .unwrap();
    }
    let (head_seq, head) = store.audit_head().await.unwrap().unwrap();
    assert_eq!(head_seq, 1_205);
    let v = store.audit_verify(Some(head.clone())).await.unwrap();
    assert!(v.is_intact(), "{v:?}");
    assert_eq!(v.entries, 1_205);
    assert_eq!(v.head.as_deref(), Some(head.as_str()));

    // Filters.
    let page = store
        .audit_list(&AuditFilter {
            object: Some("thing:12".into()),
            limit: 5,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(
        page.total, 16,
        "thing:12, thing:120..129 and thing:1200..1204"
    );
    assert_eq!(page.items.len(), 5);
    assert_eq!(page.items[0].event.object, "thing:1204", "newest first");
    let none = store
        .audit_list(&AuditFilter {
            actor: Some("nobody".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(none.total, 0);
    let ranged = store
        .audit_list(&AuditFilter {
            from: Some(t0()),
            to: Some(t0()),
            action: Some("test.".into()),
            limit: 100_000,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(ranged.total, 1_205);
    assert_eq!(ranged.items.len(), 1_000, "pages are capped");

    let db = store.connection();
    // Edit one row.
    db.execute_unprepared("UPDATE audit_log SET actor = 'x' WHERE seq = 1100")
        .await
        .unwrap();
    let v = store.audit_verify(None).await.unwrap();
    assert_eq!(v.broken.as_ref().map(|b| b.seq), Some(1100), "{v:?}");
    db.execute_unprepared("UPDATE audit_log SET actor = 'system' WHERE seq = 1100")
        .await
        .unwrap();
    assert!(store.audit_verify(None).await.unwrap().is_intact());
    // Delete one row.
    db.execute_unprepared("DELETE FROM audit_log WHERE seq = 7")
        .await
        .unwrap();
    let v = store.audit_verify(None).await.unwrap();
    assert_eq!(v.broken.as_ref().map(|b| b.seq), Some(7), "{v:?}");

    // Cutting the tail is caught against the exported head.
    let fresh = match store.backend() {
        debrief_store::Backend::Sqlite => sqlite_store().await,
        debrief_store::Backend::Postgres => postgres_store().await.unwrap(),
    };
    for i in 0..5 {
        fresh
            .audit_record(&ctx, "test.event", &format!("thing:{i}"), None, None)
            .await
            .unwrap();
    }
    let (_, head) = fresh.audit_head().await.unwrap().unwrap();
    fresh
        .connection()
        .execute_unprepared("DELETE FROM audit_log WHERE seq = 5")
        .await
        .unwrap();
    assert!(fresh.audit_verify(None).await.unwrap().is_intact());
    let v = fresh.audit_verify(Some(head)).await.unwrap();
    assert_eq!(v.broken.map(|b| b.seq), Some(5));
    drop_postgres_store(fresh).await;
}

async fn concurrent_writers_keep_the_chain_intact(store: Store) {
    user(&store, "alice", UserRole::Viewer).await;
    let k = incident(&store, "INC-2025-0001").await;
    let ctx = sys(t0());
    let lesson = |i: usize| {
        SectionItem::Lesson(serde_json::from_value(json!({"text": format!("l{i}")})).unwrap())
    };
    let writes = (0..16).map(|i| {
        let store = store.clone();
        let k = k.clone();
        let ctx = ctx.clone();
        async move {
            if i % 2 == 0 {
                store.add_item(&k, lesson(i), None, &ctx).await.map(|_| ())
            } else {
                store
                    .audit_record(&ctx, "incident.read", "incident:INC-2025-0001", None, None)
                    .await
            }
        }
    });
    for r in futures_join_all(writes).await {
        r.unwrap();
    }
    let v = store.audit_verify(None).await.unwrap();
    assert!(v.is_intact(), "{v:?}");
    assert_eq!(v.entries, 2 + 16);
}

/// Runs futures concurrently (without a dependency on `futures`).
async fn futures_join_all<F: std::future::Future + Send + 'static>(
    futs: impl Iterator<Item = F>,
) -> Vec<F::Output>
where
    F::Output: Send + 'static,
{
    let handles: Vec<_> = futs.map(tokio::spawn).collect();
    let mut out = Vec::new();
    for h in handles {
        out.push(h.await.unwrap());
    }
    out
}
