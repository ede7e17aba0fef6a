//! One module per subcommand.

pub mod bench;
pub mod bench_io;
pub mod completions;
pub mod convert;
pub mod demo;
pub mod info;
pub mod layers;
pub mod localstorage;
pub mod ls;
pub mod predict;
pub mod rm;
pub mod serve;
pub mod transfer;
pub mod verify;
