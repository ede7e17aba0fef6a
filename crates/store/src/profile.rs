//! A profile: one directory holding one transactional SQLite database
//! (`tfjs.sqlite3`), shared by the `localstorage://` and `indexeddb://`
//! stores, plus the downloads directory used by `downloads://`.
//!
//! The database is opened in WAL mode with a generous busy timeout, and every
//! save, load, list and remove runs inside one SQLite transaction, so several
//! processes can work on one profile at once and none of them ever sees half a
//! model.

use rusqlite::{Connection, OpenFlags, TransactionBehavior};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;
use tfjs_io::{IoError, Result};

/// Chromium's per-origin localStorage limit: 5,242,880 UTF-16 code units of
/// keys plus values (10 MiB of UTF-16).
pub const DEFAULT_LOCAL_STORAGE_QUOTA: u64 = 5_242_880;

/// File name of the profile database inside the profile directory.
pub const DATABASE_FILE: &str = "tfjs.sqlite3";

const SCHEMA_VERSION: i64 = 1;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS local_storage (
    key   TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL,
    -- UTF-16 code units of key + value, what the quota counts
    units INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS model_info_store (
    model_path           TEXT PRIMARY KEY NOT NULL,
    model_artifacts_info TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS models_store (
    model_path           TEXT PRIMARY KEY NOT NULL,
    model_artifacts      TEXT NOT NULL,
    weight_data          BLOB NOT NULL,
    model_artifacts_info TEXT NOT NULL
);
";

/// Where a profile lives and how it behaves. Build with [`ProfileOptions::new`]
/// (everything from the environment) and override what you need.
///
/// ```
/// use tfjs_store::ProfileOptions;
/// let dir = tempfile::tempdir().unwrap();
/// let opts = ProfileOptions::new()
///     .profile_dir(dir.path())
///     .downloads_dir(dir.path().join("dl"))
///     .local_storage_quota(1_000_000);
/// let profile = opts.open().unwrap();
/// assert_eq!(profile.dir(), dir.path());
/// assert!(profile.database_path().ends_with("tfjs.sqlite3"));
/// ```
#[derive(Debug, Clone, Default)]
pub struct ProfileOptions {
    profile_dir: Option<PathBuf>,
    downloads_dir: Option<PathBuf>,
    quota: Option<u64>,
    busy_timeout: Option<Duration>,
}

impl ProfileOptions {
    /// Defaults: directories from the environment (see
    /// [`default_profile_dir`] and [`default_downloads_dir`]), Chromium's
    /// localStorage quota, a 60 s busy timeout.
    pub fn new() -> Self {
        Self::default()
    }

    /// Use this profile directory (overrides `TFJS_HOME` and the XDG default).
    pub fn profile_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.profile_dir = Some(dir.into());
        self
    }

    /// Write `downloads://` files here (overrides `TFJS_DOWNLOADS_DIR`).
    pub fn downloads_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.downloads_dir = Some(dir.into());
        self
    }

    /// The localStorage quota in UTF-16 code units of keys plus values.
    pub fn local_storage_quota(mut self, units: u64) -> Self {
        self.quota = Some(units);
        self
    }

    /// How long to wait for another process's transaction before giving up.
    pub fn busy_timeout(mut self, timeout: Duration) -> Self {
        self.busy_timeout = Some(timeout);
        self
    }

    /// Create the profile directory if needed and open (or create) its database.
    pub fn open(self) -> Result<Profile> {
        let profile = self.open_lazy()?;
        profile.conn()?;
        Ok(profile)
    }

    /// Resolve the directories now but touch nothing on disk until the
    /// first save, load, list or remove (what the `tfjs` binary registers,
    /// so commands that never use these stores create no profile).
    pub fn open_lazy(self) -> Result<Profile> {
        let dir = match self.profile_dir {
            Some(d) => d,
            None => default_profile_dir()?,
        };
        let downloads_dir = match self.downloads_dir {
            Some(d) => d,
            None => default_downloads_dir()?,
        };
        Ok(Profile {
            inner: Arc::new(Inner {
                db_path: dir.join(DATABASE_FILE),
                dir,
                downloads_dir,
                quota: self.quota.unwrap_or(DEFAULT_LOCAL_STORAGE_QUOTA),
                busy_timeout: self.busy_timeout.unwrap_or(Duration::from_secs(60)),
                conn: Mutex::new(None),
            }),
        })
    }
}

