//! Where a model lives in an object store: bucket and key prefix.

use object_store::path::Path as ObjPath;
use tfjs_io::{IoError, ModelUrl, Result};

/// Where a model lives: bucket and key prefix (no trailing slash).
#[derive(Debug, Clone)]
pub(crate) struct Location {
    pub(crate) scheme: String,
    pub(crate) bucket: String,
    pub(crate) prefix: String,
}

impl Location {
    pub(crate) fn parse(url: &ModelUrl) -> Result<Location> {
        let rest = url.path.trim_end_matches('/');
        let rest = rest.strip_suffix("/model.json").unwrap_or(rest);
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        if bucket.is_empty() {
            return Err(IoError::invalid(format!(
                "{url}: expected {}://BUCKET/PATH",
                url.scheme
            )));
        }
        if prefix.split('/').any(|s| s == ".." || s == ".")
            || prefix.contains("//")
            || prefix.chars().any(char::is_control)
        {
            return Err(IoError::invalid(format!(
                "{url}: the path must not contain '.', '..', empty segments or control characters"
            )));
        }
        Ok(Location {
            scheme: url.scheme.clone(),
            bucket: bucket.to_string(),
            prefix: prefix.to_string(),
        })
    }

    pub(crate) fn key(&self, name: &str) -> ObjPath {
        if self.prefix.is_empty() {
            ObjPath::from(name)
        } else {
            ObjPath::from(format!("{}/{name}", self.prefix))
        }
    }

    pub(crate) fn url(&self) -> String {
        if self.prefix.is_empty() {
            format!("{}://{}", self.scheme, self.bucket)
        } else {
            format!("{}://{}/{}", self.scheme, self.bucket, self.prefix)
        }
    }

    pub(crate) fn display(&self, name: &str) -> String {
        format!("{}/{name}", self.url())
    }
}

pub(crate) fn obj_err(loc: &Location, name: &str, e: object_store::Error) -> IoError {
    IoError::Other {
        message: format!("{}: {e}", loc.display(name)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations_parse_and_reject_traversal() {
        let u = ModelUrl::parse("s3://bucket/models/a").unwrap();
        let l = Location::parse(&u).unwrap();
        assert_eq!(
            (l.bucket.as_str(), l.prefix.as_str()),
            ("bucket", "models/a")
        );
        assert_eq!(l.key("model.json").as_ref(), "models/a/model.json");
        let u = ModelUrl::parse("s3://bucket/models/a/model.json").unwrap();
        assert_eq!(Location::parse(&u).unwrap().prefix, "models/a");
        let err = Location::parse(&ModelUrl::parse("s3://bucket/a/../b").unwrap()).unwrap_err();
        assert!(err.to_string().contains("'..'"), "{err}");
        assert!(Location::parse(&ModelUrl::parse("s3:///x").unwrap()).is_err());
    }

    #[test]
    fn manifest_paths_must_be_plain() {
        // The checkpoint's policy, as the store applies it to keys.
        use tfjs_format::weight_path::WeightPath;
        assert_eq!(
            WeightPath::parse("./weights.bin", "u").unwrap().as_str(),
            "weights.bin"
        );
        for bad in [
            "../x.bin",
            "/etc/passwd",
            "http://evil/x",
            "a\\b",
            "a//b",
            "",
            "C:x.bin",
        ] {
            let e = WeightPath::parse(bad, "weightsManifest[0].paths[0] of s3://b/m/model.json")
                .unwrap_err()
                .to_string();
            assert!(
                e.contains("s3://b/m") && e.contains("unsafe weight path"),
                "{bad}: {e}"
            );
        }
    }
}
