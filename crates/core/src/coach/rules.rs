//! The text rules: blame, hindsight, superficial causes and vague actions.
//!
//! Each rule takes text, tokenises it, matches its lexicon and, where the
//! meaning depends on the sentence, looks at who the sentence is about.
//! Findings come back with byte spans into the text and no field; the
//! document checks add the field path.

use super::lexicon::{
    BAD_OUTCOMES, BLAME_IDIOMS, CAUSE_LINKS, CAUSE_VERBS, CHARACTER, CONDITIONS, CREDIT_NOUNS,
    CREDIT_VERBS, DETERMINERS, ERROR_NOUNS, HINDSIGHT, HUMAN_ERROR_LABELS, HUMAN_SLIPS, MEASURABLE,
    NEGATABLE_IDIOMS, NEGATORS, NO_EXCEPTIONS, PERSON_ACTS, STRUCTURAL, SYMPTOMS, VAGUE,
    VAGUE_VERBS_ONLY, Vagueness,
};
use super::text::{TokKind, Tokens};
use super::{CoachFinding, FindingSeverity, ids};

// ------------------------------------------------------------------ blame

/// Why a phrase was taken as blame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum BlameCue {
    /// A judgement of character: always blame.
    Character,
    /// A blame idiom: always blame (unless negated, for some).
    Idiom,
    /// "Human error" and kin.
    HumanError,
    /// A verb phrase that is blame when a person is its subject.
    PersonAct,
}

const SUGGEST_SYSTEM: &str = "Describe what about the system made this step easy to get wrong, \
    e.g. 'the console allowed a public ACL without any warning' or 'the alert went to a shared \
    inbox nobody watched at night'.";
const SUGGEST_WHAT_ALLOWED: &str = "Ask \"what allowed this to happen?\" instead of \"who did \
    this?\", and write down the answer, e.g. 'no review was required for firewall changes'.";
const SUGGEST_HUMAN_ERROR: &str = "Say what made the error possible and likely: the missing \
    check, the confusing default, the time pressure, e.g. 'the change form accepted 0.0.0.0/0 \
    without a second approver'.";
const SUGGEST_KNOWN_THEN: &str = "Write what was known at the time and where the missing \
    knowledge would have had to come from, e.g. 'nothing in the runbook said backup codes never \
    expire'.";

