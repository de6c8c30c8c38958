//! Encryption at rest for sensitive claims (sexual violence, torture).
//!
//! AES-256-GCM with a random 96-bit nonce per message. Every ciphertext
//! carries the id of the key that sealed it, so keys can rotate: the first
//! configured key seals, every configured key opens.

use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce};
use anyhow::{Context as _, bail};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use rand::RngCore as _;
use secrecy::{ExposeSecret, SecretString};
use std::path::Path;
use store::claims::Sealed;

const NONCE_LEN: usize = 12;

#[derive(Clone)]
pub struct Sealer {
    /// The sealing key first.
    keys: Vec<(String, Aes256Gcm)>,
}

impl std::fmt::Debug for Sealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let ids: Vec<&str> = self.keys.iter().map(|(id, _)| id.as_str()).collect();
        f.debug_struct("Sealer").field("key_ids", &ids).finish()
    }
}

impl Sealer {
    /// Parses `id:base64key[,id:base64key...]`.
    pub fn from_config(spec: &str) -> anyhow::Result<Self> {
        let mut keys = Vec::new();
        for part in spec.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (id, b64) = part
                .split_once(':')
                .context("each encryption key is written id:base64key")?;
            let bytes = STANDARD
                .decode(b64)
                .context("encryption key is not base64")?;
            if bytes.len() != 32 {
                bail!(
                    "encryption key {id:?} must be 32 bytes, not {}",
                    bytes.len()
                );
            }
            let cipher = Aes256Gcm::new_from_slice(&bytes).context("encryption key")?;
            keys.push((id.to_owned(), cipher));
        }
        if keys.is_empty() {
            bail!("no encryption key given");
        }
        Ok(Self { keys })
    }

    /// The configured keys, or a key generated once and kept in the data
    /// directory (mode 0600) for single-machine use.
    pub fn load(configured: Option<&SecretString>, data_dir: &Path) -> anyhow::Result<Self> {
        if let Some(spec) = configured {
            return Self::from_config(spec.expose_secret());
        }
        let path = data_dir.join("encryption.key");
        if let Ok(text) = std::fs::read_to_string(&path) {
            return Self::from_config(text.trim());
        }
        let mut key = [0u8; 32];
        rand::rng().fill_bytes(&mut key);
        let spec = format!("local-1:{}", STANDARD.encode(key));
        std::fs::create_dir_all(data_dir).context("create data directory")?;
        write_private(&path, &spec).with_context(|| format!("write {}", path.display()))?;
        tracing::warn!(
            path = %path.display(),
            "generated an encryption key for sensitive claims; set REDRESS_ENCRYPTION_KEYS in production"
        );
        Self::from_config(&spec)
    }

    pub fn seal(&self, plaintext: &[u8]) -> anyhow::Result<Sealed> {
        let (id, cipher) = &self.keys[0];
        let mut nonce = [0u8; NONCE_LEN];
        rand::rng().fill_bytes(&mut nonce);
        let ciphertext = cipher
            .encrypt(Nonce::from_slice(&nonce), plaintext)
            .map_err(|_| anyhow::anyhow!("encryption failed"))?;
        let mut bytes = nonce.to_vec();
        bytes.extend_from_slice(&ciphertext);
        Ok(Sealed {
            key_id: id.clone(),
            bytes,
        })
    }

    pub fn open(&self, sealed: &Sealed) -> anyhow::Result<Vec<u8>> {
        let (_, cipher) = self
            .keys
            .iter()
            .find(|(id, _)| *id == sealed.key_id)
            .with_context(|| format!("no key {:?} configured to open this claim", sealed.key_id))?;
        if sealed.bytes.len() < NONCE_LEN {
            bail!("sealed data too short");
        }
        let (nonce, ciphertext) = sealed.bytes.split_at(NONCE_LEN);
        cipher
            .decrypt(Nonce::from_slice(nonce), ciphertext)
            .map_err(|_| anyhow::anyhow!("sealed data does not authenticate"))
    }
}

#[cfg(unix)]
fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write as _;
    use std::os::unix::fs::OpenOptionsExt as _;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    file.write_all(text.as_bytes())
}

