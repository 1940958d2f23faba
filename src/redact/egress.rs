//! The egress boundary: the one place where a conversation becomes what is
//! sent to a backend. In `mask` mode every message of the request (the new
//! one and all history sent as context) has its personal data replaced by
//! the conversation's stable placeholders, so no detected value ever leaves,
//! whatever mode earlier messages were sent in. The stored conversation keeps
//! what the user wrote, what was sent, and the placeholder map (sealed with
//! the conversation's key, inside the messages' metadata).

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use super::mask::RedactionMap;
use super::{Finding, Kind, detect};
use crate::request::{ChatMessage, ChatRequest};

/// What happens to personal data in an outgoing message.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Mode {
    /// Sent as written.
    Off,
    /// Shown to the user first, who chooses what to send.
    Warn,
    /// Replaced by placeholders; replies are shown with the values put back.
    #[default]
    Mask,
    /// Not sent at all while it holds personal data.
    Block,
}

impl Mode {
    pub const ALL: [Mode; 4] = [Mode::Off, Mode::Warn, Mode::Mask, Mode::Block];

    pub fn name(self) -> &'static str {
        match self {
            Mode::Off => "off",
            Mode::Warn => "warn",
            Mode::Mask => "mask",
            Mode::Block => "block",
        }
    }
}

impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Mode {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Mode::ALL.into_iter().find(|m| m.name() == s).ok_or_else(|| {
            format!(
                "'{}' is not a redaction mode; the modes are off, warn, mask and block",
                crate::sanitize::one_line(s, 20)
            )
        })
    }
}

/// How much history goes to a backend with each message: at most
/// `max_messages` earlier messages and `max_chars` characters of them (the
/// newest first); the rest stays on this machine.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ContextLimits {
    pub max_messages: usize,
    pub max_chars: usize,
}

impl Default for ContextLimits {
    /// Enough for a support conversation to keep its thread; small enough
    /// that a long history does not travel with every question.
    fn default() -> Self {
        ContextLimits {
            max_messages: 20,
            max_chars: 16_000,
        }
    }
}

impl ContextLimits {
    /// Keeps the newest history within the limits; the last message (the
    /// one being sent) always goes, whatever its length. Returns how many
    /// earlier messages stayed behind.
    pub fn apply(self, request: &mut ChatRequest) -> usize {
        let Some(current) = request.messages.pop() else {
            return 0;
        };
        let mut kept = Vec::new();
        let mut chars = 0;
        while let Some(message) = request.messages.pop() {
            let len = message.content.chars().count();
            if kept.len() == self.max_messages || chars + len > self.max_chars {
                request.messages.push(message);
                break;
            }
            chars += len;
            kept.push(message);
        }
        let left_behind = request.messages.len();
        request.messages.clear();
        kept.reverse();
        request.messages.extend(kept);
        request.messages.push(current);
        left_behind
    }
}

/// The vault setting that keeps the redaction mode between runs.
pub const MODE_SETTING: &str = "redaction.mode";

/// The conversation's placeholder map, rebuilt from the parts its messages
/// recorded, oldest first.
pub fn map_from_history<'a>(parts: impl IntoIterator<Item = &'a RedactionMap>) -> RedactionMap {
    let mut map = RedactionMap::default();
    for part in parts {
        map.absorb(part);
    }
    map
}

/// What was withheld, counted and named by type, for the notice under a
/// message and on stderr: `3 item(s) withheld from the backend (EMAIL,
/// 2 PHONE), sent as placeholders`. `None` when nothing was.
pub fn withheld_summary(kinds: impl IntoIterator<Item = Kind>) -> Option<String> {
    let mut counts: BTreeMap<Kind, usize> = BTreeMap::new();
    for kind in kinds {
        *counts.entry(kind).or_default() += 1;
    }
    let total: usize = counts.values().sum();
    if total == 0 {
        return None;
    }
    let named: Vec<String> = counts
        .iter()
        .map(|(kind, n)| {
            if *n == 1 {
                kind.name().to_owned()
            } else {
                format!("{n} {}", kind.name())
            }
        })
        .collect();
    Some(format!(
        "{total} item(s) withheld from the backend ({}), sent as placeholders",
        named.join(", ")
    ))
}

/// The kinds behind the placeholders of a sent text, one per placeholder.
pub fn placeholder_kinds(sent: &str) -> Vec<Kind> {
    crate::redact::mask::placeholders(sent)
        .into_iter()
        .filter_map(|p| {
            let inner = p.strip_prefix('[')?.strip_suffix(']')?;
            Kind::from_name(inner.rsplit_once('_')?.0)
        })
        .collect()
}