/// The `blame` rule over one text.
pub(crate) fn blame(text: &str, t: &Tokens) -> Vec<CoachFinding> {
    let mut lexicon: Vec<(&'static str, BlameCue)> = Vec::new();
    lexicon.extend(CHARACTER.iter().map(|p| (*p, BlameCue::Character)));
    lexicon.extend(BLAME_IDIOMS.iter().map(|p| (*p, BlameCue::Idiom)));
    lexicon.extend(
        HUMAN_ERROR_LABELS
            .iter()
            .map(|p| (*p, BlameCue::HumanError)),
    );
    lexicon.extend(PERSON_ACTS.iter().map(|p| (*p, BlameCue::PersonAct)));

    let mut out = Vec::new();
    for hit in t.find(&lexicon, |e| e.0) {
        let (phrase, cue) = hit.what;
        let span = t.span(hit.start, hit.end);
        let quoted = &text[span.0..span.1];
        let finding = match cue {
            BlameCue::Character => Some((
                format!(
                    "\u{201c}{quoted}\u{201d} judges a person, not the system: it says whom to \
                     blame and nothing about why the step was easy to get wrong."
                ),
                SUGGEST_SYSTEM,
            )),
            BlameCue::Idiom => {
                if NEGATABLE_IDIOMS.contains(&phrase) && negated(t, hit.start) {
                    None
                } else if phrase.contains("known") {
                    Some((
                        format!(
                            "\u{201c}{quoted}\u{201d} assumes the knowledge was there to be had; \
                             it judges a person by what is known now."
                        ),
                        SUGGEST_KNOWN_THEN,
                    ))
                } else {
                    Some((
                        format!("\u{201c}{quoted}\u{201d} frames the incident as someone's fault."),
                        SUGGEST_WHAT_ALLOWED,
                    ))
                }
            }
            BlameCue::HumanError => Some((
                format!(
                    "\u{201c}{quoted}\u{201d} names who, not why: it ends the analysis where it \
                     should start."
                ),
                SUGGEST_HUMAN_ERROR,
            )),
            BlameCue::PersonAct => person_act(text, t, hit.start, hit.end, phrase).map(|who| {
                (
                    format!(
                        "\u{201c}{quoted}\u{201d} is said of a person (\u{201c}{who}\u{201d}): \
                         it reads as a judgement of them rather than a description of what \
                         happened."
                    ),
                    SUGGEST_SYSTEM,
                )
            }),
        };
        if let Some((message, suggestion)) = finding {
            out.push(CoachFinding::at(
                ids::BLAME,
                FindingSeverity::Warning,
                span,
                message,
                suggestion,
            ));
        }
    }
    out.extend(responsible_for(text, t));
    out.extend(possessive_errors(text, t));
    out.extend(person_as_cause(text, t));
    out.extend(counterfactual(text, t));
    out.extend(on_someone(text, t));
    dedup(out)
}

/// True when a negator comes at most three words before `i` in the same
/// sentence ("no one was blamed").
fn negated(t: &Tokens, i: usize) -> bool {
    let floor = t.sentence_start(i).max(i.saturating_sub(3));
    (floor..i).any(|j| t.is_in(j, NEGATORS))
}

/// For a verb phrase that judges only when said of a person, the person's
/// words when it is: the subject of the phrase, a possessive person in the
/// subject for cause verbs ("Bob's change caused"), or the agent of a
/// passive ("was ignored by the analyst").
fn person_act<'a>(
    text: &'a str,
    t: &Tokens,
    start: usize,
    end: usize,
    phrase: &str,
) -> Option<&'a str> {
    if matches!(phrase, "should have" | "must have") && is_passive_recipient(t, end) {
        // "The engineer should have been paged": a statement about the
        // paging, not a judgement of the engineer.
        return None;
    }
    let quote = |i: usize| t.toks.get(i).and_then(|x| text.get(x.start..x.end));
    if let Some(h) = t.subject_of(start) {
        if t.is_person(h) {
            return quote(h);
        }
        if CAUSE_VERBS.contains(&phrase) {
            let a = t.clause_start(h);
            if let Some(p) =
                (a..h).find(|&p| t.toks.get(p).is_some_and(|x| x.possessive) && t.names_person(p))
            {
                return quote(p);
            }
        }
    }
    // The agent of a passive: "was ignored by the analyst". A possessive
    // ("by Emma's mistake") names the cause, which `possessive_errors` and
    // `person_as_cause` report.
    if t.is(end, "by")
        && let Some(p) = t.person_np_at(end + 1)
        && t.toks.get(p).is_some_and(|x| !x.possessive)
    {
        return quote(p);
    }
    None
}

/// "should have been paged": `been` followed by a participle.
fn is_passive_recipient(t: &Tokens, end: usize) -> bool {
    t.is(end, "been")
        && t.toks
            .get(end + 1)
            .is_some_and(|x| x.kind == TokKind::Word && t.is_verbish(end + 1) && x.norm != "not")
}

/// "Priya was responsible for the misconfiguration": ownership of a bad
/// outcome stated as fault.
fn responsible_for(text: &str, t: &Tokens) -> Vec<CoachFinding> {
    let mut out = Vec::new();
    for i in 0..t.len() {
        let Some(e) = t.match_at(i, "responsible for") else {
            continue;
        };
        let mut j = e;
        while t.is_in(j, DETERMINERS) {
            j += 1;
        }
        if !t.is_in(j, BAD_OUTCOMES) {
            continue;
        }
        if t.subject_of(i).is_some_and(|h| t.is_person(h)) {
            let span = t.span(i, j + 1);
            out.push(CoachFinding::at(
                ids::BLAME,
                FindingSeverity::Warning,
                span,
                format!(
                    "\u{201c}{}\u{201d} makes a person the cause of the outcome.",
                    &text[span.0..span.1]
                ),
                SUGGEST_WHAT_ALLOWED,
            ));
        }
    }
    out
}