#[cfg(not(unix))]
fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    std::fs::write(path, text)
}

// Streaming encryption of files (evidence of sensitive claims).
//
// STREAM construction (aead::stream, big-endian 32-bit counter) over
// AES-256-GCM: the plaintext is cut into chunks of `STREAM_CHUNK` bytes,
// each sealed with its own nonce (a random 7-byte prefix, the chunk counter
// and a last-chunk flag), so reordering, dropping or truncating chunks is
// detected. The stored form is `STREAM_MAGIC`, the nonce prefix, then the
// sealed chunks (each `STREAM_CHUNK` + 16 bytes, the last one shorter).
// The associated data binds the ciphertext to its owner (the evidence id),
// so stored objects cannot be swapped. The key id is kept beside the
// object (in the database), as for sealed claim fields.

/// Plaintext bytes per sealed chunk.
pub const STREAM_CHUNK: usize = 64 * 1024;
const STREAM_TAG_LEN: usize = 16;
const STREAM_MAGIC: &[u8; 4] = b"RDS1";
const STREAM_NONCE_LEN: usize = 7;
const STREAM_HEADER_LEN: usize = STREAM_MAGIC.len() + STREAM_NONCE_LEN;

/// Seals a byte stream chunk by chunk; see [`Sealer::stream_sealer`].
pub struct StreamSealer {
    key_id: String,
    aad: Vec<u8>,
    encryptor: aes_gcm::aead::stream::EncryptorBE32<Aes256Gcm>,
    header: Option<Vec<u8>>,
    pending: Vec<u8>,
}

/// Opens a stream sealed by [`StreamSealer`]; see [`Sealer::stream_opener`].
pub struct StreamOpener {
    aad: Vec<u8>,
    cipher: Option<Aes256Gcm>,
    decryptor: Option<aes_gcm::aead::stream::DecryptorBE32<Aes256Gcm>>,
    pending: Vec<u8>,
}

impl std::fmt::Debug for StreamSealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StreamSealer")
            .field("key_id", &self.key_id)
            .finish_non_exhaustive()
    }
}

impl std::fmt::Debug for StreamOpener {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StreamOpener").finish_non_exhaustive()
    }
}

impl Sealer {
    /// Starts sealing a stream with the sealing key, bound to `aad`.
    pub fn stream_sealer(&self, aad: &[u8]) -> StreamSealer {
        let (id, cipher) = &self.keys[0];
        let mut nonce = [0u8; STREAM_NONCE_LEN];
        rand::rng().fill_bytes(&mut nonce);
        let mut header = STREAM_MAGIC.to_vec();
        header.extend_from_slice(&nonce);
        StreamSealer {
            key_id: id.clone(),
            aad: aad.to_vec(),
            encryptor: aes_gcm::aead::stream::EncryptorBE32::from_aead(
                cipher.clone(),
                aes_gcm::aead::generic_array::GenericArray::from_slice(&nonce),
            ),
            header: Some(header),
            pending: Vec::with_capacity(STREAM_CHUNK),
        }
    }

    /// Starts opening a stream sealed with the key `key_id`, bound to `aad`.
    pub fn stream_opener(&self, key_id: &str, aad: &[u8]) -> anyhow::Result<StreamOpener> {
        let (_, cipher) = self
            .keys
            .iter()
            .find(|(id, _)| id == key_id)
            .with_context(|| format!("no key {key_id:?} configured to open this file"))?;
        Ok(StreamOpener {
            aad: aad.to_vec(),
            cipher: Some(cipher.clone()),
            decryptor: None,
            pending: Vec::new(),
        })
    }
}

impl StreamSealer {
    /// The id of the key that seals, to store beside the ciphertext.
    pub fn key_id(&self) -> &str {
        &self.key_id
    }

