//! What the words before a number say it is: a phone ("tel.", "mobile", a
//! `phone` field, a table's Phone column), another kind of number ("order",
//! "case number"), or nothing. A bare run of digits is a phone only when
//! they say so.

/// Words (lower case) that name a phone number, in the languages of
/// [`REGIONS`](super::numbering_plan::REGIONS), and the labels of signatures
/// and forms. A word that contains "phone" (`cellphone`, `phoneNumber`)
/// counts too.
const PHONE_WORDS: &[&str] = &[
    "tel",
    "mobile",
    "mob",
    "cell",
    "call",
    "ring",
    "reach",
    "sms",
    "whatsapp",
    "signal",
    "fax",
    "contact",
    "hotline",
    "dial",
    "number",
    "nr",
    "nummer",
    "numéro",
    "numero",
    "número",
    "telefon",
    "téléphone",
    "telefono",
    "teléfono",
    "telefone",
    "celular",
    "móvil",
    "movil",
    "handy",
    "rappeler",
    "puhelin",
    "matkapuhelin",
    "otp",
    "callerid",
    "caller",
    "twilio",
    "tried",
    "電話",
    "携帯",
];

/// Words that make a following "number" some other number.
const OTHER_NUMBERS: &[&str] = &[
    "order",
    "block",
    "invoice",
    "ticket",
    "account",
    "serial",
    "customer",
    "tracking",
    "case",
    "reference",
    "ref",
    "build",
    "version",
    "line",
    "port",
    "item",
    "part",
    "model",
    "batch",
    "lot",
    "policy",
    "member",
    "id",
    "card",
    "phase",
    "page",
    "issue",
    "job",
    "room",
    "flight",
    "seat",
    "table",
    "routing",
    "aba",
    "sort",
    "bank",
    "tax",
    "vat",
    "registration",
    "license",
    "licence",
    "passport",
    "social",
    "security",
    "sec",
    "ssn",
    "employer",
    "ein",
];

/// What the words before `start` say the number is: `Some(true)` when a
/// word names a phone, `Some(false)` when one names another number ("case
/// number", "order", "invoice"), `None` when they say nothing. Words count
/// on the number's line, after the last number before it and within 40
/// characters, or as the header of the Markdown table it sits in.
pub(super) fn named_as(text: &str, start: usize) -> Option<bool> {
    let line_start = crate::redact::after_last(&text[..start], |c| c == '\n');
    if crate::redact::table_header(text, line_start).is_some_and(|h| h.to_lowercase().contains("phone")) {
        return Some(true);
    }
    let line = &text[line_start..start];
    let near = line.char_indices().rev().nth(39).map_or(0, |(i, _)| i);
    let context = &line[near..];
    let near = words(&context[crate::redact::after_last(context, |c| c.is_ascii_digit())..]);
    let phone = near.iter().any(|word| {
        word.contains("phone") || word.contains("sms") || PHONE_WORDS.contains(&word.as_str()) && word != "number"
    }) || near
        .windows(2)
        .any(|w| w[1] == "number" && !OTHER_NUMBERS.contains(&w[0].as_str()))
        || near.first().is_some_and(|w| w == "number");
    if phone {
        Some(true)
    } else if near.iter().any(|w| OTHER_NUMBERS.contains(&w.as_str())) {
        Some(false)
    } else if words(&crate::redact::context_before(line, line.len(), 80))
        .iter()
        .any(|w| MESSAGING_WORDS.contains(&w.as_str()))
    {
        // `twilio … --from "+1…" --to "912696194"`: the line is about
        // calls or messages, and only a flag's name is nearer.
        Some(true)
    } else {
        None
    }
}

/// Words that make a whole line about calls or messages, so a number on
/// it is a phone even past another number.
const MESSAGING_WORDS: &[&str] = &[
    "twilio", "sms", "whatsapp", "messages", "callerid", "dial", "dialed", "call",
];

/// The lowercase words of `text`, `snake_case`, `kebab-case` and
/// `camelCase` names split into their parts.
fn words(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut word = String::new();
    let mut previous_lower = false;
    for c in text.chars() {
        if c.is_alphanumeric() {
            if c.is_uppercase() && previous_lower && !word.is_empty() {
                out.push(std::mem::take(&mut word).to_lowercase());
            }
            previous_lower = c.is_lowercase();
            word.push(c);
        } else {
            previous_lower = false;
            if !word.is_empty() {
                out.push(std::mem::take(&mut word).to_lowercase());
            }
        }
    }
    if !word.is_empty() {
        out.push(word.to_lowercase());
    }
    out
}