/// "Emma's mistake", "the network team's fault", "his error".
fn possessive_errors(text: &str, t: &Tokens) -> Vec<CoachFinding> {
    let mut out = Vec::new();
    for i in 0..t.len().saturating_sub(1) {
        let owner_is_person = t
            .toks
            .get(i)
            .is_some_and(|x| x.possessive && t.names_person(i))
            || t.is_in(i, &["his", "her", "their", "my", "your"]);
        if owner_is_person && t.is_in(i + 1, ERROR_NOUNS) && !negated(t, i) {
            let span = t.span(i, i + 2);
            out.push(CoachFinding::at(
                ids::BLAME,
                FindingSeverity::Warning,
                span,
                format!(
                    "\u{201c}{}\u{201d} makes a person the cause.",
                    &text[span.0..span.1]
                ),
                SUGGEST_WHAT_ALLOWED,
            ));
        }
    }
    out
}

/// "because John disabled MFA", "caused by the admin", "due to Bob's
/// change": a person named as the cause. "Because Alice noticed the login"
/// gives credit and is left alone.
fn person_as_cause(text: &str, t: &Tokens) -> Vec<CoachFinding> {
    let mut out = Vec::new();
    for hit in t.find_phrases(CAUSE_LINKS) {
        let Some(p) = t.person_np_at(hit.end) else {
            continue;
        };
        let possessive = t.toks.get(p).is_some_and(|x| x.possessive);
        if possessive && t.is_in(p + 1, ERROR_NOUNS) {
            // "caused by Emma's mistake": `possessive_errors` says it better.
            continue;
        }
        if possessive && t.is_in(p + 1, CREDIT_NOUNS) {
            // "due to the user's report": credit, not cause.
            continue;
        }
        let blames = if possessive || hit.what != "because" {
            true
        } else {
            // After "because" the person must be doing something, and that
            // something must not be to their credit.
            let mut v = p + 1;
            while t.is_in(v, &["then", "also", "just", "simply", "had", "has", "have"]) {
                v += 1;
            }
            t.is_verbish(v) && !t.is_in(v, CREDIT_VERBS)
        };
        if blames {
            let span = t.span(hit.start, p + 1);
            out.push(CoachFinding::at(
                ids::BLAME,
                FindingSeverity::Warning,
                span,
                format!(
                    "\u{201c}{}\u{201d} names a person as the cause.",
                    &text[span.0..span.1]
                ),
                SUGGEST_SYSTEM,
            ));
        }
    }
    out
}

/// "Had the analyst read the alert, ...", "If Bob had checked, ...": a
/// counterfactual that makes a person's act the difference between the
/// incident and no incident. "If the analyst had been paged" and "if the
/// engineer had had access" are about the system and pass.
fn counterfactual(text: &str, t: &Tokens) -> Vec<CoachFinding> {
    let mut out = Vec::new();
    let acts = |v: usize| {
        let mut v = v;
        while t.is_in(v, &["not", "only", "just", "simply", "actually"]) {
            v += 1;
        }
        let ok = t.toks.get(v).is_some_and(|x| x.kind == TokKind::Word)
            && !t.is_in(v, &["had", "been", "known", "access", "the", "a", "an"]);
        ok.then_some(v)
    };
    for i in 0..t.len() {
        let sentence_opening = t.sentence_start(i) == i;
        let hit = if t.is(i, "had") && sentence_opening {
            // "Had the analyst read the alert"
            t.person_np_at(i + 1)
                .filter(|&p| t.toks.get(p).is_some_and(|x| !x.possessive))
                .and_then(|p| acts(p + 1))
        } else if t.is(i, "if") {
            // "If Bob had checked the diff"
            t.person_np_at(i + 1)
                .filter(|&p| t.toks.get(p).is_some_and(|x| !x.possessive) && t.is(p + 1, "had"))
                .and_then(|p| acts(p + 2))
        } else {
            None
        };
        if let Some(v) = hit {
            let span = t.span(i, v + 1);
            out.push(CoachFinding::at(
                ids::BLAME,
                FindingSeverity::Warning,
                span,
                format!(
                    "\u{201c}{}\u{201d} makes one person's act the difference between the \
                     incident and no incident, judged with hindsight.",
                    &text[span.0..span.1]
                ),
                "Ask why the outcome depended on that one act going right, and what would make \
                 the system tolerate it going wrong, e.g. 'a second alert on the same login \
                 would have paged the incident commander'.",
            ));
        }
    }
    out
}