    /// Takes the next plaintext bytes; returns ciphertext ready to store
    /// (perhaps none). At most one chunk of plaintext is held back.
    pub fn update(&mut self, plaintext: &[u8]) -> anyhow::Result<Vec<u8>> {
        let mut out = self.header.take().unwrap_or_default();
        self.pending.extend_from_slice(plaintext);
        // The last chunk is sealed differently, so a full chunk is kept
        // until more bytes show it is not the last.
        while self.pending.len() > STREAM_CHUNK {
            let rest = self.pending.split_off(STREAM_CHUNK);
            let chunk = std::mem::replace(&mut self.pending, rest);
            let sealed = self
                .encryptor
                .encrypt_next(aes_gcm::aead::Payload {
                    msg: &chunk,
                    aad: &self.aad,
                })
                .map_err(|_| anyhow::anyhow!("encryption failed"))?;
            out.extend_from_slice(&sealed);
        }
        Ok(out)
    }

    /// Seals what is left; returns the last ciphertext bytes.
    pub fn finish(mut self) -> anyhow::Result<Vec<u8>> {
        let mut out = self.header.take().unwrap_or_default();
        let sealed = self
            .encryptor
            .encrypt_last(aes_gcm::aead::Payload {
                msg: &self.pending,
                aad: &self.aad,
            })
            .map_err(|_| anyhow::anyhow!("encryption failed"))?;
        out.extend_from_slice(&sealed);
        Ok(out)
    }
}

impl StreamOpener {
    /// Takes the next stored bytes; returns the plaintext they complete
    /// (perhaps none). Fails as soon as a chunk does not authenticate.
    pub fn update(&mut self, ciphertext: &[u8]) -> anyhow::Result<Vec<u8>> {
        self.pending.extend_from_slice(ciphertext);
        let mut out = Vec::new();
        if self.decryptor.is_none() {
            if self.pending.len() < STREAM_HEADER_LEN {
                return Ok(out);
            }
            if &self.pending[..STREAM_MAGIC.len()] != STREAM_MAGIC {
                bail!("not a sealed stream");
            }
            let nonce: [u8; STREAM_NONCE_LEN] = self.pending[STREAM_MAGIC.len()..STREAM_HEADER_LEN]
                .try_into()
                .context("nonce")?;
            let cipher = self.cipher.take().context("stream opener reused")?;
            self.decryptor = Some(aes_gcm::aead::stream::DecryptorBE32::from_aead(
                cipher,
                aes_gcm::aead::generic_array::GenericArray::from_slice(&nonce),
            ));
            self.pending.drain(..STREAM_HEADER_LEN);
        }
        let decryptor = self.decryptor.as_mut().context("stream opener state")?;
        let sealed_chunk = STREAM_CHUNK + STREAM_TAG_LEN;
        while self.pending.len() > sealed_chunk {
            let rest = self.pending.split_off(sealed_chunk);
            let chunk = std::mem::replace(&mut self.pending, rest);
            let plain = decryptor
                .decrypt_next(aes_gcm::aead::Payload {
                    msg: &chunk,
                    aad: &self.aad,
                })
                .map_err(|_| anyhow::anyhow!("sealed file does not authenticate"))?;
            out.extend_from_slice(&plain);
        }
        Ok(out)
    }

    /// Opens the last chunk; fails if the stream was cut short.
    pub fn finish(self) -> anyhow::Result<Vec<u8>> {
        let decryptor = self.decryptor.context("sealed file is truncated")?;
        decryptor
            .decrypt_last(aes_gcm::aead::Payload {
                msg: &self.pending,
                aad: &self.aad,
            })
            .map_err(|_| anyhow::anyhow!("sealed file does not authenticate or is truncated"))
    }
}

// Ranges of sealed files. Each chunk is sealed on its own with its
// position in the nonce, so a byte range needs only the header (for the
// nonce prefix) and the chunks that cover it: a 1 KiB range of a 50 MiB
// file reads about 64 KiB, not the whole object. The position and the
// last-chunk flag still authenticate each chunk, so chunks cannot be
// moved, and a range that reaches the end cannot be cut short unnoticed.

/// Length of the stored header (magic and nonce prefix) of a sealed file.
pub const STREAM_HEADER_BYTES: u64 = STREAM_HEADER_LEN as u64;

/// Chunks a sealed file of `plain_size` bytes is cut into (an empty file
/// still has its one, empty, last chunk).
pub fn sealed_chunks(plain_size: u64) -> u64 {
    plain_size.div_ceil(STREAM_CHUNK as u64).max(1)
}

