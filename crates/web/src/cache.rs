//! A small in-process cache of rendered post-mortems, keyed by incident key
//! and version.
//!
//! Reading a whole post-mortem takes a dozen queries; its version takes one,
//! and the route guard reads the version anyway. Every write raises the
//! version, in whichever process it happens, so an entry whose version
//! matches the database is exactly what a fresh read would render: the
//! cache can never serve a stale document, even with several `debrief
//! serve` processes on one PostgreSQL.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::body::Bytes;

/// Entries kept at most; when full, the cache is cleared (cheap, and a
/// working set of hot incidents refills it at once).
const CAPACITY: usize = 512;

/// Rendered JSON documents by incident key, each with its version.
#[derive(Debug, Clone, Default)]
pub struct DocumentCache {
    inner: Arc<Mutex<HashMap<String, (i64, Bytes)>>>,
}

impl DocumentCache {
    /// The rendering of `key` at exactly `version`, if cached.
    pub fn get(&self, key: &str, version: i64) -> Option<Bytes> {
        let map = self.inner.lock().ok()?;
        map.get(key)
            .filter(|(v, _)| *v == version)
            .map(|(_, b)| b.clone())
    }

    /// Remembers the rendering of `key` at `version`.
    pub fn put(&self, key: &str, version: i64, body: Bytes) {
        if let Ok(mut map) = self.inner.lock() {
            if map.len() >= CAPACITY && !map.contains_key(key) {
                map.clear();
            }
            map.insert(key.to_owned(), (version, body));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_cached_version_is_served() {
        let c = DocumentCache::default();
        c.put("INC-1", 3, Bytes::from_static(b"v3"));
        assert_eq!(c.get("INC-1", 3).as_deref(), Some(&b"v3"[..]));
        assert!(c.get("INC-1", 4).is_none());
        assert!(c.get("INC-2", 3).is_none());
    }
}
