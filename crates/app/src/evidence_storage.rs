//! Where evidence files are kept: an [`ObjectStore`], a local directory by
//! default (`<data_dir>/evidence`), or any other store the door wires in
//! (an S3-compatible bucket when `REDRESS_EVIDENCE_S3_BUCKET` is set).
//!
//! Objects are named from ids only (`claims/<claim id>/<evidence id>`),
//! never from anything the client sent, so a file name cannot steer where
//! bytes land. The database holds what is known about each file (hash,
//! size, type, key id); this module only moves bytes.

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
