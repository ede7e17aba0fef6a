//! One module per subcommand.

pub mod bench;
pub mod bench_io;
pub mod convert;
pub mod info;
pub mod predict;
pub mod verify;
pub mod serve;
pub mod cp;
pub mod demo;
pub mod localstorage;
pub mod ls;
pub mod mv;
pub mod rm;
