//! Organisation-wide response metrics (filled in below).
