//! The DHIS2 version of the target instance: which importer judges the values (the classic one up
//! to 2.42, the data-entry pipeline from 2.43) and its known defects.

use std::fmt;

/// A DHIS2 version such as `2.43.0.1` (a `-SNAPSHOT` or other suffix is ignored).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Version([u32; 4]);

impl Version {
    /// Parses `2.42`, `2.43.1`, `2.41.6.1`, `2.44.0-SNAPSHOT`, `v2.43.1`.
    pub fn parse(s: &str) -> Option<Version> {
        let s = s.trim().trim_start_matches(['v', 'V']);
        let s = s.split(['-', ' ', '+']).next()?;
        let mut parts = [0u32; 4];
        let mut n = 0;
        for p in s.split('.') {
            if n == 4 || p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            parts[n] = p.parse().ok()?;
            n += 1;
        }
        (n >= 2 && parts[0] == 2).then_some(Version(parts))
    }

    /// True from 2.43, whose importer is `DataEntryPipeline` / `DefaultDataEntryService`.
    pub fn is_entry_pipeline(self) -> bool {
        self.0[1] >= 43
    }

    /// 2.43.0, 2.43.0.1 and 2.43.1 refuse values of a data set with input periods while the
    /// period is open, and take them when it is closed (dhis2-core 2.43.1
    /// `DefaultDataEntryService.validateEntryTimeliness`: `anyMatch` where `noneMatch` was meant;
    /// fixed on branch 2.43 after 2.43.1).
    pub fn inverts_input_periods(self) -> bool {
        matches!(self.0, [2, 43, 0, 0] | [2, 43, 0, 1] | [2, 43, 1, 0])
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let [a, b, c, d] = self.0;
        write!(f, "{a}.{b}.{c}")?;
        if d > 0 {
            write!(f, ".{d}")?;
        }
        Ok(())
    }
}

/// The target instance's version as a run knows it, and where that came from.
#[derive(Debug, Clone, Default)]
pub struct TargetVersion {
    pub version: Option<Version>,
    /// `--target-version`, or `system.version of FILE`.
    pub source: String,
}

impl TargetVersion {
    /// From `--target-version`, else the metadata's `system.version`. A version that cannot be
    /// read from the metadata is unknown (a warning says so); from the option it is an error.
    pub fn find(
        option: Option<&str>,
        metadata: Option<(&str, &str)>,
    ) -> Result<(TargetVersion, Option<String>), String> {
        if let Some(v) = option {
            let version = Version::parse(v).ok_or_else(|| {
                format!("--target-version `{v}` is not a DHIS2 version (2.41.6, 2.43.1)")
            })?;
            return Ok((
                TargetVersion {
                    version: Some(version),
                    source: "--target-version".into(),
                },
                None,
            ));
        }
        let Some((path, text)) = metadata else {
            return Ok((TargetVersion::default(), None));
        };
        let source = format!("system.version of {path}");
        match Version::parse(text) {
            Some(v) => Ok((
                TargetVersion {
                    version: Some(v),
                    source,
                },
                None,
            )),
            None => Ok((
                TargetVersion::default(),
                Some(format!(
                    "{path}: system.version `{text}` is not a DHIS2 version; judged by the newest rules (use --target-version)"
                )),
            )),
        }
    }

    /// One line for people: the version and whose rules apply.
    pub fn describe(&self) -> String {
        match self.version {
            Some(v) if v.is_entry_pipeline() => {
                format!(
                    "DHIS2 {v} ({}): the rules of the 2.43+ importer",
                    self.source
                )
            }
            Some(v) => format!(
                "DHIS2 {v} ({}): the rules of the ≤ 2.42 importer",
                self.source
            ),
            None => {
                "DHIS2 version unknown: judged by the newest rules (2.43+); give --target-version"
                    .into()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions() {
        let v = |s: &str| Version::parse(s).unwrap_or_else(|| panic!("{s}"));
        assert!(v("2.43.0.1").inverts_input_periods() && v("2.43.1").inverts_input_periods());
        assert!(v("2.43.0").inverts_input_periods());
        assert!(
            !v("2.43.2-SNAPSHOT").inverts_input_periods() && !v("2.42.3").inverts_input_periods()
        );
        assert!(v("2.43").is_entry_pipeline() && v("2.44.0").is_entry_pipeline());
        assert!(!v("2.42.5.2").is_entry_pipeline() && !v("v2.39.1").is_entry_pipeline());
        assert_eq!(v("2.41.6.1").to_string(), "2.41.6.1");
        assert_eq!(Version::parse("43"), None);
        assert_eq!(Version::parse("2.x"), None);
        assert_eq!(Version::parse("3.0"), None);
    }
}
