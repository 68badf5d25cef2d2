//! The coach: its text rules measured against a labelled set of sentences,
//! spans that point at the offending words, and the document checks on the
//! seed's worked example INC-2025-1128 and on deliberately bad variants of
//! it.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeSet;

use chrono::{Duration, NaiveDate};
use debrief_core::coach::{
    self, CheckContext, CoachFinding, FindingSeverity, TextKind, check, ids, lint,
};
use debrief_core::{ActionStatus, PostMortem, Priority, RootCauseKind, demo};

const LABELLED: &str = include_str!("data/coach_labelled.tsv");

fn date(s: &str) -> NaiveDate {
    debrief_core::time::parse_date(s).unwrap()
}

fn docs() -> Vec<PostMortem> {
    demo::documents().expect("the demo set parses")
}

fn seed() -> PostMortem {
    docs()
        .into_iter()
        .find(|d| d.key.as_str() == demo::FEATURED_KEY)
        .expect("the seed incident is in the demo set")
}

/// The rule a label is about, per kind.
fn target(kind: TextKind) -> &'static str {
    match kind {
        TextKind::Narrative => ids::BLAME,
        TextKind::RootCause => ids::SUPERFICIAL_CAUSE,
        TextKind::ActionItem => ids::VAGUE_ACTION,
    }
}

#[derive(Default, Clone, Copy)]
struct Counts {
    tp: u32,
    fp: u32,
    fn_: u32,
    tn: u32,
}

impl Counts {
    fn add(&mut self, o: Counts) {
        self.tp += o.tp;
        self.fp += o.fp;
        self.fn_ += o.fn_;
        self.tn += o.tn;
    }

    fn precision(self) -> f64 {
        f64::from(self.tp) / f64::from((self.tp + self.fp).max(1))
    }

    fn recall(self) -> f64 {
        f64::from(self.tp) / f64::from((self.tp + self.fn_).max(1))
    }
}

// ---------------------------------------------------------- labelled set

/// Counts per kind for one section of the labelled set.
type Table = Vec<(TextKind, Counts)>;

fn table() -> Table {
    TextKind::ALL
        .iter()
        .map(|k| (*k, Counts::default()))
        .collect()
}

fn print_table(title: &str, t: &Table) -> Counts {
    let mut overall = Counts::default();
    println!("{title}:");
    for (kind, c) in t {
        println!(
            "  {:<11} ({:<17}) n={:>3} flag={:>2}  precision {:.3}  recall {:.3}  (tp {} fp {} fn {} tn {})",
            kind.as_str(),
            target(*kind),
            c.tp + c.fp + c.fn_ + c.tn,
            c.tp + c.fn_,
            c.precision(),
            c.recall(),
            c.tp,
            c.fp,
            c.fn_,
            c.tn
        );
        overall.add(*c);
    }
    println!(
        "  overall     n={:>3}  precision {:.3}  recall {:.3}",
        overall.tp + overall.fp + overall.fn_ + overall.tn,
        overall.precision(),
        overall.recall()
    );
    overall
}

/// Rounds of the labelled set held out from tuning: written after the rules
/// of the previous round were done and never used to change them. See the
/// comments in the file.
const HELD_OUT: &[&str] = &["5"];

/// How the held-out round scored the first time it was measured, before
/// anything else changed (kept here because later fixes may move it).
const FIRST_MEASUREMENT: &str = "round 5 first measured: precision 1.000, recall 0.675 \
    (narrative 1.000/0.538, root-cause 1.000/0.692, action-item 1.000/0.786)";

/// The round a `# Round N: ...` comment line starts, if it is one.
fn round_header(line: &str) -> Option<&str> {
    let rest = line.strip_prefix("# Round ")?;
    let (id, _) = rest.split_once(':')?;
    Some(id.trim())
}

