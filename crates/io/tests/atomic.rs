//! Saves are atomic: a crash at any step leaves either the previous model or
//! the new one, complete, never a mix.

mod common;

use common::{file_url, fixtures, rt};
use tfjs_format::{ModelArtifacts, WeightData};
use tfjs_io::file::{save_path, FailPoint, FileStore, FileStoreOptions};
use tfjs_io::ModelStore;

fn load(dir: &std::path::Path) -> ModelArtifacts {
    rt().block_on(FileStore::new().load(&file_url(dir)))
        .unwrap()
}

/// Same model: weight names, shapes, dtypes and bytes, and the same
/// generator. (Topology numbers may be respelled: Python's `6.0` is
/// written as JavaScript's `6` in tfjs-node's layout.)
fn same(a: &ModelArtifacts, b: &ModelArtifacts) -> bool {
    let key = |m: &ModelArtifacts| {
        m.weight_specs
            .iter()
            .map(|s| (s.name.clone(), s.shape.clone(), s.dtype))
            .collect::<Vec<_>>()
    };
    key(a) == key(b)
        && a.generated_by == b.generated_by
        && a.weight_data.contiguous() == b.weight_data.contiguous()
}

fn visible_files(dir: &std::path::Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| !n.starts_with('.'))
        .collect();
    v.sort();
    v
}

#[test]
fn a_crash_at_any_step_leaves_a_complete_model() {
    let old = load(&fixtures().join("tfjs/mlp"));
    let new = load(&fixtures().join("tfjs/cnn"));
    for (point, expect_new) in [
        (FailPoint::BeforeCommit, false),
        (FailPoint::AfterCommit, true),
        (FailPoint::AfterLink, true),
    ] {
        let dir = tempfile::tempdir().unwrap();
        save_path(dir.path(), &old, &FileStoreOptions::default()).unwrap();
        let crash = FileStoreOptions {
            fail_point: Some(point),
            ..Default::default()
        };
        let err = save_path(dir.path(), &new, &crash).unwrap_err();
        assert!(err.to_string().contains("simulated crash"), "{err}");
        let after = load(dir.path());
        let expected = if expect_new { &new } else { &old };
        assert!(
            same(&after, expected),
            "{point:?}: the model after the crash is not the {} one",
            if expect_new { "new" } else { "old" }
        );
        // The verifier agrees the directory holds a sound model.
        let report = tfjs_io::verify::verify_file(dir.path());
        assert!(report.ok(), "{point:?}: {:?}", report.problems);
        // The next save finishes the job: canonical names only.
        save_path(dir.path(), &new, &FileStoreOptions::default()).unwrap();
        assert!(same(&load(dir.path()), &new));
        assert_eq!(
            visible_files(dir.path()),
            ["model.json", "weights.bin"],
            "{point:?}"
        );
        let json = std::fs::read_to_string(dir.path().join("model.json")).unwrap();
        assert!(json.contains(r#""paths":["weights.bin"]"#), "{point:?}");
    }
}

#[test]
fn a_refused_save_leaves_the_old_model_intact() {
    let old = load(&fixtures().join("tfjs/mlp"));
    let dir = tempfile::tempdir().unwrap();
    save_path(dir.path(), &old, &FileStoreOptions::default()).unwrap();
    let before = std::fs::read(dir.path().join("model.json")).unwrap();
    let mut bad = load(&fixtures().join("tfjs/cnn"));
    bad.weight_data = WeightData::from_vec(vec![0; 100]);
    let err = save_path(dir.path(), &bad, &FileStoreOptions::default()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "weight data: the weight specs need 7192 bytes but the data holds 100; refusing to save a model whose weight bytes do not match its weight specs"
    );
    assert_eq!(
        std::fs::read(dir.path().join("model.json")).unwrap(),
        before
    );
    assert!(same(&load(dir.path()), &old));
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        2,
        "no temporary files left"
    );
}

#[test]
fn a_failure_after_the_commit_keeps_the_new_model_under_temporary_names() {
    // `weights.bin` is a non-empty directory, so the canonical name cannot
    // be created: the model is still saved (under its unique name) and the
    // problem is reported in `errors`.
    let new = load(&fixtures().join("tfjs/cnn"));
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("weights.bin/x")).unwrap();
    let res = save_path(dir.path(), &new, &FileStoreOptions::default()).unwrap();
    assert_eq!(res.errors.len(), 1, "{:?}", res.errors);
    assert!(
        res.errors[0].starts_with("the model was saved, but its weight files keep temporary names"),
        "{:?}",
        res.errors
    );
    assert!(same(&load(dir.path()), &new));
    assert!(
        dir.path().join("weights.bin/x").is_dir(),
        "the user's directory is untouched"
    );
}

#[test]
fn saving_over_a_loaded_model_keeps_its_memory_map_valid() {
    let k = fixtures().join("keras");
    let dir = tempfile::tempdir().unwrap();
    let v1 = load(&k.join("mobilenet_v1"));
    save_path(dir.path(), &v1, &FileStoreOptions::default()).unwrap();
    let live = load(dir.path()); // memory-mapped (1.9 MB)
    let v2 = load(&k.join("mobilenet_v2"));
    save_path(dir.path(), &v2, &FileStoreOptions::default()).unwrap();
    assert!(live.weight_data.contiguous() == v1.weight_data.contiguous());
    assert!(same(&load(dir.path()), &v2));
}

