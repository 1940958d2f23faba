//! IP addresses (parsed with `std::net`, so only real addresses count) and
//! the `user:password` part of URLs.

use std::net::{Ipv4Addr, Ipv6Addr};
use std::sync::LazyLock;

use regex::Regex;

use super::placeholder::is_placeholder;
use super::{Finding, Kind};

static IPV4: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\b\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}\b").expect("valid pattern (checked by tests)"));

/// IPv6 in every spelling, IPv4-mapped (`::ffff:192.0.2.1`) and with a
/// zone (`fe80::1%eth0`) included.
static IPV6: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)(?:[0-9a-f]{0,4}:){2,7}(?:\d{1,3}(?:\.\d{1,3}){3}|[0-9a-f]{0,4})(?:%[0-9a-z]+)?")
        .expect("valid pattern (checked by tests)")
});

/// `scheme://user:password@`: the credentials are group 1.
static URL_CREDENTIALS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b[a-z][a-z0-9+.\-]{1,20}://([^\s:/@]{1,128}:[^\s/@]{1,256})@[^\s/@]")
        .expect("valid pattern (checked by tests)")
});

/// Words that make a dotted quad a version number (or an OID) when they
/// come right before it.
const VERSION_WORDS: &[&str] = &[
    "version",
    "ver",
    "v",
    "release",
    "build",
    "firmware",
    "tag",
    "rev",
    "section",
    "sect",
    "sec",
    "chapter",
    "clause",
    "paragraph",
    "para",
    "rule",
    "step",
    "figure",
    "fig",
    "table",
    "appendix",
    "item",
];
/// Words that make a dotted quad a version or an OID when they come earlier
/// on its line, as a key or in a sentence (`"appVersion": "…"`, "upgraded
/// from … to …", `oid=…`).
const VERSION_CONTEXT: &[&str] = &["version", "upgrade", "firmware", "build", "release", "sdk", "oid"];

/// Words that make a dotted quad in a sentence about versions an address
/// after all.
const NETWORK_WORDS: &[&str] = &[
    "ip", "address", "host", "server", "from", "connect", "ping", "gateway", "dns", "route", "network", "subnet",
    "proxy", "firewall", "port", "peer", "client", "listen", "bind", "vpn",
];

fn after_version_word(text: &str, at: usize) -> bool {
    let before = text[..at].trim_end_matches([' ', ':', '=', '.']);
    let word_start = super::after_last(before, |c| !c.is_alphanumeric());
    if VERSION_WORDS.contains(&before[word_start..].to_ascii_lowercase().as_str()) || before.ends_with('§') {
        return true;
    }
    // Earlier in the same field of its line, within a few words.
    let line_start = super::after_last(&text[..at], |c| c == '\n');
    let field_start = super::after_last(&text[..at], |c| matches!(c, '\n' | ',' | ';' | '{' | '|'));
    let context = super::context_before(&text[field_start..], at - field_start, 40);
    if VERSION_CONTEXT.iter().any(|w| context.contains(w)) {
        return true;
    }
    // Earlier in the same sentence of prose, as a word of its own ("Builds carry a fourth number,
    // which is why the About dialog shows 2.4.1.118"), unless the sentence
    // also speaks of networks: then it is an address.
    let window = super::context_before(text, at, 160);
    let sentence_start = window
        .char_indices()
        .rev()
        .find(|&(i, c)| c == '\n' || (matches!(c, '.' | '!' | '?') && window[i + 1..].starts_with(char::is_whitespace)))
        .map_or(0, |(i, _)| i + 1);
    let sentence = &window[sentence_start..];
    let prose_word = text[..at].ends_with(char::is_whitespace);
    if prose_word
        && VERSION_CONTEXT.iter().any(|w| sentence.contains(w))
        && !NETWORK_WORDS.iter().any(|w| sentence.contains(w))
    {
        return true;
    }
    // A path segment (`/agent/5.5.4.115/setup.exe`), not a URL's host.
    let path_segment = text[..at].ends_with('/') && !text[..at].ends_with("//") && text[at..].contains('/');
    path_segment
        || super::table_header(text, line_start).is_some_and(|header| header.to_ascii_lowercase().contains("version"))
}