#[test]
fn the_text_rules_reach_90_percent_on_the_whole_labelled_set() {
    // Every row belongs to the round named by the last `# Round N:` line
    // above it. Rounds 1-4b were written and then tuned on; round 5 was
    // written after the round-4 generalisation and not tuned on, so its
    // figures are the honest estimate on unseen text.
    let mut rounds: Vec<(String, Table)> = Vec::new();
    let mut all = table();
    let mut misses = Vec::new();
    for (n, line) in LABELLED.lines().enumerate() {
        if let Some(id) = round_header(line) {
            rounds.push((id.to_owned(), table()));
            continue;
        }
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let cols: Vec<&str> = line.split('\t').collect();
        assert_eq!(cols.len(), 3, "line {}: {line}", n + 1);
        let kind: TextKind = cols[0].parse().unwrap();
        let want = match cols[1] {
            "flag" => true,
            "ok" => false,
            other => panic!("line {}: label `{other}`", n + 1),
        };
        let text = cols[2];
        let findings = lint(text, kind);
        let got = findings.iter().any(|f| f.rule == target(kind));
        let outcome = match (want, got) {
            (true, true) => Counts {
                tp: 1,
                ..Counts::default()
            },
            (false, true) => Counts {
                fp: 1,
                ..Counts::default()
            },
            (true, false) => Counts {
                fn_: 1,
                ..Counts::default()
            },
            (false, false) => Counts {
                tn: 1,
                ..Counts::default()
            },
        };
        let (round, section) = rounds
            .last_mut()
            .map(|(id, t)| (id.as_str(), t))
            .unwrap_or_else(|| panic!("line {}: a row before any `# Round N:` line", n + 1));
        for t in [section, &mut all] {
            t.iter_mut()
                .find(|(k, _)| *k == kind)
                .unwrap()
                .1
                .add(outcome);
        }
        if want != got {
            let said: Vec<String> = findings
                .iter()
                .map(|f| format!("{}:{:?}", f.rule, &text[f.start..f.end]))
                .collect();
            misses.push(format!(
                "  {} {kind} (round {round}) {text}  {said:?}",
                if got { "FP" } else { "FN" },
            ));
        }
    }

    // Per round, one line each, then the groups in full.
    println!("coach, per round:");
    for (id, t) in &rounds {
        let mut c = Counts::default();
        for (_, k) in t {
            c.add(*k);
        }
        println!(
            "  round {id:<3} {:<9} n={:>3}  precision {:.3}  recall {:.3}",
            if HELD_OUT.contains(&id.as_str()) {
                "held out"
            } else {
                "tuned on"
            },
            c.tp + c.fp + c.fn_ + c.tn,
            c.precision(),
            c.recall()
        );
    }
    let group = |ids: &[&str]| {
        let mut g = table();
        for (id, t) in &rounds {
            if ids.contains(&id.as_str()) {
                for ((_, a), (_, b)) in g.iter_mut().zip(t) {
                    a.add(*b);
                }
            }
        }
        g
    };
    print_table("coach, rounds 1-3 (tuned on)", &group(&["1", "2", "3"]));
    print_table(
        "coach, round 4 (held out when written; its misses studied for the round-5 \
         generalisation)",
        &group(&["4"]),
    );
    print_table(
        "coach, round 4b (tricky negatives and new phrasings written while generalising)",
        &group(&["4b"]),
    );
    print_table("coach, round 5 (held out, not tuned on)", &group(HELD_OUT));
    println!("  {FIRST_MEASUREMENT}");
    let overall = print_table("coach, whole labelled set (all rounds)", &all);
    if !misses.is_empty() {
        println!("misclassified:\n{}", misses.join("\n"));
    }
    let rows = overall.tp + overall.fp + overall.fn_ + overall.tn;
    assert!(rows >= 600, "the labelled set has {rows} rows");
    assert!(
        rounds.iter().any(|(id, _)| HELD_OUT.contains(&id.as_str())),
        "no held-out round in the labelled set"
    );

    // The bar holds on the whole set, every round included, per kind and
    // overall.
    for (kind, c) in &all {
        let n = c.tp + c.fp + c.fn_ + c.tn;
        assert!(n >= 150, "{kind}: only {n} rows");
        assert!(
            c.precision() >= 0.9,
            "{kind} precision {:.3}",
            c.precision()
        );
        assert!(c.recall() >= 0.9, "{kind} recall {:.3}", c.recall());
    }
    assert!(
        overall.precision() >= 0.9,
        "precision {:.3}",
        overall.precision()
    );
    assert!(overall.recall() >= 0.9, "recall {:.3}", overall.recall());
}

// ------------------------------------------------------------------ spans

fn spans(text: &str, kind: TextKind, rule: &str) -> Vec<String> {
    lint(text, kind)
        .iter()
        .filter(|f| f.rule == rule)
        .map(|f| {
            assert!(text.is_char_boundary(f.start) && text.is_char_boundary(f.end));
            assert_eq!(f.field, None);
            f.excerpt(text).unwrap().to_owned()
        })
        .collect()
}

