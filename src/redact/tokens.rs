//! Tokens recognised by their own shape (`API_KEY`): each provider's
//! documented prefix, length and alphabet, JWTs whose header decodes to a
//! JSON object with an `alg`, and the value of an `Authorization` header.
//! A prefix alone, or a key cut short, is not a key (`ghp_` in a sentence,
//! `key_prefix: "sk-abc"`); a publishable key (`pk_live_…`) is public by
//! design and left alone.

use std::sync::LazyLock;

use base64::Engine as _;
use regex::Regex;

use super::placeholder::is_placeholder;
use super::{Finding, Kind, standalone};

/// Provider tokens: a fixed prefix, then a body of the documented length
/// and alphabet. Each alternative is a whole token.
static PROVIDER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?x)
          (?:AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AROA|AIPA|ANPA|ANVA|APKA)[A-Z0-9]{16}   # AWS access key ids
        | gh[pousr]_[A-Za-z0-9]{36}                                            # GitHub
        | github_pat_[A-Za-z0-9]{22}_[A-Za-z0-9]{59}                            # GitHub fine-grained
        | (?:glpat|gldt|glrtr|glrt|glcbt|glft|glptt|glimt|glagent|gloas|glsoat|glffct|glcs)-[A-Za-z0-9_\-]{20,80}   # GitLab
        | GR1348941[A-Za-z0-9_\-]{20,}                                         # GitLab runner registration
        | xox[abposre]-[A-Za-z0-9\-]{10,250}                                   # Slack
        | xoxe\.xox[bp]-\d-[A-Za-z0-9\-]{40,250}                               # Slack rotating tokens
        | xapp-\d-[A-Za-z0-9\-]{20,250}                                        # Slack app-level
        | https://hooks\.slack\.com/(?:services|workflows|triggers)/T[A-Z0-9]{6,12}/[A-Z0-9]{6,12}/[A-Za-z0-9]{20,32}  # Slack webhooks
        | (?:sk|rk)_(?:live|test)_[A-Za-z0-9]{20,250}                          # Stripe secret and restricted
        | sk-ant-(?:api|admin)\d{2}-[A-Za-z0-9_\-]{80,200}                      # Anthropic
        | sk-(?:proj|svcacct|admin)-[A-Za-z0-9_\-]{40,250}                      # OpenAI project, service, admin
        | sk-[A-Za-z0-9]{48}                                                   # OpenAI legacy
        | AIza[0-9A-Za-z_\-]{35}                                               # Google API key
        | ya29\.[0-9A-Za-z_\-]{20,}                                            # Google OAuth access token
        | GOCSPX-[A-Za-z0-9_\-]{28}                                            # Google OAuth client secret
        | [A-Za-z0-9_\-.~]{3}\dQ~[A-Za-z0-9_\-.~]{31,34}                        # Azure Entra client secret
        | hf_[A-Za-z]{34}                                                      # Hugging Face user
        | api_org_[A-Za-z]{34}                                                 # Hugging Face org
        | pypi-AgEIcHlwaS5vcmc[A-Za-z0-9_\-]{50,}                               # PyPI
        | npm_[A-Za-z0-9]{36}                                                  # npm
        | \d{8,10}:AA[A-Za-z0-9_\-]{33}                                        # Telegram bot
        | SK[0-9a-f]{32}                                                       # Twilio API key
        | SG\.[A-Za-z0-9_\-]{22}\.[A-Za-z0-9_\-]{43}                           # SendGrid
        | shp(?:at|ca|pa|ss)_[a-fA-F0-9]{32}                                   # Shopify
        | do[por]_v1_[a-f0-9]{64}                                              # DigitalOcean
        ",
    )
    .expect("the provider token pattern is valid (checked by tests)")
});

/// Discord bot tokens: base64 of the bot's numeric id, a timestamp part and
/// an HMAC part. The first part is checked to decode to digits.
static DISCORD: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"[MNO][A-Za-z0-9_\-]{22,27}\.[A-Za-z0-9_\-]{6}\.[A-Za-z0-9_\-]{27,38}")
        .expect("the Discord pattern is valid (checked by tests)")
});

static JWT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"eyJ[A-Za-z0-9_\-]{5,}\.[A-Za-z0-9_\-]{2,}\.[A-Za-z0-9_\-]{0,2048}")
        .expect("the JWT pattern is valid (checked by tests)")
});

/// The value of an `Authorization` header (or a bare `Bearer …`): the
/// credential is group 1, whatever its shape.
static AUTHORIZATION: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r#"(?i:authorization["']?\s*[:=]\s*["']?)?\b(?:Bearer|Basic|Token|Bot)\s+([A-Za-z0-9._~+/\-]{8,4096}=*)"#,
    )
    .expect("the authorization pattern is valid (checked by tests)")
});

/// Azure storage account keys (`AccountKey=`) and SAS signatures (`sig=`):
/// group 1.
static AZURE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?:AccountKey=([A-Za-z0-9+/]{86}==)|[?&]sig=([A-Za-z0-9%+/=]{20,200}))")
        .expect("the Azure pattern is valid (checked by tests)")
});

