//! `--history`: outlier screening of the values written against the HMIS's own history, as
//! `/api/outlierDetection` computes it (dhis2-core 2.43 `ZscoreSqlStatementProcessor`;
//! docs/dhis2-rules.md, *Outliers*). Per data element × org unit × COC × AOC, over the stored
//! values: Z-score = |x − mean| / population standard deviation, an outlier at or above the
//! threshold when the deviation is above 0; modified Z-score = 0.6745 × |x − median| / MAD
//! (`percentile_cont(0.5)` of |median − x|), when the MAD is not 0. The written value is
//! counted in the statistics in place of the stored one of its period, as it will be once
//! imported. Screening, not a filter: outliers are written, and reported.

use rustc_hash::FxHashMap;

use crate::convert::Converted;
use crate::ids::{Id, KeyText};
use crate::policy::deletions::PreviousValue;

/// `--outlier-method`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    ZScore,
    ModifiedZScore,
}

impl Method {
    pub fn name(self) -> &'static str {
        match self {
            Method::ZScore => "Z_SCORE",
            Method::ModifiedZScore => "MOD_Z_SCORE",
        }
    }
}

/// The statistics of one key's values and the written value's score.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Score {
    /// Mean (Z-score) or median (modified).
    pub middle: f64,
    /// Population standard deviation, or MAD.
    pub spread: f64,
    pub score: f64,
    pub lower: f64,
    pub upper: f64,
}

/// The score of `x` among `values` (which hold `x`), or `None` when DHIS2 judges nothing:
/// no spread (a deviation or MAD of 0, which one value always gives).
pub fn score(method: Method, values: &[f64], x: f64, threshold: f64) -> Option<Score> {
    if values.is_empty() {
        return None;
    }
    match method {
        Method::ZScore => {
            let n = values.len() as f64;
            let mean = values.iter().sum::<f64>() / n;
            let var = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n;
            let sd = var.sqrt();
            (sd > 0.0).then(|| Score {
                middle: mean,
                spread: sd,
                score: (x - mean).abs() / sd,
                lower: mean - sd * threshold,
                upper: mean + sd * threshold,
            })
        }
        Method::ModifiedZScore => {
            let median = percentile_cont_half(values.to_vec());
            let deviations: Vec<f64> = values.iter().map(|v| (median - v).abs()).collect();
            let mad = percentile_cont_half(deviations);
            (mad != 0.0).then(|| Score {
                middle: median,
                spread: mad,
                score: 0.6745 * (x - median).abs() / mad,
                lower: median - mad * threshold / 0.6745,
                upper: median + mad * threshold / 0.6745,
            })
        }
    }
}

