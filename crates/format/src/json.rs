//! Byte-exact JSON writer styles.
//!
//! TensorFlow.js and the Python converter write model.json differently (key
//! order, separators, escaping, number spelling). To produce files that are
//! byte-identical to theirs, every writer goes through [`JsonStyle`].
//!
//! Numbers: values parsed by `serde_json` (with `arbitrary_precision`) keep
//! their text. On output each style re-spells a number the way its writer
//! would after reading it: [`JsonStyle::Browser`] / [`JsonStyle::Node`] go
//! through an f64 and [`js_number`] (exactly what `JSON.parse` +
//! `JSON.stringify` do), [`JsonStyle::Converter`] keeps integers as written
//! and spells other numbers with [`py_float`] (what `json.load` +
//! `json.dump` do). For numbers written by that same writer this is the
//! identity, so files round-trip byte for byte.

use serde_json::{Map, Number, Value};
use std::borrow::Cow;
use std::fmt::Write as _;

/// Who wrote (or should write) a model.json.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum JsonStyle {
    /// TensorFlow.js in the browser, HTTP save and downloads
    /// (`getModelJSONForModelArtifacts`): compact JSON, key order
    /// `modelTopology, format, generatedBy, convertedBy, weightsManifest, …`,
    /// manifest path `./model.weights.bin`.
    Browser,
    /// tfjs-node's `file://` handler: compact JSON, key order
    /// `modelTopology, weightsManifest, format, generatedBy, convertedBy, …`,
    /// manifest path `weights.bin`.
    Node,
    /// The Python `tensorflowjs_converter`: `", "` / `": "` separators,
    /// non-ASCII escaped as `\uXXXX`, key order
    /// `format, generatedBy, convertedBy, [userDefinedMetadata,] modelTopology, weightsManifest`,
    /// shards named `group1-shardNofM.bin`.
    Converter,
}

impl JsonStyle {
    /// Guess the style that produced `bytes` (a model.json).
    ///
    /// Python's `json.dump` puts a space after the first key's colon
    /// (Converter). Compact files are Node style when `weightsManifest`
    /// comes before `format`/`generatedBy`/`convertedBy` (or, with none of
    /// those, when the manifest's first path is `weights.bin`), else Browser.
    ///
    /// ```
    /// use tfjs_format::JsonStyle;
    /// assert_eq!(JsonStyle::detect(br#"{"format": "layers-model"}"#), JsonStyle::Converter);
    /// assert_eq!(JsonStyle::detect(br#"{"modelTopology":{},"weightsManifest":[],"format":"layers-model"}"#), JsonStyle::Node);
    /// assert_eq!(JsonStyle::detect(br#"{"modelTopology":{},"format":"layers-model","weightsManifest":[]}"#), JsonStyle::Browser);
    /// ```
    pub fn detect(bytes: &[u8]) -> JsonStyle {
        let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
        // Separator after the first key.
        if let Some(sep) = first_key_separator(bytes) {
            if sep {
                return JsonStyle::Converter;
            }
        }
        let Ok(Value::Object(map)) = serde_json::from_slice::<Value>(bytes) else {
            return JsonStyle::Browser;
        };
        let pos = |k: &str| map.keys().position(|x| x == k);
        let manifest = pos("weightsManifest");
        let meta = ["format", "generatedBy", "convertedBy"]
            .iter()
            .filter_map(|k| pos(k))
            .min();
        match (manifest, meta) {
            (Some(m), Some(f)) => {
                if m < f {
                    JsonStyle::Node
                } else {
                    JsonStyle::Browser
                }
            }
            (Some(_), None) => {
                let first_path = map
                    .get("weightsManifest")
                    .and_then(|m| m.get(0))
                    .and_then(|g| g.get("paths"))
                    .and_then(|p| p.get(0))
                    .and_then(Value::as_str);
                if first_path == Some("weights.bin") {
                    JsonStyle::Node
                } else {
                    JsonStyle::Browser
                }
            }
            _ => JsonStyle::Browser,
        }
    }

