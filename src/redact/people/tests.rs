use super::*;

fn found(text: &str) -> Vec<(Kind, String)> {
    crate::redact::found_by(detect, text)
}

#[test]
fn names_after_a_cue_are_found() {
    assert_eq!(
        found("hi, my name is Kwame Haugen, please refund"),
        [(Kind::PersonName, "Kwame Haugen".into())]
    );
    assert_eq!(
        found("Thanks!\n\nKind regards,\nZoë van der Berg\nHead of Operations"),
        [(Kind::PersonName, "Zoë van der Berg".into())]
    );
    assert_eq!(
        found(r#"{"customer_name": "Aroha Fernández"}"#),
        [(Kind::PersonName, "Aroha Fernández".into())]
    );
    assert_eq!(
        found(r#"cfg := Config{AccountHolder: "Minh Thompson", Timeout: 5}"#),
        [(Kind::PersonName, "Minh Thompson".into())]
    );
    assert_eq!(
        found("Thanks!\n\nHaruto Mensah"),
        [(Kind::PersonName, "Haruto Mensah".into())]
    );
    assert_eq!(
        found("Mein Name ist Lars Korhonen."),
        [(Kind::PersonName, "Lars Korhonen".into())]
    );
    assert_eq!(
        found("| Name | Role |\n|---|---|\n| Olivia Sharma | Billing |\n"),
        [(Kind::PersonName, "Olivia Sharma".into())]
    );
}

#[test]
fn capitalised_words_without_a_cue_or_after_a_weak_one_are_not_names() {
    for text in [
        "I'm on macOS 14.4 with an M2",
        "I'm Italian",
        "We met Kwame Haugen yesterday",
        "name: prod",
        "thanks, that fixed it!\nI'm getting a 502",
        r#"{"iban": "BE84 0043 6598 565", "holder": "Quillon Labs"}"#,
    ] {
        assert_eq!(found(text), [], "{text}");
    }
}

#[test]
fn addresses_after_a_cue_are_found() {
    assert_eq!(
        found("my new address is 243 Maple Grove Cres, Halifax, NS B4H 4X7\n\nthanks"),
        [(Kind::StreetAddress, "243 Maple Grove Cres, Halifax, NS B4H 4X7".into())]
    );
    assert_eq!(
        found(r#""shipping_address": "Hauptstraße 202, 74973 Köln","#),
        [(Kind::StreetAddress, "Hauptstraße 202, 74973 Köln".into())]
    );
    assert_eq!(
        found("billing address:\n24 Station Approach\nLondon SE15 7FX\n\n(not the same)"),
        [(Kind::StreetAddress, "24 Station Approach\nLondon SE15 7FX".into())]
    );
    assert_eq!(found("it's on its way to the address on the account."), []);
    assert_eq!(found("address: 0.0.0.0"), []);
}