/// PostgreSQL's `percentile_cont(0.5)`: the middle value, or the mean of the two middle ones.
fn percentile_cont_half(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

/// A value written that scores as an outlier.
#[derive(Debug, Clone)]
pub struct Outlier {
    pub key: KeyText,
    pub value: f64,
    pub score: Score,
    /// How many values the statistics took (the written one included).
    pub values: usize,
}

/// The screening of a run.
#[derive(Debug, Default)]
pub struct Screening {
    pub outliers: Vec<Outlier>,
    /// Values outside their min-max bounds (`--min-max`).
    pub out_of_bounds: Vec<OutOfBounds>,
    /// Numeric values judged (with a spread to judge by).
    pub judged: u64,
    /// Numeric values with no history, or none with a spread: counted, not judged.
    pub not_judged: u64,
    /// The history's numeric values summed per data element (interned) and period, for the
    /// workbook's totals by period.
    pub history_totals: FxHashMap<(Id, String), f64>,
}

/// Screens the numeric values `c` writes against `history` (the HMIS's values; periods in the
/// run's calendar, default combos blank).
pub fn screen(
    c: &Converted,
    history: &[PreviousValue],
    cal: crate::period::Calendar,
    method: Method,
    threshold: f64,
) -> Screening {
    let mut out = Screening::default();
    // Per key without period (interned: a key this run never read cannot be one it writes),
    // the stored values by canonical period; each period text parsed once.
    let mut stored: FxHashMap<[Id; 4], FxHashMap<String, f64>> = FxHashMap::default();
    let mut periods: FxHashMap<&str, Option<String>> = FxHashMap::default();
    for v in history {
        let Some(x) = v.value.trim().parse::<f64>().ok().filter(|x| x.is_finite()) else {
            continue;
        };
        let period = periods.entry(v.key.period.as_str()).or_insert_with(|| {
            crate::period::parse_in(cal, &v.key.period)
                .ok()
                .map(|p| p.id)
        });
        let (Some(period), Some(series)) = (period.as_ref(), series_of(c, &v.key)) else {
            continue;
        };
        *out.history_totals
            .entry((series[0], period.clone()))
            .or_insert(0.0) += x;
        stored.entry(series).or_default().insert(period.clone(), x);
    }
    for (_, slot) in c.values().filter(|(_, s)| !s.deletes()) {
        let Some(x) = c
            .value_text(&slot)
            .trim()
            .parse::<f64>()
            .ok()
            .filter(|x| x.is_finite())
        else {
            continue;
        };
        let k = &slot.key;
        let series = [
            k.data_element,
            k.org_unit,
            k.category_option_combo,
            k.attribute_option_combo,
        ];
        let period = c.text(k.period);
        let mut values: Vec<f64> = stored.get(&series).map_or_else(Vec::new, |by_period| {
            by_period
                .iter()
                .filter(|(p, _)| p.as_str() != period)
                .map(|(_, v)| *v)
                .collect()
        });
        values.push(x);
        match score(method, &values, x, threshold) {
            None => out.not_judged += 1,
            Some(s) => {
                out.judged += 1;
                if s.score >= threshold {
                    out.outliers.push(Outlier {
                        key: c.key(k),
                        value: x,
                        score: s,
                        values: values.len(),
                    });
                }
            }
        }
    }
    out.outliers
        .sort_by(|a, b| b.score.score.total_cmp(&a.score.score));
    out
}

/// The interned data element, org unit, COC and AOC of a key read from a file; `None` when one
/// of them was never read in this run.
fn series_of(c: &Converted, k: &KeyText) -> Option<[Id; 4]> {
    let id = |s: &str| c.ids.find(s);
    Some([
        id(&k.data_element)?,
        id(&k.org_unit)?,
        id(&k.category_option_combo)?,
        id(&k.attribute_option_combo)?,
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: f64 = 3.0;

    #[test]
    fn z_score_uses_the_population_deviation() {
        // 2, 4, 4, 4, 5, 5, 7, 9: mean 5, population sd 2 (the sample sd would be 2.138).
        let v = [2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0];
        let s = score(Method::ZScore, &v, 9.0, T).unwrap();
        assert_eq!((s.middle, s.spread, s.score), (5.0, 2.0, 2.0));
        assert_eq!((s.lower, s.upper), (-1.0, 11.0));
    }

    #[test]
    fn a_score_at_the_threshold_is_an_outlier() {
        // Nine 0s and a 10: mean 1, sd 3, z of 10 = 3: exactly the threshold.
        let mut v = vec![0.0; 9];
        v.push(10.0);
        let s = score(Method::ZScore, &v, 10.0, T).unwrap();
        assert_eq!(s.score, 3.0);
        assert!(s.score >= T);
    }

    #[test]
    fn no_spread_is_not_judged() {
        assert_eq!(score(Method::ZScore, &[5.0], 5.0, T), None);
        assert_eq!(score(Method::ZScore, &[5.0, 5.0, 5.0], 5.0, T), None);
        // More than half the values equal: the MAD is 0, even with a far value.
        assert_eq!(
            score(Method::ModifiedZScore, &[5.0, 5.0, 5.0, 100.0], 100.0, T),
            None
        );
        assert_eq!(score(Method::ModifiedZScore, &[], 1.0, T), None);
    }

    #[test]
    fn modified_z_score_takes_median_and_mad_as_percentile_cont() {
        // 1, 2, 3, 4, 100: median 3; |3 − x| = 2, 1, 0, 1, 97: MAD 1.
        let v = [1.0, 2.0, 3.0, 4.0, 100.0];
        let s = score(Method::ModifiedZScore, &v, 100.0, T).unwrap();
        assert_eq!((s.middle, s.spread), (3.0, 1.0));
        assert!((s.score - 0.6745 * 97.0).abs() < 1e-9);
        assert!((s.upper - (3.0 + 3.0 / 0.6745)).abs() < 1e-9);
        // An even count: the median is the mean of the middle two (percentile_cont).
        let s = score(Method::ModifiedZScore, &[1.0, 2.0, 4.0, 10.0], 10.0, T).unwrap();
        assert_eq!(s.middle, 3.0);
        // |3 − x| = 2, 1, 1, 7: MAD 1.5.
        assert_eq!(s.spread, 1.5);
    }
}

/// A min-max bound (`GET /api/minMaxDataElements`): per org unit, data element and COC (UIDs).
#[derive(Debug, Clone, serde::Deserialize)]
pub struct MinMax {
    pub source: crate::metadata::Ref,
    #[serde(rename = "dataElement")]
    pub data_element: crate::metadata::Ref,
    #[serde(rename = "optionCombo")]
    pub option_combo: crate::metadata::Ref,
    pub min: f64,
    pub max: f64,
}

/// A value written outside its min-max bounds.
#[derive(Debug, Clone)]
pub struct OutOfBounds {
    pub key: KeyText,
    pub value: f64,
    pub min: f64,
    pub max: f64,
}

/// `MinMaxSqlStatementProcessor`: a value below `min` or above `max` of its data element, org
/// unit and COC (no AOC). The written ids are turned into UIDs through the target metadata
/// when there is one (codes otherwise match only if the bounds use them).
pub fn min_max(
    c: &Converted,
    bounds: &[MinMax],
    meta: Option<&crate::metadata::Metadata>,
) -> Vec<OutOfBounds> {
    let by_key: FxHashMap<(&str, &str, &str), &MinMax> = bounds
        .iter()
        .map(|b| {
            let k = (
                b.data_element.id.as_str(),
                b.source.id.as_str(),
                b.option_combo.id.as_str(),
            );
            (k, b)
        })
        .collect();
    let mut out = Vec::new();
    for (_, slot) in c.values().filter(|(_, s)| !s.deletes()) {
        let Ok(x) = c.value_text(&slot).trim().parse::<f64>() else {
            continue;
        };
        let k = &slot.key;
        let (de, ou, coc) = (
            c.text(k.data_element),
            c.text(k.org_unit),
            c.text(k.category_option_combo),
        );
        let uids = match meta {
            Some(m) => (
                m.data_element(de).map_or(de, |(d, _)| d.id.as_str()),
                m.organisation_unit(ou).map_or(ou, |o| o.id.as_str()),
                match coc {
                    "" => m.default_option_combo_uid(),
                    coc => m
                        .category_option_combo(coc)
                        .map_or(coc, |(x, _)| x.id.as_str()),
                },
            ),
            None => (
                de,
                ou,
                if coc.is_empty() {
                    crate::ids::DEFAULT_COMBO_UID
                } else {
                    coc
                },
            ),
        };
        if let Some(b) = by_key.get(&uids)
            && (x < b.min || x > b.max)
        {
            out.push(OutOfBounds {
                key: c.key(k),
                value: x,
                min: b.min,
                max: b.max,
            });
        }
    }
    out
}