fn env_path(name: &str) -> Option<PathBuf> {
    std::env::var_os(name)
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
}

fn home_dir() -> Result<PathBuf> {
    env_path("HOME").ok_or_else(|| {
        IoError::invalid(
            "cannot find a profile directory: neither TFJS_HOME, XDG_DATA_HOME nor HOME is set \
             (pass --profile DIR)",
        )
    })
}

/// `$TFJS_HOME`, else `$XDG_DATA_HOME/tfjs-rs`, else `~/.local/share/tfjs-rs`.
pub fn default_profile_dir() -> Result<PathBuf> {
    if let Some(p) = env_path("TFJS_HOME") {
        return Ok(p);
    }
    if let Some(p) = env_path("XDG_DATA_HOME") {
        return Ok(p.join("tfjs-rs"));
    }
    Ok(home_dir()?.join(".local/share/tfjs-rs"))
}

/// `$TFJS_DOWNLOADS_DIR`, else `$XDG_DOWNLOAD_DIR`, else `~/Downloads`.
pub fn default_downloads_dir() -> Result<PathBuf> {
    if let Some(p) = env_path("TFJS_DOWNLOADS_DIR") {
        return Ok(p);
    }
    if let Some(p) = env_path("XDG_DOWNLOAD_DIR") {
        return Ok(p);
    }
    Ok(home_dir()?.join("Downloads"))
}

/// An open profile. Cheap to clone (shared connection).
///
/// ```
/// let dir = tempfile::tempdir().unwrap();
/// let profile = tfjs_store::ProfileOptions::new()
///     .profile_dir(dir.path())
///     .downloads_dir(dir.path().join("dl"))
///     .open()
///     .unwrap();
/// assert_eq!(profile.dir(), dir.path());
/// assert!(profile.database_path().ends_with("tfjs.sqlite3"));
/// assert_eq!(profile.local_storage_quota(), 5_242_880);
/// ```
#[derive(Debug, Clone)]
pub struct Profile {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    dir: PathBuf,
    db_path: PathBuf,
    downloads_dir: PathBuf,
    quota: u64,
    busy_timeout: Duration,
    /// Opened on first use.
    conn: Mutex<Option<Connection>>,
}

/// The profile's connection, locked for one operation.
pub(crate) struct ConnGuard<'a>(MutexGuard<'a, Option<Connection>>);

impl std::ops::Deref for ConnGuard<'_> {
    type Target = Connection;
    fn deref(&self) -> &Connection {
        self.0
            .as_ref()
            .expect("ConnGuard is only built around an open connection")
    }
}

impl std::ops::DerefMut for ConnGuard<'_> {
    fn deref_mut(&mut self) -> &mut Connection {
        self.0
            .as_mut()
            .expect("ConnGuard is only built around an open connection")
    }
}

pub(crate) fn sql_err(db: &Path, what: &str, e: rusqlite::Error) -> IoError {
    IoError::Other {
        message: format!("profile database {}: {what}: {e}", db.display()),
    }
}

impl Profile {
    /// Open the profile in `dir` with default settings for everything else
    /// (downloads directory from the environment, falling back to
    /// `dir/downloads` when no home directory is known).
    pub fn open(dir: impl Into<PathBuf>) -> Result<Profile> {
        let dir = dir.into();
        let downloads = default_downloads_dir().unwrap_or_else(|_| dir.join("downloads"));
        ProfileOptions::new()
            .profile_dir(dir)
            .downloads_dir(downloads)
            .open()
    }

