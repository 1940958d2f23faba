use super::*;

#[test]
fn the_same_value_gets_the_same_placeholder_and_comes_back() {
    let mut map = RedactionMap::default();
    let first = map.mask("write to jane@example.org or bob@example.org");
    assert_eq!(first.text, "write to [EMAIL_1] or [EMAIL_2]");
    let again = map.mask("did jane@example.org answer?");
    assert_eq!(again.text, "did [EMAIL_1] answer?");
    assert_eq!(
        map.unmask("I emailed [EMAIL_1]; [EMAIL_9] is unknown"),
        "I emailed jane@example.org; [EMAIL_9] is unknown"
    );
}

#[test]
fn the_map_round_trips_through_json_and_hides_in_debug() {
    let mut map = RedactionMap::default();
    map.mask("card 4111 1111 1111 1111");
    let json = serde_json::to_string(&map).unwrap();
    let back: RedactionMap = serde_json::from_str(&json).unwrap();
    assert_eq!(back, map);
    assert!(!format!("{map:?}").contains("4111"));
}

#[test]
fn a_placeholder_split_across_deltas_is_put_back_whole() {
    let mut map = RedactionMap::default();
    map.mask("jane@example.org");
    let mut unmasker = Unmasker::new(&map);
    let mut shown = String::new();
    for delta in ["Write to [EMA", "IL_", "1] soon. [not a placeholder", "] done ["] {
        shown.push_str(&unmasker.push(delta));
    }
    shown.push_str(&unmasker.finish());
    assert_eq!(shown, "Write to jane@example.org soon. [not a placeholder] done [");
}

/// A map holding `entries` (kind, value), numbered in order per kind.
fn map_of(entries: &[(&str, &str)]) -> RedactionMap {
    let mut map = RedactionMap::default();
    for (kind, value) in entries {
        let kind = Kind::from_name(kind).unwrap();
        map.entry_for(kind, value);
    }
    map
}

#[test]
fn every_occurrence_of_a_known_value_is_masked_even_glued_to_other_text() {
    let mut map = map_of(&[("API_KEY", "Zq8vLp2xR4wT")]);
    let masked = map.mask("use Zq8vLp2xR4wT, or Zq8vLp2xR4wT2024 or xZq8vLp2xR4wT");
    assert_eq!(masked.text, "use [API_KEY_1], or [API_KEY_1]2024 or x[API_KEY_1]");
    assert_eq!(masked.findings.len(), 3);
    assert_eq!(masked.items.len(), 1, "three occurrences of one value are one item");
}

#[test]
fn a_number_that_only_starts_with_a_known_number_is_another_value() {
    let mut map = map_of(&[("IP_ADDRESS", "10.0.0.1"), ("CREDIT_CARD", "4111 1111 1111 1111")]);
    // Only the repeat rule, no detectors (they find every address anyway).
    let text = "hosts 10.0.0.12 and 110.0.0.1 differ from 10.0.0.1; card 4111 1111 1111 1111.";
    let masked = map.mask_findings(text, &[], &[]);
    assert_eq!(
        masked.text,
        "hosts 10.0.0.12 and 110.0.0.1 differ from [IP_ADDRESS_1]; card [CREDIT_CARD_1]."
    );
}

#[test]
fn a_short_value_is_masked_only_where_it_was_found() {
    let mut map = RedactionMap::default();
    let text = "pw ab1 then ab1 and cab1e";
    let own = Finding {
        kind: Kind::ApiKey,
        start: 3,
        end: 6,
    };
    let masked = map.mask_findings(text, &[own], &[]);
    assert_eq!(masked.text, "pw [API_KEY_1] then ab1 and cab1e");
    assert!("ab1".len() < MIN_REPEAT_CHARS);
}

#[test]
fn placeholders_already_in_the_text_are_not_masked_again() {
    // A value that is also the text of a placeholder (impossible from the
    // detectors, possible from a map written by a later version).
    let mut map = map_of(&[("API_KEY", "EMAIL_1]")]);
    assert_eq!(map.mask("as sent: [EMAIL_1]").text, "as sent: [EMAIL_1]");
}

#[test]
fn the_slow_search_finds_what_the_automaton_finds() {
    let map = map_of(&[
        ("API_KEY", "Zq8vLp2xR4wT"),
        ("API_KEY", "Zq8vLp2xR4wT99"),
        ("EMAIL", "jane@example.org"),
        ("IP_ADDRESS", "10.0.0.1"),
    ]);
    let mut map = map;
    let known = map.known_values().unwrap();
    let text = "Zq8vLp2xR4wT99 jane@example.orgZq8vLp2xR4wT 10.0.0.10.0.0.1 Zq8vLp2xR4w";
    for range in [0..text.len(), 3..text.len(), 0..40, 15..31] {
        let fast = known.find(&map.entries, text, range.clone());
        assert_eq!(fast, known.find_slowly(&map.entries, text, range));
        assert!(!fast.is_empty());
    }
}

#[test]
fn a_value_is_never_put_back_inside_a_url_link_target_or_image_source() {
    let mut map = RedactionMap::default();
    map.mask("jane@example.org");
    let reply = "Write to [EMAIL_1].\n\
                     ![s](https://host/p.png?u=[EMAIL_1]) [link](/p?e=[EMAIL_1]) \
                     <mailto:[EMAIL_1]> https://h/?u=[EMAIL_1] www.h.example/[EMAIL_1]\n\
                     [r]: /track?u=[EMAIL_1]\n\
                     Done, [EMAIL_1]: (that is [EMAIL_1])";
    assert_eq!(
        map.unmask(reply),
        "Write to jane@example.org.\n\
             ![s](https://host/p.png?u=[EMAIL_1]) [link](/p?e=[EMAIL_1]) \
             <mailto:[EMAIL_1]> https://h/?u=[EMAIL_1] www.h.example/[EMAIL_1]\n\
             [r]: /track?u=[EMAIL_1]\n\
             Done, jane@example.org: (that is jane@example.org)"
    );
}

#[test]
fn streamed_unmasking_keeps_placeholders_in_urls_as_the_whole_text_does() {
    let mut map = RedactionMap::default();
    map.mask("jane@example.org");
    let reply = "Hi [EMAIL_1]! ![s](https://h/p.png?u=[EMAIL_1]) and [EMAIL_1]";
    let whole = map.unmask(reply);
    for cut in (1..reply.len()).filter(|&i| reply.is_char_boundary(i)) {
        let mut unmasker = Unmasker::new(&map);
        let mut shown = unmasker.push(&reply[..cut]);
        shown.push_str(&unmasker.push(&reply[cut..]));
        shown.push_str(&unmasker.finish());
        assert_eq!(shown, whole, "cut at {cut}");
    }
    assert_eq!(
        whole,
        "Hi jane@example.org! ![s](https://h/p.png?u=[EMAIL_1]) and jane@example.org"
    );
}

#[test]
fn offsets_count_characters_not_bytes() {
    let text = "héllo jane@example.org";
    let f = detect(text)[0];
    assert_eq!((char_offset(text, f.start), char_offset(text, f.end)), (6, 22));
}
