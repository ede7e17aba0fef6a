//! The hand-written cases: every `hostile/<case>/` directory with a
//! `case.json` (see README.md).

use crate::*;

fn files_under(root: &Path, dir: &Path, out: &mut Vec<(String, Entry)>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            files_under(root, &p, out);
        } else {
            let rel = p.strip_prefix(root).unwrap().to_str().unwrap().to_string();
            out.push((rel, Entry::Bytes(std::fs::read(&p).unwrap())));
        }
    }
}

/// Every `hostile/<case>/` directory with a `case.json` (see hostile/README.md).
pub(crate) fn file_cases() -> Vec<Case> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/hostile");
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("case.json").is_file())
        .collect();
    dirs.sort();
    dirs.iter()
        .map(|dir| {
            let spec: Value =
                serde_json::from_slice(&std::fs::read(dir.join("case.json")).unwrap()).unwrap();
            let mut entries = vec![];
            files_under(dir, dir, &mut entries);
            entries.retain(|(p, _)| p != "case.json");
            let strings = |v: &Value| -> Vec<String> {
                v.as_array()
                    .unwrap()
                    .iter()
                    .map(|s| s.as_str().unwrap().to_string())
                    .collect()
            };
            let runs = spec["runs"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| Run {
                    args: strings(&r["args"]),
                    statuses: r["statuses"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|s| s.as_i64().unwrap() as i32)
                        .collect(),
                    culprits: strings(&r["culprits"]),
                })
                .collect();
            Case {
                name: format!("hostile/{}", dir.file_name().unwrap().to_str().unwrap()),
                entries,
                runs,
            }
        })
        .collect()
}
