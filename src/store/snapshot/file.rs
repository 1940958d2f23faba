//! The snapshot file: every record of the vault as it is stored (already
//! sealed), in chunks sealed once more under the vault key so that the set
//! is whole and the file is this one:
//!
//! ```text
//! "sotto-snapshot\x01"      magic
//! file id                    16 random bytes
//! u32 BE length ‖ the vault key wrapped to the identity (as in `keys/vault`)
//! u32 BE length ‖ sealed chunk, repeated; the last one is the trailer
//! ```
//!
//! Chunk `i` is sealed for the slot (`snapshot`, file id ‖ i ‖ last flag),
//! so a chunk dropped, reordered, cut off or taken from another snapshot
//! does not open. A records chunk holds `u8 tree ‖ u32 key length ‖ key ‖
//! u32 value length ‖ value` repeated; the trailer (JSON) says when the
//! snapshot was taken and what it holds. Nothing in the file is readable
//! without the vault identity, as in the database itself.

use std::io::{self, Read, Write};

use rand::RngCore;
use serde::{Deserialize, Serialize};

use super::super::records::TreeId;
use crate::crypto::seal::{self, RecordSlot};
use crate::crypto::{DataKey, SealError};
use crate::time::Timestamp;

const MAGIC: &[u8; 15] = b"sotto-snapshot\x01";
/// Records are gathered into chunks of about this much before sealing.
const CHUNK_BYTES: usize = 1 << 20;
/// The largest chunk or wrapped key read: a record is far smaller, so a
/// length beyond this is damage, not something to allocate for.
const MAX_PART: u32 = 64 << 20;
const FILE_ID_LEN: usize = 16;

/// What a snapshot holds, from its trailer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct SnapshotSummary {
    pub taken_at: Timestamp,
    /// The integrity state's generation the records are at.
    pub generation: u64,
    pub records: u64,
    pub conversations: u64,
    pub messages: u64,
}