#[test]
fn a_finding_span_slices_to_the_offending_phrase() {
    assert_eq!(
        spans(
            "The analyst was careless with the token",
            TextKind::Narrative,
            ids::BLAME
        ),
        ["careless"]
    );
    assert_eq!(
        spans(
            "The engineer failed to rotate the key",
            TextKind::Narrative,
            ids::BLAME
        ),
        ["failed to"]
    );
    assert_eq!(
        spans(
            "Root cause: human error.",
            TextKind::RootCause,
            ids::SUPERFICIAL_CAUSE
        ),
        ["human error"]
    );
    assert_eq!(
        spans(
            "Improve monitoring.",
            TextKind::ActionItem,
            ids::VAGUE_ACTION
        ),
        ["Improve monitoring"]
    );
    assert_eq!(
        spans(
            "In hindsight it was obvious.",
            TextKind::Narrative,
            ids::HINDSIGHT
        ),
        ["In hindsight", "it was obvious"]
    );
}

#[test]
fn spans_stay_on_char_boundaries_around_typographic_quotes_and_emoji() {
    let text = "✅ Containment done — but the contractor didn’t bother to check “the” domain 🚨";
    assert_eq!(
        spans(text, TextKind::Narrative, ids::BLAME),
        ["didn’t bother"]
    );
}

#[test]
fn blameless_narrative_about_systems_passes() {
    for text in [
        "The alert fired but the runbook did not say who owns it.",
        "The on-call engineer followed the runbook.",
        "The backup job failed to start.",
        "The SIEM failed to alert.",
        "Alice paged the on-call lead at 10:05.",
        "The user reported the phishing e-mail.",
    ] {
        assert_eq!(lint(text, TextKind::Narrative), [], "{text}");
    }
}

#[test]
fn a_smart_action_passes_and_the_seed_pitfalls_do_not() {
    let smart = "Enforce hardware security keys for all 42 admin accounts by 2025-12-31, \
                 verified by the IdP report";
    assert_eq!(lint(smart, TextKind::ActionItem), []);
    // Seed pitfalls 1-3, verbatim.
    assert!(!spans("Who made this mistake?", TextKind::Narrative, ids::BLAME).is_empty());
    assert!(
        !spans(
            "User clicked phishing link",
            TextKind::RootCause,
            ids::SUPERFICIAL_CAUSE
        )
        .is_empty()
    );
    assert!(
        !spans(
            "We'll be more careful next time",
            TextKind::ActionItem,
            ids::VAGUE_ACTION
        )
        .is_empty()
    );
    // The seed's systemic causes pass.
    for cause in [
        "Backup codes never expire and can be used repeatedly",
        "No monitoring of credential breach databases",
        "Weak MFA implementation: backup codes never expire and lack rate limiting",
    ] {
        assert_eq!(lint(cause, TextKind::RootCause), [], "{cause}");
    }
}

#[test]
fn lint_takes_any_text_without_panicking() {
    let long = "The engineer failed to rotate the key because Bob forgot. ".repeat(500);
    for text in [
        "",
        "   ",
        "\n\n;;..,,",
        "’s n’t 's",
        "didn't",
        "Had",
        "If Bob had",
        "because",
        "responsible for the",
        "🚨🚨🚨 — “” …",
        "e.g. i.e. etc.",
        long.as_str(),
    ] {
        for kind in TextKind::ALL {
            for f in lint(text, *kind) {
                assert!(f.start <= f.end && f.end <= text.len(), "{text:?}: {f:?}");
                assert!(text.is_char_boundary(f.start) && text.is_char_boundary(f.end));
            }
        }
    }
}

#[test]
fn text_kinds_have_stable_names() {
    for k in TextKind::ALL {
        assert_eq!(k.as_str().parse::<TextKind>(), Ok(*k));
        assert_eq!(serde_json::to_value(k).unwrap(), k.as_str());
    }
    assert!("rootcause".parse::<TextKind>().is_err());
}

// ------------------------------------------------------------------ rules