/// "This outage is on the platform team": fault assigned by idiom.
fn on_someone(text: &str, t: &Tokens) -> Vec<CoachFinding> {
    let mut out = Vec::new();
    for i in 0..t.len() {
        if !(t.is_in(i, &["is", "was", "lies", "rests"]) && t.is(i + 1, "on")) {
            continue;
        }
        let Some(p) = t.person_np_at(i + 2) else {
            continue;
        };
        let ends = t.toks.get(p + 1).is_none_or(|x| !x.is_wordlike());
        let subject_is_person = t.subject_of(i).is_some_and(|h| t.is_person(h));
        if ends && !subject_is_person && t.toks.get(p).is_some_and(|x| !x.possessive) {
            let span = t.span(i, p + 1);
            out.push(CoachFinding::at(
                ids::BLAME,
                FindingSeverity::Warning,
                span,
                format!(
                    "\u{201c}{}\u{201d} assigns the incident to people.",
                    &text[span.0..span.1]
                ),
                SUGGEST_WHAT_ALLOWED,
            ));
        }
    }
    out
}

/// Sorts findings by position and drops those overlapping an earlier one of
/// the same rule.
fn dedup(mut v: Vec<CoachFinding>) -> Vec<CoachFinding> {
    v.sort_by_key(|f| (f.start, std::cmp::Reverse(f.end)));
    let mut out: Vec<CoachFinding> = Vec::new();
    for f in v {
        let overlaps = out
            .iter()
            .any(|o| o.rule == f.rule && f.start < o.end && o.start < f.end);
        if !overlaps {
            out.push(f);
        }
    }
    out
}

// -------------------------------------------------------------- hindsight

/// The phrase part of the `hindsight` rule over one text.
pub(crate) fn hindsight(text: &str, t: &Tokens) -> Vec<CoachFinding> {
    t.find_phrases(HINDSIGHT)
        .into_iter()
        .map(|hit| {
            let span = t.span(hit.start, hit.end);
            CoachFinding::at(
                ids::HINDSIGHT,
                FindingSeverity::Info,
                span,
                format!(
                    "\u{201c}{}\u{201d} judges the past by what is known now (hindsight bias).",
                    &text[span.0..span.1]
                ),
                "Describe what the people involved knew and saw at the time, and why their \
                 action made sense to them then.",
            )
        })
        .collect()
}

/// Narrative text: `blame` and `hindsight`.
pub(crate) fn narrative(text: &str) -> Vec<CoachFinding> {
    let t = Tokens::new(text);
    let mut out = blame(text, &t);
    out.extend(hindsight(text, &t));
    out.sort_by_key(|f| f.start);
    out
}

// ------------------------------------------------------ superficial causes

/// Why a root cause reads as superficial, strongest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Signal {
    /// A judgement of character: never systemic.
    Character,
    /// A slip: "human error", "mistake", "forgot", "clicked".
    Slip,
    /// The sentence is an act of a person: "the intern deleted the backups".
    Person,
    /// The symptom restated: "the attacker got in", "the server crashed".
    Symptom,
}

/// What one sentence of a cause says.
struct CauseSentence {
    part: usize,
    span: (usize, usize),
    /// Strongest signal and its span, if any.
    signal: Option<(Signal, (usize, usize))>,
}

/// What one clause of a cause says about conditions.
struct CauseClause {
    /// Its subject is a thing (or it has none), not a person.
    about_a_thing: bool,
    /// It names a condition ("not", "never", "manual", "relied on"...).
    conditions: bool,
    /// It holds a slip or a character judgement itself.
    has_slip: bool,
}

/// What one part of a cause says: its sentences, its clauses, and whether
/// it has a structural marker anywhere.
struct CauseReading {
    sentences: Vec<CauseSentence>,
    clauses: Vec<CauseClause>,
    structural: bool,
}

