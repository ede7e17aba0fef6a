//! Helpers shared by the kernel test files.

/// Element by element, `|got - want| <= rel_tol * max(1, max |want|)`
/// (panics naming `what`, the element and the scale).
pub fn assert_close_within(what: &str, got: &[f32], want: &[f32], rel_tol: f32) {
    assert_eq!(got.len(), want.len(), "{what}: length");
    let scale = want.iter().fold(1.0f32, |m, v| m.max(v.abs()));
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert!(
            (g - w).abs() <= rel_tol * scale,
            "{what}: element {i}: got {g}, want {w} (scale {scale})"
        );
    }
}
