//! Similar and repeat incidents on the demo set: INC-2025-1128 is recorded
//! as a repeat of INC-2025-0523, and the similarity finds that on its own.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests fail loudly by design

use debrief_core::similar::{REPEAT_THRESHOLD, similar};

#[test]
fn the_seed_incident_finds_the_one_it_repeats() {
    let docs = debrief_core::demo::documents().unwrap();
    let doc = docs
        .iter()
        .find(|d| d.key.as_str() == "INC-2025-1128")
        .unwrap();
    let found = similar(doc, &docs, 5);
    for s in &found {
        println!("{} {:.2} {:?}", s.key, s.score, s.reasons);
    }
    let earlier = doc.repeat_of.as_ref().unwrap().to_string();
    let top = &found[0];
    assert_eq!(top.key, earlier);
    assert!(top.repeat && top.score >= REPEAT_THRESHOLD, "{top:?}");
    assert!(top.reasons[0].starts_with("same category"));
    assert!(top.action_items > 0);
    // Only earlier incidents, never itself, best first.
    assert!(found.iter().all(|s| s.key != "INC-2025-1128"));
    assert!(found.windows(2).all(|w| w[0].score >= w[1].score));
}

#[test]
fn nothing_in_common_is_not_similar() {
    let docs = debrief_core::demo::documents().unwrap();
    let mut lone = docs[0].clone();
    lone.key = debrief_core::IncidentKey::parse("LONE-1").unwrap();
    lone.category = Some("Nothing like it".into());
    lone.title = "Zzz".into();
    lone.summary = String::new();
    lone.root_causes.clear();
    lone.attack_techniques.clear();
    lone.attack_vectors.clear();
    lone.impact.systems_affected.clear();
    lone.lifecycle.detected = None;
    lone.created_at = None;
    assert!(similar(&lone, &docs, 5).is_empty());
}
