//! The cheap checks that run before any parsing: whether a candidate stands
//! on its own in the text, and whether its groups and separators are a
//! phone's rather than a date's, a version's or an IBAN's.

/// Whether the candidate is not part of a longer word, number or value
/// (`v1.2.3456789`, `id-12345678`, `0x1234567`, a decimal's digits).
pub(super) fn whole_token(text: &str, start: usize, end: usize) -> bool {
    let mut before = text[..start].chars().rev();
    let (previous, second) = (before.next(), before.next());
    let after = text[end..].chars().next();
    // `#123…` is a reference; `v1.2`, `10.0.1`, `id-…` and `12:30` are parts
    // of something longer; `tel:+…` and `=+…` are not.
    let international = text[start..].starts_with('+');
    let glued_before = previous.is_some_and(|c| c.is_alphanumeric() || matches!(c, '_' | '#'))
        || (previous.is_some_and(|c| matches!(c, '.' | '-' | '/' | ':' | '+' | ','))
            && second.is_some_and(|c| c.is_alphanumeric())
            && !(international && matches!(previous, Some(':' | '/'))));
    let glued_after = after.is_some_and(|c| c.is_alphanumeric() || c == '_')
        || (matches!(after, Some('.' | '-' | '/' | ':' | ','))
            && text[end..].chars().nth(1).is_some_and(|c| c.is_ascii_digit()));
    !glued_before && !glued_after
}

/// Whether the candidate continues an IBAN's groups (`NL27 ABNA 7022 …`).
pub(super) fn after_iban(text: &str, start: usize) -> bool {
    let line_start = crate::redact::after_last(&text[..start], |c| c == '\n');
    let before: Vec<&str> = text[line_start..start].split_whitespace().rev().take(3).collect();
    // A token's tail counts: `validate_iban("LV16 HABA 9767 …`.
    before.iter().any(|token| {
        let b = &token.as_bytes()[crate::redact::after_last(token, |c| !c.is_ascii_alphanumeric())..];
        b.len() == 4 && b[..2].iter().all(u8::is_ascii_uppercase) && b[2..].iter().all(u8::is_ascii_digit)
    }) || before.iter().any(|t| t.to_ascii_lowercase().contains("iban"))
}

/// Shapes that are something else: dates and times, ISBNs, the SSN's 3-2-4
/// with dashes (the SSN detector's), mixed separators (`01.02-2024`),
/// decimals and a lone leading group of zeros.
pub(super) fn national_shape(number: &str, groups: &[&str]) -> bool {
    // A separator next to a bracket ("(201) 555-0123") is the bracket's.
    let chars: Vec<char> = number.chars().collect();
    let separators: Vec<char> = (0..chars.len())
        .filter(|&i| {
            let c = chars[i];
            let by_bracket = (i > 0 && chars[i - 1] == ')') || chars.get(i + 1) == Some(&'(');
            !c.is_ascii_digit() && !matches!(c, '(' | ')') && !by_bracket
        })
        .map(|i| chars[i])
        .collect();
    // After an area code the separators must agree (`070-185 90 87`,
    // not `01.02-2024`).
    let rest = separators.get(1..).unwrap_or_default();
    if !rest.windows(2).all(|w| w[0] == w[1]) || separators.contains(&'/') {
        return false;
    }
    let sizes: Vec<usize> = groups.iter().map(|g| g.len()).collect();
    let dashed_or_dotted = separators.first().is_some_and(|s| matches!(s, '-' | '.'));
    let year_first = groups
        .first()
        .is_some_and(|g| g.len() == 4 && (g.starts_with("19") || g.starts_with("20")));
    // A date has its year last (`15.03.2024`) or first (`2024-03-15`); a
    // Belgian `0450.94.47.53` has four digits first that are no year.
    let date = dashed_or_dotted && (matches!(sizes.as_slice(), [2, 2, 4] | [2, 2, 4, ..]) || year_first);
    let isbn = groups.first().is_some_and(|g| matches!(*g, "978" | "979")) && number.len() > 13;
    // The SSN's 3-2-4 is the SSN detector's, whatever its separator.
    let ssn = sizes == [3, 2, 4];
    let zeros = groups.first().is_some_and(|g| g.chars().all(|c| c == '0'));
    // Dotted groups are a phone's only when each has two digits or more
    // (`810.88.08.38`); versions, OIDs and prices have shorter ones.
    let dotted_short = separators.contains(&'.') && (sizes.iter().any(|&n| n < 2) || groups.len() < 3);
    !(date || isbn || ssn || zeros || dotted_short)
}
