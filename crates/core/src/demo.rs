//! The demo data set that `debrief --demo` loads: 35 post-mortems of a
//! fictional company from April to November 2025.
//!
//! This is data, not code. The documents live in `data/demo.json`, a JSON
//! array of [`PostMortem`] documents exactly as the JSON export writes them,
//! and are compiled into the binary so the demo works offline. Edit the JSON,
//! not this file; the tests in `tests/demo.rs` say what the set must keep
//! true.
//!
//! What the set holds:
//! - **INC-2025-1128**, the admin account compromise worked through in the
//!   seed, with every part of it: the timeline with what the team knew and
//!   did not know, the 5 Whys, root causes, fishbone, what went well and
//!   wrong, the ten action items, the internal and customer communications
//!   and the lessons learned.
//! - Its two predecessors in the Authentication Bypass category:
//!   INC-2025-0523 (SMS MFA bypass, whose SMS fix was later shown
//!   ineffective against SIM swap) and INC-2025-0812 (session hijacking),
//!   which together give the seed's knowledge-base entry its common root
//!   causes and its effective and failed mitigations.
//! - 32 smaller incidents across the other categories, timed so that the
//!   seed's metrics dashboard *follows from the timestamps*: 15, 8 and 12
//!   incidents in Q2, Q3 and Q4 2025; MTTD 45, 15 and 8 minutes; MTTR 35, 20
//!   and 12 minutes; MTTC 6, 4 and 2.5 hours; 5, 3 and 1 repeat incidents;
//!   action items done at 95, 78, 62 and 45 % for the immediate, short,
//!   medium and long-term horizons.
//!
//! Every id is a fixed UUID, unique across the whole file, so links between
//! sections and round trips through the store are stable. Status dates stop
//! at 2025-12-01, the day the snapshot was taken.

use crate::document::PostMortem;

/// The demo documents as JSON text.
pub const DEMO_JSON: &str = include_str!("../data/demo.json");

/// The key of the seed's worked example, the demo's centrepiece.
pub const FEATURED_KEY: &str = "INC-2025-1128";

/// The demo documents, oldest detection first.
pub fn documents() -> Result<Vec<PostMortem>, serde_json::Error> {
    serde_json::from_str(DEMO_JSON)
}