    /// Serialize any JSON value in this style (compact for Browser/Node;
    /// Python `json.dumps` defaults for Converter). See the module docs for
    /// how numbers are spelled.
    ///
    /// ```
    /// use tfjs_format::JsonStyle;
    /// let v: serde_json::Value = serde_json::from_str(r#"{"a":[1,2.5e-7],"b":"é"}"#).unwrap();
    /// assert_eq!(JsonStyle::Browser.to_string(&v), r#"{"a":[1,2.5e-7],"b":"é"}"#);
    /// assert_eq!(JsonStyle::Converter.to_string(&v), r#"{"a": [1, 2.5e-07], "b": "\u00e9"}"#);
    /// ```
    pub fn to_string(self, value: &Value) -> String {
        let mut out = String::new();
        self.write_value(&mut out, value);
        out
    }

    /// Append `value` serialized in this style to `out`.
    pub fn write_value(self, out: &mut String, value: &Value) {
        match value {
            Value::Null => out.push_str("null"),
            Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Value::Number(n) => self.write_number(out, n),
            Value::String(s) => self.write_str(out, s),
            Value::Array(a) => {
                out.push('[');
                for (i, v) in a.iter().enumerate() {
                    if i > 0 {
                        out.push_str(self.item_separator());
                    }
                    self.write_value(out, v);
                }
                out.push(']');
            }
            Value::Object(m) => self.write_object(out, m.iter()),
        }
    }

    /// Write an object whose entries come from `entries` in that order.
    pub fn write_object<'a, I>(self, out: &mut String, entries: I)
    where
        I: IntoIterator<Item = (&'a String, &'a Value)>,
    {
        out.push('{');
        for (i, (k, v)) in entries.into_iter().enumerate() {
            if i > 0 {
                out.push_str(self.item_separator());
            }
            self.write_str(out, k);
            out.push_str(self.key_separator());
            self.write_value(out, v);
        }
        out.push('}');
    }

    /// `","` or `", "`.
    pub fn item_separator(self) -> &'static str {
        match self {
            JsonStyle::Converter => ", ",
            _ => ",",
        }
    }

    /// `":"` or `": "`.
    pub fn key_separator(self) -> &'static str {
        match self {
            JsonStyle::Converter => ": ",
            _ => ":",
        }
    }

    /// Write a JSON string literal with this style's escaping.
    pub fn write_str(self, out: &mut String, s: &str) {
        out.push('"');
        match self {
            JsonStyle::Converter => {
                for c in s.chars() {
                    match c {
                        '"' => out.push_str("\\\""),
                        '\\' => out.push_str("\\\\"),
                        '\n' => out.push_str("\\n"),
                        '\r' => out.push_str("\\r"),
                        '\t' => out.push_str("\\t"),
                        '\u{8}' => out.push_str("\\b"),
                        '\u{c}' => out.push_str("\\f"),
                        ' '..='~' => out.push(c),
                        _ => {
                            let mut buf = [0u16; 2];
                            for unit in c.encode_utf16(&mut buf) {
                                let _ = write!(out, "\\u{:04x}", unit);
                            }
                        }
                    }
                }
            }
            JsonStyle::Browser | JsonStyle::Node => {
                let mut start = 0;
                for (i, b) in s.bytes().enumerate() {
                    let esc: Option<&str> = match b {
                        b'"' => Some("\\\""),
                        b'\\' => Some("\\\\"),
                        b'\n' => Some("\\n"),
                        b'\r' => Some("\\r"),
                        b'\t' => Some("\\t"),
                        0x08 => Some("\\b"),
                        0x0c => Some("\\f"),
                        0..=0x1f => None,
                        _ => continue,
                    };
                    out.push_str(&s[start..i]);
                    match esc {
                        Some(e) => out.push_str(e),
                        None => {
                            let _ = write!(out, "\\u{:04x}", b);
                        }
                    }
                    start = i + 1;
                }
                out.push_str(&s[start..]);
            }
        }
        out.push('"');
    }

    /// Write a number as this style's writer would after reading it.
    pub fn write_number(self, out: &mut String, n: &Number) {
        let text = n.as_str();
        let integer = is_integer_text(text);
        // The value as f64 when it is finite (`1e999` and the like are not).
        let finite = || text.parse::<f64>().ok().filter(|x| x.is_finite());
        let written: Cow<str> = match self {
            // Small integers are already in JS form (JSON forbids leading
            // zeros); `-0` and everything else goes through f64.
            JsonStyle::Browser | JsonStyle::Node if integer && text.len() <= 15 && text != "-0" => {
                text.into()
            }
            // JSON.stringify writes non-finite numbers as null.
            JsonStyle::Browser | JsonStyle::Node => {
                finite().map_or("null".into(), |x| js_number(x).into())
            }
            // Python ints are arbitrary precision; `-0` reads as 0.
            JsonStyle::Converter if integer => if text == "-0" { "0" } else { text }.into(),
            // A literal past f64's range (`1e999`): Python would write
            // `Infinity`, which no JSON reader (TF.js's included) accepts; the
            // literal itself stays valid JSON and reads back as the same value
            // everywhere.
            JsonStyle::Converter => finite().map_or(text.into(), |x| py_float(x).into()),
        };
        out.push_str(&written);
    }
}

