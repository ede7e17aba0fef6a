//! The file system around a model: symlinks, FIFOs, directories and missing
//! files where files should be.

use crate::*;

pub(crate) fn file_system_cases() -> Vec<Case> {
    let full = floats(MLP_FLOATS);
    let mut v = vec![];
    for path in [
        "../secret.bin",
        "sub/../../secret.bin",
        "/etc/passwd",
        "./../secret.bin",
        "..\\secret.bin",
        "%2e%2e/secret.bin",
        "",
        ".",
        "sub/",
        "weights.bin\u{0}.png",
    ] {
        let shown = path.escape_debug().to_string();
        // The JSON path, or the file the path resolves to.
        let path_culprit = if path.len() > 2 && !path.contains('\0') {
            format!("paths[0]|{path}")
        } else {
            "paths[0]".to_string()
        };
        v.push(
            mlp_case(&format!("path: {shown:?} as a weight path"), |m| {
                m["weightsManifest"][0]["paths"] = json!([path])
            })
            .bytes("secret.bin", full.clone())
            .entry("model/sub", Entry::Dir)
            .verify(FOUND, &["weightsManifest[0].paths[0]"])
            .predict(ERROR, &[&path_culprit])
            .convert(ERROR, &[&path_culprit]),
        );
    }
    v.push(
        mlp_case("path: control characters in a weight path", |m| {
            m["weightsManifest"][0]["paths"] = json!(["w\u{1b}]0;pwned\u{7}.bin"])
        })
        .verify(FOUND, &["w"])
        .predict(ERROR, &[".bin"]),
    );
    v.push(
        mlp_case("fs: weights.bin is a FIFO", |_| {})
            .entries_without("model/weights.bin")
            .entry("model/weights.bin", Entry::Fifo)
            .unreadable(&["weights.bin"]),
    );
    v.push(
        Case::new("fs: model.json is a FIFO")
            .entry("model/model.json", Entry::Fifo)
            .bytes("model/weights.bin", full.clone())
            .io(&mlp_io())
            .refused(&["model.json"]),
    );
    v.push(
        Case::new("fs: model.json is a symlink to /dev/zero")
            .entry("model/model.json", Entry::Symlink("/dev/zero".into()))
            .bytes("model/weights.bin", full.clone())
            .io(&mlp_io())
            .unreadable(&["model.json"]),
    );
    for (what, entry) in [
        ("a symlink to /dev/zero", Entry::Symlink("/dev/zero".into())),
        ("a dangling symlink", Entry::Symlink("nowhere.bin".into())),
        ("a directory", Entry::Dir),
    ] {
        v.push(
            mlp_case(&format!("fs: weights.bin is {what}"), |_| {})
                .entries_without("model/weights.bin")
                .entry("model/weights.bin", entry)
                .refused(&["weights.bin"]),
        );
    }
    v.push(
        mlp_case("fs: weights.bin is a symlink outside the folder", |_| {})
            .entries_without("model/weights.bin")
            .bytes("secret.bin", full.clone())
            .entry("model/weights.bin", Entry::Symlink("secret.bin".into()))
            .refused(&["weights.bin", "--allow-external-links"])
            .convert(ERROR, &["weights.bin"])
            .cp(ERROR, &["weights.bin"]),
    );
    // The operator's flag lets such a link be followed.
    v.push(
        mlp_case(
            "fs: a symlink outside the folder with --allow-external-links",
            |_| {},
        )
        .entries_without("model/weights.bin")
        .bytes("secret.bin", full.clone())
        .entry("model/weights.bin", Entry::Symlink("secret.bin".into()))
        .run(&["--allow-external-links", "verify", "{m}"], OK, &["OK"])
        .run(
            &[
                "predict",
                "{m}",
                "--inputs",
                "{d}/io.json",
                "--allow-external-links",
            ],
            OK,
            &["d2"],
        )
        .run(
            &["--allow-external-links", "cp", "{m}", "{d}/copy"],
            OK,
            &["copied"],
        ),
    );
    v.push(
        Case::new("fs: model directory is empty")
            .entry("model", Entry::Dir)
            .io(&mlp_io())
            .unreadable(&["model"]),
    );
    v.push(
        Case::new("fs: model directory does not exist")
            .io(&mlp_io())
            // A path that is not there is a usage error (exit 2), as for
            // every command; see first_hour.rs.
            .verify(ERROR, &["model"])
            .info(ERROR, &["model"])
            .predict(ERROR, &["model"]),
    );
    v.push(
        Case::new("fs: model.json is a directory")
            .entry("model/model.json", Entry::Dir)
            .io(&mlp_io())
            .verify(FOUND, &["model.json"])
            .info(ERROR, &["model.json"]),
    );
    v.push(
        mlp_case("fs: convert onto a FIFO destination", |_| {})
            .entry("out", Entry::Fifo)
            .convert(ERROR, &["out"]),
    );
    v
}
