//! Passphrase strength, judged by the zxcvbn estimator before a passphrase is
//! allowed to protect a vault. The assessment carries the estimator's own
//! advice so the user learns *why* a passphrase was refused.

use secrecy::{ExposeSecret, SecretString};
use zxcvbn::Score;

/// The weakest estimator score a new passphrase may have. Score 4 means more
/// than 10^10 guesses: an attacker with a copy of the vault and the scrypt cost
/// in front of every guess needs years, not days.
pub const REQUIRED_SCORE: u8 = 4;

/// What the estimator thinks of a passphrase. Holds no part of it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Strength {
    /// 0 (trivial) to 4 (strong).
    pub score: u8,
    /// Estimated time to guess it offline at 10,000 guesses per second.
    pub offline_crack_time: String,
    /// The estimator's warning, if any ("This is a top-100 common password.").
    pub warning: Option<String>,
    /// Its suggestions ("Add another word or two.").
    pub suggestions: Vec<String>,
}

impl Strength {
    pub fn is_acceptable(&self) -> bool {
        self.score >= REQUIRED_SCORE
    }

    /// One paragraph explaining the verdict, for error messages and the meter.
    pub fn advice(&self) -> String {
        let mut text = format!(
            "Estimated strength {}/4; an attacker with a copy of the vault could guess it in {}.",
            self.score, self.offline_crack_time
        );
        if let Some(warning) = &self.warning {
            text.push(' ');
            text.push_str(warning);
        }
        for suggestion in &self.suggestions {
            text.push(' ');
            text.push_str(suggestion);
        }
        text
    }
}

/// Rates `passphrase`. `context` lists words that make a passphrase weaker
/// when it contains them (the product name, the user name).
pub fn assess(passphrase: &SecretString, context: &[&str]) -> Strength {
    let estimate = zxcvbn::zxcvbn(passphrase.expose_secret(), context);
    let score = match estimate.score() {
        Score::Zero => 0,
        Score::One => 1,
        Score::Two => 2,
        Score::Three => 3,
        Score::Four => 4,
        _ => 4,
    };
    let feedback = estimate.feedback();
    Strength {
        score,
        offline_crack_time: estimate.crack_times().offline_slow_hashing_1e4_per_second().to_string(),
        warning: feedback.and_then(|f| f.warning()).map(|w| w.to_string()),
        suggestions: feedback
            .map(|f| f.suggestions().iter().map(ToString::to_string).collect())
            .unwrap_or_default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rate(p: &str) -> Strength {
        assess(&SecretString::from(p.to_owned()), &["sotto"])
    }

    #[test]
    fn common_passwords_are_refused_with_the_estimators_reason() {
        let s = rate("password1");
        assert!(!s.is_acceptable());
        assert!(s.advice().contains("common password"), "{}", s.advice());
    }

    #[test]
    fn the_product_name_does_not_make_a_passphrase_strong() {
        assert!(!rate("sotto2026").is_acceptable());
    }

    #[test]
    fn several_random_words_are_accepted() {
        assert!(rate("plinth walrus cobalt ember quaver").is_acceptable());
    }
}