/// Where chunks `first..=last` of a sealed file of `plain_size` bytes lie
/// in the stored object.
pub fn sealed_span(plain_size: u64, first: u64, last: u64) -> std::ops::Range<u64> {
    let sealed_chunk = (STREAM_CHUNK + STREAM_TAG_LEN) as u64;
    let stored =
        STREAM_HEADER_BYTES + plain_size + sealed_chunks(plain_size) * STREAM_TAG_LEN as u64;
    let start = STREAM_HEADER_BYTES + first * sealed_chunk;
    let end = (STREAM_HEADER_BYTES + (last + 1) * sealed_chunk).min(stored);
    start..end
}

/// Opens chunks `first..=last` of a sealed file, fed the stored bytes of
/// [`sealed_span`]; see [`Sealer::chunk_opener`].
pub struct ChunkOpener {
    stream: aes_gcm::aead::stream::StreamBE32<Aes256Gcm>,
    aad: Vec<u8>,
    /// The next chunk to open.
    position: u32,
    /// The last chunk to open.
    last: u32,
    /// The file's last chunk, sealed with the last-chunk flag.
    final_chunk: u32,
    pending: Vec<u8>,
}

impl std::fmt::Debug for ChunkOpener {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChunkOpener")
            .field("position", &self.position)
            .field("last", &self.last)
            .finish_non_exhaustive()
    }
}

impl Sealer {
    /// Starts opening chunks `first..=last` of a sealed file of
    /// `plain_size` bytes, given the file's stored header.
    pub fn chunk_opener(
        &self,
        key_id: &str,
        aad: &[u8],
        header: &[u8],
        plain_size: u64,
        chunks: std::ops::RangeInclusive<u64>,
    ) -> anyhow::Result<ChunkOpener> {
        use aes_gcm::aead::stream::NewStream as _;
        let (_, cipher) = self
            .keys
            .iter()
            .find(|(id, _)| id == key_id)
            .with_context(|| format!("no key {key_id:?} configured to open this file"))?;
        if header.len() != STREAM_HEADER_LEN || &header[..STREAM_MAGIC.len()] != STREAM_MAGIC {
            bail!("not a sealed stream");
        }
        let final_chunk = u32::try_from(sealed_chunks(plain_size) - 1).context("file too large")?;
        let first = u32::try_from(*chunks.start()).context("chunk out of range")?;
        let last = u32::try_from(*chunks.end()).context("chunk out of range")?;
        if first > last || last > final_chunk {
            bail!(
                "chunks {first}..={last} are not in a file of {} chunks",
                final_chunk + 1
            );
        }
        Ok(ChunkOpener {
            stream: aes_gcm::aead::stream::StreamBE32::from_aead(
                cipher.clone(),
                aes_gcm::aead::generic_array::GenericArray::from_slice(
                    &header[STREAM_MAGIC.len()..],
                ),
            ),
            aad: aad.to_vec(),
            position: first,
            last,
            final_chunk,
            pending: Vec::new(),
        })
    }
}

impl ChunkOpener {
    fn open(&mut self, sealed: &[u8]) -> anyhow::Result<Vec<u8>> {
        use aes_gcm::aead::stream::StreamPrimitive as _;
        if self.position > self.last {
            bail!("more stored bytes than the chunks asked for");
        }
        let plain = self
            .stream
            .decrypt(
                self.position,
                self.position == self.final_chunk,
                aes_gcm::aead::Payload {
                    msg: sealed,
                    aad: &self.aad,
                },
            )
            .map_err(|_| anyhow::anyhow!("sealed file does not authenticate"))?;
        self.position += 1;
        Ok(plain)
    }

    /// Takes the next stored bytes; returns the plaintext of the chunks
    /// they complete (perhaps none).
    pub fn update(&mut self, ciphertext: &[u8]) -> anyhow::Result<Vec<u8>> {
        self.pending.extend_from_slice(ciphertext);
        let sealed_chunk = STREAM_CHUNK + STREAM_TAG_LEN;
        let mut out = Vec::new();
        // A full-length chunk is complete as soon as it is here, unless it
        // is the file's last, which `finish` opens.
        while self.pending.len() >= sealed_chunk && self.position < self.final_chunk {
            let rest = self.pending.split_off(sealed_chunk);
            let chunk = std::mem::replace(&mut self.pending, rest);
            out.extend(self.open(&chunk)?);
        }
        Ok(out)
    }