pub fn detect(text: &str, found: &mut Vec<Finding>) {
    let mut push = |start: usize, end: usize| {
        found.push(Finding {
            kind: Kind::ApiKey,
            start,
            end,
        })
    };
    for m in PROVIDER.find_iter(text) {
        // A Telegram token is written right after "bot" in its API's URLs.
        let after_bot = text[..m.start()].ends_with("/bot") && standalone(text, m.start() - 3, m.end());
        if (standalone(text, m.start(), m.end()) || after_bot) && !is_placeholder(m.as_str()) {
            push(m.start(), m.end());
        }
    }
    for m in DISCORD.find_iter(text) {
        if standalone(text, m.start(), m.end()) && is_discord(m.as_str()) {
            push(m.start(), m.end());
        }
    }
    for m in JWT.find_iter(text) {
        if standalone(text, m.start(), m.end()) && is_jwt(m.as_str()) {
            push(m.start(), m.end());
        }
    }
    for c in AUTHORIZATION.captures_iter(text) {
        let value = c.get(1).expect("group 1 always matches");
        let word = &c[0][..c[0].len() - value.as_str().len()];
        // Without the header name, "Bearer" and "Basic" must be followed by
        // something credential-shaped (not "Basic plan includes …").
        let headed = word.to_ascii_lowercase().contains("authorization");
        if !is_placeholder(value.as_str()) && (headed || credential_shaped(value.as_str())) {
            push(value.start(), value.end());
        }
    }
    for c in AZURE.captures_iter(text) {
        if let Some(value) = c.get(1).or_else(|| c.get(2)) {
            push(value.start(), value.end());
        }
    }
}

/// A JWT: its header is base64url JSON naming an `alg`, and its payload
/// decodes too.
fn is_jwt(token: &str) -> bool {
    let mut parts = token.split('.');
    let engine = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let decode = |part: Option<&str>| part.and_then(|p| engine.decode(p.trim_end_matches('=')).ok());
    let header = decode(parts.next()).and_then(|bytes| serde_json::from_slice::<serde_json::Value>(&bytes).ok());
    let has_alg = header.is_some_and(|h| h.get("alg").is_some());
    has_alg && decode(parts.next()).is_some()
}

/// A Discord token's first part is base64 of a numeric id.
fn is_discord(token: &str) -> bool {
    let first = token.split('.').next().unwrap_or("").trim_end_matches('=');
    // Whole groups of four only: the id's last characters may carry bits
    // past its end, which a strict decoder refuses.
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(&first[..first.len() / 4 * 4])
        .is_ok_and(|bytes| bytes.len() >= 15 && bytes.iter().all(u8::is_ascii_digit))
}

/// Something that looks like a credential rather than a word: a digit, a
/// mix of cases or base64 padding, and no spaces.
fn credential_shaped(value: &str) -> bool {
    let digits = value.chars().any(|c| c.is_ascii_digit());
    let upper = value.chars().any(|c| c.is_ascii_uppercase());
    let lower = value.chars().any(|c| c.is_ascii_lowercase());
    value.len() >= 12 && (digits || (upper && lower) || value.ends_with('='))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(text: &str) -> Vec<String> {
        let mut values: Vec<String> = crate::redact::found_by(detect, text)
            .into_iter()
            .map(|(_, value)| value)
            .collect();
        values.dedup();
        values
    }

    #[test]
    fn provider_tokens_are_found_by_prefix_length_and_alphabet() {
        for k in [
            "AKIAZ7VRSQ3NFJ5HT2QA",
            "AKIAIOSFODNN7EXAMPLE",
            "ghp_R8d2kLq9ZxW3mN7pT4vB6yC1fH5jK0sA2uE8",
            "xoxb-2048-1024-Zx9Qw8Er7Ty6",
            "sk_live_4eC39HqLyjWDarjtT1zdp7dc",
            "glpat-Xy7Zq9Wb3Rt5Lm2Np8Vk",
            "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",
            // A Discord token whose id has 17 digits (23 characters, the
            // last of which carry bits past the id's end).
            "OTg4NzY0OTA3MTM3MTcwODc.tKrlVe.jhD741uiyAxnUQNSUpEQf4w2jKS",
        ] {
            assert_eq!(found(&format!("key {k} here")), [k], "{k}");
        }
    }

    #[test]
    fn prefixes_cut_short_publishable_keys_and_placeholders_are_not_tokens() {
        for text in [
            "GitHub tokens start with ghp_ and are 40 chars, right?",
            r#"{"key_prefix": "sk-fdesat"}"#,
            "the publishable key pk_test_BGZljitcEDwpzrnvg2vgC3pw is public",
            "the example uses AKIAXXXXXXXXXXXXXXXX",
            "Authorization: Bearer <token> is what the guide says",
            "the Basic plan includes support",
        ] {
            assert_eq!(found(text), Vec::<String>::new(), "{text}");
        }
    }

    #[test]
    fn a_jwt_needs_a_header_with_an_alg_and_an_authorization_value_is_taken_whole() {
        let jwt = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4ifQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c";
        assert_eq!(found(&format!("Authorization: Bearer {jwt}")), [jwt]);
        assert_eq!(found("eyJnotjson12.eyJalsonot34.abc"), Vec::<String>::new());
        assert_eq!(
            found("-H 'Authorization: Basic YmFja3VwOnN0YXBsZTg0NzQ='"),
            ["YmFja3VwOnN0YXBsZTg0NzQ="]
        );
    }
}
