//! The trees of the vault database and the fixed keys in them.
//!
//! Trees and their keys (all keys are random ids or sequence numbers):
//!
//! | tree       | key                       | value                                  |
//! |------------|---------------------------|----------------------------------------|
//! | `keys`     | `vault` or conversation id | data key wrapped with age              |
//! | `index`    | conversation id           | sealed conversation entry (vault key)  |
//! | `messages` | conversation id ‖ seq     | sealed message (conversation key)      |
//! | `audit`    | seq                       | sealed audit event (vault key)         |
//! | `settings` | `settings`                | sealed settings map (vault key)        |
//! | `meta`     | `failed-unlock-import`    | sealed import marker (vault key)       |
//! | `meta`     | `integrity-key`, `state`  | sealed digest key and state (see `integrity`) |
//! | `meta`     | `recovery-recipient`      | sealed recovery key's recipient        |

/// The trees of the vault database. Their names are bound into every sealed
/// record's AAD, so this enum is the one place they are spelled.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum TreeId {
    Keys,
    Index,
    Messages,
    Audit,
    Settings,
    Meta,
}

impl TreeId {
    pub const ALL: [TreeId; 6] = [
        TreeId::Keys,
        TreeId::Index,
        TreeId::Messages,
        TreeId::Audit,
        TreeId::Settings,
        TreeId::Meta,
    ];

    pub fn name(self) -> &'static str {
        match self {
            TreeId::Keys => "keys",
            TreeId::Index => "index",
            TreeId::Messages => "messages",
            TreeId::Audit => "audit",
            TreeId::Settings => "settings",
            TreeId::Meta => "meta",
        }
    }
}

pub(crate) const VAULT_KEY_ID: &[u8] = b"vault";
pub(crate) const SETTINGS_KEY: &[u8] = b"settings";
/// In `meta`: which bytes of the failed-unlock side file were already imported.
pub(crate) const FAILED_UNLOCK_IMPORT_KEY: &[u8] = b"failed-unlock-import";
