//! Every fixture in ../shared/fixtures/{tfjs,keras} must reproduce its
//! io.json outputs within tolerance, directly and after a save → load round
//! trip through our TensorFlow.js-style artifacts. All fixtures run; the
//! test fails listing every failing one with its error.

mod common;

use common::*;
use tfjs_layers::{LoadOptions, Model};

#[test]
fn every_fixture_reproduces_reference_outputs() {
    let mut failures = Vec::new();
    let mut report = Vec::new();
    let dirs = fixture_dirs();
    assert!(
        dirs.len() >= 18,
        "expected the tfjs and keras fixtures, found {}",
        dirs.len()
    );
    for (family, name, dir) in &dirs {
        let id = format!("{family}/{name}");
        let io = read_io(dir);
        let model = match load_fixture(dir) {
            Ok(m) => m,
            Err(e) => {
                failures.push(format!("{id}: {e}"));
                continue;
            }
        };
        match check_model(&model, &io) {
            Ok(err) => report.push(format!("{id}: ok (max abs error {err:.2e})")),
            Err(e) => {
                failures.push(format!("{id}: {e}"));
                continue;
            }
        }
        // Round trip: our artifacts must load back and give the same outputs.
        let rt = model
            .to_artifacts()
            .map_err(|e| format!("save: {e}"))
            .and_then(|a| {
                Model::from_artifacts(&a, &LoadOptions::default())
                    .map_err(|e| format!("reload: {e}"))
            })
            .and_then(|m| check_model(&m, &io));
        if let Err(e) = rt {
            failures.push(format!("{id} (after save → load): {e}"));
        }
    }
    for r in &report {
        eprintln!("{r}");
    }
    assert!(
        failures.is_empty(),
        "{} of {} fixtures fail:\n{}",
        failures.len(),
        dirs.len(),
        failures.join("\n")
    );
}
