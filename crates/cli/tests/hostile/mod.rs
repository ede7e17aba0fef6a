//! Issue 15's hostile cases, one family a file; the harness and the model
//! factories they share are in `hostile_corpus.rs`. The case directories
//! next to these files are the hand-written family (`hand_written.rs`).
//! Each family is one `#[test]`, declared in the table below.

mod file_system;
mod graph_models;
mod graphs;
mod hand_written;
mod io_json;
mod manifest;
mod model_json;
mod npy;
mod quantization;
mod shards;
mod sizes;
mod topology;

/// One `#[test]` per family (it runs every case of the family and lists
/// every failing one), and [`FAMILIES`]: all of them, for the size check.
macro_rules! families {
    ($($test:ident => $cases:path,)*) => {
        $(
            #[test]
            fn $test() {
                crate::run_family($cases());
            }
        )*
        /// Every family's case generator.
        pub(crate) const FAMILIES: &[fn() -> Vec<crate::Case>] = &[$($cases),*];
    };
}

families! {
    model_json_family => model_json::model_json_cases,
    manifest_family => manifest::manifest_cases,
    quantization_family => quantization::quantization_cases,
    shard_family => shards::shard_cases,
    file_system_family => file_system::file_system_cases,
    topology_family => topology::topology_cases,
    size_family => sizes::size_cases,
    graph_family => graphs::graph_cases,
    io_json_family => io_json::io_json_cases,
    graph_model_family => graph_models::graph_model_cases,
    npy_family => npy::npy_cases,
    hand_written_family => hand_written::file_cases,
}
