//! A small tokenizer and the little sentence structure the coach needs.
//!
//! Text becomes a flat list of [`Token`]s, each with its byte span in the
//! original text, so every finding can point at the exact phrase. Words are
//! compared in a normalised form: ASCII lower case, the typographic
//! apostrophe straightened, contractions expanded ("didn't" becomes the two
//! words "did" and "not", each spanning its own bytes), a possessive "'s"
//! stripped and remembered.
//!
//! On top of the tokens sit three questions the rules ask:
//! - where do sentences and clauses start and end ([`Tokens::clause_start`]);
//! - what is the head noun of the subject of a verb at a given position
//!   ([`Tokens::subject_of`]), found by walking back over adverbs and
//!   auxiliaries, then over the noun phrase, stepping over prepositional
//!   phrases ("the engineer *on shift* failed to"), and following
//!   coordinations and relative clauses to the subject they share;
//! - is that head a person ([`Tokens::is_person`]): a role noun, a personal
//!   pronoun, or a capitalised common first name.
//!
//! Word lists are matched through a [`Lexicon`], built once per list and
//! indexed by first word, so a text costs a hash look-up per word whatever
//! the size of the lists.
//!
//! This is not a parser and does not try to be one: it knows what a
//! post-mortem sentence usually looks like, and it explains itself.

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};

use super::lexicon::{
    ABBREVIATIONS, AUXILIARIES, CLAUSE_WORDS, DETERMINERS, FILLERS, FIRST_NAMES, IRREGULAR_PAST,
    NOT_ADVERBS, NOT_PAST, PERSON_NOUNS, PERSON_PRONOUNS, PREPOSITIONS, QUALIFIED_PERSON_NOUNS,
    RELATIVES,
};

/// What a token is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TokKind {
    /// Letters, possibly with digits, inner hyphens, apostrophes or dots.
    Word,
    /// Starts with a digit: "03:15", "80%", "185.220.101.45", "2025-12-31".
    Number,
    /// Ends a sentence: `.`, `!`, `?`, `;` or a line break.
    SentenceEnd,
    /// Ends a clause but not the sentence: `,`, `:`, brackets, dashes, quotes.
    ClauseEnd,
}

/// One token with its byte span in the source text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Token {
    /// Normalised text: ASCII lower case, `’` as `'`, possessive stripped.
    pub norm: String,
    /// Byte offset of the first byte.
    pub start: usize,
    /// Byte offset after the last byte.
    pub end: usize,
    /// What the token is.
    pub kind: TokKind,
    /// True for "engineer's" (the norm is "engineer").
    pub possessive: bool,
    /// True when the source starts with an upper-case letter.
    pub capitalised: bool,
}

impl Token {
    /// A word or a number: something a phrase can match.
    pub fn is_wordlike(&self) -> bool {
        matches!(self.kind, TokKind::Word | TokKind::Number)
    }

    /// True when the token is the word `w` (normalised).
    pub fn is(&self, w: &str) -> bool {
        self.is_wordlike() && self.norm == w
    }

    /// True when the token is one of `words`.
    pub fn is_in(&self, words: &[&str]) -> bool {
        self.is_wordlike() && words.contains(&self.norm.as_str())
    }
}

