//! Layer implementations, one module per family. Each family module has a
//! `register(&mut LayerRegistry)` that adds its classes.

use crate::LayerRegistry;

/// Add every built-in class to `registry`.
pub fn register_builtins(registry: &mut LayerRegistry) {
    let _ = registry;
}
