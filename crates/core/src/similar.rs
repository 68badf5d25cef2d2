//! Similar and repeat incidents: for one incident, the earlier incidents
//! that look most like it, each with the reasons, and whether it is a
//! repeat (similar above [`REPEAT_THRESHOLD`]) — the "same incident twice"
//! story, with the earlier incident's action items and how far they got.
//!
//! The score is a weighted sum of overlaps, each in 0..=1, so every point of
//! it can be explained:
//!
//! | signal | weight | overlap |
//! |---|---|---|
//! | same category | 0.30 | 1 or 0 |
//! | root causes (titles and details) | 0.25 | overlap of their content words |
//! | ATT&CK techniques | 0.20 | overlap of the ids (sub-techniques count for their parent) |
//! | systems affected | 0.10 | overlap, ignoring case |
//! | attack vectors | 0.10 | overlap of their content words |
//! | title and summary | 0.05 | overlap of their content words |
//!
//! "Overlap" is the overlap coefficient: shared items over the size of the
//! smaller set.
//!
//! Only incidents that began earlier (by detection, else creation) are
//! candidates: a repeat repeats something that came before. IOCs join the
//! signals once they are recorded (evidence and forensics).

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::action::ActionStatus;
use crate::document::PostMortem;

/// A similarity at or above this marks a repeat: the same category plus a
/// substantial share of causes or techniques. Calibrated on the demo set,
/// where the recorded repeat (INC-2025-1128 of INC-2025-0523) scores 0.45
/// and the next most similar earlier incident 0.35.
pub const REPEAT_THRESHOLD: f64 = 0.4;

/// Words too common to say anything about an incident.
const STOP: &[&str] = &[
    "a", "an", "and", "are", "as", "at", "be", "by", "for", "from", "has", "have", "in", "into",
    "is", "it", "its", "no", "not", "of", "on", "or", "that", "the", "their", "this", "to", "was",
    "were", "with", "within", "without", "they", "them", "who", "which", "after", "before", "our",
    "we",
];

fn words(texts: &[&str]) -> BTreeSet<String> {
    texts
        .iter()
        .flat_map(|t| t.split(|c: char| !c.is_alphanumeric()))
        .map(str::to_lowercase)
        .filter(|w| w.len() > 2 && !STOP.contains(&w.as_str()))
        .collect()
}

/// The overlap coefficient: shared / size of the smaller set. Chosen over
/// Jaccard because incident write-ups differ in length: a terse root cause
/// fully contained in a long one is a full match.
fn overlap(a: &BTreeSet<String>, b: &BTreeSet<String>) -> f64 {
    let smaller = a.len().min(b.len());
    if smaller == 0 {
        return 0.0;
    }
    a.intersection(b).count() as f64 / smaller as f64
}

/// The signals of one incident, computed once.
struct Signals {
    category: Option<String>,
    causes: BTreeSet<String>,
    techniques: BTreeSet<String>,
    systems: BTreeSet<String>,
    vectors: BTreeSet<String>,
    text: BTreeSet<String>,
}

impl Signals {
    fn of(d: &PostMortem) -> Self {
        let causes: Vec<&str> = d
            .root_causes
            .iter()
            .flat_map(|c| [c.title.as_str(), c.details.as_deref().unwrap_or("")])
            .collect();
        let vectors: Vec<&str> = d.attack_vectors.iter().map(String::as_str).collect();
        Self {
            category: d.category.as_ref().map(|c| c.to_lowercase()),
            causes: words(&causes),
            techniques: d
                .attack_techniques
                .iter()
                .map(|t| t.as_str().split('.').next().unwrap_or("").to_owned())
                .collect(),
            systems: d
                .impact
                .systems_affected
                .iter()
                .map(|s| s.trim().to_lowercase())
                .collect(),
            vectors: words(&vectors),
            text: words(&[&d.title, &d.summary]),
        }
    }
}

/// One similar earlier incident.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct SimilarIncident {
    /// Its key.
    pub key: String,
    /// Its title.
    pub title: String,
    /// Similarity, 0..=1.
    pub score: f64,
    /// Why it is similar, strongest first.
    pub reasons: Vec<String>,
    /// Whether this incident counts as a repeat of it.
    pub repeat: bool,
    /// Its action items that are open (not complete, verified or won't do).
    pub open_action_items: usize,
    /// Its action items in all (won't-do left out).
    pub action_items: usize,
}

/// The earlier incidents among `others` most similar to `doc`, best first,
/// at most `limit`, leaving out those with no signal in common.
pub fn similar(doc: &PostMortem, others: &[PostMortem], limit: usize) -> Vec<SimilarIncident> {
    let start = doc.lifecycle.detected.or(doc.created_at);
    let me = Signals::of(doc);
    let mut out: Vec<SimilarIncident> = others
        .iter()
        .filter(|o| o.key != doc.key)
        .filter(|o| match (o.lifecycle.detected.or(o.created_at), start) {
            (Some(t), Some(s)) => t < s,
            _ => true,
        })
        .filter_map(|o| {
            let them = Signals::of(o);
            let mut parts: Vec<(f64, String)> = Vec::new();
            if me.category.is_some() && me.category == them.category {
                parts.push((
                    0.30,
                    format!("same category ({})", o.category.clone().unwrap_or_default()),
                ));
            }
            let overlap = |w: f64, a: &BTreeSet<String>, b: &BTreeSet<String>, what: &str| {
                let j = overlap(a, b);
                (j > 0.0).then(|| {
                    let shared: Vec<&str> = a.intersection(b).take(4).map(String::as_str).collect();
                    (w * j, format!("{what}: {}", shared.join(", ")))
                })
            };
            parts.extend(overlap(0.25, &me.causes, &them.causes, "root causes share"));
            parts.extend(overlap(
                0.20,
                &me.techniques,
                &them.techniques,
                "ATT&CK techniques",
            ));
            parts.extend(overlap(
                0.10,
                &me.systems,
                &them.systems,
                "systems affected",
            ));
            parts.extend(overlap(
                0.10,
                &me.vectors,
                &them.vectors,
                "attack vectors share",
            ));
            parts.extend(overlap(
                0.05,
                &me.text,
                &them.text,
                "title and summary share",
            ));
            if parts.is_empty() {
                return None;
            }
            parts.sort_by(|a, b| b.0.total_cmp(&a.0));
            let score = parts.iter().map(|p| p.0).sum::<f64>().min(1.0);
            let counted: Vec<_> = o
                .action_items
                .iter()
                .filter(|a| a.status != ActionStatus::WontDo)
                .collect();
            Some(SimilarIncident {
                key: o.key.to_string(),
                title: o.title.clone(),
                score: (score * 100.0).round() / 100.0,
                reasons: parts.into_iter().map(|p| p.1).collect(),
                repeat: score >= REPEAT_THRESHOLD,
                open_action_items: counted
                    .iter()
                    .filter(|a| {
                        !matches!(a.status, ActionStatus::Complete | ActionStatus::Verified)
                    })
                    .count(),
                action_items: counted.len(),
            })
        })
        .collect();
    out.sort_by(|a, b| b.score.total_cmp(&a.score).then_with(|| a.key.cmp(&b.key)));
    out.truncate(limit);
    out
}
