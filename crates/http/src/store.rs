//! The [`ModelStore`] operations of [`HttpStore`] (load and save; the
//! HTTP scheme has no listing or removal).

use crate::HttpStore;
use async_trait::async_trait;
use tfjs_format::{ModelArtifacts, SaveResult};
use tfjs_io::{ModelStore, ModelUrl, Result};

#[async_trait]
impl ModelStore for HttpStore {
    fn scheme(&self) -> &str {
        &self.scheme
    }

    async fn load(&self, url: &ModelUrl) -> Result<ModelArtifacts> {
        let full = self.check_scheme(url)?;
        self.within_deadline(&full, "loading", self.load_url(&full))
            .await
    }

    async fn save(&self, url: &ModelUrl, artifacts: &ModelArtifacts) -> Result<SaveResult> {
        let full = self.check_scheme(url)?;
        self.within_deadline(&full, "saving", self.save_url(&full, artifacts))
            .await
    }
}