#[test]
fn every_rule_is_listed_once_with_a_description() {
    let rules = coach::rules();
    let ids: BTreeSet<&str> = rules.iter().map(|r| r.id).collect();
    assert_eq!(ids.len(), rules.len());
    for id in [
        ids::BLAME,
        ids::SUPERFICIAL_CAUSE,
        ids::VAGUE_ACTION,
        ids::SHALLOW_WHYS,
        ids::HINDSIGHT,
        ids::NO_ACTION_ITEMS,
        ids::NO_FOLLOW_THROUGH,
        ids::MEETING_LENGTH,
        ids::MISSING_PARTICIPANTS,
        ids::NO_FOLLOWUP_REVIEW,
        ids::RECURRING_CATEGORY,
        ids::NOT_SHARED,
        ids::NO_PRIMARY_CAUSE,
        ids::NO_TIMELINE,
    ] {
        let r = rules.iter().find(|r| r.id == id).unwrap();
        assert!(r.summary.len() > 80, "{id}");
    }
    let json = serde_json::to_value(rules).unwrap();
    assert_eq!(json[0]["severity"], "warning");
}

// ------------------------------------------------------------ the demo

/// Earlier incidents in the same category in the 365 days before `doc`.
fn same_category_last_year(doc: &PostMortem, all: &[PostMortem]) -> usize {
    let Some(at) = doc.lifecycle.detected else {
        return 0;
    };
    all.iter()
        .filter(|d| d.key != doc.key && d.category.is_some() && d.category == doc.category)
        .filter_map(|d| d.lifecycle.detected)
        .filter(|t| *t < at && *t >= at - Duration::days(365))
        .count()
}

fn print(title: &str, findings: &[CoachFinding]) {
    println!("{title}: {} finding(s)", findings.len());
    for f in findings {
        println!(
            "  [{}] {} {} {}..{}: {}",
            f.severity,
            f.rule,
            f.field.as_deref().unwrap_or("-"),
            f.start,
            f.end,
            f.message
        );
    }
}

#[test]
fn the_seed_post_mortem_is_blameless_and_nothing_blocks_it() {
    let all = docs();
    let doc = seed();
    let ctx = CheckContext {
        today: date("2025-12-01"),
        same_category_last_year: Some(same_category_last_year(&doc, &all)),
        meeting_minutes: Some(105),
        followup_review_scheduled: Some(true),
        shared: Some(true),
    };
    let found = check(&doc, &ctx);
    print("INC-2025-1128 on 2025-12-01", &found);
    assert!(found.iter().all(|f| !f.is_blocking()), "{found:#?}");
    assert!(found.iter().all(|f| f.rule != ids::BLAME), "{found:#?}");
    // Its two predecessors in Authentication Bypass (the seed's knowledge
    // base lists three incidents in the category) make it a recurring one.
    let rules: BTreeSet<&str> = found.iter().map(|f| f.rule.as_str()).collect();
    assert_eq!(
        rules,
        BTreeSet::from([ids::RECURRING_CATEGORY]),
        "{found:#?}"
    );
    let recurring = &found[0];
    assert_eq!(recurring.field.as_deref(), Some("category"));
    assert!(
        recurring
            .message
            .contains("2 earlier incidents in Authentication Bypass")
    );
    assert!(recurring.message.contains("INC-2025-0523"));

    // Nine days later two immediate action items have slipped.
    let later = CheckContext {
        today: date("2025-12-10"),
        ..ctx
    };
    let found = check(&doc, &later);
    print("INC-2025-1128 on 2025-12-10", &found);
    let slipped: Vec<&CoachFinding> = found
        .iter()
        .filter(|f| f.rule == ids::NO_FOLLOW_THROUGH)
        .collect();
    assert_eq!(slipped.len(), 1);
    assert_eq!(slipped[0].field.as_deref(), Some("action_items"));
    assert!(
        slipped[0]
            .message
            .starts_with("2 action items are past due")
    );
    assert!(slipped[0].message.contains("#2"), "{}", slipped[0].message);
    assert!(slipped[0].message.contains("#3"), "{}", slipped[0].message);
    assert!(found.iter().all(|f| !f.is_blocking()));
}

#[test]
fn the_demo_set_has_no_blocking_finding_and_no_blame() {
    // The other 34 demo post-mortems are smaller but written in the same
    // blameless register; the coach must not cry wolf on them.
    for doc in docs() {
        let found = check(&doc, &CheckContext::new(date("2025-12-01")));
        let noisy: Vec<&CoachFinding> = found
            .iter()
            .filter(|f| f.is_blocking() || f.rule == ids::BLAME)
            .collect();
        // COACH_PRINT_DEMO=1 prints what the coach says about every document.
        if std::env::var_os("COACH_PRINT_DEMO").is_some() || !noisy.is_empty() {
            print(doc.key.as_str(), &found);
        }
        assert!(noisy.is_empty(), "{}: {noisy:#?}", doc.key);
    }
}

// ------------------------------------------------------- a bad document