/// A user's message prepared for sending.
#[derive(Clone, PartialEq, Eq)]
pub struct Outgoing {
    /// What goes to the backend.
    pub sent: String,
    /// What was withheld: one finding per distinct value, at its first
    /// occurrence (byte ranges in the written text). A value repeated, or
    /// already withheld earlier in the conversation, is one item.
    pub withheld: Vec<Finding>,
}

impl fmt::Debug for Outgoing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Outgoing([{} chars], {} withheld)",
            self.sent.chars().count(),
            self.withheld.len()
        )
    }
}

/// Prepares `written` for sending in `mode`, withholding every finding except
/// those in `send_anyway` (indices into `detect(written)`, chosen by the user
/// in warn mode), and every other occurrence of a value withheld now, earlier
/// in the conversation (`map`), or found in the `history` that goes with it
/// (history sent earlier in another mode). `Off` withholds nothing.
pub fn prepare(
    written: &str,
    mode: Mode,
    map: &mut RedactionMap,
    send_anyway: &[usize],
    history: &[ChatMessage],
) -> Outgoing {
    if mode == Mode::Off {
        return Outgoing {
            sent: written.to_owned(),
            withheld: Vec::new(),
        };
    }
    for message in history {
        map.learn(&message.content);
    }
    let (mut withheld, mut as_written) = (Vec::new(), Vec::new());
    for (i, finding) in detect(written).into_iter().enumerate() {
        if send_anyway.contains(&i) {
            as_written.push(finding);
        } else {
            withheld.push(finding);
        }
    }
    let masked = map.mask_findings(written, &withheld, &as_written);
    Outgoing {
        sent: masked.text,
        withheld: masked.items,
    }
}

/// A request that has passed the egress step, the only kind of request
/// `Backend::stream` accepts. Its one constructor is [`outgoing_request`]
/// and its fields are private, so the compiler guarantees that nothing
/// reaches a backend without going through the masking below:
///
/// ```compile_fail
/// // A request cannot be built around the egress step.
/// let request = sotto::redact::egress::EgressRequest(Default::default());
/// ```
#[derive(Clone, Debug)]
pub struct EgressRequest(ChatRequest);

impl EgressRequest {
    pub fn messages(&self) -> &[ChatMessage] {
        &self.0.messages
    }

    /// The model asked for, overriding the backend's configured one.
    pub fn model(&self) -> Option<&str> {
        self.0.model.as_deref()
    }

    pub fn temperature(&self) -> Option<f32> {
        self.0.temperature
    }

    pub fn max_tokens(&self) -> Option<u32> {
        self.0.max_tokens
    }
}

/// The request as it may leave the machine: in `Mask` (and `Warn`/`Block`,
/// which never send unreviewed data) every message is masked with `map`
/// (what the detectors find, and every value the map knows, wherever it is),
/// except the final message when `keep_last` (its sent form, already
/// decided by [`prepare`], with the user's choices). `Off` sends the request
/// as it is.
pub fn outgoing_request(
    mut request: ChatRequest,
    mode: Mode,
    map: &mut RedactionMap,
    keep_last: bool,
) -> EgressRequest {
    if mode == Mode::Off {
        return EgressRequest(request);
    }
    let last = request.messages.len().saturating_sub(1);
    let masked = |i: usize| !(keep_last && i == last);
    // Every value first, so that a value found in a later message is masked
    // in an earlier one too.
    let findings: Vec<Vec<Finding>> = request
        .messages
        .iter()
        .enumerate()
        .map(|(i, m)| if masked(i) { detect(&m.content) } else { Vec::new() })
        .collect();
    for (message, found) in request.messages.iter().zip(&findings) {
        map.learn_findings(&message.content, found);
    }
    for (i, (message, found)) in request.messages.iter_mut().zip(&findings).enumerate() {
        if !masked(i) {
            continue;
        }
        let result = map.mask_findings(&message.content, found, &[]);
        if !result.findings.is_empty() {
            message.content = result.text;
        }
    }
    EgressRequest(request)
}