/// Reads one part of a cause.
fn read_cause(part: usize, text: &str) -> CauseReading {
    let t = Tokens::new(text);
    let character = t.find_phrases(CHARACTER);
    let slips = t.find_phrases(HUMAN_SLIPS);
    let symptoms = t.find_phrases(SYMPTOMS);
    let conditions = t.find_phrases(CONDITIONS);
    let structural = !t.find_phrases(STRUCTURAL).is_empty()
        || (0..t.len()).any(|i| {
            t.is(i, "no")
                && t.toks.get(i + 1).is_some_and(|n| n.is_wordlike())
                && !t.is_in(i + 1, NO_EXCEPTIONS)
        });
    let mut reading = CauseReading {
        sentences: Vec::new(),
        clauses: Vec::new(),
        structural,
    };
    for (a, b) in t.sentences() {
        let within = |s: usize| (a..b).contains(&s);
        let mut signal: Option<(Signal, (usize, usize))> = None;
        let mut consider = |s: Signal, span: (usize, usize)| {
            if signal.is_none_or(|(best, _)| s < best) {
                signal = Some((s, span));
            }
        };
        for (hits, kind) in [(&character, Signal::Character), (&slips, Signal::Slip)] {
            if let Some(h) = hits.iter().find(|h| within(h.start)) {
                consider(kind, t.span(h.start, h.end));
            }
        }
        // A symptom counts only as the topic of the sentence: "the attacker
        // got in", "a bug in the login service"; not "guidance said
        // brute-force alerts were false positives".
        let (ta, tb) = t.topic(a, b);
        if let Some(h) = symptoms.iter().find(|h| (ta..tb).contains(&h.start)) {
            consider(Signal::Symptom, t.span(h.start, h.end));
        }
        // An act of a person, not something done to them ("contractors were
        // issued shared accounts").
        if let Some(h) = t.sentence_subject(a, b)
            && t.is_person(h)
            && !t.passive_after(h)
        {
            let last = (a..b)
                .rev()
                .find(|&i| t.toks.get(i).is_some_and(|x| x.is_wordlike()))
                .unwrap_or(a);
            consider(Signal::Person, t.span(a, last + 1));
        }
        reading.sentences.push(CauseSentence {
            part,
            span: t.span(a, b),
            signal,
        });
        for (ca, cb) in t.clauses(a, b) {
            let in_clause = |s: usize| (ca..cb).contains(&s);
            let subject = t
                .clause_subject(ca, cb)
                .or_else(|| t.sentence_subject(ca, cb));
            reading.clauses.push(CauseClause {
                about_a_thing: !subject.is_some_and(|h| t.is_person(h)),
                conditions: conditions.iter().any(|h| in_clause(h.start)),
                has_slip: character
                    .iter()
                    .chain(slips.iter())
                    .any(|h| in_clause(h.start)),
            });
        }
    }
    reading
}

