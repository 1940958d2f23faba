use super::*;

fn found(text: &str) -> Vec<(Kind, String)> {
    crate::redact::found_by(detect, text)
}

#[test]
fn numbers_valid_for_their_country_are_found_with_their_extension() {
    for phone in [
        "+44 20 7946 0958",
        "+1 (201) 555-0123",
        "(201) 555-0123",
        "201-555-0123",
        "06 12 34 56 78",
        "+33612345678",
        "+15005550006",
        "0033 6 12 99 75 55",
        "+44 (0)20 7946 0958",
        "+64-21-139-4174 ext. 12",
        "0450 10 21 48 x 1203",
        "+12012784415 #55",
    ] {
        let text = format!("ring me on {phone} please");
        assert_eq!(found(&text), [(Kind::Phone, phone.to_owned())], "{phone}");
    }
}

#[test]
fn a_bare_run_of_digits_is_a_phone_only_where_words_name_one() {
    assert_eq!(found("mobile: 0701559972"), [(Kind::Phone, "0701559972".into())]);
    assert_eq!(found("order 0701559972 shipped"), []);
    assert_eq!(
        found(r#"{"smsTo": "0218619954"}"#),
        [(Kind::Phone, "0218619954".into())]
    );
    assert_eq!(found("the case number is 366 940 794"), []);
    assert_eq!(found("routing number 058729994 for the wire"), []);
    assert_eq!(
        found(r#"twilio api:core:messages:create --from "+15005550006" --to "912696194""#),
        [(Kind::Phone, "+15005550006".into()), (Kind::Phone, "912696194".into())]
    );
    assert_eq!(
        found("CALLERID(num)=8129 2335 dialed ext 4102"),
        [(Kind::Phone, "8129 2335".into())]
    );
    assert_eq!(
        found(r#"{"emergencyContact": "0450.94.47.53"}"#),
        [(Kind::Phone, "0450.94.47.53".into())]
    );
    assert_eq!(found(r#"validate_iban("LV16 HABA 9767 7057 3920") failed"#), []);
    assert_eq!(
        found("| Site | Phone |\n|---|---|\n| HQ | 0212436549 |"),
        [(Kind::Phone, "0212436549".into())]
    );
}

#[test]
fn numbers_no_country_issues_dates_isbns_and_counts_are_not_phones() {
    for text in [
        "on 2024-03-15",
        "ISBN 978-3-16-148410-0",
        "the year 2019 had 365 days",
        "01.02-2024",
        "version 1.2.3",
        "+999 289 5657",
        "+1-555-5487",
        "at 12:30:45.123456",
        "id-1234567890",
        "pi is 3.14159265358",
    ] {
        assert_eq!(found(text), [], "{text}");
    }
}
