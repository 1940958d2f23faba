//! API keys and tokens: vendor keys by their fixed prefix, length and
//! charset; JWTs whose first two segments decode to JSON objects; private
//! key blocks from their BEGIN line (to the END line, or to the end of the
//! text when it is missing); and `key = value` assignments whose value has
//! enough entropy. Placeholders (`xxxx`, `…EXAMPLE`, `<…>`, `$VAR`, `{{…}}`)
//! are never secrets.

use std::sync::LazyLock;

use base64::Engine as _;
use regex::Regex;

use super::{Finding, Kind, standalone};

/// Vendor keys: a fixed prefix, then a fixed or bounded body.
static VENDOR: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?x)
          (?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA|ANVA|AIPA)[A-Z0-9]{16}      # AWS access key id
        | gh[pousr]_[A-Za-z0-9]{36}                                    # GitHub tokens
        | github_pat_[A-Za-z0-9_]{82}                                  # GitHub fine-grained
        | glpat-[A-Za-z0-9_\-]{20}                                     # GitLab
        | xox[abposr]-[A-Za-z0-9\-]{10,72}                             # Slack
        | (?:sk|rk|pk)_(?:live|test)_[A-Za-z0-9]{24,99}                # Stripe
        | sk-ant-(?:api|admin)\d{2}-[A-Za-z0-9_\-]{80,120}              # Anthropic
        | sk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_\-]{20,200}           # OpenAI
        | AIza[0-9A-Za-z_\-]{35}                                       # Google API key
        | ya29\.[0-9A-Za-z_\-]{20,}                                    # Google OAuth token
        | SG\.[A-Za-z0-9_\-]{22}\.[A-Za-z0-9_\-]{43}                   # SendGrid
        | SK[0-9a-f]{32}                                               # Twilio
        | npm_[A-Za-z0-9]{36}                                          # npm
        | pypi-AgEIcHlwaS5vcmc[A-Za-z0-9_\-]{50,}                       # PyPI
        | hf_[A-Za-z]{34}                                              # Hugging Face
        | dop_v1_[a-f0-9]{64}                                          # DigitalOcean
        | shpat_[a-fA-F0-9]{32}                                        # Shopify
        ",
    )
    .expect("the vendor key pattern is valid (checked by tests)")
});

static JWT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"eyJ[A-Za-z0-9_\-]{5,}\.eyJ[A-Za-z0-9_\-]{5,}\.[A-Za-z0-9_\-]{0,1024}")
        .expect("the JWT pattern is valid (checked by tests)")
});

static PRIVATE_KEY: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"-----BEGIN (?:[A-Z0-9]+ ){0,3}PRIVATE KEY(?: BLOCK)?-----").expect("valid pattern (checked by tests)")
});

static PRIVATE_KEY_END: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"-----END (?:[A-Z0-9]+ ){0,3}PRIVATE KEY(?: BLOCK)?-----").expect("valid pattern (checked by tests)")
});

/// `name = value` / `name: value` where the name says it is a secret; the
/// value is group 1.
static ASSIGNMENT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r#"(?i)(?:api[_\-]?key|apikey|secret(?:[_\-]?key)?|access[_\-]?token|auth[_\-]?token|token|password|passwd|pwd|client[_\-]?secret|aws_secret_access_key)["']?\s*[:=]\s*["']?([^\s"'`,;]{8,256})"#,
    )
    .expect("the assignment pattern is valid (checked by tests)")
});

/// Bits of entropy per character a generic secret must have.
const ENTROPY_FLOOR: f64 = 3.0;

pub fn detect(text: &str, found: &mut Vec<Finding>) {
    for m in VENDOR.find_iter(text) {
        if standalone(text, m.start(), m.end()) && !is_placeholder(m.as_str()) {
            found.push(key(m.start(), m.end()));
        }
    }
    for m in JWT.find_iter(text) {
        if is_jwt(m.as_str()) && standalone(text, m.start(), m.end()) {
            found.push(key(m.start(), m.end()));
        }
    }
    for m in PRIVATE_KEY.find_iter(text) {
        let end = PRIVATE_KEY_END
            .find_at(text, m.end())
            .map_or(text.len(), |end| end.end());
        found.push(key(m.start(), end));
    }
    for c in ASSIGNMENT.captures_iter(text) {
        let value = c.get(1).expect("group 1 always matches");
        let v = value.as_str();
        if !is_placeholder(v) && entropy(v) >= ENTROPY_FLOOR && character_classes(v) >= 2 {
            found.push(key(value.start(), value.end()));
        }
    }
}

fn key(start: usize, end: usize) -> Finding {
    Finding {
        kind: Kind::ApiKey,
        start,
        end,
    }
}