#[derive(Debug, thiserror::Error)]
pub(crate) enum SnapshotError {
    #[error("{0}")]
    Io(#[from] io::Error),
    #[error("it is not a sotto snapshot")]
    NotASnapshot,
    #[error("chunk {index} does not open ({source})")]
    Chunk { index: u64, source: SealError },
    #[error("it is damaged ({0})")]
    Malformed(&'static str),
}

fn slot_key(file_id: &[u8; FILE_ID_LEN], index: u64, last: bool) -> [u8; FILE_ID_LEN + 9] {
    let mut key = [0u8; FILE_ID_LEN + 9];
    key[..FILE_ID_LEN].copy_from_slice(file_id);
    key[FILE_ID_LEN..FILE_ID_LEN + 8].copy_from_slice(&index.to_be_bytes());
    key[FILE_ID_LEN + 8] = u8::from(last);
    key
}

const SLOT_TREE: &str = "snapshot";

/// Writes a snapshot to `out`, one record at a time; memory holds one chunk.
pub(crate) struct SnapshotWriter<W: Write> {
    out: W,
    key: DataKey,
    file_id: [u8; FILE_ID_LEN],
    index: u64,
    chunk: Vec<u8>,
    records: u64,
}

impl<W: Write> SnapshotWriter<W> {
    pub fn new(mut out: W, wrapped_vault_key: &[u8], vault_key: &DataKey) -> io::Result<Self> {
        let mut file_id = [0u8; FILE_ID_LEN];
        rand::rngs::OsRng.fill_bytes(&mut file_id);
        out.write_all(MAGIC)?;
        out.write_all(&file_id)?;
        write_part(&mut out, wrapped_vault_key)?;
        Ok(SnapshotWriter {
            out,
            key: vault_key.clone(),
            file_id,
            index: 0,
            chunk: Vec::with_capacity(CHUNK_BYTES + 4096),
            records: 0,
        })
    }

    pub fn record(&mut self, tree: TreeId, key: &[u8], value: &[u8]) -> io::Result<()> {
        self.chunk.push(tree as u8);
        self.chunk.extend_from_slice(&len32(key.len())?.to_be_bytes());
        self.chunk.extend_from_slice(key);
        self.chunk.extend_from_slice(&len32(value.len())?.to_be_bytes());
        self.chunk.extend_from_slice(value);
        self.records += 1;
        if self.chunk.len() >= CHUNK_BYTES {
            self.seal_chunk(false)?;
        }
        Ok(())
    }

    pub fn records(&self) -> u64 {
        self.records
    }

    /// Seals what is left and the trailer; returns the writer (to be synced).
    pub fn finish(mut self, summary: &SnapshotSummary) -> io::Result<W> {
        if !self.chunk.is_empty() {
            self.seal_chunk(false)?;
        }
        self.chunk = serde_json::to_vec(summary).expect("invariant: plain data serializes");
        self.seal_chunk(true)?;
        Ok(self.out)
    }

    fn seal_chunk(&mut self, last: bool) -> io::Result<()> {
        let slot_key = slot_key(&self.file_id, self.index, last);
        let sealed = seal::seal(
            &self.key,
            RecordSlot {
                tree: SLOT_TREE,
                key: &slot_key,
            },
            &self.chunk,
        );
        write_part(&mut self.out, sealed.as_bytes())?;
        self.chunk.clear();
        self.index += 1;
        Ok(())
    }
}

fn len32(len: usize) -> io::Result<u32> {
    u32::try_from(len).map_err(|_| io::Error::other("a record over 4 GiB"))
}

fn write_part(out: &mut impl Write, bytes: &[u8]) -> io::Result<()> {
    out.write_all(&len32(bytes.len())?.to_be_bytes())?;
    out.write_all(bytes)
}

/// Reads a length-prefixed part; `None` at a clean end of file.
fn read_part(input: &mut impl Read) -> Result<Option<Vec<u8>>, SnapshotError> {
    let mut len = [0u8; 4];
    match input.read_exact(&mut len) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok(None),
        Err(e) => return Err(e.into()),
    }
    let len = u32::from_be_bytes(len);
    if len > MAX_PART {
        return Err(SnapshotError::Malformed("a part is implausibly long"));
    }
    let mut part = vec![0u8; len as usize];
    input.read_exact(&mut part).map_err(|e| match e.kind() {
        io::ErrorKind::UnexpectedEof => SnapshotError::Malformed("it is cut short"),
        _ => SnapshotError::Io(e),
    })?;
    Ok(Some(part))
}

/// A snapshot file opened as far as its wrapped vault key.
pub(crate) struct SnapshotReader<R: Read> {
    input: R,
    file_id: [u8; FILE_ID_LEN],
    pub wrapped_vault_key: Vec<u8>,
}

impl<R: Read> SnapshotReader<R> {
    pub fn new(mut input: R) -> Result<Self, SnapshotError> {
        let mut magic = [0u8; MAGIC.len()];
        input.read_exact(&mut magic).map_err(|_| SnapshotError::NotASnapshot)?;
        if &magic != MAGIC {
            return Err(SnapshotError::NotASnapshot);
        }
        let mut file_id = [0u8; FILE_ID_LEN];
        input
            .read_exact(&mut file_id)
            .map_err(|_| SnapshotError::Malformed("it is cut short"))?;
        let wrapped_vault_key = read_part(&mut input)?.ok_or(SnapshotError::Malformed("it is cut short"))?;
        Ok(SnapshotReader {
            input,
            file_id,
            wrapped_vault_key,
        })
    }

    /// Opens every chunk under `vault_key`, handing each record to
    /// `on_record`, and returns the trailer. An error part-way means the
    /// records handed over so far are not the whole snapshot.
    pub fn read_records(
        mut self,
        vault_key: &DataKey,
        mut on_record: impl FnMut(TreeId, &[u8], &[u8]) -> Result<(), SnapshotError>,
    ) -> Result<SnapshotSummary, SnapshotError> {
        let mut index = 0u64;
        loop {
            let sealed = read_part(&mut self.input)?.ok_or(SnapshotError::Malformed("its trailer is missing"))?;
            // A chunk opens as a records chunk or as the trailer, never both.
            let open = |last| {
                let key = slot_key(&self.file_id, index, last);
                seal::open(
                    vault_key,
                    RecordSlot {
                        tree: SLOT_TREE,
                        key: &key,
                    },
                    &sealed,
                )
            };
            if let Ok(trailer) = open(true) {
                if read_part(&mut self.input)?.is_some() {
                    return Err(SnapshotError::Malformed("bytes follow its trailer"));
                }
                return serde_json::from_slice(&trailer).map_err(|_| SnapshotError::Malformed("its trailer"));
            }
            let chunk = open(false).map_err(|source| SnapshotError::Chunk { index, source })?;
            let mut rest: &[u8] = &chunk;
            while !rest.is_empty() {
                let (tree, key, value, after) = split_record(rest)?;
                on_record(tree, key, value)?;
                rest = after;
            }
            index += 1;
        }
    }
}

type SplitRecord<'a> = (TreeId, &'a [u8], &'a [u8], &'a [u8]);