/// The `superficial-cause` rule over the parts of one cause (its title and
/// details, say), read together: a systemic description in any part
/// rescues a slip in another. Returns findings per part, in `severity`.
///
/// - A character judgement is never rescued.
/// - A slip or an act of a person is rescued by a structural marker
///   anywhere (something absent: "no", "lack of", "without"; something the
///   system allowed: "could", "allowed", "by default"), or by a clause
///   about a thing that describes a condition ("because renewal relied on a
///   manual reminder").
/// - A symptom (only when it is what the sentence is about) is rescued by
///   either, including a condition in its own clause ("backup codes never
///   expired").
pub(crate) fn root_cause(parts: &[&str], severity: FindingSeverity) -> Vec<Vec<CoachFinding>> {
    let mut sentences = Vec::new();
    let mut clauses = Vec::new();
    let mut structural = false;
    for (i, text) in parts.iter().enumerate() {
        let r = read_cause(i, text);
        sentences.extend(r.sentences);
        clauses.extend(r.clauses);
        structural |= r.structural;
    }
    let thing_conditions = clauses.iter().any(|c| c.about_a_thing && c.conditions);
    let clean_conditions = clauses
        .iter()
        .any(|c| c.about_a_thing && c.conditions && !c.has_slip);
    let mut out: Vec<Vec<CoachFinding>> = parts
        .iter()
        .map(|text| {
            // Blame in a root cause is worth saying too, unless the
            // superficial-cause finding already covers the same words.
            blame(text, &Tokens::new(text))
        })
        .collect();
    for s in &sentences {
        let Some((signal, span)) = s.signal else {
            continue;
        };
        let rescued = match signal {
            Signal::Character => false,
            Signal::Slip | Signal::Person => structural || clean_conditions,
            Signal::Symptom => structural || thing_conditions,
        };
        if rescued {
            continue;
        }
        let Some(text) = parts.get(s.part) else {
            continue;
        };
        let quoted = &text[span.0..span.1];
        let (message, suggestion) = match signal {
            Signal::Character => (
                format!(
                    "\u{201c}{quoted}\u{201d} judges a person; a cause has to be something the \
                     organisation can change."
                ),
                "Name the condition that made the slip likely and the control that would have \
                 caught it, e.g. 'credentials could be pasted into chat with no secret scanning'.",
            ),
            Signal::Slip => (
                format!(
                    "\u{201c}{quoted}\u{201d} stops at a human slip; the analysis should start \
                     there. Why was the slip possible, and why was it not caught?"
                ),
                "Ask why the system allowed it, e.g. not 'user clicked phishing link' but 'the \
                 e-mail gateway did not scan links at click time and nothing flagged the \
                 look-alike domain'.",
            ),
            Signal::Person => (
                format!(
                    "This cause is an act of a person (\u{201c}{}\u{201d}); it says who, not \
                     what allowed it.",
                    &text[s.span.0..s.span.1]
                ),
                "Describe the condition that let the act have this effect, e.g. 'the change \
                 pipeline allowed an untested change to reach production without review'.",
            ),
            Signal::Symptom => (
                format!("\u{201c}{quoted}\u{201d} is what happened, not why it could happen."),
                "Name the missing or weak control that let it happen, e.g. 'backup codes never \
                 expired and could be reused' rather than 'the attacker got in'.",
            ),
        };
        let finding = CoachFinding::at(ids::SUPERFICIAL_CAUSE, severity, span, message, suggestion);
        if let Some(list) = out.get_mut(s.part) {
            list.retain(|b| !(b.start < finding.end && finding.start < b.end));
            list.push(finding);
        }
    }
    for list in &mut out {
        list.sort_by_key(|f| f.start);
    }
    out
}

/// Whether one text alone reads as superficial (used for the last answer
/// of a 5 Whys chain): the first superficial-cause finding, if any.
pub(crate) fn superficial(text: &str) -> Option<CoachFinding> {
    root_cause(&[text], FindingSeverity::Warning)
        .into_iter()
        .flatten()
        .find(|f| f.rule == ids::SUPERFICIAL_CAUSE)
}

// ------------------------------------------------------------ vague actions

/// True when the text carries a measurable target: a number (a count, a
/// date, a percentage, a duration), a quarter ("Q1"), a number word, a
/// month, a cadence, or a verification phrase. Digits inside a name ("S3",
/// "EC2", "Log4j") are not a target.
pub(crate) fn measurable(text: &str) -> bool {
    let t = Tokens::new(text);
    let quarter = |n: &str| matches!(n, "q1" | "q2" | "q3" | "q4");
    t.toks
        .iter()
        .any(|x| x.kind == TokKind::Number || quarter(&x.norm))
        || !t.find_phrases(MEASURABLE).is_empty()
}