    /// Opens what is left; fails unless every chunk asked for was opened.
    pub fn finish(mut self) -> anyhow::Result<Vec<u8>> {
        let mut out = Vec::new();
        if self.position == self.final_chunk && self.position == self.last {
            let chunk = std::mem::take(&mut self.pending);
            out = self.open(&chunk)?;
        }
        if !self.pending.is_empty() || self.position != self.last + 1 {
            bail!("sealed file is truncated");
        }
        Ok(out)
    }
}

#[cfg(test)]
mod stream_tests {
    use super::*;

    fn sealer() -> Sealer {
        Sealer::from_config(&format!("s1:{}", STANDARD.encode([7u8; 32]))).unwrap()
    }

    fn seal_in_pieces(sealer: &Sealer, data: &[u8], piece: usize, aad: &[u8]) -> Vec<u8> {
        let mut s = sealer.stream_sealer(aad);
        let mut out = Vec::new();
        for p in data.chunks(piece.max(1)) {
            out.extend(s.update(p).unwrap());
        }
        out.extend(s.finish().unwrap());
        out
    }

    fn open_in_pieces(
        sealer: &Sealer,
        data: &[u8],
        piece: usize,
        aad: &[u8],
    ) -> anyhow::Result<Vec<u8>> {
        let mut o = sealer.stream_opener("s1", aad)?;
        let mut out = Vec::new();
        for p in data.chunks(piece.max(1)) {
            out.extend(o.update(p)?);
        }
        out.extend(o.finish()?);
        Ok(out)
    }

    #[test]
    fn streams_round_trip_at_every_boundary() {
        let sealer = sealer();
        for len in [
            0,
            1,
            STREAM_CHUNK - 1,
            STREAM_CHUNK,
            STREAM_CHUNK + 1,
            3 * STREAM_CHUNK + 17,
        ] {
            let data: Vec<u8> = (0..len).map(|i| u8::try_from(i % 251).unwrap()).collect();
            for piece in [1000, 4096, STREAM_CHUNK + 5, 1 << 20] {
                let sealed = seal_in_pieces(&sealer, &data, piece, b"id");
                assert_eq!(
                    sealed.len(),
                    STREAM_HEADER_LEN
                        + len
                        + (len / STREAM_CHUNK + usize::from(len % STREAM_CHUNK != 0 || len == 0))
                            * STREAM_TAG_LEN,
                    "len {len}"
                );
                for open_piece in [7, 50_000, 1 << 20] {
                    assert_eq!(
                        open_in_pieces(&sealer, &sealed, open_piece, b"id").unwrap(),
                        data
                    );
                }
            }
        }
    }

