//! The startup record from the store thread's side: read right after the
//! identity unlocks, so the first frame is drawn while the database opens,
//! and written again when the chat screen closes the vault cleanly (quit or
//! lock). What it holds is `model::startup_screen`; how it is sealed and
//! when it is shredded is `store::startup_record`.

use super::conversations::{ConversationStore, FIRST_PAGE};
use super::vault_jobs::{BegunReplies, VaultConversations, list};
use super::{Storage, StoreActor};
use crate::model::msg::Msg;
use crate::model::startup_screen::{NewestPage, Remembered, StartupScreen};
use crate::store::{LockedVault, UnlockedIdentity, Vault, VaultError};
use crate::time::Timestamp;

impl StoreActor {
    /// Writes the record for the next session. Best effort: without one the
    /// next start only waits for the database.
    pub(super) fn save_startup_record(&mut self) {
        if let Storage::Open(vault) = &mut self.storage
            && let Ok(Some(screen)) = startup_screen(vault)
        {
            let _ = vault.save_startup_record(&screen.encode());
        }
    }
}

/// The screen the record holds, if there is one to show.
pub(super) fn preview(locked: &LockedVault, identity: &UnlockedIdentity) -> Option<Msg> {
    let bytes = locked.startup_record(identity)?;
    StartupScreen::decode(&bytes, Timestamp::now()).map(|screen| Msg::Preview(Box::new(screen)))
}

/// The chat screen as the next unlock will first show it: the list, and the
/// newest conversation's latest page. `None` when that page has damaged
/// messages (the real opening says so; a picture would hide it).
fn startup_screen(vault: &mut Vault) -> Result<Option<StartupScreen>, VaultError> {
    let conversations = list(vault)?;
    let newest = match conversations.first() {
        Some(item) => {
            let mut begun = BegunReplies::new();
            let store = VaultConversations {
                vault: &mut *vault,
                begun: &mut begun,
            };
            let opened = store.open(item.id, FIRST_PAGE)?;
            if opened.damaged > 0 {
                return Ok(None);
            }
            Some(NewestPage {
                id: item.id,
                entries: opened.entries,
                map: opened.map,
                older: opened.older_than.is_some(),
            })
        }
        None => None,
    };
    Ok(Some(StartupScreen::new(
        conversations,
        newest,
        remembered(vault),
        vault.retention_deadline()?,
    )))
}

/// The chat screen's choices the vault remembers; one that cannot be read
/// is not remembered (the defaults apply, as at any unlock).
pub(super) fn remembered(vault: &Vault) -> Remembered {
    let setting = |name| vault.setting(name).ok().flatten();
    Remembered {
        theme: setting(crate::model::state::THEME_SETTING),
        backend: setting(crate::model::state::BACKEND_SETTING),
        redaction: setting(crate::redact::egress::MODE_SETTING),
    }
}