fn find<'a>(found: &'a [CoachFinding], rule: &str, field: &str) -> &'a CoachFinding {
    found
        .iter()
        .find(|f| f.rule == rule && f.field.as_deref() == Some(field))
        .unwrap_or_else(|| panic!("no {rule} at {field} in {found:#?}"))
}

/// The text of the field a finding points at, read through the JSON form
/// of the document so that any field path works.
fn field_text(doc: &PostMortem, field: &str) -> String {
    let v = serde_json::to_value(doc).unwrap();
    let mut cur = &v;
    for part in field.split('.') {
        let (name, index) = match part.split_once('[') {
            Some((n, rest)) => (
                n,
                Some(rest.trim_end_matches(']').parse::<usize>().unwrap()),
            ),
            None => (part, None),
        };
        cur = &cur[name];
        if let Some(i) = index {
            cur = &cur[i];
        }
    }
    cur.as_str()
        .unwrap_or_else(|| panic!("{field} is not text"))
        .to_owned()
}

fn bad_document() -> PostMortem {
    let mut doc = seed();
    doc.timeline[4].details[0] = "The on-call engineer failed to check the login logs".into();
    doc.timeline[4].we_didnt_know = Some("An SSH key had already been downloaded".into());
    let primary = doc
        .root_causes
        .iter_mut()
        .find(|r| r.kind == RootCauseKind::Primary)
        .unwrap();
    primary.title = "Human error".into();
    primary.details = None;
    let mut vague = doc.action_items[1].clone();
    vague.number = 11;
    vague.id = uuid::Uuid::nil();
    vague.title = "Improve monitoring".into();
    vague.description = String::new();
    vague.owner = None;
    vague.team = None;
    vague.due = None;
    vague.horizon = None;
    vague.success_criteria.clear();
    vague.status = ActionStatus::Planned;
    vague.status_history.clear();
    vague.priority = Priority::Medium;
    doc.action_items.push(vague);
    doc.five_whys[0].steps.truncate(2);
    doc.five_whys[0].steps[1].because = "The admin made a mistake".into();
    doc
}

#[test]
fn a_bad_document_gets_each_expected_finding_at_the_right_field() {
    let doc = bad_document();
    let ctx = CheckContext {
        today: date("2025-12-01"),
        same_category_last_year: Some(0),
        meeting_minutes: Some(15),
        followup_review_scheduled: Some(false),
        shared: Some(false),
    };
    let found = check(&doc, &ctx);
    print("bad variant of INC-2025-1128", &found);
    let excerpt = |f: &CoachFinding| {
        let field = f.field.as_deref().unwrap();
        f.excerpt(&field_text(&doc, field)).unwrap().to_owned()
    };

    // Blame in a timeline entry.
    let f = find(&found, ids::BLAME, "timeline[4].details[0]");
    assert_eq!(excerpt(f), "failed to");

    // "Human error" as the primary root cause blocks publishing.
    let f = find(&found, ids::SUPERFICIAL_CAUSE, "root_causes[0].title");
    assert_eq!(f.severity, FindingSeverity::Blocking);
    assert_eq!(excerpt(f), "Human error");
    assert!(
        found
            .iter()
            .all(|f| !(f.rule == ids::BLAME && f.field.as_deref() == Some("root_causes[0].title"))),
        "the same words are not reported twice"
    );

    // "Improve monitoring" with no owner, no due date, no criterion.
    let f = find(&found, ids::VAGUE_ACTION, "action_items[10].title");
    assert_eq!(excerpt(f), "Improve monitoring");
    let owner = find(&found, ids::VAGUE_ACTION, "action_items[10].owner");
    let due = find(&found, ids::VAGUE_ACTION, "action_items[10].due");
    assert_eq!(owner.severity, FindingSeverity::Blocking);
    assert_eq!(due.severity, FindingSeverity::Blocking);
    assert_eq!((owner.start, owner.end), (0, 0));
    let criteria = find(
        &found,
        ids::VAGUE_ACTION,
        "action_items[10].success_criteria",
    );
    assert_eq!(criteria.severity, FindingSeverity::Warning);

    // A two-step 5 Whys chain that ends at a human slip.
    find(&found, ids::SHALLOW_WHYS, "five_whys[0].steps");
    let f = find(&found, ids::SHALLOW_WHYS, "five_whys[0].steps[1].because");
    assert_eq!(excerpt(f), "mistake");

    // A decision taken before the SSH key download was known.
    let f = find(&found, ids::HINDSIGHT, "timeline[4].decision");
    assert_eq!(f.severity, FindingSeverity::Info);
    assert!(f.message.contains("An SSH key had already been downloaded"));

    // Pitfalls from the context.
    let rules: BTreeSet<&str> = found.iter().map(|f| f.rule.as_str()).collect();
    for id in [
        ids::MEETING_LENGTH,
        ids::NO_FOLLOWUP_REVIEW,
        ids::NOT_SHARED,
    ] {
        assert!(rules.contains(id), "{id}");
    }
    assert!(!rules.contains(ids::RECURRING_CATEGORY));
    let meeting = found
        .iter()
        .find(|f| f.rule == ids::MEETING_LENGTH)
        .unwrap();
    assert_eq!(meeting.severity, FindingSeverity::Warning);
    assert_eq!(meeting.field, None);
}

