//! Numbers and counts as people read them, in every message: `1,234 values`, `3.4 kB`.

/// `s` when `n` is not 1.
pub fn plural(n: u64) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// The Levenshtein distance of two short names.
pub fn edits(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let here = row[j + 1];
            row[j + 1] = (prev + usize::from(ca != *cb))
                .min(row[j] + 1)
                .min(here + 1);
            prev = here;
        }
    }
    row[b.len()]
}

/// The candidate an id was most likely meant to be: the same in another case, a few edits
/// away (one in eight characters, at most 2: short codes differ by one character by design), or
/// one holding the other and most of its
/// length.
pub fn near<'a>(id: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let id_upper = id.to_uppercase();
    let len = id_upper.chars().count();
    let most = (len / 8).min(2);
    let mut best: Option<(usize, &str)> = None;
    for c in candidates {
        let upper = c.to_uppercase();
        let clen = upper.chars().count();
        if c.is_empty() || c == id {
            continue;
        }
        let (short, long) = if clen < len { (clen, len) } else { (len, clen) };
        let holds =
            (upper.contains(&id_upper) || id_upper.contains(&upper)) && short * 5 >= long * 3;
        let distance = if long - short > most {
            if holds { long - short } else { continue }
        } else {
            edits(&id_upper, &upper)
        };
        if (distance <= most || holds) && best.is_none_or(|(d, _)| distance < d) {
            best = Some((distance, c));
        }
    }
    best.map(|(_, c)| c)
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

#[cfg(test)]
mod near_tests {
    use super::near;

    #[test]
    fn the_id_meant_is_found_and_nothing_far_is_offered() {
        let codes = [
            "TB_COHORT_PCD_RIFS",
            "TB_NEW_EPISODES_PBC",
            "TB_LAB_SAMPLES_TESTED_XPERT_MTB_RIF",
            "TB_RIF_TEST_DOC_PBC",
            "IMM_BCG",
        ];
        assert_eq!(
            near("TB_COHORT_PCD_RIF_S", codes),
            Some("TB_COHORT_PCD_RIFS")
        );
        assert_eq!(
            near("TB_NEW_EPISODES_PBC_Q", codes),
            Some("TB_NEW_EPISODES_PBC")
        );
        assert_eq!(
            near("tb_new_episodes_pbc", codes),
            Some("TB_NEW_EPISODES_PBC")
        );
        assert_eq!(near("TB_LAB_SAMPLES_XPERT_MTB_RIF", codes), None);
        // Susceptible is not resistant: four edits in 25 characters is too far to offer.
        assert_eq!(
            near("TB_COHORT_SHORT_REG_RIF_S", ["TB_COHORT_SHORT_REG_RR"]),
            None
        );
        assert_eq!(
            near("IMM_BCX", codes),
            None,
            "short codes one apart are other codes"
        );
        assert_eq!(near("DE_X", ["DE_A"]), None);
        assert_eq!(near("TB_LAB_CULTURE_TESTS_TAT", codes), None);
        assert_eq!(near("X", codes), None);
    }
}
