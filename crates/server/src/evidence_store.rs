//! Where evidence files are kept: an [`ObjectStore`], a local directory by
//! default (`<data_dir>/evidence`), an S3-compatible bucket when
//! `REDRESS_EVIDENCE_S3_BUCKET` is set.
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
        match &settings.evidence_s3 {
            Some(s3) => Self::s3(s3),
            None => Self::local(&settings.evidence_dir),
        }
    }

    /// An S3-compatible bucket. Credentials not given here come from the
    /// usual AWS environment (`AWS_ACCESS_KEY_ID`, instance roles, ...).
    pub fn s3(s3: &crate::config::EvidenceS3Settings) -> anyhow::Result<Self> {
        use secrecy::ExposeSecret as _;
        let mut builder = object_store::aws::AmazonS3Builder::from_env()
            .with_bucket_name(&s3.bucket)
            .with_region(s3.region.as_deref().unwrap_or("us-east-1"));
        if let Some(endpoint) = &s3.endpoint {
            // A self-hosted store (MinIO, Ceph, ...) is addressed by path,
            // and may be plain HTTP inside a private network.
            builder = builder
                .with_endpoint(endpoint)
                .with_virtual_hosted_style_request(false)
                .with_allow_http(endpoint.starts_with("http://"));
        }
        if let Some(id) = &s3.access_key_id {
            builder = builder.with_access_key_id(id);
        }
        if let Some(secret) = &s3.secret_access_key {
            builder = builder.with_secret_access_key(secret.expose_secret());
        }
        let objects = builder
            .build()
            .with_context(|| format!("S3 bucket {:?}", s3.bucket))?;
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