/// A masked preview of a value for the user: enough to recognise contact
/// data, not enough to read it over a shoulder (`•••• 1881`,
/// `j•••@example.com`). Secrets and the other kinds (keys, tokens, URL
/// credentials, addresses, wallets) show nothing of the value, only its
/// length (`(40 chars)`, shown after the kind): even four characters of a key
/// narrow it down, and an error message or a screen is no place for them.
pub fn preview(kind: Kind, value: &str) -> String {
    match kind {
        Kind::CreditCard | Kind::Iban | Kind::Phone | Kind::UsSsn => {
            let tail: String = value
                .chars()
                .filter(char::is_ascii_alphanumeric)
                .collect::<Vec<_>>()
                .iter()
                .rev()
                .take(4)
                .rev()
                .collect();
            format!("•••• {tail}")
        }
        Kind::Email => match value.split_once('@') {
            Some((local, domain)) => format!("{}•••@{domain}", local.chars().next().unwrap_or('•')),
            None => "•••".into(),
        },
        Kind::UrlCredentials
        | Kind::ApiKey
        | Kind::Secret
        | Kind::PrivateKey
        | Kind::IpAddress
        | Kind::CryptoWallet
        | Kind::PersonName
        | Kind::StreetAddress => {
            format!("({} chars)", value.chars().count())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::request::{ChatMessage, ChatRole};

    fn request(texts: &[&str]) -> ChatRequest {
        ChatRequest {
            messages: texts
                .iter()
                .map(|t| ChatMessage {
                    role: ChatRole::User,
                    content: (*t).to_owned(),
                })
                .collect(),
            ..Default::default()
        }
    }

    #[test]
    fn mask_mode_masks_the_message_and_the_map_learns_each_value() {
        let mut map = RedactionMap::default();
        let out = prepare(
            "mail jane@example.org, card 4111 1111 1111 1111",
            Mode::Mask,
            &mut map,
            &[],
            &[],
        );
        assert_eq!(out.sent, "mail [EMAIL_1], card [CREDIT_CARD_1]");
        assert_eq!(out.withheld.len(), 2);
        assert_eq!(map.unmask("[EMAIL_1]"), "jane@example.org");
    }

    #[test]
    fn an_item_the_user_chose_to_send_is_sent_as_written() {
        let mut map = RedactionMap::default();
        let out = prepare(
            "mail jane@example.org, card 4111 1111 1111 1111",
            Mode::Warn,
            &mut map,
            &[0],
            &[],
        );
        assert_eq!(out.sent, "mail jane@example.org, card [CREDIT_CARD_1]");
    }

    #[test]
    fn history_sent_earlier_without_masking_is_masked_now() {
        let mut map = RedactionMap::default();
        let r = outgoing_request(
            request(&["my ssn is 536-22-1234", "and my email jane@example.org?"]),
            Mode::Mask,
            &mut map,
            false,
        );
        assert_eq!(r.messages()[0].content, "my ssn is [US_SSN_1]");
        assert_eq!(r.messages()[1].content, "and my email [EMAIL_1]?");
        let off = outgoing_request(request(&["jane@example.org"]), Mode::Off, &mut map, false);
        assert_eq!(off.messages()[0].content, "jane@example.org");
    }

    const PASSWORD: &str = "Zq8vLp2xR4wT";

    #[test]
    fn a_value_repeated_without_its_cue_is_still_withheld() {
        let mut map = RedactionMap::default();
        let written = format!("password: {PASSWORD} -- please remember {PASSWORD}");
        let out = prepare(&written, Mode::Mask, &mut map, &[], &[]);
        assert_eq!(out.sent, "password: [SECRET_1] -- please remember [SECRET_1]");
        // One value, one item, one placeholder: the count stays truthful.
        assert_eq!(out.withheld.len(), 1);
        assert_eq!(map.len(), 1);
    }

    #[test]
    fn a_value_withheld_earlier_in_the_conversation_is_withheld_without_its_cue() {
        let mut map = RedactionMap::default();
        prepare(&format!("password={PASSWORD}"), Mode::Mask, &mut map, &[], &[]);
        prepare("mail jane@example.org", Mode::Mask, &mut map, &[], &[]);
        let out = prepare(
            &format!("did it work with {PASSWORD}? ask jane@example.org"),
            Mode::Mask,
            &mut map,
            &[],
            &[],
        );
        assert_eq!(out.sent, "did it work with [SECRET_1]? ask [EMAIL_1]");
        assert_eq!(out.withheld.len(), 2);
        // Nothing new for the map: the message adds no entries of its own.
        assert_eq!(map.len(), 2);
    }

    #[test]
    fn a_value_found_only_in_the_history_is_withheld_in_the_new_message() {
        // The history was sent as written (redaction off then); its value is
        // repeated now without the cue that would make a detector fire.
        let history = request(&[&format!("password: {PASSWORD}")]).messages;
        let mut map = RedactionMap::default();
        let out = prepare(&format!("is {PASSWORD} right?"), Mode::Mask, &mut map, &[], &history);
        assert_eq!(out.sent, "is [SECRET_1] right?");
        let r = request(&[&format!("password: {PASSWORD}"), &out.sent]);
        let r = outgoing_request(r, Mode::Mask, &mut map, true);
        assert_eq!(r.messages()[0].content, "password: [SECRET_1]");
    }

    #[test]
    fn history_is_masked_with_values_found_in_any_message_of_the_request() {
        let mut map = RedactionMap::default();
        prepare("mail jane@example.org", Mode::Mask, &mut map, &[], &[]);
        let r = outgoing_request(
            request(&[
                &format!("remember {PASSWORD}"),
                &format!("password: {PASSWORD}"),
                "jane@example.org.",
                "the question",
            ]),
            Mode::Mask,
            &mut map,
            true,
        );
        let contents: Vec<&str> = r.messages().iter().map(|m| m.content.as_str()).collect();
        assert_eq!(
            contents,
            [
                "remember [SECRET_1]",
                "password: [SECRET_1]",
                "[EMAIL_1].",
                "the question"
            ]
        );
    }

    #[test]
    fn an_item_chosen_to_send_as_written_stays_while_other_known_values_are_masked() {
        let mut map = RedactionMap::default();
        prepare(&format!("password={PASSWORD}"), Mode::Mask, &mut map, &[], &[]);
        let out = prepare(
            &format!("mail jane@example.org about {PASSWORD}"),
            Mode::Warn,
            &mut map,
            &[0],
            &[],
        );
        assert_eq!(out.sent, "mail jane@example.org about [SECRET_1]");
        assert_eq!(out.withheld.len(), 1);
    }

    #[test]
    fn off_sends_as_written_even_what_the_map_knows() {
        let mut map = RedactionMap::default();
        prepare(&format!("password={PASSWORD}"), Mode::Mask, &mut map, &[], &[]);
        let out = prepare(&format!("it is {PASSWORD}"), Mode::Off, &mut map, &[], &[]);
        assert_eq!(out.sent, format!("it is {PASSWORD}"));
        assert!(out.withheld.is_empty());
    }

    #[test]
    fn context_keeps_the_newest_history_within_both_limits_and_always_the_message() {
        let limits = ContextLimits {
            max_messages: 2,
            max_chars: 10,
        };
        let mut r = request(&["one", "two", "three", "four", "the question, longer than ten"]);
        assert_eq!(limits.apply(&mut r), 2);
        let kept: Vec<&str> = r.messages.iter().map(|m| m.content.as_str()).collect();
        assert_eq!(kept, ["three", "four", "the question, longer than ten"]);
        let mut r = request(&["a long message of many characters", "short", "q"]);
        assert_eq!(limits.apply(&mut r), 1);
        assert_eq!(r.messages.len(), 2);
    }

    #[test]
    fn previews_show_only_a_recognisable_part() {
        assert_eq!(preview(Kind::CreditCard, "4111 1111 1111 1881"), "•••• 1881");
        assert_eq!(preview(Kind::Email, "jane@example.com"), "j•••@example.com");
        assert_eq!(preview(Kind::ApiKey, "ghp_abcdef123"), "(13 chars)");
        assert_eq!(preview(Kind::UrlCredentials, "app:secret"), "(10 chars)");
    }

    #[test]
    fn a_secret_preview_shows_no_character_of_the_value() {
        for (kind, value) in [
            (Kind::ApiKey, "ghp_R8d2kLq9ZxW3mN7pT4vB6yC1fH5jK0sA2uE8"),
            (Kind::ApiKey, "hunter2hunter2"),
            (Kind::UrlCredentials, "alice:s3cr3t-Pa55"),
            (Kind::IpAddress, "203.0.113.42"),
            (Kind::CryptoWallet, "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq"),
        ] {
            // The same length with every character changed gives the same
            // preview: nothing of the value is in it, only its length.
            let other: String = value.chars().map(|c| if c == 'x' { 'y' } else { 'x' }).collect();
            assert_eq!(preview(kind, value), preview(kind, &other), "{kind}");
            assert_eq!(preview(kind, value), format!("({} chars)", value.chars().count()));
        }
    }

    #[test]
    fn modes_parse_by_name_and_refuse_others_clearly() {
        for mode in Mode::ALL {
            assert_eq!(mode.name().parse::<Mode>(), Ok(mode));
        }
        assert!("loud".parse::<Mode>().unwrap_err().contains("'loud'"));
        assert_eq!(Mode::default(), Mode::Mask);
    }
}
