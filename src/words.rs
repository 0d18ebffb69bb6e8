//! Numbers and counts as people read them, in every message: `1,234 values`, `3.4 kB`.

/// `s` when `n` is not 1.
pub fn plural(n: u64) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// A count with its thousands separated: `1,234,567`.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// `1 value`, `1,234 values`.
pub fn count(n: u64, word: &str) -> String {
    format!("{} {word}{}", thousands(n), plural(n))
}

/// A size in bytes as people read it: `512 B`, `3.4 kB`, `181.2 MB`.
pub fn size(bytes: u64) -> String {
    match bytes {
        0..1_000 => format!("{bytes} B"),
        1_000..1_000_000 => format!("{:.1} kB", bytes as f64 / 1e3),
        1_000_000..1_000_000_000 => format!("{:.1} MB", bytes as f64 / 1e6),
        _ => format!("{:.2} GB", bytes as f64 / 1e9),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_read_as_english() {
        assert_eq!(count(1, "value"), "1 value");
        assert_eq!(count(0, "value"), "0 values");
        assert_eq!(count(1234567, "error"), "1,234,567 errors");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1_000), "1,000");
        assert_eq!(size(512), "512 B");
        assert_eq!(size(3_400), "3.4 kB");
        assert_eq!(size(181_234_567), "181.2 MB");
    }
}
