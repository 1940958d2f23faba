//! The detectors measured against the labelled corpus in tests/data/redact
//! (its README has the span rules): per type precision and recall on the
//! part used for tuning and on the held-out part, never tuned on; and
//! silence on the clean texts. BENCHMARKS.md records the figures.
//!
//! A labelled entity counts as found when a finding of its type covers all
//! of it (a finding that stops short leaves part of the value in the text).
//! A finding counts as right when it overlaps an entity of its type, and as
//! a false positive otherwise. Masking recall counts an entity as withheld
//! when findings of any type cover it: what reaches the backend.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::{Finding, Kind, detect};

const TUNE: &str = include_str!("../../tests/data/redact/tune.jsonl");
const HOLDOUT: &str = include_str!("../../tests/data/redact/holdout.jsonl");
/// Drawn from another seed after tuning; only its figures are ever shown.
const FRESH: &str = include_str!("../../tests/data/redact/fresh.jsonl");
const CLEAN: [(&str, &str); 9] = [
    ("app_log.txt", include_str!("../../tests/data/redact/clean/app_log.txt")),
    ("configs.txt", include_str!("../../tests/data/redact/clean/configs.txt")),
    ("git_log.txt", include_str!("../../tests/data/redact/clean/git_log.txt")),
    (
        "inventory.rs",
        include_str!("../../tests/data/redact/clean/inventory.rs"),
    ),
    ("prose.txt", include_str!("../../tests/data/redact/clean/prose.txt")),
    (
        "report_tool.py",
        include_str!("../../tests/data/redact/clean/report_tool.py"),
    ),
    (
        "support_chat_lines.txt",
        include_str!("../../tests/data/redact/clean/support_chat_lines.txt"),
    ),
    (
        "support_chat_lines_2.txt",
        include_str!("../../tests/data/redact/clean/support_chat_lines_2.txt"),
    ),
    (
        "support_transcripts.txt",
        include_str!("../../tests/data/redact/clean/support_transcripts.txt"),
    ),
];

/// What every gated type reaches on every part: tuned, held-out and fresh.
const TARGET_PRECISION: f64 = 0.98;
const TARGET_RECALL: f64 = 0.95;

/// The types the gate holds to its targets; names and addresses are
/// reported with their own figures.
const GATED: [Kind; 11] = [
    Kind::Email,
    Kind::Phone,
    Kind::CreditCard,
    Kind::Iban,
    Kind::UsSsn,
    Kind::IpAddress,
    Kind::UrlCredentials,
    Kind::ApiKey,
    Kind::Secret,
    Kind::PrivateKey,
    Kind::CryptoWallet,
];

#[derive(Deserialize)]
pub(crate) struct Case {
    pub id: String,
    pub text: String,
    pub entities: Vec<Entity>,
}

#[derive(Deserialize)]
pub(crate) struct Entity {
    #[serde(rename = "type")]
    pub kind: String,
    pub start: usize,
    pub end: usize,
}

#[derive(Default, Clone, Copy)]
pub(crate) struct Score {
    pub true_positives: usize,
    pub false_positives: usize,
    pub false_negatives: usize,
}

impl Score {
    pub fn precision(&self) -> f64 {
        let found = self.true_positives + self.false_positives;
        if found == 0 {
            1.0
        } else {
            self.true_positives as f64 / found as f64
        }
    }

    pub fn recall(&self) -> f64 {
        let expected = self.true_positives + self.false_negatives;
        if expected == 0 {
            1.0
        } else {
            self.true_positives as f64 / expected as f64
        }
    }
}

/// The scores of one part of the corpus.
pub(crate) struct Evaluation {
    pub by_kind: BTreeMap<&'static str, Score>,
    /// Entities whose bytes all ended up withheld, by any finding.
    pub masked: usize,
    pub entities: usize,
    /// What went wrong, one line each (ids and values: test output only).
    pub mistakes: Vec<String>,
}

