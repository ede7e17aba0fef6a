//! Several processes saving, loading and moving models in one profile at
//! once never see a torn model (SQLite transactions, WAL, busy timeout).

mod common;

use common::listed_paths;
use std::process::{Command, Stdio};

#[test]
fn concurrent_processes_never_see_a_torn_model() {
    let dir = tempfile::tempdir().unwrap();
    let profile = dir.path().join("profile");
    let exe = env!("CARGO_BIN_EXE_tfjs-store-stress");
    let mut children = Vec::new();
    for (role, id, n) in [
        ("writer", 1, 60),
        ("writer", 2, 60),
        ("writer", 3, 60),
        ("reader", 4, 120),
        ("reader", 5, 120),
        ("reader", 6, 120),
        ("mover", 7, 25),
        ("mover", 8, 25),
    ] {
        let child = Command::new(exe)
            .arg(&profile)
            .arg(role)
            .arg(id.to_string())
            .arg(n.to_string())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        children.push((role, id, child));
    }
    let mut failures = Vec::new();
    for (role, id, child) in children {
        let out = child.wait_with_output().unwrap();
        if !out.status.success() {
            failures.push(format!(
                "{role} {id}: {}\n{}",
                out.status,
                String::from_utf8_lossy(&out.stderr)
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // A last reader sees a whole model written by one of the writers.
    let out = Command::new(exe)
        .arg(&profile)
        .args(["reader", "9", "1"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let p = tfjs_store::Profile::open(&profile).unwrap();
    let ls = tfjs_store::LocalStorageStore::new(p.clone());
    let shared = ls.load_sync("shared").unwrap();
    let name = shared.model_topology.unwrap()["config"]["name"]
        .as_str()
        .unwrap()
        .to_string();
    // The last iteration of some writer (ids 1..=3, i = 59).
    assert!(
        ["m-1059", "m-2059", "m-3059"].contains(&name.as_str()),
        "{name}"
    );
    // The movers left nothing behind in localStorage but the shared model.
    let paths = listed_paths(ls.list_sync("").unwrap());
    assert_eq!(paths, ["shared"]);
    let idb = tfjs_store::IndexedDbStore::new(p);
    let paths = listed_paths(idb.list_sync("").unwrap());
    assert_eq!(paths, ["mv-7", "mv-8", "shared"]);
}