#[test]
fn a_post_mortem_without_action_items_timeline_or_primary_cause_is_blocked() {
    let mut doc = seed();
    doc.action_items.clear();
    let found = check(&doc, &CheckContext::new(date("2025-12-01")));
    let f = find(&found, ids::NO_ACTION_ITEMS, "action_items");
    assert_eq!(f.severity, FindingSeverity::Blocking);
    assert_eq!((f.start, f.end), (0, 0));

    doc.timeline.clear();
    doc.root_causes.retain(|r| r.kind != RootCauseKind::Primary);
    let found = check(&doc, &CheckContext::new(date("2025-12-01")));
    assert!(find(&found, ids::NO_TIMELINE, "timeline").is_blocking());
    assert!(find(&found, ids::NO_PRIMARY_CAUSE, "root_causes").is_blocking());
}

#[test]
fn each_missing_participant_role_is_its_own_finding() {
    let mut doc = seed();
    doc.participants
        .retain(|p| p.team.as_deref() == Some("Security Team") && p.name != "Sarah");
    let found = check(&doc, &CheckContext::new(date("2025-12-01")));
    let missing: Vec<&str> = found
        .iter()
        .filter(|f| f.rule == ids::MISSING_PARTICIPANTS)
        .map(|f| f.message.as_str())
        .collect();
    print("participants: Dana, Lee, Mike", &found);
    assert_eq!(missing.len(), 3, "{missing:?}");
    assert!(missing.iter().any(|m| m.contains("system owners")));
    assert!(missing.iter().any(|m| m.contains("engineering leadership")));
    assert!(missing.iter().any(|m| m.contains("security team")));
}

#[test]
fn a_published_post_mortem_without_an_internal_summary_gets_a_nudge() {
    let mut doc = seed();
    doc.communications.internal = None;
    let found = check(&doc, &CheckContext::new(date("2025-12-01")));
    let f = find(&found, ids::NOT_SHARED, "communications.internal");
    assert_eq!(f.severity, FindingSeverity::Info);
}

#[test]
fn findings_round_trip_through_json() {
    let found = check(&bad_document(), &CheckContext::new(date("2025-12-01")));
    let json = serde_json::to_string(&found).unwrap();
    let back: Vec<CoachFinding> = serde_json::from_str(&json).unwrap();
    assert_eq!(back, found);
    assert!(json.contains("\"severity\":\"blocking\""));
}

// ------------------------------------------------------------------ speed

/// How long `check` takes over the whole seed post-mortem, 100 times. Only
/// printed: timings depend on the machine and the build profile. Run with
/// `cargo test --release -p debrief-core --test coach -- --nocapture` for a
/// figure in release terms (the target is well under 5 ms per run).
#[test]
fn checking_the_seed_post_mortem_is_fast() {
    let doc = seed();
    let ctx = CheckContext::new(date("2025-12-01"));
    // One run first, so that lazily built tables are not timed.
    let expected = check(&doc, &ctx).len();
    let runs = 100u32;
    let started = std::time::Instant::now();
    let mut total = 0;
    for _ in 0..runs {
        total += std::hint::black_box(check(std::hint::black_box(&doc), &ctx)).len();
    }
    let elapsed = started.elapsed();
    assert_eq!(total, expected * runs as usize);
    println!(
        "coach::check over {}: {runs} runs in {:.1} ms, {:.3} ms per run ({} build)",
        doc.key.as_str(),
        elapsed.as_secs_f64() * 1e3,
        elapsed.as_secs_f64() * 1e3 / f64::from(runs),
        if cfg!(debug_assertions) {
            "debug"
        } else {
            "release"
        }
    );
}