pub fn detect(text: &str, found: &mut Vec<Finding>) {
    for m in IPV4.find_iter(text) {
        let value = m.as_str();
        let versioned = after_version_word(text, m.start());
        // A dotted quad followed by ".digit" is a longer version string, and
        // one followed by ".name" is part of a host name (127.0.0.1.nip.io).
        let longer = text[m.end()..].starts_with('.') && text[m.end() + 1..].starts_with(|c: char| c.is_alphanumeric());
        if value.parse::<Ipv4Addr>().is_ok() && !versioned && !longer && !text[..m.start()].ends_with('.') {
            found.push(Finding {
                kind: Kind::IpAddress,
                start: m.start(),
                end: m.end(),
            });
        }
    }
    for m in IPV6.find_iter(text) {
        // A colon after the address ends a sentence or a log field.
        let value = m.as_str();
        let value = if value.ends_with(':') && !value.ends_with("::") {
            &value[..value.len() - 1]
        } else {
            value
        };
        let end = m.start() + value.len();
        let address = value.split('%').next().unwrap_or(value);
        let hex_groups = address.split(':').filter(|g| !g.is_empty()).count();
        // Times (12:30:45) and MAC addresses do not parse as IPv6; "::" and
        // a lone group are not worth masking.
        let before = text[..m.start()].chars().next_back();
        let after = text[end..].chars().next();
        let inside_word = before.is_some_and(|c| c.is_alphanumeric() || c == ':')
            || after.is_some_and(|c| {
                // A colon that ends a log field (`…:DC0E: policy`) is not
                // one more group.
                let rest = &text[end + c.len_utf8()..];
                let field_end = rest.is_empty() || rest.starts_with(char::is_whitespace);
                c.is_alphanumeric() || (c == ':' && end == m.end() && !field_end)
            });
        let substantial = hex_groups >= 3 || address.split(':').any(|g| g.len() >= 3) || address.contains('.');
        // The loopback `::1`, and the unspecified `::` where it is a value
        // (a listen address), not a path separator.
        let loopback = address == "::1";
        let unspecified = address == "::"
            && (before.is_some_and(|c| matches!(c, '"' | '\'' | '[' | ' ' | '='))
                && after.is_none_or(|c| matches!(c, '"' | '\'' | ']' | ' ' | '\n' | ',')));
        let shaped = (hex_groups >= 2 && substantial) || loopback || unspecified;
        if shaped && !inside_word && address.parse::<Ipv6Addr>().is_ok() {
            found.push(Finding {
                kind: Kind::IpAddress,
                start: m.start(),
                end,
            });
        }
    }
    for c in URL_CREDENTIALS.captures_iter(text) {
        let credentials = c.get(1).expect("group 1 always matches");
        let password = credentials.as_str().split_once(':').map_or("", |(_, p)| p);
        if !is_placeholder(password) && !matches!(password.to_ascii_lowercase().as_str(), "password" | "pass") {
            found.push(Finding {
                kind: Kind::UrlCredentials,
                start: credentials.start(),
                end: credentials.end(),
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(text: &str) -> Vec<(Kind, String)> {
        crate::redact::found_by(detect, text)
    }

    #[test]
    fn real_addresses_are_found_and_versions_are_not() {
        assert_eq!(
            found("from 203.0.113.42 today"),
            [(Kind::IpAddress, "203.0.113.42".into())]
        );
        assert_eq!(
            found("host 2001:db8::8a2e:370:7334 down"),
            [(Kind::IpAddress, "2001:db8::8a2e:370:7334".into())]
        );
        for text in [
            "version 1.2.3.4",
            "v10.0.0.1",
            "999.1.1.1",
            "1.2.3.4.5",
            "at 12:30:45",
            "mac 00:1a:2b:3c:4d:5e",
            "a::b",
            "see section 1.3.7.9 of the manual",
        ] {
            assert_eq!(found(text), [], "{text}");
        }
    }

    #[test]
    fn a_full_ipv6_address_ending_a_log_field_is_found() {
        let text = "api.rs:264] blocked request from 2001:DB8:E2FF:CA54:F4A8:8B1:26FF:DC0E: geo policy";
        assert_eq!(
            found(text),
            [(Kind::IpAddress, "2001:DB8:E2FF:CA54:F4A8:8B1:26FF:DC0E".into())]
        );
    }

    #[test]
    fn a_sentence_about_builds_makes_a_quad_a_version_unless_it_speaks_of_networks() {
        let version =
            "Builds carry a fourth number, which is why the About dialog shows something like 2.4.1.118: fine.";
        assert_eq!(found(version), []);
        let address = "After the build finished, the server at 10.1.2.3 refused connections.";
        assert_eq!(found(address), [(Kind::IpAddress, "10.1.2.3".into())]);
        let dsn = r#"{"version": "4.20.12", "dsn": "postgres://root:lwys7691@198.51.100.234:5432/app"}"#;
        assert!(found(dsn).contains(&(Kind::IpAddress, "198.51.100.234".into())));
    }

    #[test]
    fn only_the_user_and_password_of_a_url_are_taken() {
        let text = "postgres://app:Tr0ub4dor-3@db.internal:5432/prod";
        assert_eq!(found(text), [(Kind::UrlCredentials, "app:Tr0ub4dor-3".into())]);
        assert_eq!(found("https://user:password@example.com"), []);
        assert_eq!(found("https://user:${DB_PASS}@example.com"), []);
        assert_eq!(found("amqp://{user}:{password}@broker:5672/"), []);
        // "secret" is a real password often enough to be withheld.
        assert_eq!(
            found("ftp://alice:secret@localhost/pub"),
            [(Kind::UrlCredentials, "alice:secret".into())]
        );
    }
}