pub(crate) fn parse(corpus: &str) -> Vec<Case> {
    corpus
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).expect("every corpus line is a case"))
        .collect()
}

pub(crate) fn evaluate(cases: &[Case]) -> Evaluation {
    let mut by_kind: BTreeMap<&'static str, Score> = Kind::ALL.iter().map(|k| (k.name(), Score::default())).collect();
    let (mut masked, mut entities) = (0, 0);
    let mut mistakes = Vec::new();
    for case in cases {
        let findings = detect(&case.text);
        for f in &findings {
            let right = case
                .entities
                .iter()
                .any(|e| e.kind == f.kind.name() && f.start < e.end && e.start < f.end);
            let score = by_kind.entry(f.kind.name()).or_default();
            if right {
                score.true_positives += 1;
            } else {
                score.false_positives += 1;
                mistakes.push(format!(
                    "{}: false {} {:?}",
                    case.id,
                    f.kind.name(),
                    &case.text[f.start..f.end]
                ));
            }
        }
        for e in &case.entities {
            entities += 1;
            let covered = |f: &&Finding| f.start <= e.start && f.end >= e.end;
            if withheld(&findings, e.start, e.end) {
                masked += 1;
            }
            let found = findings.iter().filter(covered).any(|f| f.kind.name() == e.kind);
            if !found {
                let kind = Kind::from_name(&e.kind).map_or("?", Kind::name);
                by_kind.entry(kind).or_default().false_negatives += 1;
                let got: Vec<String> = findings
                    .iter()
                    .filter(|f| f.start < e.end && e.start < f.end)
                    .map(|f| format!("{} {:?}", f.kind.name(), &case.text[f.start..f.end]))
                    .collect();
                mistakes.push(format!(
                    "{}: missed {} {:?} (found there: {got:?})",
                    case.id,
                    e.kind,
                    &case.text[e.start..e.end]
                ));
            }
        }
    }
    Evaluation {
        by_kind,
        masked,
        entities,
        mistakes,
    }
}

/// Whether every byte of `start..end` is inside some finding.
fn withheld(findings: &[Finding], start: usize, end: usize) -> bool {
    let mut at = start;
    let mut sorted: Vec<&Finding> = findings.iter().filter(|f| f.end > start && f.start < end).collect();
    sorted.sort_by_key(|f| f.start);
    for f in sorted {
        if f.start > at {
            return false;
        }
        at = at.max(f.end);
        if at >= end {
            return true;
        }
    }
    at >= end
}

fn table(name: &str, evaluation: &Evaluation) -> String {
    let mut out = format!("{name}\n| type | precision | recall | found | expected |\n|---|---|---|---|---|\n");
    for (kind, s) in &evaluation.by_kind {
        out.push_str(&format!(
            "| {kind} | {:.3} | {:.3} | {} | {} |\n",
            s.precision(),
            s.recall(),
            s.true_positives + s.false_positives,
            s.true_positives + s.false_negatives
        ));
    }
    out.push_str(&format!(
        "| withheld by any finding | | {:.3} | | {} |\n",
        evaluation.masked as f64 / evaluation.entities.max(1) as f64,
        evaluation.entities
    ));
    out
}

/// The gated types below a target, as lines; empty when all meet them.
fn below_targets(evaluation: &Evaluation, precision: f64, recall: f64) -> Vec<String> {
    GATED
        .iter()
        .filter_map(|kind| {
            let s = evaluation.by_kind.get(kind.name()).copied().unwrap_or_default();
            (s.precision() < precision || s.recall() < recall).then(|| {
                format!(
                    "{}: precision {:.3}, recall {:.3}",
                    kind.name(),
                    s.precision(),
                    s.recall()
                )
            })
        })
        .collect()
}