#[test]
fn switching_layouts_removes_only_the_old_models_files() {
    let a = load(&fixtures().join("keras/mobilenet_v1"));
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("labels.txt"), "cat\ndog\n").unwrap();
    save_path(dir.path(), &a, &FileStoreOptions::sharded(100_000)).unwrap();
    assert_eq!(visible_files(dir.path()).len(), 22);
    save_path(dir.path(), &a, &FileStoreOptions::default()).unwrap();
    assert_eq!(
        visible_files(dir.path()),
        ["labels.txt", "model.json", "weights.bin"]
    );
    save_path(dir.path(), &a, &FileStoreOptions::sharded(1_000_000)).unwrap();
    assert_eq!(
        visible_files(dir.path()),
        [
            "group1-shard1of2.bin",
            "group1-shard2of2.bin",
            "labels.txt",
            "model.json"
        ]
    );
    assert!(same(&load(dir.path()), &a));
}

#[test]
fn saving_onto_a_file_is_refused_with_tfjs_wording() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("occupied");
    std::fs::write(&f, "x").unwrap();
    let a = load(&fixtures().join("tfjs/mlp"));
    let err = rt()
        .block_on(FileStore::new().save(&file_url(&f), &a))
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "Path {} exists as a file. The path must be nonexistent or point to a directory.",
            f.display()
        )
    );
    assert_eq!(std::fs::read(&f).unwrap(), b"x");
}

#[test]
fn a_truncated_middle_shard_is_named() {
    let src = fixtures().join("keras/mobilenet_v1_sharded");
    let dir = tempfile::tempdir().unwrap();
    for e in std::fs::read_dir(&src).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), dir.path().join(e.file_name())).unwrap();
    }
    let shard = dir.path().join("group1-shard7of20.bin");
    let bytes = std::fs::read(&shard).unwrap();
    std::fs::write(&shard, &bytes[..99_000]).unwrap();
    let err = rt()
        .block_on(FileStore::new().load(&file_url(dir.path())))
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "weight shard {} (shard 7 of 20; together the group's shards must hold 1902176 bytes, they hold 1901176): expected 100000 bytes from the manifest, got 99000",
            shard.display()
        )
    );
}

#[cfg(target_os = "linux")]
#[test]
fn a_dead_writers_committed_model_is_not_swept_as_a_leftover() {
    // A writer killed after its commit leaves model.json pointing at its
    // `.tfjs-p<pid>.…` names. The next save's cleanup of dead writers'
    // leftovers must keep them: if that save is killed before its own
    // commit, they are still the live model.
    let old = load(&fixtures().join("tfjs/mlp"));
    let new = load(&fixtures().join("tfjs/cnn"));
    let dir = tempfile::tempdir().unwrap();
    let crash = |point| FileStoreOptions {
        fail_point: Some(point),
        ..Default::default()
    };
    save_path(dir.path(), &old, &crash(FailPoint::AfterCommit)).unwrap_err();
    // Pretend that writer was another process, now gone: respell its
    // temporary names with a pid no process has.
    let own = format!(".tfjs-p{:x}.", std::process::id());
    let dead = ".tfjs-pfffffffe.";
    let json_path = dir.path().join("model.json");
    let json = std::fs::read_to_string(&json_path).unwrap();
    assert!(json.contains(&own), "{json}");
    std::fs::write(&json_path, json.replace(&own, dead)).unwrap();
    for e in std::fs::read_dir(dir.path()).unwrap() {
        let name = e.unwrap().file_name().to_string_lossy().into_owned();
        if name.starts_with(&own) {
            std::fs::rename(
                dir.path().join(&name),
                dir.path().join(name.replace(&own, dead)),
            )
            .unwrap();
        }
    }
    assert!(same(&load(dir.path()), &old));
    save_path(dir.path(), &new, &crash(FailPoint::BeforeCommit)).unwrap_err();
    assert!(
        same(&load(dir.path()), &old),
        "the live model lost its weights"
    );
    // A complete save then takes over and removes the old unique names.
    save_path(dir.path(), &new, &FileStoreOptions::default()).unwrap();
    assert!(same(&load(dir.path()), &new));
    let names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(dead))
        .collect();
    assert!(names.is_empty(), "{names:?}");
}

#[test]
fn a_save_into_a_new_directory_leaves_only_the_model() {
    // The new-directory path (no previous model to keep readable) writes
    // canonical names directly: no temporaries left, same model as the
    // full protocol writes into an existing directory.
    let model = load(&fixtures().join("tfjs/cnn"));
    let root = tempfile::tempdir().unwrap();
    for options in [FileStoreOptions::default(), FileStoreOptions::sharded(1000)] {
        let fresh = root.path().join(format!("new/{:?}", options.layout));
        save_path(&fresh, &model, &options).unwrap();
        let existing = tempfile::tempdir().unwrap();
        save_path(existing.path(), &model, &options).unwrap();
        let all = |d: &std::path::Path| {
            let mut v: Vec<String> = std::fs::read_dir(d)
                .unwrap()
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect();
            v.sort();
            v
        };
        assert_eq!(all(&fresh), visible_files(existing.path()));
        assert!(all(&fresh).len() > 1);
        for name in all(&fresh) {
            assert!(
                std::fs::read(fresh.join(&name)).unwrap()
                    == std::fs::read(existing.path().join(&name)).unwrap(),
                "{name}"
            );
        }
        assert!(same(&load(&fresh), &model));
    }
}