    fn connect(&self) -> Result<Connection> {
        let dir = &self.inner.dir;
        let db_path = &self.inner.db_path;
        std::fs::create_dir_all(dir)
            .map_err(|e| IoError::io(format!("profile directory {}", dir.display()), e))?;
        let mut conn = Connection::open_with_flags(
            db_path,
            OpenFlags::SQLITE_OPEN_READ_WRITE
                | OpenFlags::SQLITE_OPEN_CREATE
                | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(|e| sql_err(db_path, "cannot open", e))?;
        conn.busy_timeout(self.inner.busy_timeout)
            .map_err(|e| sql_err(db_path, "cannot set busy timeout", e))?;
        // WAL: readers never block the writer and vice versa; FULL sync so a
        // committed save survives a power cut.
        // Switching a new database to WAL needs an exclusive lock, and SQLite
        // does not always call the busy handler for it: when several
        // processes open a fresh profile at once, retry within the timeout.
        let started = std::time::Instant::now();
        let mode: String = loop {
            match conn.query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0)) {
                Ok(mode) => break mode,
                Err(rusqlite::Error::SqliteFailure(f, _))
                    if f.code == rusqlite::ErrorCode::DatabaseBusy
                        && started.elapsed() < self.inner.busy_timeout =>
                {
                    std::thread::sleep(Duration::from_millis(5));
                }
                Err(e) => return Err(sql_err(db_path, "cannot enable WAL", e)),
            }
        };
        if !mode.eq_ignore_ascii_case("wal") {
            tracing::warn!(db = %db_path.display(), mode, "SQLite refused WAL mode");
        }
        conn.execute_batch("PRAGMA synchronous=FULL;")
            .map_err(|e| sql_err(db_path, "cannot set pragmas", e))?;
        {
            let tx = conn
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(|e| sql_err(db_path, "cannot start schema transaction", e))?;
            let version: i64 = tx
                .query_row("PRAGMA user_version", [], |r| r.get(0))
                .map_err(|e| sql_err(db_path, "cannot read schema version", e))?;
            if version > SCHEMA_VERSION {
                return Err(IoError::invalid(format!(
                    "profile database {} has schema version {version}, newer than this tfjs \
                     understands ({SCHEMA_VERSION}); upgrade tfjs",
                    db_path.display()
                )));
            }
            tx.execute_batch(SCHEMA)
                .map_err(|e| sql_err(db_path, "cannot create tables", e))?;
            tx.execute_batch(&format!("PRAGMA user_version={SCHEMA_VERSION}"))
                .map_err(|e| sql_err(db_path, "cannot write schema version", e))?;
            tx.commit()
                .map_err(|e| sql_err(db_path, "cannot commit schema", e))?;
        }
        Ok(conn)
    }

    /// The profile directory.
    pub fn dir(&self) -> &Path {
        &self.inner.dir
    }

    /// The SQLite database file.
    pub fn database_path(&self) -> &Path {
        &self.inner.db_path
    }

    /// Where `downloads://` writes.
    pub fn downloads_dir(&self) -> &Path {
        &self.inner.downloads_dir
    }

    /// The localStorage quota in UTF-16 code units.
    pub fn local_storage_quota(&self) -> u64 {
        self.inner.quota
    }

    /// Lock the shared connection (a poisoned lock is still usable: every
    /// write is a transaction that either committed or rolled back).
    /// Opens the database on first use.
    pub(crate) fn conn(&self) -> Result<ConnGuard<'_>> {
        let mut guard = self.inner.conn.lock().unwrap_or_else(|p| p.into_inner());
        if guard.is_none() {
            *guard = Some(self.connect()?);
        }
        Ok(ConnGuard(guard))
    }

    pub(crate) fn sql_err(&self, what: &str, e: rusqlite::Error) -> IoError {
        sql_err(&self.inner.db_path, what, e)
    }

    /// Commit `tx`; `what` says what failed in errors.
    pub(crate) fn commit(&self, tx: rusqlite::Transaction<'_>, what: &str) -> Result<()> {
        tx.commit().map_err(|e| self.sql_err(what, e))
    }

    /// Every row of `sql` (two text columns) with `params`, in one
    /// statement; `what` says what failed in errors.
    pub(crate) fn text_pairs(
        &self,
        sql: &str,
        params: impl rusqlite::Params,
        what: &str,
    ) -> Result<Vec<(String, String)>> {
        let conn = self.conn()?;
        let mut stmt = conn.prepare(sql).map_err(|e| self.sql_err(what, e))?;
        let rows = stmt
            .query_map(params, |r| Ok((r.get(0)?, r.get(1)?)))
            .map_err(|e| self.sql_err(what, e))?;
        rows.collect::<rusqlite::Result<Vec<_>>>()
            .map_err(|e| self.sql_err(what, e))
    }

    /// Run blocking database work off the async runtime.
    pub(crate) async fn blocking<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Profile) -> Result<T> + Send + 'static,
    {
        let me = self.clone();
        tokio::task::spawn_blocking(move || f(&me))
            .await
            .map_err(|e| IoError::Other {
                message: format!("profile database task failed: {e}"),
            })?
    }
}
