//! Where evidence files are kept: an [`ObjectStore`], a local directory by
//! default (`<data_dir>/evidence`), S3-compatible storage when configured.
//!
//! Objects are named from ids only (`claims/<claim id>/<evidence id>`),
//! never from anything the client sent, so a file name cannot steer where
//! bytes land. The database holds what is known about each file (hash,
//! size, type, key id); this module only moves bytes.

use crate::config::Settings;
use anyhow::Context as _;
use object_store::ObjectStore;
use object_store::local::LocalFileSystem;
use object_store::path::Path as ObjectPath;
use std::path::Path;
use std::sync::Arc;
use store::EvidenceId;

/// The evidence object store, shared by all requests.
#[derive(Clone, Debug)]
pub struct EvidenceStorage {
    objects: Arc<dyn ObjectStore>,
}

impl EvidenceStorage {
    /// Any object store (tests may pass an in-memory one).
    pub fn new(objects: Arc<dyn ObjectStore>) -> Self {
        Self { objects }
    }

    /// A local directory, created if absent.
    pub fn local(dir: &Path) -> anyhow::Result<Self> {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("create evidence directory {}", dir.display()))?;
        let objects = LocalFileSystem::new_with_prefix(dir)
            .with_context(|| format!("evidence directory {}", dir.display()))?
            // Uploads that fail leave no empty directories behind.
            .with_automatic_cleanup(true);
        Ok(Self::new(Arc::new(objects)))
    }

    /// The storage the settings name.
    pub fn from_settings(settings: &Settings) -> anyhow::Result<Self> {
        if let Some(s3) = &settings.evidence_s3 {
            // The object_store `aws` feature pulls in aws-lc-rs (a C build)
            // and a second TLS stack; it is left for a later change rather
            // than silently storing evidence somewhere else.
            anyhow::bail!(
                "evidence storage in S3 bucket {:?} is configured, but this build of redress \
                 only stores evidence in a local directory; unset REDRESS_EVIDENCE_S3_BUCKET \
                 and use REDRESS_EVIDENCE_DIR",
                s3.bucket
            );
        }
        Self::local(&settings.evidence_dir)
    }

    /// The object store itself.
    pub fn objects(&self) -> &Arc<dyn ObjectStore> {
        &self.objects
    }

    /// Where an evidence file is kept: from ids only.
    pub fn key(claim: register::ClaimId, evidence: EvidenceId) -> ObjectPath {
        ObjectPath::from(format!("claims/{claim}/{evidence}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use object_store::ObjectStoreExt as _;

    #[tokio::test]
    async fn the_local_directory_is_created_and_holds_objects_under_their_ids() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("nested/evidence");
        let storage = EvidenceStorage::local(&root).unwrap();
        let claim = register::ClaimId::new();
        let evidence = EvidenceId::new();
        let key = EvidenceStorage::key(claim, evidence);
        storage
            .objects()
            .put(&key, b"%PDF-1.7".to_vec().into())
            .await
            .unwrap();
        let on_disk = root.join(format!("claims/{claim}/{evidence}"));
        assert_eq!(std::fs::read(on_disk).unwrap(), b"%PDF-1.7");
    }
}