/// Splits `text` into tokens. Never panics; spans are char boundaries.
pub(crate) fn tokenize(text: &str) -> Vec<Token> {
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let byte_at = |i: usize| chars.get(i).map_or(text.len(), |&(b, _)| b);
    let mut out: Vec<Token> = Vec::new();
    let mut i = 0;
    while let Some(&(b, c)) = chars.get(i) {
        if c.is_alphanumeric() {
            let numeric = c.is_numeric();
            let mut j = i + 1;
            while let Some(&(_, cj)) = chars.get(j) {
                if cj.is_alphanumeric() {
                    j += 1;
                    continue;
                }
                let next_alnum = chars.get(j + 1).is_some_and(|&(_, n)| n.is_alphanumeric());
                let joiner = matches!(cj, '\'' | '’' | '-' | '_' | '.')
                    || (numeric && matches!(cj, ':' | ',' | '/'));
                if joiner && next_alnum {
                    j += 2;
                    continue;
                }
                if numeric && matches!(cj, '%' | '+') {
                    j += 1;
                }
                break;
            }
            let end = byte_at(j);
            if numeric {
                out.push(Token {
                    norm: text[b..end].to_ascii_lowercase(),
                    start: b,
                    end,
                    kind: TokKind::Number,
                    possessive: false,
                    capitalised: false,
                });
            } else {
                push_word(text, b, end, &mut out);
            }
            i = j;
            continue;
        }
        let end = byte_at(i + 1);
        let kind = match c {
            '\n' | '!' | '?' | ';' => Some(TokKind::SentenceEnd),
            '.' => {
                // "e.g." and friends do not end a sentence.
                let after_abbrev = out.last().is_some_and(|t| {
                    t.end == b
                        && t.kind == TokKind::Word
                        && ABBREVIATIONS.contains(&t.norm.as_str())
                });
                if after_abbrev {
                    None
                } else {
                    Some(TokKind::SentenceEnd)
                }
            }
            c if c.is_whitespace() => None,
            // Any other symbol separates clauses: , : ( ) [ ] " “ ” — – - / and so on.
            _ => Some(TokKind::ClauseEnd),
        };
        if let Some(kind) = kind {
            out.push(Token {
                norm: c.to_string(),
                start: b,
                end,
                kind,
                possessive: false,
                capitalised: false,
            });
        }
        i += 1;
    }
    out
}

/// Pushes one word, expanding contractions into separate words.
fn push_word(text: &str, s: usize, e: usize, out: &mut Vec<Token>) {
    let src = &text[s..e];
    // ASCII lower-casing keeps byte offsets, so suffix lengths below are
    // valid offsets into `src`.
    let lower = src.to_ascii_lowercase();
    let capitalised = src.chars().next().is_some_and(char::is_uppercase);
    let word = |norm: &str, start: usize, end: usize, possessive: bool, cap: bool| Token {
        norm: if norm.contains('’') {
            norm.replace('’', "'")
        } else {
            norm.to_owned()
        },
        start,
        end,
        kind: TokKind::Word,
        possessive,
        capitalised: cap,
    };
    // "didn't" -> "did" + "not"; "can't" -> "can" + "not".
    for suffix in ["n't", "n’t"] {
        if lower.len() > suffix.len() + 1 && lower.ends_with(suffix) {
            let split = e - suffix.len();
            let base = &lower[..lower.len() - suffix.len()];
            let base = match base {
                "ca" => "can",
                "wo" => "will",
                "sha" => "shall",
                "ai" => "is",
                b => b,
            };
            out.push(word(base, s, split, false, capitalised));
            out.push(word("not", split, e, false, false));
            return;
        }
    }
    // "'s" is "is" after a pronoun and a possessive after anything else.
    for suffix in ["'s", "’s"] {
        if lower.len() > suffix.len() && lower.ends_with(suffix) {
            let split = e - suffix.len();
            let base = &lower[..lower.len() - suffix.len()];
            if matches!(
                base,
                "it" | "he" | "she" | "that" | "there" | "what" | "who" | "where" | "here" | "how"
            ) {
                out.push(word(base, s, split, false, capitalised));
                out.push(word("is", split, e, false, false));
            } else {
                out.push(word(base, s, e, true, capitalised));
            }
            return;
        }
    }
    for (suffix, expansion) in [
        ("'ve", "have"),
        ("’ve", "have"),
        ("'re", "are"),
        ("’re", "are"),
        ("'ll", "will"),
        ("’ll", "will"),
        ("'d", "would"),
        ("’d", "would"),
        ("'m", "am"),
        ("’m", "am"),
    ] {
        if lower.len() > suffix.len() && lower.ends_with(suffix) {
            let split = e - suffix.len();
            out.push(word(
                &lower[..lower.len() - suffix.len()],
                s,
                split,
                false,
                capitalised,
            ));
            out.push(word(expansion, split, e, false, false));
            return;
        }
    }
    out.push(word(&lower, s, e, false, capitalised));
}

/// A match of a phrase: token indices `[start, end)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Hit<T> {
    /// First token.
    pub start: usize,
    /// One past the last token.
    pub end: usize,
    /// What matched (the lexicon entry).
    pub what: T,
}

