//! A real S3 API on loopback for tests: moto in server mode.
//!
//! `scripts/test.sh` starts `moto_server` and exports `TFJS_S3_TEST_ENDPOINT`;
//! without it, the first use starts `moto_server` from PATH on a free
//! loopback port and stops it when the test binary exits. Without moto the
//! tests fail with a message saying how to install it: they never pass
//! silently. Shared by the cloud and server test binaries (`#[path]`).
#![allow(dead_code)]

use std::process::{Command, Stdio};
use std::sync::OnceLock;

static MOTO_PID: OnceLock<u32> = OnceLock::new();

extern "C" {
    fn atexit(cb: extern "C" fn()) -> i32;
}

/// Statics are never dropped, so stop our moto when the test binary exits.
extern "C" fn kill_moto() {
    if let Some(pid) = MOTO_PID.get() {
        let _ = Command::new("kill").arg(pid.to_string()).status();
    }
}

/// The moto endpoint (`http://127.0.0.1:PORT`), started on first use.
// The child is stopped by `kill_moto` at exit, not waited for.
#[allow(clippy::zombie_processes)]
pub fn endpoint() -> &'static str {
    static ENDPOINT: OnceLock<String> = OnceLock::new();
    ENDPOINT.get_or_init(|| {
        if let Ok(e) = std::env::var("TFJS_S3_TEST_ENDPOINT") {
            return e;
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new("moto_server")
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| {
                panic!("cannot start moto_server ({e}): install it with `pip install 'moto[server]'` or set TFJS_S3_TEST_ENDPOINT")
            });
        let _ = MOTO_PID.set(child.id());
        // SAFETY: registering a plain extern "C" fn with no captured state.
        unsafe {
            atexit(kill_moto);
        }
        for _ in 0..400 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        format!("http://127.0.0.1:{port}")
    })
}

/// Create `bucket` (moto accepts an unsigned `PUT /bucket`).
pub async fn create_bucket(bucket: &str) {
    reqwest::Client::new()
        .put(format!("{}/{bucket}", endpoint()))
        .send()
        .await
        .expect("create bucket")
        .error_for_status()
        .expect("create bucket status");
}

/// An S3 client for `bucket` on moto.
pub fn client(bucket: &str) -> object_store::aws::AmazonS3 {
    object_store::aws::AmazonS3Builder::new()
        .with_bucket_name(bucket)
        .with_endpoint(endpoint())
        .with_allow_http(true)
        .with_region("us-east-1")
        .with_access_key_id("test")
        .with_secret_access_key("test")
        .build()
        .unwrap()
}
