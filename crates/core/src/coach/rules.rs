//! The text rules: blame, hindsight, superficial causes and vague actions.
//!
//! Each rule takes text, tokenises it, matches its lexicon and, where the
//! meaning depends on the sentence, looks at who the sentence is about.
//! Findings come back with byte spans into the text and no field; the
//! document checks add the field path.

use super::lexicon::{
    ABSTRACT_OBJECTS, AUXILIARIES, BAD_OUTCOMES, BLAME_IDIOMS, CAUSE_FRAMES, CAUSE_LINKS,
    CAUSE_VERBS, CHARACTER, CLAUSE_WORDS, CONDITIONS, CONDUCT_NOUNS, CREDIT_NOUNS, CREDIT_VERBS,
    DEGREE_WORDS, DELEGATION_VERBS, DETERMINERS, ERROR_NOUNS, EXHORTING_MODALS, FRAME_VERBS,
    HINDSIGHT, HUMAN_ERROR_LABELS, HUMAN_SLIPS, JUDGING_ADJECTIVES, MEASURABLE, NEGATABLE_IDIOMS,
    NEGATORS, NO_EXCEPTIONS, NOT_MEASURABLE, PERSON_ACTS, PREPOSITIONS, PROBLEM_NOUNS,
    PROBLEM_VERBS, RELATIVES, ROLE_BLAME_FAILINGS, ROLE_FAILINGS, STRUCTURAL, SYMPTOMS,
    THIRD_PARTIES, VAGUE, VAGUE_VERBS_ONLY, VIRTUE_NEGATORS, VIRTUES, Vagueness,
};
use super::text::{Hit, Lexicon, TokKind, Tokens, lexicon, role_nouns};
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