/// FNV-1a: words are short, and a lint hashes every word of a text against
/// several lists, where SipHash's protection against flooding buys nothing.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Fnv(u64);

impl Default for Fnv {
    fn default() -> Self {
        Self(0xcbf2_9ce4_8422_2325)
    }
}

impl Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 ^= u64::from(*b);
            self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
        }
    }
}

/// A hash map keyed by words.
type WordMap<V> = HashMap<&'static str, V, BuildHasherDefault<Fnv>>;

/// A word list as a hash set, for the long lists (role nouns, first names)
/// that are asked about every word.
#[derive(Debug)]
pub(crate) struct WordSet(HashSet<&'static str, BuildHasherDefault<Fnv>>);

impl WordSet {
    /// The words of `lists`.
    pub fn of(lists: &[&'static [&'static str]]) -> Self {
        Self(lists.iter().flat_map(|l| l.iter().copied()).collect())
    }

    /// True when `w` is in the set.
    pub fn contains(&self, w: &str) -> bool {
        self.0.contains(w)
    }
}

/// Declares a function returning a word set built on first use.
macro_rules! word_set {
    ($(#[$m:meta])* $vis:vis fn $name:ident() = $($list:expr),+;) => {
        $(#[$m])*
        $vis fn $name() -> &'static $crate::coach::text::WordSet {
            static S: std::sync::OnceLock<$crate::coach::text::WordSet> =
                std::sync::OnceLock::new();
            S.get_or_init(|| $crate::coach::text::WordSet::of(&[$($list),+]))
        }
    };
}

word_set! {
    /// Role nouns and personal pronouns.
    fn person_words() = PERSON_NOUNS, PERSON_PRONOUNS;
}

word_set! {
    /// Role nouns only.
    pub(crate) fn role_nouns() = PERSON_NOUNS;
}

word_set! {
    /// Common first names.
    fn first_names() = FIRST_NAMES;
}

/// A phrase list indexed by its first words, built once per list: matching
/// a text costs a hash look-up per word, not a pass over the whole list.
#[derive(Debug)]
pub(crate) struct Lexicon<T> {
    /// Each entry as its words, with what it stands for.
    entries: Vec<(Vec<&'static str>, T)>,
    /// Entries by first word, longest first (the later entry first among
    /// entries of the same length, so a later list overrides an earlier one).
    by_first: WordMap<Vec<usize>>,
}

impl<T: Copy> Lexicon<T> {
    /// A lexicon of `(phrase, value)` pairs; a phrase is space-separated
    /// words written as [`Token::norm`] holds them.
    pub fn new(items: impl IntoIterator<Item = (&'static str, T)>) -> Self {
        let entries: Vec<(Vec<&'static str>, T)> = items
            .into_iter()
            .map(|(p, v)| (p.split(' ').collect(), v))
            .collect();
        let mut by_first: WordMap<Vec<usize>> = WordMap::default();
        for (i, (words, _)) in entries.iter().enumerate() {
            if let Some(first) = words.first() {
                by_first.entry(first).or_default().push(i);
            }
        }
        for list in by_first.values_mut() {
            list.sort_by_key(|&i| {
                (
                    std::cmp::Reverse(entries.get(i).map_or(0, |e| e.0.len())),
                    std::cmp::Reverse(i),
                )
            });
        }
        Self { entries, by_first }
    }

    /// The longest entry matching at token `i`: its end index and value.
    pub fn longest_at(&self, t: &Tokens, i: usize) -> Option<(usize, T)> {
        let tok = t.toks.get(i).filter(|x| x.is_wordlike())?;
        let candidates = self.by_first.get(tok.norm.as_str())?;
        candidates.iter().find_map(|&e| {
            let (words, value) = self.entries.get(e)?;
            let all = words.iter().enumerate().all(|(k, w)| t.is(i + k, w));
            all.then_some((i + words.len(), *value))
        })
    }

    /// Every match in `t`, longest first at each position, never
    /// overlapping, left to right.
    pub fn find(&self, t: &Tokens) -> Vec<Hit<T>> {
        let mut hits = Vec::new();
        let mut i = 0;
        while i < t.len() {
            match self.longest_at(t, i) {
                Some((end, what)) => {
                    hits.push(Hit {
                        start: i,
                        end,
                        what,
                    });
                    i = end;
                }
                None => i += 1,
            }
        }
        hits
    }
}

impl Lexicon<&'static str> {
    /// A lexicon of plain phrases, each standing for itself.
    pub fn of(lists: &[&'static [&'static str]]) -> Self {
        Self::new(lists.iter().flat_map(|l| l.iter().map(|p| (*p, *p))))
    }
}

/// Declares a function returning a lexicon built on first use.
macro_rules! lexicon {
    ($(#[$m:meta])* $vis:vis fn $name:ident() -> $t:ty = $init:expr;) => {
        $(#[$m])*
        $vis fn $name() -> &'static $crate::coach::text::Lexicon<$t> {
            static L: std::sync::OnceLock<$crate::coach::text::Lexicon<$t>> =
                std::sync::OnceLock::new();
            L.get_or_init(|| $init)
        }
    };
}
pub(crate) use lexicon;

/// Tokenised text and the structure questions the rules ask of it.
#[derive(Debug, Clone)]
pub(crate) struct Tokens {
    /// The tokens.
    pub toks: Vec<Token>,
}

impl Tokens {
    /// Tokenises `text`.
    pub fn new(text: &str) -> Self {
        Self {
            toks: tokenize(text),
        }
    }

    /// Number of tokens.
    pub fn len(&self) -> usize {
        self.toks.len()
    }

    /// Byte span of tokens `[a, b)`.
    pub fn span(&self, a: usize, b: usize) -> (usize, usize) {
        let s = self.toks.get(a).map_or(0, |t| t.start);
        let e = b
            .checked_sub(1)
            .and_then(|i| self.toks.get(i))
            .map_or(s, |t| t.end);
        (s, e.max(s))
    }

    /// The token at `i` when it is the word `w`.
    pub fn is(&self, i: usize, w: &str) -> bool {
        self.toks.get(i).is_some_and(|t| t.is(w))
    }

    /// The token at `i` when it is one of `words`.
    pub fn is_in(&self, i: usize, words: &[&str]) -> bool {
        self.toks.get(i).is_some_and(|t| t.is_in(words))
    }

    /// The token at `i` when it is a word (not a possessive) in `set`.
    pub fn is_in_set(&self, i: usize, set: &WordSet) -> bool {
        self.toks
            .get(i)
            .is_some_and(|t| t.is_wordlike() && !t.possessive && set.contains(&t.norm))
    }

    /// Where phrase `p` (space-separated words) matches at `i`: the end
    /// index, if it does.
    pub fn match_at(&self, i: usize, p: &str) -> Option<usize> {
        let mut j = i;
        for w in p.split(' ') {
            if !self.is(j, w) {
                return None;
            }
            j += 1;
        }
        Some(j)
    }

    /// Every match of the entries of `lexicon`, longest first at each
    /// position, never overlapping, left to right.
    pub fn find<T: Copy>(&self, lexicon: &Lexicon<T>) -> Vec<Hit<T>> {
        lexicon.find(self)
    }

    /// True when token `i` stands where an imperative or a verb after a
    /// modal would: first in its clause, or after "to", "will", "should",
    /// "must", "we". Tells "Review firewall rules" from "code review".
    pub fn in_verb_position(&self, i: usize) -> bool {
        i == 0
            || self.is_break(i - 1)
            || self.is_in(
                i - 1,
                &[
                    "to", "will", "shall", "should", "must", "we", "please", "then",
                ],
            )
    }

    /// True when the token ends a clause (or a sentence) by itself.
    fn is_break(&self, i: usize) -> bool {
        self.toks.get(i).is_none_or(|t| {
            matches!(t.kind, TokKind::SentenceEnd | TokKind::ClauseEnd)
                || t.is_in(CLAUSE_WORDS)
                || t.is_in(RELATIVES)
        })
    }

    /// True when the token ends a sentence.
    fn is_sentence_end(&self, i: usize) -> bool {
        self.toks
            .get(i)
            .is_none_or(|t| t.kind == TokKind::SentenceEnd)
    }

    /// The first token of the sentence holding token `i`.
    pub fn sentence_start(&self, i: usize) -> usize {
        let mut a = i;
        while a > 0 && !self.is_sentence_end(a - 1) {
            a -= 1;
        }
        a
    }

    /// Sentences as token ranges `[a, b)`, empty ones left out.
    pub fn sentences(&self) -> Vec<(usize, usize)> {
        let mut out = Vec::new();
        let mut a = 0;
        for i in 0..=self.len() {
            if i == self.len() || self.is_sentence_end(i) {
                if i > a {
                    out.push((a, i));
                }
                a = i + 1;
            }
        }
        out
    }

    /// The first token of the clause holding token `i`.
    pub fn clause_start(&self, i: usize) -> usize {
        let mut a = i;
        while a > 0 && !self.is_break(a - 1) {
            a -= 1;
        }
        a
    }

    /// True when the token can be read as a verb: an auxiliary or a past
    /// tense (regular "-ed" or irregular). "Not" alone is not a verb:
    /// "finance staff not on MFA" describes a state.
    pub fn is_verbish(&self, i: usize) -> bool {
        let Some(t) = self.toks.get(i) else {
            return false;
        };
        if t.kind != TokKind::Word || t.possessive {
            return false;
        }
        let w = t.norm.as_str();
        AUXILIARIES.contains(&w)
            || IRREGULAR_PAST.contains(&w)
            || (w.len() >= 4 && w.ends_with("ed") && !NOT_PAST.contains(&w))
    }

    /// True for an adverb or another word that may sit between a subject and
    /// its verb.
    fn is_filler(&self, i: usize) -> bool {
        let Some(t) = self.toks.get(i) else {
            return false;
        };
        if t.kind != TokKind::Word || t.possessive {
            return false;
        }
        let w = t.norm.as_str();
        FILLERS.contains(&w)
            || AUXILIARIES.contains(&w)
            || (w.len() > 4 && w.ends_with("ly") && !NOT_ADVERBS.contains(&w))
    }

    /// True for a determiner or a possessive: it opens a noun phrase.
    fn opens_np(&self, i: usize) -> bool {
        self.toks
            .get(i)
            .is_some_and(|t| t.possessive || t.is_in(DETERMINERS))
    }

    /// The head of the noun phrase that ends right before `v` (skipping
    /// adverbs and auxiliaries), not looking before `floor`. A noun phrase
    /// that is the object of a preposition is stepped over: in "the engineer
    /// on shift failed to" the head is "engineer", not "shift".
    pub fn np_head_before(&self, floor: usize, v: usize) -> Option<usize> {
        let mut i = v;
        while i > floor && self.is_filler(i - 1) {
            i -= 1;
        }
        if i == floor || self.is_break(i - 1) {
            return None;
        }
        let mut head = i - 1;
        loop {
            if !self.toks.get(head).is_some_and(Token::is_wordlike) {
                return None;
            }
            // Walk back to the start of this noun phrase.
            let mut j = head;
            while j > floor
                && !self.is_in(j, DETERMINERS)
                && !self.is_break(j - 1)
                && !self.is_in(j - 1, PREPOSITIONS)
                && !self.is_verbish(j - 1)
            {
                j -= 1;
            }
            // "... X <prep> [NP]": the phrase modifies X; keep looking.
            if j >= floor + 2
                && self.is_in(j - 1, PREPOSITIONS)
                && self.toks.get(j - 2).is_some_and(Token::is_wordlike)
                && !self.is_break(j - 2)
                && !self.is_in(j - 2, PREPOSITIONS)
            {
                head = j - 2;
                continue;
            }
            return Some(head);
        }
    }

    /// The head of the subject of the clause `[a, b)`: the noun phrase before
    /// its first verb. `None` when the clause has no verb.
    pub fn clause_subject(&self, a: usize, b: usize) -> Option<usize> {
        let v = (a + 1..b).find(|&v| self.is_verbish(v) && !self.opens_np(v - 1))?;
        self.np_head_before(a, v)
    }

    /// The head of the subject of the sentence `[a, b)`: the subject of its
    /// first clause, or, when that clause is a bare noun phrase followed by a
    /// relative clause ("the engineer who made the change had no way"), its
    /// head.
    pub fn sentence_subject(&self, a: usize, b: usize) -> Option<usize> {
        let mut a = a;
        // "Because the engineer forgot..." opens with a clause word.
        while a < b && self.is_break(a) {
            a += 1;
        }
        let mut c = a;
        while c < b && !self.is_break(c) {
            c += 1;
        }
        if let Some(s) = self.clause_subject(a, c) {
            return Some(s);
        }
        if c < b && self.is_in(c, RELATIVES) {
            return self.np_head_before(a, c);
        }
        None
    }

    /// The clauses of the sentence `[a, b)`, as token ranges without their
    /// breaks, empty ones left out.
    pub fn clauses(&self, a: usize, b: usize) -> Vec<(usize, usize)> {
        let mut out = Vec::new();
        let mut start = a;
        for i in a..=b {
            if i == b || self.is_break(i) {
                if i > start {
                    out.push((start, i));
                }
                start = i + 1;
            }
        }
        out
    }

    /// What the sentence `[a, b)` is about, as a token range: its first
    /// clause up to and including the first verb group ("the attacker got",
    /// "the network was breached"), or, when that clause has no verb, its
    /// first noun phrase ("a bug" in "a bug in the login service").
    pub fn topic(&self, a: usize, b: usize) -> (usize, usize) {
        let Some(&(a, c)) = self.clauses(a, b).first() else {
            return (a, a);
        };
        match (a + 1..c).find(|&v| self.is_verbish(v) && !self.opens_np(v - 1)) {
            Some(v) => {
                let mut end = v + 1;
                while end < c && (self.is_verbish(end) || self.is_filler(end)) {
                    end += 1;
                }
                (a, end)
            }
            None => {
                let end = (a..c).find(|&i| self.is_in(i, PREPOSITIONS)).unwrap_or(c);
                (a, end)
            }
        }
    }

    /// True when the verb group after the subject head `h` is a passive ("the
    /// contractors were issued shared accounts"): the subject receives the
    /// act rather than doing it.
    pub fn passive_after(&self, h: usize) -> bool {
        let mut v = h + 1;
        while self.is_filler(v) && !self.is_in(v, &["is", "was", "were", "are", "been", "be"]) {
            v += 1;
        }
        if !self.is_in(v, &["is", "was", "were", "are", "been", "be", "being"]) {
            return false;
        }
        let mut p = v + 1;
        while self.is_in(p, &["been", "being"]) || (self.is_filler(p) && !self.is_verbish(p)) {
            p += 1;
        }
        self.is_verbish(p)
    }

    /// The head of the subject of a verb phrase starting at token `k`.
    ///
    /// Inside the clause: the noun phrase before `k`. When the clause holds
    /// nothing but the verb phrase, the subject is shared with what came
    /// before: the antecedent of a relative pronoun ("the engineer who
    /// failed to"), or the subject of the previous clause ("the analyst
    /// opened a ticket but failed to"), or an apposition ("Bob, as the
    /// on-call engineer, failed to").
    pub fn subject_of(&self, k: usize) -> Option<usize> {
        self.subject_of_depth(k, 3)
    }

    fn subject_of_depth(&self, k: usize, depth: u8) -> Option<usize> {
        let a = self.clause_start(k);
        let has_words = (a..k).any(|i| !self.is_filler(i));
        // "the engineer who approved the change failed to": the relative
        // clause has its own verb, so `k` is the main verb and its subject
        // is the antecedent.
        if has_words && a > 0 && self.is_in(a - 1, RELATIVES) && (a..k).any(|i| self.is_verbish(i))
        {
            let pa = self.clause_start(a - 1);
            return self.np_head_before(pa, a - 1);
        }
        if has_words {
            return self.np_head_before(a, k);
        }
        if depth == 0 || a == 0 || self.is_sentence_end(a - 1) {
            return None;
        }
        let brk = a - 1;
        let pa = self.clause_start(brk);
        if self.is_in(brk, RELATIVES) {
            return self.np_head_before(pa, brk);
        }
        // Coordination or apposition: the previous clause's subject, or the
        // previous clause itself when it is a bare noun phrase.
        self.clause_subject(pa, brk)
            .or_else(|| self.np_head_before(pa, brk))
            .or_else(|| self.subject_of_depth(pa, depth - 1))
    }

    /// True when token `i` names a person: a role noun ("engineer",
    /// "on-call", "SOC"), a personal pronoun, a qualified noun ("helpdesk
    /// agent"), or a capitalised common first name. Possessives are not
    /// persons themselves ("the engineer's script").
    pub fn is_person(&self, i: usize) -> bool {
        let Some(t) = self.toks.get(i) else {
            return false;
        };
        if t.kind != TokKind::Word || t.possessive {
            return false;
        }
        self.names_person(i)
    }

    /// Like [`Tokens::is_person`] but accepts a possessive ("Emma's").
    pub fn names_person(&self, i: usize) -> bool {
        let Some(t) = self.toks.get(i) else {
            return false;
        };
        if t.kind != TokKind::Word {
            return false;
        }
        let w = t.norm.as_str();
        if person_words().contains(w) {
            return true;
        }
        if t.capitalised && first_names().contains(w) {
            return true;
        }
        QUALIFIED_PERSON_NOUNS
            .iter()
            .any(|(noun, qualifiers)| *noun == w && i > 0 && self.is_in(i - 1, qualifiers))
    }

    /// A person named by the noun phrase that starts at `j` ("the on-call
    /// analyst", "Bob's"), as the index of the word naming them. Looks at
    /// most four words ahead and stops at the end of the phrase.
    pub fn person_np_at(&self, j: usize) -> Option<usize> {
        let mut i = j;
        while self.is_in(i, DETERMINERS) {
            i += 1;
        }
        for p in i..i + 4 {
            let t = self.toks.get(p)?;
            if !t.is_wordlike() || self.is_break(p) || self.is_in(p, PREPOSITIONS) {
                return None;
            }
            if self.names_person(p) {
                if t.possessive {
                    return Some(p);
                }
                // A person word followed by another noun is a modifier
                // ("admin console", "user accounts"); keep reading.
                let next_is_noun = self.toks.get(p + 1).is_some_and(|n| {
                    n.is_wordlike()
                        && !self.is_verbish(p + 1)
                        && !self.is_filler(p + 1)
                        && !self.is_break(p + 1)
                        && !self.is_in(p + 1, PREPOSITIONS)
                });
                if !next_is_noun {
                    return Some(p);
                }
            } else if self.is_verbish(p) {
                return None;
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;

    fn norms(text: &str) -> Vec<String> {
        tokenize(text).into_iter().map(|t| t.norm).collect()
    }

    fn subject(text: &str, verb: &str) -> Option<String> {
        let t = Tokens::new(text);
        let k = (0..t.len())
            .find(|&i| t.match_at(i, verb).is_some())
            .unwrap_or_else(|| panic!("{verb} in {text}"));
        t.subject_of(k).map(|h| t.toks[h].norm.clone())
    }

    #[test]
    fn words_numbers_and_punctuation_are_told_apart() {
        assert_eq!(
            norms("SIEM alert at 03:15, from 185.220.101.45 (80%)."),
            [
                "siem",
                "alert",
                "at",
                "03:15",
                ",",
                "from",
                "185.220.101.45",
                "(",
                "80%",
                ")",
                "."
            ]
        );
        assert_eq!(
            norms("on-call e-mail admin.company.com"),
            ["on-call", "e-mail", "admin.company.com"]
        );
    }

    #[test]
    fn contractions_become_two_words_with_their_own_spans() {
        let text = "He didn’t bother; it's fine, the engineer's key";
        let toks = tokenize(text);
        let n: Vec<&str> = toks.iter().map(|t| t.norm.as_str()).collect();
        assert_eq!(
            n,
            [
                "he", "did", "not", "bother", ";", "it", "is", "fine", ",", "the", "engineer",
                "key"
            ]
        );
        assert_eq!(&text[toks[1].start..toks[1].end], "did");
        assert_eq!(&text[toks[2].start..toks[2].end], "n’t");
        assert!(toks[10].possessive);
        assert_eq!(&text[toks[10].start..toks[10].end], "engineer's");
    }

    #[test]
    fn spans_are_char_boundaries_in_any_text() {
        let text = "Émile — l’ingénieur ✅ didn’t “check”… 🚨 x";
        for t in tokenize(text) {
            assert!(text.is_char_boundary(t.start) && text.is_char_boundary(t.end));
            assert!(t.start < t.end);
        }
    }

    #[test]
    fn abbreviations_do_not_end_sentences() {
        let t = Tokens::new("Say what allowed it, e.g. the console. Then stop.");
        assert_eq!(t.sentences().len(), 2);
    }

    #[test]
    fn the_subject_is_the_noun_before_the_verb() {
        assert_eq!(
            subject("The engineer failed to rotate", "failed to").as_deref(),
            Some("engineer")
        );
        assert_eq!(
            subject("The backup job failed to start", "failed to").as_deref(),
            Some("job")
        );
        assert_eq!(
            subject("Bob then simply failed to", "failed to").as_deref(),
            Some("bob")
        );
    }

    #[test]
    fn prepositional_phrases_are_stepped_over() {
        assert_eq!(
            subject("The engineer on shift failed to page", "failed to").as_deref(),
            Some("engineer")
        );
        assert_eq!(
            subject(
                "Logs from the engineer's laptop failed to upload",
                "failed to"
            )
            .as_deref(),
            Some("logs")
        );
        assert_eq!(
            subject("At 03:10 the analyst failed to escalate", "failed to").as_deref(),
            Some("analyst")
        );
    }

    #[test]
    fn shared_subjects_are_followed() {
        assert_eq!(
            subject(
                "The analyst opened a ticket but failed to escalate",
                "failed to"
            )
            .as_deref(),
            Some("analyst")
        );
        assert_eq!(
            subject(
                "The engineer who approved it failed to read the diff",
                "failed to"
            )
            .as_deref(),
            Some("engineer")
        );
        assert_eq!(
            subject(
                "The backup job that was scheduled nightly failed to start",
                "failed to"
            )
            .as_deref(),
            Some("job")
        );
        assert_eq!(
            subject("the job that failed to start", "failed to").as_deref(),
            Some("job")
        );
    }

    #[test]
    fn persons_are_roles_pronouns_and_capitalised_names() {
        let t = Tokens::new("Alice the on-call helpdesk agent she alice EDR agent Jenkins");
        let who: Vec<bool> = (0..t.len()).map(|i| t.is_person(i)).collect();
        assert_eq!(
            who,
            [
                true, false, true, true, true, true, false, false, false, false
            ]
        );
    }

    #[test]
    fn a_person_word_that_modifies_a_noun_is_not_the_head() {
        let t = Tokens::new("the admin console was open");
        assert_eq!(t.person_np_at(0), None);
        let t = Tokens::new("the admin disabled it");
        assert_eq!(t.person_np_at(0), Some(1));
        let t = Tokens::new("Bob's change");
        assert_eq!(t.person_np_at(0), Some(0));
    }

    #[test]
    fn the_topic_is_the_subject_and_first_verb_group_or_the_first_noun_phrase() {
        let topic = |text: &str| {
            let t = Tokens::new(text);
            let (a, b) = t.sentences()[0];
            let (s, e) = t.topic(a, b);
            let (s, e) = t.span(s, e);
            text[s..e].to_owned()
        };
        assert_eq!(
            topic("The network was breached by a botnet."),
            "The network was breached"
        );
        assert_eq!(topic("A bug in the login service."), "A bug");
        assert_eq!(
            topic("Guidance said brute-force alerts were noise."),
            "Guidance said"
        );
    }

    #[test]
    fn a_person_receiving_a_passive_is_not_acting() {
        let t = Tokens::new("Contractors were issued shared accounts");
        assert!(t.passive_after(0));
        let t = Tokens::new("The contractor shared his password");
        assert!(!t.passive_after(1));
        let t = Tokens::new("The engineer was not careful enough");
        assert!(!t.passive_after(1));
    }

    #[test]
    fn the_sentence_subject_skips_an_opening_clause_word() {
        let t = Tokens::new("Because the engineer forgot to renew it");
        let (a, b) = t.sentences()[0];
        assert_eq!(
            t.sentence_subject(a, b).map(|h| t.toks[h].norm.as_str()),
            Some("engineer")
        );
    }
}
