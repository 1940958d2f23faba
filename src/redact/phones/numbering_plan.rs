//! The numbering plans a candidate is checked against: the country its
//! international prefix names, or for a national number the regions sotto's
//! users write from. Parsing is the costly step, so each verdict is kept for
//! the rest of the text.

use std::collections::HashMap;
use std::sync::LazyLock;

use phonenumber::country::Id;

/// The countries tried for a number written without its country code: the
/// ones whose national formats sotto's users paste most (Europe, the
/// Americas, Asia-Pacific, South Africa), plus the locale's own.
pub(super) const REGIONS: [Id; 26] = [
    Id::US,
    Id::CA,
    Id::GB,
    Id::DE,
    Id::FR,
    Id::IT,
    Id::ES,
    Id::NL,
    Id::BE,
    Id::CH,
    Id::AT,
    Id::SE,
    Id::NO,
    Id::DK,
    Id::PL,
    Id::IE,
    Id::PT,
    Id::AU,
    Id::NZ,
    Id::IN,
    Id::JP,
    Id::BR,
    Id::MX,
    Id::ZA,
    Id::SG,
    Id::FI,
];

/// The region of the user's locale (`LC_ALL`, `LC_CTYPE`, `LANG`:
/// `de_AT.UTF-8` → AT), tried first for national numbers.
static LOCALE_REGION: LazyLock<Option<Id>> = LazyLock::new(|| {
    ["LC_ALL", "LC_CTYPE", "LANG"]
        .iter()
        .filter_map(|name| std::env::var(name).ok())
        .find(|value| !value.is_empty())
        .and_then(|value| {
            let region = value.split(['.', '@']).next()?.split('_').nth(1)?.to_owned();
            region.parse::<Id>().ok()
        })
});

pub(super) fn valid_international(digits: &str, verdicts: &mut HashMap<String, bool>) -> bool {
    let key = format!("+{digits}");
    if let Some(&known) = verdicts.get(&key) {
        return known;
    }
    let valid = phonenumber::parse(None, &key).is_ok_and(|n| phonenumber::is_valid(&n));
    verdicts.insert(key, valid);
    valid
}

pub(super) fn valid_national(digits: &str, verdicts: &mut HashMap<String, bool>) -> bool {
    if let Some(&known) = verdicts.get(digits) {
        return known;
    }
    let valid = LOCALE_REGION
        .iter()
        .chain(REGIONS.iter())
        .any(|region| phonenumber::parse(Some(*region), digits).is_ok_and(|n| phonenumber::is_valid(&n)));
    verdicts.insert(digits.to_owned(), valid);
    valid
}
