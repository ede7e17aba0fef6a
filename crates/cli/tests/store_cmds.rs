//! `tfjs ls/cp/mv/rm/demo/export-localstorage/import-localstorage` end to end,
//! against the browser captures in ../shared/fixtures/browser.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn browser(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/fixtures/browser")
        .join(rel)
}

fn read_json(p: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap()
}

struct Env {
    dir: tempfile::TempDir,
}

impl Env {
    fn new() -> Env {
        Env {
            dir: tempfile::tempdir().unwrap(),
        }
    }
    fn profile(&self) -> PathBuf {
        self.dir.path().join("profile")
    }
    fn downloads(&self) -> PathBuf {
        self.dir.path().join("downloads")
    }
    fn tfjs(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_tfjs"))
            .arg("--profile")
            .arg(self.profile())
            .args(args)
            .env("TFJS_DOWNLOADS_DIR", self.downloads())
            .env_remove("TFJS_HOME")
            .current_dir(self.dir.path())
            .output()
            .unwrap()
    }
    fn ok(&self, args: &[&str]) -> String {
        let out = self.tfjs(args);
        assert!(
            out.status.success(),
            "tfjs {args:?}: {}\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }
    fn err(&self, args: &[&str]) -> String {
        let out = self.tfjs(args);
        assert_eq!(out.status.code(), Some(2), "tfjs {args:?} should fail");
        String::from_utf8(out.stderr).unwrap()
    }
}

fn undate(info: &str) -> String {
    let mut v: Value = serde_json::from_str(info).unwrap();
    v["dateSaved"] = Value::String(String::new());
    serde_json::to_string(&v).unwrap()
}

/// The Rust-built demo model is stored byte for byte as TensorFlow.js stored
/// the same model in Chromium (localStorage values, downloads).
#[test]
fn demo_saves_what_the_browser_saved() {
    let env = Env::new();
    let out = env.ok(&["demo", "--in-profile"]);
    assert!(out.contains("all copies agree"), "{out}");
    for f in ["my-model-1.json", "my-model-1.weights.bin"] {
        assert_eq!(
            std::fs::read(env.downloads().join(f)).unwrap(),
            std::fs::read(browser("downloads").join(f)).unwrap(),
            "{f}"
        );
    }
    let exported: Value =
        serde_json::from_str(&env.ok(&["export-localstorage", "localstorage://my-model-1"]))
            .unwrap();
    let dump = read_json(&browser("storage/01-after-save-localstorage.json"));
    let items = dump["localStorage"]["items"].as_array().unwrap();
    assert_eq!(exported.as_object().unwrap().len(), items.len());
    for item in items {
        let key = item["key"].as_str().unwrap();
        let want = item["value"].as_str().unwrap();
        let got = exported[key].as_str().unwrap_or_else(|| panic!("no {key}"));
        if key.ends_with("/info") {
            assert_eq!(undate(got), undate(want));
        } else {
            assert_eq!(got, want, "{key}");
        }
    }
    let listed: Value = serde_json::from_str(&env.ok(&["--json", "ls"])).unwrap();
    let urls: Vec<&String> = listed.as_object().unwrap().keys().collect();
    assert_eq!(
        urls,
        ["localstorage://my-model-1", "indexeddb://my-model-1"]
    );
}

#[test]
fn temporary_demo_leaves_no_profile() {
    let env = Env::new();
    let out = env.ok(&["--json", "demo"]);
    let report: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(report["maxDiffFromTfjs"], 0.0);
    assert_eq!(report["loaded"].as_object().unwrap().len(), 4);
    assert!(!env.profile().exists());
    assert!(!env.downloads().exists());
}

#[test]
fn ls_cp_mv_rm_and_their_errors() {
    let env = Env::new();
    // The browser's two models, imported from the capture.
    let dump = read_json(&browser("storage/04-after-save-compiled-model.json"));
    let obj: serde_json::Map<String, Value> = dump["localStorage"]["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| (i["key"].as_str().unwrap().to_string(), i["value"].clone()))
        .collect();
    let paste = env.dir.path().join("paste.json");
    std::fs::write(&paste, serde_json::to_string(&obj).unwrap()).unwrap();
    let out = env.ok(&["import-localstorage", paste.to_str().unwrap()]);
    assert!(
        out.contains("imported localstorage://my-model-opt"),
        "{out}"
    );
    // ls --json is tf.io.listModels()'s object (dates as captured).
    let listed: Value = serde_json::from_str(&env.ok(&["--json", "ls", "localstorage"])).unwrap();
    let capture = read_json(&browser("model-management/01-listModels.json"));
    for url in ["localstorage://my-model-1", "localstorage://my-model-opt"] {
        assert_eq!(listed[url], capture["outcome"]["result"][url], "{url}");
    }
    let table = env.ok(&["ls"]);
    assert!(table.starts_with("MODEL"), "{table}");
    assert!(table.contains("2026-11-25T18:54:15.803Z"), "{table}");
    // cp to a plain path (file://), mv across media, rm.
    env.ok(&["cp", "localstorage://my-model-opt", "exported"]);
    assert!(env.dir.path().join("exported/model.json").is_file());
    let out = env.ok(&["mv", "exported", "indexeddb://opt"]);
    assert!(out.contains("verified"), "{out}");
    assert!(!env.dir.path().join("exported/model.json").exists());
    let moved: Value = serde_json::from_str(&env.ok(&["--json", "rm", "indexeddb://opt"])).unwrap();
    assert_eq!(moved["weightDataBytes"], 96);
    assert_eq!(moved["weightSpecsBytes"], 288);
    // TensorFlow.js's error texts.
    let cases = read_json(&browser("model-management/08-error-cases.json"));
    let results = &cases["outcome"]["result"];
    let msg = |k: &str| String::from(results[k]["error"]["message"].as_str().unwrap());
    assert_eq!(
        env.err(&["rm", "localstorage://nope"]).trim(),
        format!("error: {}", msg("removeModel(localstorage://nope)"))
    );
    assert_eq!(
        env.err(&["mv", "localstorage://my-model-1", "foo://bar"])
            .trim(),
        format!(
            "error: {}",
            msg("moveModel(localstorage://my-model-1, foo://bar)")
        )
    );
    assert_eq!(
        env.err(&[
            "cp",
            "localstorage://my-model-1",
            "localstorage://my-model-1"
        ])
        .trim(),
        format!(
            "error: {}",
            msg("copyModel(localstorage://my-model-1, localstorage://my-model-1)")
        )
    );
    assert_eq!(
        env.err(&["rm", "foo://bar"]).trim(),
        format!("error: {}", msg("removeModel(foo://bar)"))
    );
    // Nothing lost along the way.
    let listed: Value = serde_json::from_str(&env.ok(&["--json", "ls"])).unwrap();
    assert_eq!(listed.as_object().unwrap().len(), 2);
}

/// A raw HTTP/1.1 request to `addr`; returns (status, body).
fn http(addr: &str, method: &str, path: &str) -> (u16, String) {
    http_for(addr, addr, method, path)
}

/// [`http`] with the `Host` header `host` (what a DNS-rebound page sends).
fn http_for(addr: &str, host: &str, method: &str, path: &str) -> (u16, String) {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(std::time::Duration::from_secs(20)))
        .unwrap();
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"
    )
    .unwrap();
    let mut buf = String::new();
    s.read_to_string(&mut buf).unwrap();
    let status = buf.split(' ').nth(1).unwrap().parse().unwrap();
    let body = buf
        .split_once("\r\n\r\n")
        .map_or("", |(_, b)| b)
        .to_string();
    (status, body)
}

/// Issue 15.10: one corrupt `model_info_store` row or localStorage `info`
/// value used to make `ls` fail for every model, `rm` of that model fail and
/// `serve` refuse to start. Now: skipped with a warning naming it, removed
/// by key, and the server starts and deletes it by key.
#[test]
fn a_corrupt_info_row_is_skipped_with_a_warning_and_removed_by_key() {
    let env = Env::new();
    let mlp = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/fixtures/tfjs/mlp");
    let mlp = mlp.to_str().unwrap();
    for url in [
        "indexeddb://good",
        "indexeddb://bad",
        "localstorage://lbad",
        "indexeddb://tfjs-serve/m/v1",
        "indexeddb://tfjs-serve/bad/v1",
    ] {
        env.ok(&["cp", mlp, url]);
    }
    let db = rusqlite::Connection::open(env.profile().join("tfjs.sqlite3")).unwrap();
    db.execute_batch(
        "UPDATE model_info_store SET model_artifacts_info = 'not json' \
           WHERE model_path IN ('bad', 'tfjs-serve/bad/v1');
         UPDATE local_storage SET value = '{\"dateSaved\": 7' \
           WHERE key = 'tensorflowjs_models/lbad/info';",
    )
    .unwrap();
    drop(db);

    let o = env.tfjs(&["ls", "--all"]);
    assert!(o.status.success(), "{o:?}");
    let (out, err) = (
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr),
    );
    assert!(out.contains("indexeddb://good"), "{out}");
    assert!(out.contains("indexeddb://tfjs-serve/m/v1"), "{out}");
    for skipped in [
        "indexeddb://bad",
        "localstorage://lbad",
        "indexeddb://tfjs-serve/bad/v1",
    ] {
        assert!(!out.contains(&format!("{skipped} ")), "{out}");
        assert!(
            err.lines()
                .any(|l| l.starts_with("warning: skipping") && l.contains(skipped)),
            "no warning names {skipped}: {err}"
        );
    }

