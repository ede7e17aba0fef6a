//! Sharding: the converter's `group1-shardNofM.bin` names and splitting a weight stream.

use crate::WeightData;
use bytes::Bytes;

/// The converter's default shard size, 4 MiB.
pub const DEFAULT_SHARD_SIZE: usize = 4 * 1024 * 1024;

/// `groupG-shardNofM.bin` names for `count` shards of group `group` (1-based).
pub fn shard_names(group: usize, count: usize) -> Vec<String> {
    (1..=count)
        .map(|n| format!("group{group}-shard{n}of{count}.bin"))
        .collect()
}

/// Split the stream into shards of at most `shard_size` bytes (at least one
/// shard, possibly empty), without copying where the input allows.
pub fn split(data: &WeightData, shard_size: usize) -> Vec<Bytes> {
    todo!("format helper: {} {shard_size}", data.len())
}
