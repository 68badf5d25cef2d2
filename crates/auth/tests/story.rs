//! The credential life of one user, driven through the public API the way
//! the web layer and the CLI will use it: sign-up, login, second factor,
//! backup code, API token, and an attacker's guesses.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::HashSet;

use debrief_auth::{
    PasswordProblem, ThrottlePolicy, backup_code_hash, check_password, dummy_verify, hash_password,
    looks_like_api_token, new_api_token, new_backup_codes, new_totp_secret, normalize_backup_code,
    token_hash, totp_code, totp_secret_from_base32, verify_password, verify_totp,
};

#[test]
fn a_user_signs_up_logs_in_with_a_second_factor_and_recovers_with_a_backup_code() {
    // Sign-up: the policy speaks first, then only the hash is kept.
    assert_eq!(
        check_password("Alice", "alice"),
        Err(PasswordProblem::TooShort { min: 15, got: 5 })
    );
    let password = "tangerine lighthouse on a tuesday";
    check_password(password, "alice").unwrap();
    let stored_hash = hash_password(password);
    assert!(!stored_hash.contains(password));

    // Login: the right password passes, a wrong one and an unknown user fail.
    assert!(verify_password(password, &stored_hash));
    assert!(!verify_password(
        "tangerine lighthouse on a monday",
        &stored_hash
    ));
    dummy_verify("whatever was typed for the unknown user");

    // Enrol TOTP: the secret is stored as base32 and read back on each login.
    let enrolled = new_totp_secret();
    let url = enrolled.otpauth_url("debrief", "alice");
    assert!(url.starts_with("otpauth://totp/debrief:alice?secret="));
    let stored_secret = enrolled.base32();
    let now = 1_767_225_600; // 2026-01-01T00:00:00Z, passed in like any time
    let secret = totp_secret_from_base32(&stored_secret).unwrap();
    let code = totp_code(&enrolled, now);
    let step = verify_totp(&secret, &code, now + 10).expect("fresh code accepted");

    // The store keeps the last accepted step and only takes a newer one,
    // so the same code replayed within its window is refused.
    let last_step = step;
    let replay = verify_totp(&secret, &code, now + 20).unwrap();
    assert!(replay <= last_step, "replay is detectable");
    let next = totp_code(&enrolled, now + 30);
    let next_step = verify_totp(&secret, &next, now + 31).unwrap();
    assert!(next_step > last_step, "the next code is accepted");

    // Backup codes: shown once, stored as hashes, each usable once.
    let codes = new_backup_codes();
    let mut unused: HashSet<String> = codes
        .iter()
        .map(|c| backup_code_hash(&normalize_backup_code(c.expose()).unwrap()))
        .collect();
    assert_eq!(unused.len(), 10);
    let typed = codes[3].expose().to_lowercase().replace('-', " ");
    let hash = backup_code_hash(&normalize_backup_code(&typed).unwrap());
    assert!(unused.remove(&hash), "first use accepted");
    assert!(!unused.remove(&hash), "second use refused");
}

#[test]
fn an_api_token_is_shown_once_and_found_again_by_its_hash() {
    let token = new_api_token();
    let stored = token_hash(token.expose());
    assert!(!format!("{token:?}").contains(token.expose()));

    // A request presents the token; shape first, then the indexed lookup.
    let presented = token.expose().to_owned();
    assert!(looks_like_api_token(&presented));
    assert_eq!(token_hash(&presented), stored);
    assert!(!looks_like_api_token("Bearer nonsense"));
}

#[test]
fn an_attacker_guessing_passwords_is_slowed_to_a_crawl() {
    let policy = ThrottlePolicy::default();
    let waited: u64 = (1..=30).map(|n| policy.delay_after(n).as_secs()).sum();
    // Thirty guesses cost over three hours of waiting.
    assert!(waited > 3 * 3600, "{waited}");
}