    #[test]
    fn tampering_truncation_and_swapping_are_detected() {
        let sealer = sealer();
        let data = vec![b'x'; 2 * STREAM_CHUNK + 10];
        let sealed = seal_in_pieces(&sealer, &data, 10_000, b"a");
        assert!(
            !sealed.windows(64).any(|w| w == &data[..64]),
            "no plaintext"
        );
        let mut flipped = sealed.clone();
        flipped[STREAM_HEADER_LEN + 5] ^= 1;
        assert!(open_in_pieces(&sealer, &flipped, 4096, b"a").is_err());
        // Cut after the first full chunk: the rest looks complete but the
        // last-chunk flag does not match.
        let cut = &sealed[..STREAM_HEADER_LEN + STREAM_CHUNK + STREAM_TAG_LEN];
        assert!(open_in_pieces(&sealer, cut, 4096, b"a").is_err());
        assert!(open_in_pieces(&sealer, &sealed[..5], 4096, b"a").is_err());
        assert!(
            open_in_pieces(&sealer, &sealed, 4096, b"b").is_err(),
            "bound to its owner"
        );
        assert!(sealer.stream_opener("other", b"a").is_err());
    }
    #[test]
    fn any_run_of_chunks_opens_on_its_own() {
        let sealer = sealer();
        for len in [
            0,
            1,
            STREAM_CHUNK,
            STREAM_CHUNK + 1,
            3 * STREAM_CHUNK + 17,
            4 * STREAM_CHUNK,
        ] {
            let data: Vec<u8> = (0..len).map(|i| u8::try_from(i % 251).unwrap()).collect();
            let sealed = seal_in_pieces(&sealer, &data, 10_000, b"id");
            let size = len as u64;
            let n = sealed_chunks(size);
            let header = &sealed[..STREAM_HEADER_LEN];
            for first in 0..n {
                for last in first..n {
                    let span = sealed_span(size, first, last);
                    let stored = &sealed
                        [usize::try_from(span.start).unwrap()..usize::try_from(span.end).unwrap()];
                    let mut o = sealer
                        .chunk_opener("s1", b"id", header, size, first..=last)
                        .unwrap();
                    let mut out = Vec::new();
                    for piece in stored.chunks(7_000) {
                        out.extend(o.update(piece).unwrap());
                    }
                    out.extend(o.finish().unwrap());
                    let from = usize::try_from(first).unwrap() * STREAM_CHUNK;
                    let to = (usize::try_from(last).unwrap() + 1) * STREAM_CHUNK;
                    assert_eq!(
                        out,
                        data[from..to.min(len)],
                        "len {len} chunks {first}..={last}"
                    );
                    // One chunk short is refused, never returned as complete.
                    if stored.len() > STREAM_TAG_LEN {
                        let mut o = sealer
                            .chunk_opener("s1", b"id", header, size, first..=last)
                            .unwrap();
                        let cut = &stored[..stored.len() - 1];
                        let opened = o.update(cut).and_then(|mut v| {
                            v.extend(o.finish()?);
                            Ok(v)
                        });
                        assert!(opened.is_err(), "len {len} chunks {first}..={last} cut");
                    }
                }
            }
        }
        // A chunk presented at another position does not authenticate.
        let data = vec![b'y'; 3 * STREAM_CHUNK];
        let sealed = seal_in_pieces(&sealer, &data, 10_000, b"id");
        let header = &sealed[..STREAM_HEADER_LEN];
        let second = sealed_span(data.len() as u64, 1, 1);
        let stored =
            &sealed[usize::try_from(second.start).unwrap()..usize::try_from(second.end).unwrap()];
        let mut o = sealer
            .chunk_opener("s1", b"id", header, data.len() as u64, 0..=0)
            .unwrap();
        assert!(o.update(stored).is_err());
        assert!(
            sealer
                .chunk_opener("s1", b"id", header, data.len() as u64, 2..=3)
                .is_err()
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(id: &str, byte: u8) -> String {
        format!("{id}:{}", STANDARD.encode([byte; 32]))
    }

    #[test]
    fn seals_and_opens_and_rotates() {
        let old = Sealer::from_config(&key("k1", 1)).unwrap();
        let sealed = old.seal(b"narrative").unwrap();
        assert_eq!(sealed.key_id, "k1");
        assert!(!sealed.bytes.windows(9).any(|w| w == b"narrative"));
        // After rotation the new key seals and the old one still opens.
        let rotated = Sealer::from_config(&format!("{},{}", key("k2", 2), key("k1", 1))).unwrap();
        assert_eq!(rotated.open(&sealed).unwrap(), b"narrative");
        assert_eq!(rotated.seal(b"x").unwrap().key_id, "k2");
        // Tampering is detected.
        let mut bad = sealed.clone();
        let last = bad.bytes.len() - 1;
        bad.bytes[last] ^= 1;
        assert!(rotated.open(&bad).is_err());
        assert!(Sealer::from_config("k:AAAA").is_err());
    }

    #[test]
    fn generates_a_key_once_in_the_data_dir() {
        let dir = tempfile::tempdir().unwrap();
        let a = Sealer::load(None, dir.path()).unwrap();
        let sealed = a.seal(b"x").unwrap();
        let b = Sealer::load(None, dir.path()).unwrap();
        assert_eq!(b.open(&sealed).unwrap(), b"x");
    }
}
