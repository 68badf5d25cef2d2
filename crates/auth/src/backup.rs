//! Single-use MFA backup codes, for when the authenticator is lost.
//!
//! A code is 12 symbols of Crockford's base32 (`0-9`, `A-Z` without `I`,
//! `L`, `O`, `U`), 60 random bits, shown as `7KQ4-M2XP-9D3A`. The alphabet
//! has no letters that look like digits, and [`normalize_backup_code`]
//! forgives the confusions people make anyway (lower case, `O` for `0`,
//! `I`/`L` for `1`, missing or extra dashes and spaces).
//!
//! Only [`backup_code_hash`] of the normalised code is stored, and a code is
//! deleted (or marked used) once accepted.

use crate::tokens::Secret;

/// Codes issued at once.
pub const BACKUP_CODE_COUNT: usize = 10;

/// Symbols in a code; 12 × 5 bits = 60 bits.
const CODE_CHARS: usize = 12;

/// Symbols per dash-separated group when displayed.
const GROUP_CHARS: usize = 4;

/// Crockford's base32 alphabet, in value order.
const CROCKFORD: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// One fresh code, grouped for display: `XXXX-XXXX-XXXX`.
fn new_backup_code() -> Secret {
    // 60 bits from one 64-bit draw, 5 bits per symbol. 32 is a power of two,
    // so every symbol is exactly uniform (no modulo bias).
    let mut bits = u64::from_le_bytes(crate::random_bytes::<8>());
    let mut code = String::with_capacity(CODE_CHARS + CODE_CHARS / GROUP_CHARS);
    for i in 0..CODE_CHARS {
        if i > 0 && i % GROUP_CHARS == 0 {
            code.push('-');
        }
        // The mask keeps the index below 32.
        let index = (bits & 0x1f) as usize;
        code.push(char::from(CROCKFORD[index]));
        bits >>= 5;
    }
    Secret::new(code)
}

/// [`BACKUP_CODE_COUNT`] new codes, all different, to show the user once.
pub fn new_backup_codes() -> Vec<Secret> {
    let mut codes: Vec<Secret> = Vec::with_capacity(BACKUP_CODE_COUNT);
    while codes.len() < BACKUP_CODE_COUNT {
        let code = new_backup_code();
        // A repeat among ten 60-bit draws is a one-in-10^16 event; the check
        // makes "ten distinct codes" a guarantee rather than a likelihood.
        if !codes.iter().any(|c| c.expose() == code.expose()) {
            codes.push(code);
        }
    }
    codes
}

/// Brings a typed code to its canonical 12-symbol form, or `None` if it
/// cannot be a backup code.
///
/// Upper-cases, drops spaces and dashes, reads `O` as `0` and `I`/`L` as `1`;
/// then requires exactly 12 symbols of the alphabet. The result is what
/// [`backup_code_hash`] takes.
pub fn normalize_backup_code(input: &str) -> Option<String> {
    // Longer than any formatting of a real code: refuse before allocating.
    if input.len() > 64 {
        return None;
    }
    let mut code = String::with_capacity(CODE_CHARS);
    for c in input.chars() {
        let c = match c.to_ascii_uppercase() {
            ' ' | '-' => continue,
            'O' => '0',
            'I' | 'L' => '1',
            c if c.is_ascii() && CROCKFORD.contains(&(c as u8)) => c,
            _ => return None,
        };
        code.push(c);
    }
    (code.len() == CODE_CHARS).then_some(code)
}

/// The value stored for a backup code: lower-case hex SHA-256 of the
/// normalised code.
///
/// A fast hash, so a typed code is found by an indexed lookup instead of
/// ten argon2 checks per attempt. 60 random bits keep online guessing
/// hopeless, and a backup code is only the second factor: it is worth
/// nothing without the password.
pub fn backup_code_hash(normalized: &str) -> String {
    crate::sha256_hex(normalized.as_bytes())
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn ten_codes_are_issued_and_all_differ() {
        let codes = new_backup_codes();
        assert_eq!(codes.len(), BACKUP_CODE_COUNT);
        let distinct: HashSet<&str> = codes.iter().map(Secret::expose).collect();
        assert_eq!(distinct.len(), 10);
    }

    #[test]
    fn a_code_is_three_groups_of_four_crockford_symbols() {
        for code in new_backup_codes() {
            let code = code.expose();
            assert_eq!(code.len(), 14, "{code}");
            let groups: Vec<&str> = code.split('-').collect();
            assert_eq!(groups.len(), 3, "{code}");
            for group in groups {
                assert_eq!(group.len(), 4, "{code}");
                assert!(group.bytes().all(|b| CROCKFORD.contains(&b)), "{code}");
            }
        }
    }

    #[test]
    fn a_displayed_code_normalises_to_its_twelve_symbols() {
        for code in new_backup_codes() {
            let normalized = normalize_backup_code(code.expose()).unwrap();
            assert_eq!(normalized, code.expose().replace('-', ""));
            assert_eq!(normalize_backup_code(&normalized), Some(normalized.clone()));
            assert_eq!(
                backup_code_hash(&normalized),
                backup_code_hash(&normalize_backup_code(&code.expose().to_lowercase()).unwrap())
            );
        }
    }

    #[test]
    fn common_typing_variations_are_forgiven() {
        let expected = Some("7KQ4M2XP9D3A".to_owned());
        assert_eq!(normalize_backup_code("7KQ4-M2XP-9D3A"), expected);
        assert_eq!(normalize_backup_code(" 7kq4 m2xp 9d3a "), expected);
        assert_eq!(normalize_backup_code("7KQ4M2XP9D3A"), expected);
        assert_eq!(
            normalize_backup_code("OIL0-1111-0000"),
            Some("011011110000".to_owned())
        );
    }

    #[test]
    fn things_that_cannot_be_a_code_are_refused() {
        for input in [
            "",
            "7KQ4-M2XP-9D3",
            "7KQ4-M2XP-9D3AB",
            "7KQ4-M2XP-9D3U",
            "7KQ4_M2XP_9D3A",
            "7KQ4-M2XP-9D3É",
            "７KQ4-M2XP-9D3A",
        ] {
            assert_eq!(normalize_backup_code(input), None, "{input:?}");
        }
        assert_eq!(normalize_backup_code(&"-".repeat(1_000)), None);
    }

    #[test]
    fn a_backup_code_hash_is_64_hex_digits() {
        let hash = backup_code_hash("7KQ4M2XP9D3A");
        assert_eq!(hash.len(), 64);
        assert!(hash.bytes().all(|b| b.is_ascii_hexdigit()));
        assert_ne!(hash, backup_code_hash("7KQ4M2XP9D3B"));
    }

    #[test]
    fn backup_code_debug_never_shows_the_code() {
        let codes = new_backup_codes();
        let debug = format!("{codes:?}");
        assert!(codes.iter().all(|c| !debug.contains(c.expose())));
    }
}
