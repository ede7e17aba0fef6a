//! The store contract (`tfjs_io::conformance`) for memory:// and file://,
//! and file://'s defences against a hostile file system (issue 15.6).

mod common;
use common::*;
use std::path::Path;
use std::time::{Duration, Instant};
use tfjs_io::conformance::{self, Supports};
use tfjs_io::file::{load_path, load_path_with, save_path, FileStore, FileStoreOptions};
use tfjs_io::memory::MemoryStore;
use tfjs_io::{IoError, ModelStore};

fn mlp() -> tfjs_io::ModelArtifacts {
    load_path(&fixtures().join("tfjs/mlp")).unwrap()
}

#[test]
fn memory_store_conforms() {
    rt().block_on(conformance::run(
        &MemoryStore::new(),
        "memory://conf",
        Supports::ALL,
    ));
}

#[test]
fn file_store_conforms() {
    let dir = tempfile::tempdir().unwrap();
    let base = format!("file://{}", dir.path().join("conf").display());
    let prefix: &'static str =
        Box::leak(format!("file://{}", dir.path().display()).into_boxed_str());
    let supports = Supports {
        list: Some(prefix),
        ..Supports::ALL
    };
    rt().block_on(conformance::run(&FileStore::new(), &base, supports));

    let model_dir = dir.path().join("paths");
    std::fs::create_dir_all(&model_dir).unwrap();
    let json = model_dir.join("model.json");
    let write = move |bytes: Vec<u8>| {
        std::fs::write(&json, bytes).unwrap();
        Box::pin(async {}) as std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>>
    };
    rt().block_on(conformance::refuses_unsafe_paths(
        &FileStore::new(),
        &format!("file://{}", model_dir.display()),
        &write,
    ));
}

#[test]
fn racing_create_only_saves_have_one_winner() {
    let dir = tempfile::tempdir().unwrap();
    let url = file_url(&dir.path().join("v1"));
    let (a, b) = (conformance::sample_model(1), conformance::sample_model(2));
    let rt = rt();
    let (ra, rb) = rt.block_on(async {
        let s = FileStore::new();
        tokio::join!(s.save_new(&url, &a), s.save_new(&url, &b))
    });
    let wins = [&ra, &rb].iter().filter(|r| r.is_ok()).count();
    assert_eq!(wins, 1, "{ra:?} {rb:?}");
    let loser = if ra.is_err() { ra } else { rb };
    assert!(
        matches!(loser, Err(IoError::AlreadyExists { .. })),
        "{loser:?}"
    );
}

fn saved_mlp() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    save_path(dir.path(), &mlp(), &FileStoreOptions::default()).unwrap();
    dir
}

fn mkfifo(p: &Path) -> bool {
    std::process::Command::new("mkfifo")
        .arg(p)
        .status()
        .is_ok_and(|s| s.success())
}

/// A FIFO as weights.bin used to block every command forever.
#[test]
fn a_fifo_as_weights_is_refused_without_opening_it() {
    let dir = saved_mlp();
    let w = dir.path().join("weights.bin");
    std::fs::remove_file(&w).unwrap();
    if !mkfifo(&w) {
        eprintln!("mkfifo unavailable; skipped");
        return;
    }
    let start = Instant::now();
    let e = load_path(dir.path()).unwrap_err().to_string();
    assert!(start.elapsed() < Duration::from_secs(5));
    assert!(
        e.contains("weights.bin") && e.contains("not a regular file"),
        "{e}"
    );
}

/// model.json as a link to /dev/zero used to read until memory ran out.
#[test]
fn model_json_must_be_a_small_regular_file() {
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("model.json");
    std::os::unix::fs::symlink("/dev/zero", &json).unwrap();
    let e = load_path(dir.path()).unwrap_err().to_string();
    assert!(
        e.contains("model.json") && e.contains("not a regular file"),
        "{e}"
    );

    std::fs::remove_file(&json).unwrap();
    let f = std::fs::File::create(&json).unwrap();
    f.set_len(tfjs_io::file::MAX_MODEL_JSON_BYTES + 1).unwrap(); // sparse
    let e = load_path(dir.path()).unwrap_err().to_string();
    assert!(e.contains("at most 33554432 bytes"), "{e}");
}

/// A weights.bin link out of the model's folder is not read (nor copied
/// by convert/cp), unless the option allows it.
#[test]
fn weight_links_out_of_the_model_folder_are_refused() {
    let outside = saved_mlp();
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        outside.path().join("model.json"),
        dir.path().join("model.json"),
    )
    .unwrap();
    let w = dir.path().join("weights.bin");
    std::os::unix::fs::symlink(outside.path().join("weights.bin"), &w).unwrap();
    let e = rt()
        .block_on(FileStore::new().load(&file_url(dir.path())))
        .unwrap_err()
        .to_string();
    assert!(e.contains("outside the model's directory"), "{e}");
    let back = load_path_with(dir.path(), true).unwrap();
    assert_eq!(
        back.weight_data.contiguous(),
        mlp().weight_data.contiguous()
    );
    // A link that stays inside is fine.
    std::fs::remove_file(&w).unwrap();
    std::fs::copy(
        outside.path().join("weights.bin"),
        dir.path().join("real.bin"),
    )
    .unwrap();
    std::os::unix::fs::symlink("real.bin", &w).unwrap();
    load_path(dir.path()).unwrap();
}

