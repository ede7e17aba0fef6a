//! Errors of the graph engine.

/// Everything that can go wrong loading or running a graph model.
#[derive(Debug, thiserror::Error)]
pub enum GraphError {
    /// The model.json / GraphDef is malformed (the message names the node or field).
    #[error("graph model: {0}")]
    Model(String),
    /// Ops with no implementation, every one listed with the nodes that use it.
    #[error("unsupported op(s) in the graph: {0}")]
    Unsupported(String),
    /// An op failed while running (bad shapes, dtypes or attributes).
    #[error("node `{node}` ({op}): {message}")]
    Op {
        /// The node's name.
        node: String,
        /// The node's op.
        op: String,
        /// What went wrong.
        message: String,
    },
    /// Bad inputs or output names given to `execute`.
    #[error("{0}")]
    Input(String),
    /// Weight decoding.
    #[error(transparent)]
    Format(#[from] tfjs_format::FormatError),
    /// Loading through a store.
    #[error(transparent)]
    Io(#[from] tfjs_io::IoError),
}

/// Result alias for this crate.
pub type Result<T> = std::result::Result<T, GraphError>;