/// A JWT: header and payload are base64url JSON objects.
fn is_jwt(token: &str) -> bool {
    let mut parts = token.split('.');
    let engine = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let json_object = |part: Option<&str>| {
        part.and_then(|p| engine.decode(p.trim_end_matches('=')).ok())
            .and_then(|bytes| serde_json::from_slice::<serde_json::Value>(&bytes).ok())
            .is_some_and(|v| v.is_object())
    };
    json_object(parts.next()) && json_object(parts.next())
}

/// Whether `value` is an obvious stand-in rather than a secret.
pub fn is_placeholder(value: &str) -> bool {
    let lower = value.to_ascii_lowercase();
    let trimmed = lower.trim_matches(|c: char| c == '"' || c == '\'');
    trimmed.contains("xxxx")
        || trimmed.contains("****")
        || trimmed.contains("....")
        || trimmed.contains("…")
        || trimmed.ends_with("example")
        || trimmed.contains("example")
        || (trimmed.starts_with('<') && trimmed.ends_with('>'))
        || trimmed.starts_with('$')
        || trimmed.starts_with("{{")
        || trimmed.starts_with("${")
        || trimmed.starts_with('%') && trimmed.ends_with('%')
        || matches!(
            trimmed,
            "changeme" | "password" | "secret" | "your_api_key" | "your-api-key" | "redacted" | "none" | "null"
        )
        || trimmed.starts_with("your")
        || trimmed.contains("placeholder")
        || trimmed.contains("dummy")
        || trimmed.chars().all(|c| c == trimmed.chars().next().unwrap_or(' '))
}

/// Shannon entropy in bits per character.
pub fn entropy(value: &str) -> f64 {
    let mut counts = std::collections::HashMap::new();
    let mut total = 0usize;
    for c in value.chars() {
        *counts.entry(c).or_insert(0usize) += 1;
        total += 1;
    }
    if total == 0 {
        return 0.0;
    }
    counts
        .values()
        .map(|&n| {
            let p = n as f64 / total as f64;
            -p * p.log2()
        })
        .sum()
}

fn character_classes(value: &str) -> usize {
    [
        value.chars().any(|c| c.is_ascii_lowercase()),
        value.chars().any(|c| c.is_ascii_uppercase()),
        value.chars().any(|c| c.is_ascii_digit()),
        value.chars().any(|c| !c.is_ascii_alphanumeric()),
    ]
    .iter()
    .filter(|b| **b)
    .count()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(text: &str) -> Vec<String> {
        crate::redact::found_by(detect, text)
            .into_iter()
            .map(|(_, value)| value)
            .collect()
    }

    #[test]
    fn vendor_keys_are_found_by_prefix_length_and_charset() {
        for k in [
            "AKIAZ7VRSQ3NFJ5HT2QA",
            "ghp_R8d2kLq9ZxW3mN7pT4vB6yC1fH5jK0sA2uE8",
            "xoxb-2048-1024-Zx9Qw8Er7Ty6",
            "sk_live_4eC39HqLyjWDarjtT1zdp7dc",
            "glpat-Xy7Zq9Wb3Rt5Lm2Np8Vk",
        ] {
            assert_eq!(found(&format!("key {k} here")), [k], "{k}");
        }
    }

    #[test]
    fn documentation_placeholders_are_not_keys() {
        for text in [
            "AKIAIOSFODNN7EXAMPLE",
            "api_key = \"xxxxxxxxxxxxxxxx\"",
            "token: <your-token-here>",
            "password=$DB_PASSWORD",
            "secret: {{ vault_secret }}",
            "password = changeme",
        ] {
            assert_eq!(found(text), Vec::<String>::new(), "{text}");
        }
    }

    #[test]
    fn a_jwt_must_decode_to_json() {
        let jwt = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4ifQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c";
        assert_eq!(found(&format!("Bearer {jwt}")), [jwt]);
        assert_eq!(found("eyJnotjson12.eyJalsonot34.abc"), Vec::<String>::new());
    }

    #[test]
    fn a_private_key_block_is_taken_from_its_begin_line_even_without_an_end() {
        let block = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----";
        assert_eq!(found(&format!("here:\n{block}\nthanks")), [block]);
        let cut = "-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA7";
        assert_eq!(found(&format!("pasted {cut}")), [cut]);
    }

    #[test]
    fn assigned_secrets_need_entropy() {
        assert_eq!(found("password = Tr0ub4dor&3xQ"), ["Tr0ub4dor&3xQ"]);
        assert_eq!(found("token: aaaaaaaaaaaa"), Vec::<String>::new());
        assert_eq!(found("the password field is required"), Vec::<String>::new());
    }
}