/// A save killed mid-way leaves `.tfjs-*` temporaries; the next save
/// removes those whose writer process is gone, and no others.
#[test]
fn a_killed_saves_temporaries_are_cleaned_up() {
    let dir = saved_mlp();
    let orphan = dir.path().join(".tfjs-p7ffffffe.18c3a9f0-weights.bin");
    let live = dir.path().join(format!(
        ".tfjs-p{:x}.18c3a9f0-weights.bin",
        std::process::id()
    ));
    std::fs::write(&orphan, b"partial").unwrap();
    std::fs::write(&live, b"in progress").unwrap();
    save_path(dir.path(), &mlp(), &FileStoreOptions::default()).unwrap();
    assert!(
        !orphan.exists(),
        "the dead writer's temporary is still there"
    );
    assert!(live.exists(), "a live writer's temporary was removed");
}

/// String weights whose length prefixes run past the end fail at load,
/// before anything is decoded or copied (issue 15.11).
#[test]
fn string_lengths_past_the_end_fail_at_load() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("model.json"),
        br#"{"modelTopology":{"class_name":"Sequential","config":{"layers":[]}},"weightsManifest":[{"paths":["weights.bin"],"weights":[{"name":"vocab","shape":[2],"dtype":"string"}]}]}"#,
    )
    .unwrap();
    let mut bin = 1u32.to_le_bytes().to_vec();
    bin.push(b'a');
    bin.extend(200u32.to_le_bytes());
    bin.extend(b"bc");
    std::fs::write(dir.path().join("weights.bin"), &bin).unwrap();
    let e = load_path(dir.path()).unwrap_err().to_string();
    assert!(
        e.contains("weights.bin") && e.contains("expected 209 bytes"),
        "{e}"
    );
}

/// A destination whose save lets a racing `cp` replace the move's source
/// right after the copy was made (issue 15.9: `cp` into the source path
/// racing `mv` from it lost the newly copied model).
#[derive(Debug)]
struct RacingDestination {
    inner: MemoryStore,
    source: std::sync::Arc<dyn ModelStore>,
    source_url: tfjs_io::ModelUrl,
    newer: tfjs_io::ModelArtifacts,
}

#[async_trait::async_trait]
impl ModelStore for RacingDestination {
    fn scheme(&self) -> &str {
        "racing"
    }
    async fn load(&self, url: &tfjs_io::ModelUrl) -> tfjs_io::Result<tfjs_io::ModelArtifacts> {
        self.inner.load(url).await
    }
    async fn save(
        &self,
        url: &tfjs_io::ModelUrl,
        a: &tfjs_io::ModelArtifacts,
    ) -> tfjs_io::Result<tfjs_format::SaveResult> {
        let r = self.inner.save(url, a).await?;
        self.source.save(&self.source_url, &self.newer).await?;
        Ok(r)
    }
}

/// `mv` deletes its source only if it is still what was copied, for the
/// memory and file stores (the embedded and cloud stores run the same
/// check through the conformance suite's `remove_if_unchanged`).
#[test]
fn a_move_keeps_a_source_replaced_after_the_copy() {
    let dir = tempfile::tempdir().unwrap();
    let file_src = format!("file://{}/src", dir.path().display());
    let sources: [(std::sync::Arc<dyn ModelStore>, &str); 2] = [
        (std::sync::Arc::new(MemoryStore::new()), "memory://src"),
        (std::sync::Arc::new(FileStore::new()), &file_src),
    ];
    for (store, src) in sources {
        let (old, newer) = (conformance::sample_model(1), conformance::sample_model(2));
        let src_url = tfjs_io::ModelUrl::parse(src).unwrap();
        let mut router = tfjs_io::Router::new();
        router.register(store.clone());
        router.register(std::sync::Arc::new(RacingDestination {
            inner: MemoryStore::new(),
            source: store.clone(),
            source_url: src_url.clone(),
            newer: newer.clone(),
        }));
        rt().block_on(store.save(&src_url, &old)).unwrap();
        let e = rt()
            .block_on(tfjs_io::management::move_model(
                &router,
                src,
                "racing://dst",
            ))
            .unwrap_err();
        assert!(matches!(e, IoError::Changed { .. }), "{src}: {e:?}");
        assert!(e.to_string().contains("changed since it was copied"), "{e}");
        let kept = rt().block_on(store.load(&src_url)).unwrap();
        assert_eq!(
            kept.weight_data.contiguous(),
            newer.weight_data.contiguous(),
            "{src}: the model copied into the source during the move was lost"
        );
    }
}
