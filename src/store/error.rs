//! Everything that can go wrong with a vault, each with a message that says
//! what happened and what to do. Messages name paths and ids, never anything
//! a conversation contains.

use std::io;
use std::path::PathBuf;

use super::ids::ConversationId;
use crate::crypto::user_identity::UserIdentityError;

#[derive(Debug, thiserror::Error)]
pub enum VaultError {
    #[error("no vault at '{}'. Create one with 'sotto init', or point --data-dir or SOTTO_DATA_DIR at an existing vault", .path.display())]
    NoVault { path: PathBuf },

    #[error("a vault already exists at '{}'; nothing was changed. Use it, or choose another directory with --data-dir", .path.display())]
    AlreadyExists { path: PathBuf },

    #[error("'{}' exists, is not empty and is not a vault; nothing was changed. Choose a new or empty directory with --data-dir", .path.display())]
    NotEmpty { path: PathBuf },

    #[error("'{}' holds vault files but no manifest 'vault.toml'. If a 'sotto init' was interrupted there, nothing was stored yet and its contents can be deleted before running it again; if this is a vault you used, restore 'vault.toml' from a backup instead", .path.display())]
    InterruptedInit { path: PathBuf },

    #[error("'{}' holds a vault that was in use, but its manifest 'vault.toml' is missing. Restore 'vault.toml' from a backup; do not delete the directory, it holds your history", .path.display())]
    ManifestMissing { path: PathBuf },

    #[error("cannot create a vault at '{}': '{}' is a file, not a directory. Choose another place with --data-dir", .path.display(), .blocker.display())]
    NotADirectory { path: PathBuf, blocker: PathBuf },

    #[error("the vault at '{}' is in use by another sotto process{}; close it first. Nothing was changed", .path.display(), holder.map(|p| format!(" (pid {p})")).unwrap_or_default())]
    InUse { path: PathBuf, holder: Option<u32> },

    #[error("wrong passphrase for the vault at '{}'. Nothing stored was changed; {note}", .path.display())]
    WrongPassphrase { path: PathBuf, note: String },

    #[error("the identity in '{}' cannot open the vault at '{}'. Nothing stored was changed; {note}", .identity.display(), .path.display())]
    WrongIdentity {
        path: PathBuf,
        identity: PathBuf,
        note: String,
    },

    #[error("the age plugin could not unlock the vault at '{}': {reason}. Check that the plugin is installed and its token is present, then try again", .path.display())]
    PluginFailed { path: PathBuf, reason: String },

    #[error("the vault at '{}' needs a passphrase: type it at the prompt, or set SOTTO_PASSPHRASE_FILE or SOTTO_PASSPHRASE_COMMAND", .path.display())]
    PassphraseRequired { path: PathBuf },

    #[error("the vault at '{}' has no identity file '{}'. Without it the history cannot be decrypted: restore the file from a backup", .path.display(), .identity.display())]
    IdentityMissing { path: PathBuf, identity: PathBuf },

    #[error("the vault identity '{}' cannot be used: {reason}. Restore it from a backup", .identity.display())]
    IdentityUnreadable { identity: PathBuf, reason: String },

    #[error("{0}")]
    UserIdentity(#[from] UserIdentityError),

    #[error("the vault manifest '{}' cannot be used: {reason}", .path.display())]
    ManifestInvalid { path: PathBuf, reason: String },

    #[error("the vault at '{}' was tampered with: its identity file 'identity.age' is from before the vault moved to format 2 and was put back (it opens nothing stored since). Nothing was changed; restore 'identity.age' from a backup taken after that, or the whole data directory", .path.display())]
    IdentityFromBeforeMigration { path: PathBuf },

    #[error("the vault at '{}' was tampered with: its manifest names recipient '{manifest}' but its identity is '{actual}'. Restore the data directory from a backup", .path.display())]
    RecipientMismatch {
        path: PathBuf,
        manifest: String,
        actual: String,
    },

    #[error("cannot {action} '{}': {source}", .path.display())]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: io::Error,
    },