fn is_integer_text(t: &str) -> bool {
    !t.bytes().any(|b| matches!(b, b'.' | b'e' | b'E'))
}

/// `Some(true)` when the first key of a top-level object is followed by
/// `": "` (Python), `Some(false)` for `":"`, `None` when undecidable.
fn first_key_separator(bytes: &[u8]) -> Option<bool> {
    let mut i = 0;
    let skip_ws = |i: &mut usize| {
        while *i < bytes.len() && matches!(bytes[*i], b' ' | b'\t' | b'\n' | b'\r') {
            *i += 1;
        }
    };
    skip_ws(&mut i);
    if bytes.get(i) != Some(&b'{') {
        return None;
    }
    i += 1;
    skip_ws(&mut i);
    if bytes.get(i) != Some(&b'"') {
        return None;
    }
    i += 1;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            b'"' => break,
            _ => i += 1,
        }
    }
    i += 1;
    if bytes.get(i) != Some(&b':') {
        return None;
    }
    Some(bytes.get(i + 1) == Some(&b' '))
}

/// Shortest round-trip decimal digits of a finite, non-zero `x` (sign
/// ignored) and the decimal point position `n`: `x = 0.d1d2… × 10^n`.
fn shortest_digits(x: f64) -> (String, i32) {
    // Rust's `{:e}` prints the shortest representation that round-trips.
    let s = format!("{:e}", x.abs());
    let (mant, exp) = s.split_once('e').unwrap_or((&s, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let digits: String = mant.chars().filter(|c| c.is_ascii_digit()).collect();
    let digits = digits.trim_end_matches('0');
    let digits = if digits.is_empty() { "0" } else { digits };
    let mut digits = digits.to_string();
    // When the value lies exactly halfway between two shortest candidates,
    // JavaScript and Python pick the one with an even last digit; Rust's
    // formatter may pick the other. Ties need ≥ 15 digits (below that the
    // neighbours do not round-trip), so only then look at the exact value.
    if digits.len() >= 15 {
        if let Some(even) = tie_even_digits(x.abs(), &digits, exp) {
            digits = even;
        }
    }
    (digits, exp + 1)
}

/// If `x` is exactly halfway between two `digits.len()`-digit decimals (at
/// decimal exponent `exp`), the candidate with the even last digit, provided
/// it round-trips.
fn tie_even_digits(x: f64, digits: &str, exp: i32) -> Option<String> {
    let k = digits.len();
    // A tie means the exact value has exactly k + 1 significant digits.
    let (v, q) = exact_decimal(x)?;
    let all = v.to_string();
    if all.len() != k + 1 || !all.ends_with('5') || q + k as i32 != exp {
        return None;
    }
    let low = &all[..k];
    let high = increment_digits(low)?;
    let even = if low.as_bytes()[k - 1] % 2 == 0 {
        low.to_string()
    } else {
        high
    };
    if even == digits {
        return None;
    }
    let text = format!("{}.{}e{}", &even[..1], &even[1..], exp);
    (text.parse::<f64>().ok()? == x).then_some(even)
}

/// The exact value of a positive finite `x` as `v × 10^q` with `v` not
/// divisible by 10, when `v < 10^19`; `None` for longer expansions.
fn exact_decimal(x: f64) -> Option<(u128, i32)> {
    const LIMIT: u128 = 10_000_000_000_000_000_000;
    let bits = x.to_bits();
    let exp_bits = ((bits >> 52) & 0x7ff) as i32;
    let frac = bits & ((1u64 << 52) - 1);
    let (mut m, mut e) = if exp_bits == 0 {
        (frac, -1074)
    } else {
        (frac | (1u64 << 52), exp_bits - 1075)
    };
    if m == 0 {
        return None;
    }
    let tz = m.trailing_zeros();
    m >>= tz;
    e += tz as i32;
    if e < 0 {
        // x = m / 2^n = m·5^n / 10^n, and m·5^n is odd (no factor 10).
        let n = (-e) as u32;
        if n > 27 {
            return None;
        }
        let v = (m as u128).checked_mul(5u128.pow(n))?;
        (v < LIMIT).then_some((v, e))
    } else {
        let mut v = m as u128;
        let mut twos = e;
        let mut q = 0;
        while twos > 0 && v.is_multiple_of(5) {
            v /= 5;
            twos -= 1;
            q += 1;
        }
        if twos >= 64 {
            return None;
        }
        let mut v = v.checked_mul(1u128 << twos)?;
        while v.is_multiple_of(10) {
            v /= 10;
            q += 1;
        }
        (v < LIMIT).then_some((v, q))
    }
}

/// Decimal digit string plus one in the last place; `None` on carry-out.
fn increment_digits(d: &str) -> Option<String> {
    let mut b = d.as_bytes().to_vec();
    for i in (0..b.len()).rev() {
        if b[i] == b'9' {
            b[i] = b'0';
        } else {
            b[i] += 1;
            return String::from_utf8(b).ok();
        }
    }
    None
}

/// A JSON value's type as error messages name it (`null`, `a boolean`,
/// `a number`, `a string`, `an array`, `an object`).
///
/// ```
/// use tfjs_format::json::json_type;
/// assert_eq!(json_type(&serde_json::json!([1])), "an array");
/// ```
pub fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Format an f64 exactly as JavaScript's `Number.prototype.toString` does
/// (`1`, `0.001`, `1e-7`, `1.5e+21`). `-0` gives `0`; non-finite values give
/// `NaN` / `Infinity` / `-Infinity` (note `JSON.stringify` writes those as
/// `null`, which [`JsonStyle`] does).
///
/// ```
/// use tfjs_format::json::js_number;
/// assert_eq!(js_number(1.0), "1");
/// assert_eq!(js_number(0.001), "0.001");
/// assert_eq!(js_number(1e-7), "1e-7");
/// assert_eq!(js_number(1.5e21), "1.5e+21");
/// assert_eq!(js_number(-0.0), "0");
/// ```
pub fn js_number(x: f64) -> String {
    if let Some(text) = non_finite(x) {
        return text.into();
    }
    if x == 0.0 {
        return "0".into();
    }
    let (digits, n) = shortest_digits(x);
    let mut out = String::from(if x < 0.0 { "-" } else { "" });
    if -6 < n && n <= 21 {
        push_positional(&mut out, &digits, n);
    } else {
        push_exponential(&mut out, &digits, n, 0);
    }
    out
}

/// `NaN`, `Infinity` or `-Infinity` for a non-finite `x` (JavaScript and
/// Python's `json.dumps` spell them alike); `None` for a finite one.
fn non_finite(x: f64) -> Option<&'static str> {
    match x {
        _ if x.is_nan() => Some("NaN"),
        f64::INFINITY => Some("Infinity"),
        f64::NEG_INFINITY => Some("-Infinity"),
        _ => None,
    }
}

/// `0.d1d2… × 10^n` written without an exponent: `0.00ddd` (`n <= 0`),
/// `ddd00` (all digits before the point) or `dd.ddd`.
fn push_positional(out: &mut String, digits: &str, n: i32) {
    let k = digits.len() as i32;
    if n <= 0 {
        out.push_str("0.");
        out.extend(std::iter::repeat_n('0', (-n) as usize));
        out.push_str(digits);
    } else if k <= n {
        out.push_str(digits);
        out.extend(std::iter::repeat_n('0', (n - k) as usize));
    } else {
        out.push_str(&digits[..n as usize]);
        out.push('.');
        out.push_str(&digits[n as usize..]);
    }
}

/// `0.d1d2… × 10^n` as `d1.d2…e±E`, the exponent padded with zeros to
/// `exp_digits` digits (JavaScript: none, Python: 2).
fn push_exponential(out: &mut String, digits: &str, n: i32, exp_digits: usize) {
    let e = n - 1;
    out.push_str(&digits[..1]);
    if digits.len() > 1 {
        out.push('.');
        out.push_str(&digits[1..]);
    }
    out.push('e');
    out.push(if e < 0 { '-' } else { '+' });
    let _ = write!(out, "{:0exp_digits$}", e.abs());
}

/// Format an f64 exactly as Python's `repr(float)` does (`1.0`, `1e-07`,
/// `0.011764705882352941`, `1e+16`); non-finite values give `NaN`,
/// `Infinity`, `-Infinity` as Python's `json.dumps` writes them.
///
/// ```
/// use tfjs_format::json::py_float;
/// assert_eq!(py_float(1.0), "1.0");
/// assert_eq!(py_float(1e-7), "1e-07");
/// assert_eq!(py_float(3.0 / 255.0), "0.011764705882352941");
/// assert_eq!(py_float(1e16), "1e+16");
/// assert_eq!(py_float(-0.0), "-0.0");
/// ```
pub fn py_float(x: f64) -> String {
    if let Some(text) = non_finite(x) {
        return text.into();
    }
    if x == 0.0 {
        return if x.is_sign_negative() { "-0.0" } else { "0.0" }.into();
    }
    let (digits, n) = shortest_digits(x);
    let mut out = String::from(if x < 0.0 { "-" } else { "" });
    if -4 < n && n <= 16 {
        push_positional(&mut out, &digits, n);
        // Python marks a whole float: `100.0`.
        if digits.len() as i32 <= n {
            out.push_str(".0");
        }
    } else {
        push_exponential(&mut out, &digits, n, 2);
    }
    out
}

/// A JSON number whose text is `js_number(x)` (`None` for non-finite `x`).
pub fn js_number_value(x: f64) -> Option<Number> {
    x.is_finite()
        .then(|| js_number(x).parse::<Number>().ok())
        .flatten()
}

/// A JSON number whose text is `py_float(x)` (`None` for non-finite `x`).
///
/// ```
/// use tfjs_format::json::py_float_number;
/// assert_eq!(py_float_number(1.0).unwrap().as_str(), "1.0");
/// ```
pub fn py_float_number(x: f64) -> Option<Number> {
    x.is_finite()
        .then(|| py_float(x).parse::<Number>().ok())
        .flatten()
}

/// Parse JSON text into a [`Value`], keeping key order and number text.
/// Errors report line and column; `NaN`/`Infinity` (which Python writes for
/// non-finite floats but no JSON parser, TensorFlow.js included, accepts)
/// get a specific message. A leading UTF-8 byte-order mark is skipped.
pub fn parse_value(bytes: &[u8], source_name: &str) -> crate::Result<Value> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    serde_json::from_slice::<Value>(bytes).map_err(|e| {
        let mut message = e.to_string();
        // serde_json appends " at line L column C"; we report those apart.
        if let Some(pos) = message.rfind(" at line ") {
            message.truncate(pos);
        }
        if let Some(tok) = nonfinite_token_at(bytes, e.line(), e.column()) {
            message = format!(
                "`{tok}` is not valid JSON (the Python converter writes it for a non-finite \
                 float; TensorFlow.js cannot parse it either)"
            );
        }
        crate::FormatError::InvalidJson {
            source_name: source_name.to_string(),
            line: e.line(),
            column: e.column(),
            message,
        }
    })
}