#[test]
fn the_corpus_is_what_its_readme_says() {
    let (tune, holdout) = (parse(TUNE), parse(HOLDOUT));
    assert!(tune.len() + holdout.len() >= 1_500);
    let negatives = tune.iter().chain(&holdout).filter(|c| c.entities.is_empty()).count();
    assert!(negatives >= 400, "{negatives} negatives");
    for case in tune.iter().chain(&holdout) {
        for e in &case.entities {
            assert!(Kind::from_name(&e.kind).is_some(), "{}: type {}", case.id, e.kind);
            assert!(case.text.is_char_boundary(e.start) && case.text.is_char_boundary(e.end));
        }
    }
    let clean: usize = CLEAN.iter().map(|(_, t)| t.len()).sum();
    assert!(clean >= 50_000, "{clean} bytes of clean text");
}

#[test]
fn every_gated_type_meets_its_precision_and_recall_targets() {
    let tune = evaluate(&parse(TUNE));
    let holdout = evaluate(&parse(HOLDOUT));
    let fresh = evaluate(&parse(FRESH));
    println!("{}", table("tune", &tune));
    println!("{}", table("held-out", &holdout));
    println!("{}", table("fresh held-out", &fresh));
    // Only the tuned part's mistakes are shown: reading the held-out ones
    // would make them tuning data.
    for mistake in tune.mistakes.iter().take(400) {
        println!("{mistake}");
    }
    // Every part holds the targets; a held-out part's mistakes stay
    // unread, so only its figures say where to look (on a development set
    // drawn from another seed, `development_set` below).
    let failures: Vec<String> = [("tune", &tune), ("held-out", &holdout), ("fresh held-out", &fresh)]
        .into_iter()
        .flat_map(|(part, evaluation)| {
            below_targets(evaluation, TARGET_PRECISION, TARGET_RECALL)
                .into_iter()
                .map(move |line| format!("{part} {line}"))
        })
        .collect();
    assert!(failures.is_empty(), "below the gate: {failures:#?}");
}

#[test]
fn ordinary_text_and_code_trigger_nothing() {
    let noisy: Vec<String> = CLEAN
        .iter()
        .flat_map(|(name, text)| {
            detect(text)
                .into_iter()
                .map(move |f| format!("{name}: {} {:?}", f.kind, &text[f.start..f.end]))
        })
        .collect();
    assert!(noisy.is_empty(), "detections in ordinary text: {noisy:#?}");
}

#[test]
fn withholding_everything_found_covers_what_the_corpus_labels() {
    // What reaches the backend: an entity counts when findings of any type
    // cover all of it. Names and addresses are not detected by the gated
    // detectors, so they are left out here as in the gate.
    for (part, corpus) in [("tune", TUNE), ("held-out", HOLDOUT), ("fresh held-out", FRESH)] {
        let mut cases = parse(corpus);
        for case in &mut cases {
            case.entities
                .retain(|e| !matches!(e.kind.as_str(), "PERSON_NAME" | "STREET_ADDRESS"));
        }
        let evaluation = evaluate(&cases);
        let share = evaluation.masked as f64 / evaluation.entities.max(1) as f64;
        println!("{part}: {share:.4} of {} gated entities withheld", evaluation.entities);
        assert!(share >= TARGET_RECALL, "{part}: {share:.4} withheld");
    }
}

/// A development set drawn by `make_corpus.py --dev SEED PATH` (not
/// committed): its figures and mistakes, for tuning without reading the
/// held-out parts. `SOTTO_REDACT_DEV=PATH cargo test --lib -- --ignored
/// development_set`.
#[test]
#[ignore = "needs SOTTO_REDACT_DEV, a corpus file drawn for development"]
fn development_set() {
    let path = std::env::var("SOTTO_REDACT_DEV").expect("SOTTO_REDACT_DEV names a corpus file");
    let text = std::fs::read_to_string(&path).expect("the development set is readable");
    let dev = evaluate(&parse(&text));
    println!("{}", table("development", &dev));
    for mistake in &dev.mistakes {
        println!("{mistake}");
    }
}