    // The server starts, lists the good version and deletes the bad one by key.
    /// Kills the server however the test ends.
    struct Server(std::process::Child);
    impl Drop for Server {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    let mut server = Server(
        Command::new(env!("CARGO_BIN_EXE_tfjs"))
            .arg("--profile")
            .arg(env.profile())
            .args(["serve", "--addr", "127.0.0.1:0", "--refresh-secs", "0"])
            .env_remove("TFJS_HOME")
            .env_remove("TFJS_TOKEN")
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap(),
    );
    let mut line = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(server.0.stdout.take().unwrap()),
        &mut line,
    )
    .unwrap();
    let addr = line
        .trim()
        .strip_prefix("listening on http://")
        .unwrap_or_else(|| panic!("serve did not start: {line:?}"))
        .to_string();
    let port = addr.rsplit(':').next().unwrap();
    // A page on evil.example rebound to 127.0.0.1 (issue 15.3): this
    // tokenless server answers only loopback names.
    let rebound = http_for(
        &addr,
        &format!("evil.example:{port}"),
        "DELETE",
        "/models/m",
    );
    let answers = [
        rebound,
        http(&addr, "GET", "/models"),
        http(&addr, "DELETE", "/models/bad/v1"),
        http(&addr, "DELETE", "/models/bad/v1"),
    ];
    drop(server);
    let [(s0, refused), (s1, listed), (s2, deleted), (s3, again)] = answers;
    assert_eq!(s0, 403, "{refused}");
    assert!(refused.contains("--allowed-host evil.example"), "{refused}");
    assert_eq!(s1, 200, "{listed}");
    assert!(listed.contains("\"name\":\"m\""), "{listed}");
    assert_eq!(s2, 200, "DELETE of the corrupt version: {deleted}");
    assert_eq!(s3, 404, "{again}");

    // rm removes the other two by key.
    for url in ["indexeddb://bad", "localstorage://lbad"] {
        let o = env.tfjs(&["rm", url]);
        assert!(o.status.success(), "rm {url}: {o:?}");
    }
    let o = env.tfjs(&["ls", "--all"]);
    assert!(o.status.success(), "{o:?}");
    assert!(
        o.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let db = rusqlite::Connection::open(env.profile().join("tfjs.sqlite3")).unwrap();
    let left: Vec<String> = db
        .prepare("SELECT model_path FROM model_info_store ORDER BY model_path")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(left, ["good", "tfjs-serve/m/v1"]);
}