/// The wording part of the `vague-action` rule over one text. `measurable`
/// says whether the item (this text or the rest of it) has a measurable
/// target, which makes the wording acceptable.
pub(crate) fn vague(text: &str, t: &Tokens, measurable: bool) -> Vec<CoachFinding> {
    if measurable {
        return Vec::new();
    }
    t.find(VAGUE, |e| e.0)
        .into_iter()
        .filter(|hit| !VAGUE_VERBS_ONLY.contains(&hit.what.0) || t.in_verb_position(hit.start))
        .map(|hit| {
            let span = t.span(hit.start, hit.end);
            let quoted = &text[span.0..span.1];
            let (message, suggestion) = match hit.what.1 {
                Vagueness::TryHarder => (
                    format!(
                        "\u{201c}{quoted}\u{201d} asks people to try harder; the next person \
                         under the same pressure will get the same result."
                    ),
                    "Change the system so the safe path is the easy one, and say how you will \
                     know, e.g. 'Block public S3 ACLs with an SCP on all 14 accounts by \
                     2025-12-10'.",
                ),
                Vagueness::Intention => (
                    format!(
                        "\u{201c}{quoted}\u{201d} names an intention, not a change: it cannot be \
                         verified as done."
                    ),
                    "State the change and what done looks like, or time-box the work with an \
                     output, e.g. 'Investigate the 3 hosts that missed the EDR update and file a \
                     ticket per host by 2025-12-04'.",
                ),
                Vagueness::Direction => (
                    format!(
                        "\u{201c}{quoted}\u{201d} gives a direction without a target: how much, \
                         by when, measured how?"
                    ),
                    "Add a measurable target and a date, e.g. 'Alert within 15 minutes on MFA \
                     backup-code use by 2025-12-20, verified by a test alert'.",
                ),
                Vagueness::OpenEnded => (
                    format!("\u{201c}{quoted}\u{201d} leaves the commitment open."),
                    "Replace it with a scope and a date, e.g. 'on all 42 admin accounts by \
                     2025-12-31'.",
                ),
            };
            CoachFinding::at(
                ids::VAGUE_ACTION,
                FindingSeverity::Warning,
                span,
                message,
                suggestion,
            )
        })
        .collect()
}

/// Action-item text: `vague-action` wording and `blame`.
pub(crate) fn action_text(text: &str, measurable: bool) -> Vec<CoachFinding> {
    let t = Tokens::new(text);
    let mut out = vague(text, &t, measurable);
    out.extend(blame(text, &t));
    out.sort_by_key(|f| f.start);
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;

    fn blamed(text: &str) -> Vec<&str> {
        let t = Tokens::new(text);
        blame(text, &t)
            .into_iter()
            .map(|f| &text[f.start..f.end])
            .collect()
    }

    #[test]
    fn failed_to_is_blame_only_for_a_person() {
        assert_eq!(
            blamed("The engineer failed to rotate the key."),
            ["failed to"]
        );
        assert!(blamed("The backup job failed to start.").is_empty());
        assert!(blamed("The SIEM failed to alert.").is_empty());
        assert_eq!(blamed("Bob then simply failed to check."), ["failed to"]);
    }

    #[test]
    fn negated_blame_is_not_blame() {
        assert!(blamed("No one was blamed for the delay.").is_empty());
        assert_eq!(blamed("The team was blamed for the delay."), ["blamed"]);
    }

    #[test]
    fn should_have_been_paged_is_about_the_paging() {
        assert!(blamed("The engineer should have been paged at 03:15.").is_empty());
        assert_eq!(
            blamed("The engineer should have been more careful."),
            ["should have"]
        );
    }

    #[test]
    fn a_person_named_as_the_cause_is_blame_but_credit_is_not() {
        assert_eq!(
            blamed("It broke because John disabled MFA."),
            ["because John"]
        );
        assert!(blamed("It was caught because Alice noticed the login.").is_empty());
        assert_eq!(
            blamed("The outage was caused by Emma's mistake."),
            ["Emma's mistake"]
        );
    }

    #[test]
    fn a_possessive_person_is_blamed_as_a_cause_but_not_for_credit() {
        assert_eq!(
            blamed("The outage was due to Bob's change."),
            ["due to Bob's"]
        );
        assert!(blamed("The alert was raised due to the user's report.").is_empty());
    }

    #[test]
    fn a_systemic_cause_rescues_a_slip_in_the_same_cause() {
        let f = root_cause(
            &[
                "Human error",
                "No process required review of firewall changes",
            ],
            FindingSeverity::Blocking,
        );
        assert!(f.iter().flatten().all(|f| f.rule != ids::SUPERFICIAL_CAUSE));
        let f = root_cause(&["Human error", ""], FindingSeverity::Blocking);
        assert_eq!(f[0][0].rule, ids::SUPERFICIAL_CAUSE);
        assert_eq!(
            f[0].len(),
            1,
            "blame on the same words is folded in: {:?}",
            f[0]
        );
    }

    #[test]
    fn numbers_dates_and_cadences_are_measurable() {
        assert!(measurable("by 2025-12-31"));
        assert!(measurable("80% pass rate"));
        assert!(measurable("reviewed quarterly"));
        assert!(!measurable("improve monitoring"));
    }
}