/// The non-finite float tokens Python's `json.dumps` writes.
const NONFINITE_TOKENS: [&str; 3] = ["-Infinity", "Infinity", "NaN"];

/// Python's `json.dumps` writes non-finite floats as the bare tokens `NaN`,
/// `Infinity` and `-Infinity`, which Python's `json` (so Keras's own
/// loader) reads back but JSON does not allow: Keras writes them in a
/// `.keras` file's config.json or an HDF5 file's `model_config` for an
/// argument such as `ops.norm(ord=np.inf)`. This returns the text with each
/// such token outside a string replaced by the JSON string `"NaN"` /
/// `"Infinity"` / `"-Infinity"` (the text itself when there is none), so a
/// reader finds a string where it expects a number: a field that takes
/// infinity reads it, any other names the field.
///
/// ```
/// use tfjs_format::json::quote_python_nonfinite;
/// assert_eq!(quote_python_nonfinite(r#"{"ord": -Infinity, "s": "NaN x"}"#),
///            r#"{"ord": "-Infinity", "s": "NaN x"}"#);
/// ```
pub fn quote_python_nonfinite(text: &str) -> Cow<'_, str> {
    let b = text.as_bytes();
    let (mut out, mut copied) = (String::new(), 0);
    let (mut i, mut in_string) = (0, false);
    while i < b.len() {
        match b[i] {
            b'\\' if in_string => i += 1,
            b'"' => in_string = !in_string,
            b'-' | b'I' | b'N' if !in_string => {
                if let Some(tok) = NONFINITE_TOKENS
                    .into_iter()
                    .find(|t| b[i..].starts_with(t.as_bytes()))
                {
                    out.push_str(&text[copied..i]);
                    let _ = write!(out, "\"{tok}\"");
                    i += tok.len();
                    copied = i;
                    continue;
                }
            }
            _ => {}
        }
        i += 1;
    }
    if copied == 0 {
        return Cow::Borrowed(text);
    }
    out.push_str(&text[copied..]);
    Cow::Owned(out)
}

fn nonfinite_token_at(bytes: &[u8], line: usize, column: usize) -> Option<&'static str> {
    if line == 0 {
        return None;
    }
    let mut start = 0;
    for _ in 1..line {
        start += bytes[start..].iter().position(|&b| b == b'\n')? + 1;
    }
    // The error column points at or just after the offending character.
    let around = column.saturating_sub(2);
    let from = start + around;
    let window = bytes.get(from..(from + 12).min(bytes.len()))?;
    NONFINITE_TOKENS
        .into_iter()
        .find(|t| window.windows(t.len()).take(3).any(|w| w == t.as_bytes()))
}

/// A [`Map`] built from ordered pairs (helper for callers building JSON).
pub fn ordered_map<I: IntoIterator<Item = (String, Value)>>(items: I) -> Map<String, Value> {
    items.into_iter().collect()
}