    #[error("could not write '{}': {reason}. What sotto reported as saved is safe. Free some space (or raise the limit), then open the vault again: the database takes no more writes until it is reopened (quit sotto and start it again, or run the command again)", .path.display())]
    DiskFull { path: PathBuf, reason: &'static str },

    #[error("the vault database at '{}' takes no more writes from this sotto process: a write to it failed (the error then said why). What sotto reported as saved is safe; fix the cause (free some space, or make the file system writable), then quit sotto and start it again, or run the command again", .path.display())]
    WritesStopped { path: PathBuf },

    #[error("no snapshot was taken in '{}': it would leave less than 64 MiB free ({free} bytes free, {needed} needed). The vault itself is unaffected, but 'sotto repair' can only go back to an older snapshot; free some space", .path.display())]
    NoRoomForSnapshot { path: PathBuf, free: u64, needed: u64 },

    #[error("could not write '{}': it is on a read-only file system, and sotto must write to the vault, even to unlock it (its lock and audit log). What sotto reported as saved is safe; remount it read-write or move the vault, then open it again", .path.display())]
    ReadOnly { path: PathBuf },

    #[error("cannot create a vault at '{}': '{}' {reason}. Nothing was created. Choose a place sotto can write with --data-dir DIR (or SOTTO_DATA_DIR), or make that directory writable, then start sotto again", .path.display(), .dir.display())]
    CannotCreate {
        path: PathBuf,
        /// The directory that cannot be written.
        dir: PathBuf,
        reason: String,
    },

    #[error("the vault database at '{}' is damaged: {message}. Nothing more was changed. 'sotto verify' names what is damaged; 'sotto repair' rebuilds the vault from its newest snapshot and every record that still reads (the damaged copy is kept), or restore the data directory from a backup", .path.display())]
    Database { path: PathBuf, message: String },

    #[error("the vault database at '{}' is damaged: the storage engine found corrupted data in its files and stopped, so the vault cannot be opened. Nothing more was changed. Run 'sotto repair': it moves the damaged database aside (it is kept, never deleted), rebuilds the vault from its newest snapshot and every record that still reads, and says what came back and what is lost. Or restore the data directory from a backup", .path.display())]
    DatabaseCorrupted { path: PathBuf },

    #[error("the startup record would be {size} bytes, more than it may hold; the next start reads the database first")]
    StartupRecordTooLarge { size: usize },

    #[error("'{}' is damaged: {what}", .path.display())]
    FileDamaged { path: PathBuf, what: String },

    #[error(
        "the vault key record is damaged ({reason}), so no conversation can be read. Restore the data directory from a backup"
    )]
    VaultKeyDamaged { reason: String },

    #[error("no conversation with id '{0}'")]
    ConversationNotFound(ConversationId),

    #[error("conversation '{0}' is already in the vault")]
    ConversationExists(ConversationId),

    #[error("conversation '{id}' is damaged ({reason}); run 'sotto verify' for details")]
    ConversationDamaged { id: ConversationId, reason: String },

    #[error("conversation '{conversation}' has no message #{seq}")]
    MessageNotFound { conversation: ConversationId, seq: u64 },

    #[error(
        "message #{seq} of conversation '{conversation}' is not a reply being streamed by this process; stored messages do not change"
    )]
    ReplyNotStreaming { conversation: ConversationId, seq: u64 },

    #[error("a reply cannot end in the state '{state}'")]
    InvalidReplyEnd { state: String },

    #[error("the vault at '{}' is protected by your own identity file, not a passphrase; change that file's protection with your age tools instead", .path.display())]
    NotPassphraseProtected { path: PathBuf },

    #[error(
        "that is not a recovery key: a recovery key is one line starting with 'AGE-SECRET-KEY-1', as 'sotto recovery-key' showed it"
    )]
    RecoveryKeyInvalid,

    #[error("the vault at '{}' has no recovery key; only its passphrase can open it", .path.display())]
    NoRecoveryKey { path: PathBuf },

    #[error("that recovery key does not belong to the vault at '{}'. Nothing stored was changed; {note}", .path.display())]
    WrongRecoveryKey { path: PathBuf, note: String },

    #[error("the vault identity cannot be rotated: {reason}. Nothing was changed")]
    CannotRotate { reason: String },

    #[error("the vault settings are damaged ({reason}); run 'sotto verify' for details")]
    SettingsDamaged { reason: String },
}

impl VaultError {
    pub(crate) fn io(action: &'static str, path: impl Into<PathBuf>) -> impl FnOnce(io::Error) -> VaultError {
        let path = path.into();
        move |source| VaultError::from_io(action, path, source)
    }

    /// An I/O failure, named for what the user can do about it: a full disk
    /// and a read-only file system have their own errors.
    pub(crate) fn from_io(action: &'static str, path: PathBuf, source: io::Error) -> VaultError {
        // sled passes some errors on re-wrapped, with the kind kept but not
        // the OS code: both are looked at.
        use io::ErrorKind as Kind;
        let full = |reason| VaultError::DiskFull {
            path: path.clone(),
            reason,
        };
        match (source.kind(), source.raw_os_error()) {
            (Kind::StorageFull, _) | (_, Some(libc::ENOSPC)) => full("the disk is full"),
            (Kind::QuotaExceeded, _) | (_, Some(libc::EDQUOT)) => full("the disk quota is used up"),
            (Kind::FileTooLarge, _) | (_, Some(libc::EFBIG)) => full("a file reached the size limit"),
            (Kind::ReadOnlyFilesystem, _) | (_, Some(libc::EROFS)) => VaultError::ReadOnly { path },
            _ => VaultError::Io { action, path, source },
        }
    }
}