fn split_record(bytes: &[u8]) -> Result<SplitRecord<'_>, SnapshotError> {
    let bad = || SnapshotError::Malformed("a record in a chunk");
    let (&tree, rest) = bytes.split_first().ok_or_else(bad)?;
    let tree = *TreeId::ALL.get(tree as usize).ok_or_else(bad)?;
    let (key, rest) = take_part(rest).ok_or_else(bad)?;
    let (value, rest) = take_part(rest).ok_or_else(bad)?;
    Ok((tree, key, value, rest))
}

fn take_part(bytes: &[u8]) -> Option<(&[u8], &[u8])> {
    let (len, rest) = bytes.split_first_chunk::<4>()?;
    let len = u32::from_be_bytes(*len) as usize;
    (rest.len() >= len).then(|| rest.split_at(len))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn summary() -> SnapshotSummary {
        SnapshotSummary {
            taken_at: Timestamp::from_unix_ms(1_700_000_000_000),
            generation: 7,
            records: 2,
            conversations: 1,
            messages: 1,
        }
    }

    fn written(key: &DataKey) -> Vec<u8> {
        let mut writer = SnapshotWriter::new(Vec::new(), b"wrapped", key).unwrap();
        writer.record(TreeId::Index, b"a", b"sealed-a").unwrap();
        writer.record(TreeId::Messages, b"b", &vec![7u8; CHUNK_BYTES]).unwrap();
        writer.record(TreeId::Keys, b"c", b"sealed-c").unwrap();
        writer.finish(&summary()).unwrap()
    }

    type Read = (Vec<(TreeId, Vec<u8>)>, SnapshotSummary);

    fn read(bytes: &[u8], key: &DataKey) -> Result<Read, SnapshotError> {
        let reader = SnapshotReader::new(bytes)?;
        assert_eq!(reader.wrapped_vault_key, b"wrapped");
        let mut seen = Vec::new();
        let summary = reader.read_records(key, |tree, k, _| {
            seen.push((tree, k.to_vec()));
            Ok(())
        })?;
        Ok((seen, summary))
    }

    #[test]
    fn every_record_comes_back_in_order_with_the_trailer() {
        let key = DataKey::generate();
        let (seen, got) = read(&written(&key), &key).unwrap();
        assert_eq!(
            seen,
            vec![
                (TreeId::Index, b"a".to_vec()),
                (TreeId::Messages, b"b".to_vec()),
                (TreeId::Keys, b"c".to_vec())
            ]
        );
        assert_eq!(got, summary());
    }

    #[test]
    fn a_snapshot_cut_short_or_changed_anywhere_does_not_read() {
        let key = DataKey::generate();
        let bytes = written(&key);
        // Cut at every length past the header, and changed at a spread of
        // places: none reads as a whole snapshot.
        for cut in (40..bytes.len()).step_by(997) {
            assert!(read(&bytes[..cut], &key).is_err(), "cut at {cut}");
        }
        for at in (MAGIC.len() + FILE_ID_LEN + 4 + 7..bytes.len()).step_by(4099) {
            let mut changed = bytes.clone();
            changed[at] ^= 1;
            assert!(read(&changed, &key).is_err(), "changed at {at}");
        }
        assert!(read(&bytes, &DataKey::generate()).is_err(), "another key");
    }

    #[test]
    fn a_chunk_from_another_snapshot_does_not_read() {
        let key = DataKey::generate();
        let (a, b) = (written(&key), written(&key));
        // Same layout, other file id: the chunks sit at the same offsets.
        let start = MAGIC.len() + FILE_ID_LEN + 4 + b"wrapped".len();
        let mut spliced = a[..start].to_vec();
        spliced.extend_from_slice(&b[start..]);
        assert!(read(&spliced, &key).is_err());
    }
}