lexicon! {
    /// Every blame phrase with its cue.
    fn blame_lexicon() -> (&'static str, BlameCue) = {
        let cues: [(&[&'static str], BlameCue); 4] = [
            (CHARACTER, BlameCue::Character),
            (BLAME_IDIOMS, BlameCue::Idiom),
            (HUMAN_ERROR_LABELS, BlameCue::HumanError),
            (PERSON_ACTS, BlameCue::PersonAct),
        ];
        Lexicon::new(
            cues.into_iter()
                .flat_map(|(list, cue)| list.iter().map(move |p| (*p, (*p, cue)))),
        )
    };
}

lexicon! {
    fn cause_links() -> &'static str = Lexicon::of(&[CAUSE_LINKS]);
}

lexicon! {
    fn hindsight_lexicon() -> &'static str = Lexicon::of(&[HINDSIGHT]);
}

lexicon! {
    fn character_lexicon() -> &'static str = Lexicon::of(&[CHARACTER]);
}

lexicon! {
    fn slips_lexicon() -> &'static str = Lexicon::of(&[HUMAN_SLIPS]);
}

lexicon! {
    fn symptoms_lexicon() -> &'static str = Lexicon::of(&[SYMPTOMS]);
}

lexicon! {
    fn conditions_lexicon() -> &'static str = Lexicon::of(&[CONDITIONS]);
}

lexicon! {
    fn structural_lexicon() -> &'static str = Lexicon::of(&[STRUCTURAL]);
}

lexicon! {
    /// Measurable words (true) and the phrases that only look measurable
    /// (false), matched longest first so "zero trust" is not a zero.
    fn measurable_lexicon() -> bool = Lexicon::new(
        MEASURABLE
            .iter()
            .map(|p| (*p, true))
            .chain(NOT_MEASURABLE.iter().map(|p| (*p, false))),
    );
}

lexicon! {
    fn vague_lexicon() -> (&'static str, Vagueness) = Lexicon::new(VAGUE.iter().map(|e| (e.0, *e)));
}

/// The `blame` rule over one text.
pub(crate) fn blame(text: &str, t: &Tokens) -> Vec<CoachFinding> {
    let mut out = Vec::new();
    for hit in t.find(blame_lexicon()) {
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
                } else if phrase.contains("know") || phrase.contains("knew") {
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
    out.extend(modal_perfect(text, t));
    out.extend(negated_virtue(text, t));
    out.extend(role_failing(text, t));
    out.extend(attributed_errors(text, t));
    out.extend(skipped_checks(text, t));
    dedup(out)
}

/// Generic pronouns whose "could have" states an ability, not a verdict:
/// "anyone could have made this change" is about the system.
const GENERIC_PERSONS: &[&str] = &["anyone", "anybody", "everyone", "everybody", "nobody"];

/// True when the sentence holding token `i` names what made an act
/// possible ("users could have approved the push without seeing the
/// location", "... because the role was shared"): "could have" there states
/// what the system allowed, not what a person should have done.
fn enabling(t: &Tokens, i: usize) -> bool {
    let a = t.sentence_start(i);
    let mut k = i;
    while k < t.len()
        && !t
            .toks
            .get(k)
            .is_some_and(|x| x.kind == TokKind::SentenceEnd)
    {
        k += 1;
    }
    (a..k).any(|j| t.is_in(j, ENABLING))
}

/// See [`enabling`].
const ENABLING: &[&str] = &[
    "without",
    "because",
    "since",
    "unless",
    "no",
    "nothing",
    "undetected",
    "unnoticed",
    "unchecked",
];

/// Words that may sit between a modal and "have" ("should never have",
/// "could easily have").
const MODAL_FILLERS: &[&str] = &[
    "not",
    "never",
    "easily",
    "just",
    "simply",
    "really",
    "also",
    "at",
    "least",
    "already",
    "surely",
    "certainly",
    "definitely",
    "obviously",
    "clearly",
    "probably",
    "so",
];

/// "The developer ought to have rotated the key", "the analyst could easily
/// have stopped it", "she should never have approved it": a modal perfect
/// (should, ought to, could, must + have + participle) said of a person
/// judges them against an outcome they could not see. "Could not have" and
/// "must not have" excuse or speculate and pass; "should have been paged"
/// is about the paging; "anyone could have" is about the system.
fn modal_perfect(text: &str, t: &Tokens) -> Vec<CoachFinding> {
    let mut out = Vec::new();
    for i in 0..t.len() {
        let modal = match t.toks.get(i) {
            Some(x) if x.is_in(&["should", "ought", "could", "must"]) => x.norm.as_str(),
            _ => continue,
        };
        let mut j = i + 1;
        if modal == "ought" {
            if !t.is(j, "to") {
                continue;
            }
            j += 1;
        }
        let mut negative = false;
        while t.is_in(j, MODAL_FILLERS) {
            negative |= t.is_in(j, &["not", "never"]);
            j += 1;
        }
        // "Should have been paged" is about the paging; "should have been
        // more careful" is left to the "should have" phrase and to
        // `negated_virtue`.
        if !t.is(j, "have") || !t.is_verbish(j + 1) || t.is(j + 1, "been") {
            continue;
        }
        if negative && matches!(modal, "could" | "must") {
            continue;
        }
        let Some(h) = t.subject_of(i).filter(|&h| t.is_person(h)) else {
            continue;
        };
        if modal == "could" && (t.is_in(h, GENERIC_PERSONS) || enabling(t, i)) {
            continue;
        }
        let span = t.span(i, j + 2);
        out.push(CoachFinding::at(
            ids::BLAME,
            FindingSeverity::Warning,
            span,
            format!(
                "\u{201c}{}\u{201d} is said of a person: it judges what they did against an \
                 outcome they could not see at the time.",
                &text[span.0..span.1]
            ),
            SUGGEST_KNOWN_THEN,
        ));
    }
    out
}

/// "The engineer was not careful enough", "the SOC needs to be more
/// vigilant", "insufficiently diligent": a virtue said to be missing in a
/// person is a verdict on them. Said of a process ("the review was not
/// thorough") it describes a control and passes.
fn negated_virtue(text: &str, t: &Tokens) -> Vec<CoachFinding> {
    let mut out = Vec::new();
    for i in 0..t.len() {
        if !t.is_in(i, VIRTUES) {
            continue;
        }
        let mut j = i;
        while j > 0 && t.is_in(j - 1, DEGREE_WORDS) {
            j -= 1;
        }
        let negated = j > 0 && t.is_in(j - 1, VIRTUE_NEGATORS);
        // "be more careful", "been more vigilant": wanting more of it.
        let wanting =
            (j..i).any(|k| t.is(k, "more")) && (j..i).any(|k| t.is_in(k, &["be", "been", "being"]));
        if !(negated || wanting) {
            continue;
        }
        let from = if negated { j - 1 } else { j };
        // The subject of the verb group around the phrase.
        let mut g = from;
        while g > 0 && (t.is_in(g - 1, AUXILIARIES) || t.is_in(g - 1, GROUP_WORDS)) {
            g -= 1;
        }
        // "Should have been more careful": the "should have" phrase already
        // says it.
        if (g..from).any(|k| t.match_at(k, "should have").is_some()) {
            continue;
        }
        let person = match t.subject_of(g) {
            Some(h) => t.is_person(h),
            // A fragment with no subject at all ("Not careful enough.").
            None => g == t.sentence_start(g),
        };
        if !person {
            continue;
        }
        let span = t.span(from, i + 1);
        out.push(CoachFinding::at(
            ids::BLAME,
            FindingSeverity::Warning,
            span,
            format!(
                "\u{201c}{}\u{201d} says a person lacked a virtue: it presumes trying harder \
                 was the missing control.",
                &text[span.0..span.1]
            ),
            SUGGEST_SYSTEM,
        ));
    }
    out
}

/// Words of a verb group that may come before a virtue or a modal: "needs
/// to be", "ought to be", "has got to be".
const GROUP_WORDS: &[&str] = &[
    "to", "need", "needs", "needed", "ought", "got", "seem", "seems", "seemed", "really", "just",
    "simply", "clearly", "also", "again", "then", "still", "not", "never",
];

/// "Admin error", "analyst mistake", "developer negligence": a role noun
/// followed by a failing is "human error" with a job title.
fn role_failing(text: &str, t: &Tokens) -> Vec<CoachFinding> {
    let mut out = Vec::new();
    for i in 0..t.len().saturating_sub(1) {
        let role = t.is_in_set(i, role_nouns());
        if role && t.is_in(i + 1, ROLE_BLAME_FAILINGS) && !negated(t, i) {
            let span = t.span(i, i + 2);
            out.push(CoachFinding::at(
                ids::BLAME,
                FindingSeverity::Warning,
                span,
                format!(
                    "\u{201c}{}\u{201d} names who, not why: it is \u{201c}human error\u{201d} \
                     with a job title.",
                    &text[span.0..span.1]
                ),
                SUGGEST_HUMAN_ERROR,
            ));
        }
    }
    out
}

/// Checks a person may be said to have skipped: "approved it without
/// reading it".
const CHECKING_GERUNDS: &[&str] = &[
    "reading",
    "checking",
    "double-checking",
    "testing",
    "looking",
    "verifying",
    "thinking",
    "asking",
    "bothering",
    "confirming",
    "reviewing",
];

/// "Bob approved the change without reading it", "it should have been
/// obvious to the analyst": a person's act measured against a check they
/// skipped, or against what was "obvious" afterwards. Passes when the
/// sentence says what made skipping it likely ("... because the playbook
/// marked it as noise").
fn skipped_checks(text: &str, t: &Tokens) -> Vec<CoachFinding> {
    let mut out = Vec::new();
    for i in 0..t.len() {
        let span = if t.is(i, "without") {
            let mut g = i + 1;
            while t.is_in(g, &["even", "first", "properly", "really", "actually"]) {
                g += 1;
            }
            if !t.is_in(g, CHECKING_GERUNDS) || enabling_beyond(t, i) {
                continue;
            }
            // The subject of the clause's verb ("Bob approved the change
            // without reading it"), not the noun right before "without".
            let a = t.clause_start(i);
            let Some(v) = (a..i).find(|&v| t.is_verbish(v)) else {
                continue;
            };
            match t.subject_of(v) {
                Some(h) if t.is_person(h) => (i, g + 1),
                _ => continue,
            }
        } else if t.is_in(i, &["obvious", "clear", "evident", "apparent"]) && t.is(i + 1, "to") {
            match t.person_np_at(i + 2) {
                Some(p) if !t.is(p, "we") => (i, p + 1),
                _ => continue,
            }
        } else {
            continue;
        };
        let span = t.span(span.0, span.1);
        out.push(CoachFinding::at(
            ids::BLAME,
            FindingSeverity::Warning,
            span,
            format!(
                "\u{201c}{}\u{201d} measures a person against a check that looks obvious \
                 only afterwards.",
                &text[span.0..span.1]
            ),
            SUGGEST_KNOWN_THEN,
        ));
    }
    out
}

/// Like [`enabling`], but not counting the "without" at `i` itself.
fn enabling_beyond(t: &Tokens, i: usize) -> bool {
    let a = t.sentence_start(i);
    let mut k = a;
    while k < t.len()
        && !t
            .toks
            .get(k)
            .is_some_and(|x| x.kind == TokKind::SentenceEnd)
    {
        k += 1;
    }
    (a..k).any(|j| j != i && t.is_in(j, ENABLING))
}

/// "A mistake by the new admin", "failure of the on-call to escalate",
/// "negligence on the part of the DBA", "poor triage by the analyst": a
/// failing attributed to a person by a preposition.
fn attributed_errors(text: &str, t: &Tokens) -> Vec<CoachFinding> {
    let mut out = Vec::new();
    for i in 0..t.len() {
        let end = if t.is_in(i, JUDGING_ADJECTIVES) && t.is_in(i + 1, CONDUCT_NOUNS) {
            i + 2
        } else if t.is_in(i, ERROR_NOUNS) || t.is_in(i, ROLE_BLAME_FAILINGS) {
            i + 1
        } else {
            continue;
        };
        let by = if t.is_in(end, &["by", "of", "from"]) {
            Some(end + 1)
        } else {
            t.match_at(end, "on the part of")
        };
        let Some(p) = by.and_then(|j| t.person_np_at(j)) else {
            continue;
        };
        if t.toks.get(p).is_some_and(|x| x.possessive) || negated(t, i) {
            continue;
        }
        // "Mistakes by users are expected": a bare plural is people in
        // general, a statement about design for error.
        let bare_plural = by.is_some_and(|j| j == p)
            && t.toks
                .get(p)
                .is_some_and(|x| x.norm.ends_with('s') && !x.capitalised);
        if bare_plural {
            continue;
        }
        let span = t.span(i, p + 1);
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
    out
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
    if matches!(
        phrase,
        "should have" | "must have" | "should never have" | "ought to have"
    ) && is_passive_recipient(t, end)
    {
        // "The engineer should have been paged": a statement about the
        // paging, not a judgement of the engineer.
        return None;
    }
    if matches!(phrase, "wasted" | "gave away") && t.is_in(end, &["no", "nothing", "little"]) {
        // "The responders wasted no time": credit.
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

/// "should have been paged": `been` followed by a participle ("have" before
/// it is skipped, for "ought to have been paged").
fn is_passive_recipient(t: &Tokens, end: usize) -> bool {
    let end = if t.is(end, "have") { end + 1 } else { end };
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
        let noun = if t.is_in(i + 1, ERROR_NOUNS) {
            Some(i + 2)
        } else if t.is_in(i + 1, JUDGING_ADJECTIVES) && t.is_in(i + 2, CONDUCT_NOUNS) {
            // "Bob's hasty change", "the analyst's poor triage".
            Some(i + 3)
        } else {
            None
        };
        if let Some(end) = noun.filter(|_| owner_is_person && !negated(t, i)) {
            let span = t.span(i, end);
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
    for hit in t.find(cause_links()) {
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
    t.find(hindsight_lexicon())
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
    /// The sentence is an act or event of an outside party: "the DNS
    /// provider had an outage".
    Outsider,
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

/// Verbs of having or undergoing: see [`read_cause`].
const EVENT_VERBS: &[&str] = &[
    "had",
    "has",
    "suffered",
    "experienced",
    "encountered",
    "exhibited",
    "contained",
    "hit",
];

/// The first token after an opening that announces a cause ("Root cause:",
/// "The root cause was", "Due to") in the sentence `[a, b)`, or `a`.
fn after_frame(t: &Tokens, a: usize, b: usize) -> usize {
    let Some((mut e, _)) = cause_frames().longest_at(t, a) else {
        return a;
    };
    if t.is_in(e, FRAME_VERBS) {
        e += 1;
        if t.is(e, "that") {
            e += 1;
        }
    } else if t.toks.get(e).is_some_and(|x| x.kind == TokKind::ClauseEnd) {
        e += 1;
    } else if !t.is_in(a, &["caused", "due", "because"]) {
        // "Cause analysis pending": not an opening after all.
        return a;
    }
    if e < b { e } else { a }
}

lexicon! {
    fn cause_frames() -> &'static str = Lexicon::of(&[CAUSE_FRAMES]);
}

/// Reads one part of a cause.
fn read_cause(part: usize, text: &str) -> CauseReading {
    let t = Tokens::new(text);
    let character = t.find(character_lexicon());
    let mut slips = t.find(slips_lexicon());
    // "Operator fatigue", "admin error": a role noun with a failing.
    for i in 0..t.len().saturating_sub(1) {
        let role = t.is_in_set(i, role_nouns());
        // "Hasty decision", "poor change management": conduct graded, not
        // explained.
        let graded = t.is_in(i, JUDGING_ADJECTIVES) && t.is_in(i + 1, CONDUCT_NOUNS);
        if (role && t.is_in(i + 1, ROLE_FAILINGS)) || graded {
            slips.push(Hit {
                start: i,
                end: i + 2,
                what: "",
            });
        }
    }
    slips.sort_by_key(|h| h.start);
    let symptoms = t.find(symptoms_lexicon());
    // A condition word inside a symptom ("weak" in "weak password") does
    // not describe a control.
    let conditions: Vec<_> = t
        .find(conditions_lexicon())
        .into_iter()
        .filter(|c| !symptoms.iter().any(|s| c.start < s.end && s.start < c.end))
        .collect();
    let structural = !t.find(structural_lexicon()).is_empty()
        || (0..t.len()).any(|i| {
            t.is(i, "no")
                && t.toks.get(i + 1).is_some_and(|n| n.is_wordlike())
                && !t.is_in(i + 1, NO_EXCEPTIONS)
        })
        // "A template that nobody reviewed", "a mailbox no one watched": a
        // thing nobody looked after. ("Nobody noticed the alert" on its
        // own is about people.)
        || (1..t.len()).any(|i| {
            (t.is(i, "nobody") || t.match_at(i, "no one").is_some())
                && (t.is_in(i - 1, RELATIVES)
                    || (t.toks.get(i - 1).is_some_and(|x| x.kind == TokKind::Word)
                        && !t.is_in(i - 1, CLAUSE_WORDS)
                        && !t.is_verbish(i - 1)
                        && !t.is_in(i - 1, PREPOSITIONS)))
        });
    let mut reading = CauseReading {
        sentences: Vec::new(),
        clauses: Vec::new(),
        structural,
    };
    for (a0, b) in t.sentences() {
        let within = |s: usize| (a0..b).contains(&s);
        // What the cause is about comes after "Root cause:" and the like.
        let a = after_frame(&t, a0, b);
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
        let (ta, mut tb) = t.topic(a, b);
        // "The library had a vulnerability", "the cluster suffered an
        // outage": after a verb of having or undergoing, the object is what
        // the sentence is about.
        if tb > ta && t.is_in(tb - 1, EVENT_VERBS) {
            tb = object_after(&t, tb - 1).max(tb);
        }
        if let Some(h) = symptoms.iter().find(|h| (ta..tb).contains(&h.start)) {
            consider(Signal::Symptom, t.span(h.start, h.end));
        }
        // An act of a person (or of an outside party), not something done
        // to them ("contractors were issued shared accounts").
        if let Some(h) = t.sentence_subject(a, b)
            && !t.passive_after(h)
        {
            let last = (a..b)
                .rev()
                .find(|&i| t.toks.get(i).is_some_and(|x| x.is_wordlike()))
                .unwrap_or(a);
            if t.is_person(h) {
                consider(Signal::Person, t.span(a, last + 1));
            } else if t.is_in(h, THIRD_PARTIES) {
                consider(Signal::Outsider, t.span(a, last + 1));
            }
        }
        reading.sentences.push(CauseSentence {
            part,
            span: t.span(a, b),
            signal,
        });
        for (ca, cb) in t.clauses(a0, b) {
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
            Signal::Slip | Signal::Person | Signal::Outsider => structural || clean_conditions,
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
            Signal::Outsider => (
                format!(
                    "This cause is an event at an outside party (\u{201c}{}\u{201d}); it says \
                     whose event it was, not why it could hurt us.",
                    &text[s.span.0..s.span.1]
                ),
                "Name what made us depend on it without a fallback, e.g. 'DNS was served by a \
                 single provider with no secondary' or 'vendor updates reached production with no \
                 staged rollout'.",
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
        || t.find(measurable_lexicon()).iter().any(|h| h.what)
        // A cadence: "each quarter", "every release", "per shift", "every
        // other week".
        || (0..t.len()).any(|i| {
            t.is_in(i, &["every", "each", "per"]) && {
                let mut j = i + 1;
                while t.is_in(j, &["other", "business", "working", "calendar"]) {
                    j += 1;
                }
                t.is_in(j, PERIODS)
            }
        })
}

/// Periods that make a cadence after "every", "each" or "per".
const PERIODS: &[&str] = &[
    "hour",
    "day",
    "night",
    "week",
    "fortnight",
    "month",
    "quarter",
    "year",
    "sprint",
    "release",
    "shift",
    "rotation",
    "deploy",
    "deployment",
    "build",
    "change",
    "commit",
    "run",
];

/// Entries of [`VAGUE`] that exhort only as the first word of the item.
const EXHORTATIONS_AT_HEAD: &[&str] = &["always", "never", "remember"];

/// Comparatives among the [`VAGUE`] entries: after "to" they are a
/// quantity ("extend EDR to more hosts"), not a purpose.
const COMPARATIVES: &[&str] = &[
    "more", "less", "better", "faster", "stronger", "safer", "tighter", "stricter", "clearer",
    "easier", "simpler", "sooner", "quicker",
];

/// The main verb of the action sentence starting at `a`: its first word,
/// after "please", "we will", "we need to" and the like.
fn main_verb(t: &Tokens, a: usize, b: usize) -> usize {
    let mut i = a;
    while i < b
        && (t.is_in(
            i,
            &[
                "please", "we", "will", "shall", "should", "must", "need", "to", "then", "also",
                "let", "us",
            ],
        ) || t.toks.get(i).is_some_and(|x| !x.is_wordlike()))
    {
        i += 1;
    }
    i
}

/// The object noun phrase after token `v`: its words up to a preposition,
/// a clause break or at most five words, as `[v + 1, end)`.
fn object_after(t: &Tokens, v: usize) -> usize {
    let stops = |j: usize| {
        t.toks.get(j).is_none_or(|x| x.kind != TokKind::Word)
            || t.is_in(j, PREPOSITIONS)
            || t.is_in(j, CLAUSE_WORDS)
            || t.is_in(j, RELATIVES)
            || (j > v + 1 && t.is_verbish(j))
    };
    let mut j = v + 1;
    while j < v + 6 && !stops(j) {
        j += 1;
    }
    j
}

/// Vague wording found from the shape of the item rather than a word
/// list: a problem verb whose object is the problem ("fix the issue"), a
/// change handed to someone else ("get the vendor to fix it"), a rule for
/// people ("engineers should check"), an abstract object ("build
/// resilience").
fn vague_shapes(t: &Tokens, a: usize, b: usize) -> Vec<(usize, usize, Vagueness)> {
    let mut out = Vec::new();
    for i in a..b {
        if !t.in_verb_position(i) {
            continue;
        }
        // "Fix the problem", "prevent this from happening", "close the gaps".
        // "Mitigate the risk by binding tokens to devices" says how.
        let says_how = (i..b).any(|k| {
            t.is(k, "by")
                && t.toks
                    .get(k + 1)
                    .is_some_and(|x| x.kind == TokKind::Word && x.norm.ends_with("ing"))
        });
        if t.is_in(i, PROBLEM_VERBS) && !says_how {
            let end = object_after(t, i);
            let pronoun_ok = !t.is_in(i, &["remove", "close", "stop", "reduce"]);
            if let Some(k) = (i + 1..end).find(|&k| {
                t.is_in(k, PROBLEM_NOUNS)
                    && (pronoun_ok || !t.is_in(k, &["this", "that", "it", "such", "similar"]))
            }) {
                out.push((i, k + 1, Vagueness::Direction));
            }
        }
        // "Get the vendor to fix their product", "ask IT to look at it".
        if t.is_in(i, DELEGATION_VERBS)
            && let Some(k) = (i + 2..(i + 6).min(b)).find(|&k| t.is(k, "to"))
        {
            let who = (i + 1..k).any(|p| {
                t.names_person(p)
                    || t.is_in(p, THIRD_PARTIES)
                    || t.is_in(p, &["them", "him", "her", "leadership", "management"])
                    || t.toks
                        .get(p)
                        .is_some_and(|x| x.capitalised && !t.is_in(p, DETERMINERS))
            });
            let all_words = (i + 1..k).all(|p| t.toks.get(p).is_some_and(|x| x.is_wordlike()));
            let then_verb = t.toks.get(k + 1).is_some_and(|x| {
                x.kind == TokKind::Word && !x.possessive && !t.is_in(k + 1, DETERMINERS)
            });
            if who && all_words && then_verb {
                out.push((i, k + 2, Vagueness::Intention));
            }
        }
    }
    // "Engineers should double-check", "the helpdesk must verify callers":
    // a rule for people to remember. "Admins must be enrolled" is a policy
    // on the system and passes.
    if let Some(m) = (a..b.min(a + 8)).find(|&m| t.is_in(m, EXHORTING_MODALS))
        && !t.is(m + 1, "be")
        && !(t.is(m + 1, "not") && t.is(m + 2, "be"))
        && let Some(h) = t
            .subject_of(m)
            .filter(|&h| t.is_person(h) && !t.is_in(h, &["team", "teams"]))
    {
        let mut end = m + 1;
        if t.is_in(end, &["to", "have"]) {
            end += 1;
        }
        out.push((h.min(m), end, Vagueness::TryHarder));
    }
    // "Build resilience", "create visibility into cloud assets".
    let v = main_verb(t, a, b);
    // "Keep patching", "keep tuning the rules": carrying on, no change.
    if t.is(v, "keep")
        && t.toks
            .get(v + 1)
            .is_some_and(|x| x.kind == TokKind::Word && x.norm.len() > 5 && x.norm.ends_with("ing"))
    {
        out.push((v, v + 2, Vagueness::Intention));
    }
    let end = object_after(t, v);
    if end > v + 1 && t.is_in(end - 1, ABSTRACT_OBJECTS) {
        out.push((v, end, Vagueness::Abstract));
    }
    out
}

/// The wording part of the `vague-action` rule over one text. `measurable`
/// says whether the item (this text or the rest of it) has a measurable
/// target, which makes the wording acceptable.
pub(crate) fn vague(text: &str, t: &Tokens, measurable: bool) -> Vec<CoachFinding> {
    if measurable {
        return Vec::new();
    }
    let words = t.find(vague_lexicon());
    let mut spans: Vec<(usize, usize, Vagueness)> = Vec::new();
    for (a, b) in t.sentences() {
        let head = main_verb(t, a, b);
        let head_is_vague = words.iter().any(|h| h.start == head);
        for hit in words.iter().filter(|h| (a..b).contains(&h.start)) {
            let (phrase, how) = hit.what;
            if VAGUE_VERBS_ONLY.contains(&phrase) && !t.in_verb_position(hit.start) {
                continue;
            }
            // "Always", "never", "remember" exhort only at the head of the
            // item: "serve uploads from object storage, never from the web
            // root" is a concrete rule.
            if EXHORTATIONS_AT_HEAD.contains(&phrase) && hit.start != head {
                continue;
            }
            // "Add a Config rule to ensure buckets stay private": the vague
            // verb is the purpose of a concrete change, not the change.
            let first = phrase.split(' ').next().unwrap_or(phrase);
            let purpose = hit.start > head
                && t.is(hit.start - 1, "to")
                && !head_is_vague
                && matches!(
                    how,
                    Vagueness::Direction | Vagueness::Intention | Vagueness::TryHarder
                )
                && !COMPARATIVES.contains(&first);
            if !purpose {
                spans.push((hit.start, hit.end, how));
            }
        }
        spans.extend(vague_shapes(t, a, b));
    }
    let findings = spans
        .into_iter()
        .map(|(start, end, how)| {
            let span = t.span(start, end);
            let quoted = &text[span.0..span.1];
            let (message, suggestion) = match how {
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
                Vagueness::Abstract => (
                    format!(
                        "\u{201c}{quoted}\u{201d} names a quality or a practice, not a change: \
                         which change, where, checked how?"
                    ),
                    "Name the concrete change and its check, e.g. 'Enable S3 Block Public \
                     Access on all 14 accounts, verified by the weekly Config report'.",
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
        .collect();
    dedup(findings)
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
        assert!(measurable("review every bucket policy each quarter"));
        assert!(measurable("once per release"));
        assert!(!measurable("get buy-in for zero trust"));
        assert!(!measurable("no one owns it"));
    }

    fn vague_spans(text: &str) -> Vec<&str> {
        action_text(text, measurable(text))
            .into_iter()
            .filter(|f| f.rule == ids::VAGUE_ACTION)
            .map(|f| &text[f.start..f.end])
            .collect()
    }

    #[test]
    fn a_modal_perfect_said_of_a_person_is_blame() {
        assert_eq!(
            blamed("The developer ought to have rotated the key."),
            ["ought to have rotated"]
        );
        assert_eq!(
            blamed("The admin could easily have spotted it."),
            ["could easily have spotted"]
        );
        assert!(blamed("The analyst could not have known.").is_empty());
        assert!(blamed("Anyone could have made this change.").is_empty());
        assert!(blamed("Users could have approved it without seeing the location.").is_empty());
        assert!(blamed("The runbook ought to have covered it.").is_empty());
        assert!(blamed("The engineer ought to have been paged.").is_empty());
    }

    #[test]
    fn a_virtue_missing_in_a_person_is_blame_but_not_in_a_process() {
        assert_eq!(
            blamed("The DBA was not careful enough with the script."),
            ["not careful"]
        );
        assert_eq!(
            blamed("Engineers need to be more vigilant."),
            ["need to be more"]
        );
        assert!(blamed("The review was not thorough because the diff was huge.").is_empty());
        assert!(blamed("The SOC was careful to preserve the images.").is_empty());
    }

    #[test]
    fn failings_named_after_a_role_or_attributed_to_a_person_are_blame() {
        assert_eq!(blamed("This was admin error."), ["admin error"]);
        assert_eq!(
            blamed("The helpdesk's failure to call back let the attacker in."),
            ["helpdesk's failure"]
        );
        assert_eq!(
            blamed("It was a mistake by the new admin."),
            ["mistake by the new admin"]
        );
        assert_eq!(
            blamed("Poor triage by the analyst delayed containment."),
            ["Poor triage by the analyst"]
        );
        assert_eq!(
            blamed("Bob's hasty change took it down."),
            ["Bob's hasty change"]
        );
        assert!(blamed("Mistakes by users are expected, so the form validates input.").is_empty());
        assert!(blamed("The failure of the backup job went unnoticed.").is_empty());
        assert!(blamed("Operator fatigue was a factor after 14 hours on shift.").is_empty());
    }

    #[test]
    fn a_skipped_check_is_blame_unless_the_sentence_says_why() {
        assert_eq!(
            blamed("Bob approved the change without reading it."),
            ["without reading"]
        );
        assert!(
            blamed("The analyst closed it without checking, because the playbook called it noise.")
                .is_empty()
        );
        assert!(blamed("The change was applied without review.").is_empty());
        assert_eq!(
            blamed("It should have been obvious to the analyst."),
            ["obvious to the analyst"]
        );
    }

    #[test]
    fn a_cause_is_read_after_its_frame_and_outside_parties_are_not_causes() {
        let flagged = |text: &str| superficial(text).map(|f| text[f.start..f.end].to_owned());
        assert_eq!(
            flagged("Root cause: the intern deleted the backups.").as_deref(),
            Some("the intern deleted the backups")
        );
        assert_eq!(
            flagged("The root cause was an outage at the provider.").as_deref(),
            Some("outage")
        );
        assert!(flagged("The DNS provider had an outage.").is_some());
        assert!(flagged("Operator fatigue.").is_some());
        assert!(flagged("Wrong firewall rule.").is_some());
        assert!(flagged("Failure to follow the patching policy.").is_some());
        assert!(flagged("The password was weak.").is_some());
        assert!(flagged("Single DNS provider with no secondary.").is_none());
        assert!(flagged("Legacy authentication bypassed MFA.").is_none());
        assert!(
            flagged("The wrong threshold came from a template that nobody reviewed.").is_none()
        );
    }

    #[test]
    fn vague_verbs_count_as_the_main_verb_not_as_a_purpose() {
        assert_eq!(vague_spans("Focus on detection engineering."), ["Focus on"]);
        assert_eq!(
            vague_spans("Document lessons learned."),
            ["lessons learned"]
        );
        assert!(vague_spans("Add a Config rule to ensure buckets stay private.").is_empty());
        assert!(vague_spans("Extend EDR to more hosts.").contains(&"more"));
        assert!(
            vague_spans("Serve uploads from object storage, never from the web root.").is_empty()
        );
        assert_eq!(vague_spans("Never share passwords."), ["Never"]);
    }

    #[test]
    fn vague_shapes_are_found_without_a_word_list() {
        assert_eq!(
            vague_spans("Fix the alerting problem."),
            ["Fix the alerting problem"]
        );
        assert!(vague_spans("Fix the SPF record for the relay.").is_empty());
        assert!(vague_spans("Mitigate the risk by binding tokens to devices.").is_empty());
        assert_eq!(
            vague_spans("Get the vendor to fix their product."),
            ["Get the vendor to fix"]
        );
        assert!(vague_spans("Get a signed SBOM from the vendor.").is_empty());
        assert_eq!(
            vague_spans("Engineers should check IAM changes."),
            ["Engineers should"]
        );
        assert!(vague_spans("Admins must be enrolled in FIDO2.").is_empty());
        assert_eq!(vague_spans("Build resilience."), ["Build resilience"]);
        assert!(vague_spans("Add a secondary DNS provider for resilience.").is_empty());
    }
}
