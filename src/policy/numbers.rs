//! A list of entry numbers (slot numbers, zero and deletion indexes) for one output file, kept
//! as runs of consecutive numbers while that is smaller: an unsplit output lists every slot in
//! order, so 10^8 keys cost a few runs instead of 400 MB. Lists that do not run (a split output
//! whose data sets alternate) fall back to one `u32` per entry, never more.

use std::ops::Range;

/// Entries after which a list that runs badly is kept one number per entry.
const SETTLE: usize = 1024;

/// Numbers in the order pushed.
#[derive(Debug, Clone)]
pub enum Numbers {
    /// Runs of consecutive numbers: each starts at position `pos` with number `first` and
    /// lasts to the next run's `pos` (the last, to `len`).
    Runs { runs: Vec<Run>, len: usize },
    /// One number per entry.
    Each(Vec<u32>),
}

/// One run of consecutive numbers.
#[derive(Debug, Clone, Copy)]
pub struct Run {
    pos: u32,
    first: u32,
}

impl Default for Numbers {
    fn default() -> Self {
        Numbers::Runs {
            runs: Vec::new(),
            len: 0,
        }
    }
}

impl Numbers {
    /// Appends `n`.
    pub fn push(&mut self, n: u32) {
        match self {
            Numbers::Each(each) => each.push(n),
            Numbers::Runs { runs, len } => {
                let extends = runs.last().is_some_and(|r| {
                    u64::from(r.first) + (*len - r.pos as usize) as u64 == u64::from(n)
                });
                if !extends {
                    let Ok(pos) = u32::try_from(*len) else {
                        return self.settle_then_push(n);
                    };
                    if *len >= SETTLE && runs.len() * 2 > *len {
                        return self.settle_then_push(n);
                    }
                    runs.push(Run { pos, first: n });
                }
                *len += 1;
            }
        }
    }

    /// Turns runs into one number per entry, then appends `n`.
    fn settle_then_push(&mut self, n: u32) {
        let mut each: Vec<u32> = Vec::with_capacity(self.len() + 1);
        each.extend(self.range(0..self.len()));
        each.push(n);
        *self = Numbers::Each(each);
    }

    /// How many numbers the list holds.
    pub fn len(&self) -> usize {
        match self {
            Numbers::Runs { len, .. } => *len,
            Numbers::Each(each) => each.len(),
        }
    }

    /// Every number, in order.
    pub fn iter(&self) -> impl Iterator<Item = u32> + '_ {
        self.range(0..self.len())
    }

    /// The numbers at positions `range` (clamped to the list).
    pub fn range(&self, range: Range<usize>) -> impl Iterator<Item = u32> + '_ {
        let end = range.end.min(self.len());
        let start = range.start.min(end);
        match self {
            Numbers::Each(each) => Iter::Each(each[start..end].iter().copied()),
            Numbers::Runs { runs, len } => {
                let total = *len;
                let k = runs
                    .partition_point(|r| r.pos as usize <= start)
                    .saturating_sub(1);
                let spans = (k..runs.len()).map_while(move |j| {
                    let from = runs[j].pos as usize;
                    let to = runs.get(j + 1).map_or(total, |r| r.pos as usize);
                    let (a, b) = (from.max(start), to.min(end));
                    // Inclusive: a run may end at u32::MAX.
                    (a < b).then(|| {
                        let first = runs[j].first;
                        first + (a - from) as u32..=first + (b - 1 - from) as u32
                    })
                });
                Iter::Runs(spans.flatten())
            }
        }
    }

    /// A copy of the numbers at positions `range`.
    pub fn part(&self, range: Range<usize>) -> Numbers {
        let mut part = Numbers::default();
        for n in self.range(range) {
            part.push(n);
        }
        part
    }
}

/// The numbers of a [`Numbers::range`]: a slice, or runs.
enum Iter<S, R> {
    Each(S),
    Runs(R),
}

impl<S: Iterator<Item = u32>, R: Iterator<Item = u32>> Iterator for Iter<S, R> {
    type Item = u32;

    #[inline]
    fn next(&mut self) -> Option<u32> {
        match self {
            Iter::Each(s) => s.next(),
            Iter::Runs(r) => r.next(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Lists of every kind: runs, gaps, repeats, alternation (two data sets), descending.
    fn generated() -> Vec<Vec<u32>> {
        let mut lists = vec![
            vec![],
            vec![7],
            (0..5000).collect(),
            (10..20).rev().collect(),
        ];
        lists.push((0..5000).filter(|n| n % 2 == 0).collect());
        lists.push((0..3000).filter(|n| n % 97 != 3).collect());
        let mut x = 12345u64;
        let mut random = Vec::new();
        for _ in 0..4000 {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let step = (x >> 60) as u32;
            random.push(
                random
                    .last()
                    .map_or(0, |&l: &u32| if step < 12 { l + 1 } else { l + step }),
            );
        }
        lists.push(random);
        lists.push(vec![u32::MAX - 1, u32::MAX, 0, 1, 1, 1]);
        lists
    }

    fn of(list: &[u32]) -> Numbers {
        let mut n = Numbers::default();
        for &x in list {
            n.push(x);
        }
        n
    }

    #[test]
    fn every_range_gives_back_what_was_pushed() {
        for list in generated() {
            let n = of(&list);
            assert_eq!(n.len(), list.len());
            assert_eq!(n.iter().collect::<Vec<_>>(), list);
            let len = list.len();
            for (a, b) in [
                (0, len),
                (0, 1),
                (1, len),
                (len / 3, 2 * len / 3),
                (len, len + 5),
            ] {
                let want: Vec<u32> = list[a.min(len)..b.min(len)].to_vec();
                assert_eq!(n.range(a..b).collect::<Vec<_>>(), want, "{a}..{b} of {len}");
                assert_eq!(n.part(a..b).iter().collect::<Vec<_>>(), want);
            }
        }
    }

    #[test]
    fn consecutive_numbers_stay_runs_and_others_never_cost_more_than_a_number_each() {
        let n = of(&(0..1_000_000).collect::<Vec<_>>());
        assert!(matches!(&n, Numbers::Runs { runs, .. } if runs.len() == 1));
        let mut gaps: Vec<u32> = (0..1_000_000).collect();
        gaps.retain(|x| x % 1000 != 0);
        assert!(matches!(&of(&gaps), Numbers::Runs { runs, .. } if runs.len() == 1000));
        let alternate: Vec<u32> = (0..10_000).map(|x| x * 2).collect();
        assert!(matches!(of(&alternate), Numbers::Each(e) if e.len() == 10_000));
    }
}
