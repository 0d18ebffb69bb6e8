//! Work spread over the cores with the results kept in order: the items are cut into one
//! contiguous run per thread, each thread maps its run, and the results are joined in the
//! items' order, so that the outcome is the same on one thread and on many.

/// `f` applied to every item, on up to `threads` threads, results in the items' order.
pub fn map_in_order<T: Sync, R: Send>(
    items: &[T],
    threads: usize,
    f: impl Fn(&T) -> R + Sync,
) -> Vec<R> {
    let per = items.len().div_ceil(threads.max(1)).max(1);
    if items.len() <= per {
        return items.iter().map(&f).collect();
    }
    let f = &f;
    std::thread::scope(|scope| {
        let runs: Vec<_> = items
            .chunks(per)
            .map(|run| scope.spawn(move || run.iter().map(f).collect::<Vec<R>>()))
            .collect();
        runs.into_iter()
            // A worker that panicked: its panic goes on in the caller, as if run there.
            .flat_map(|r| r.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
            .collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_come_in_the_items_order_on_any_number_of_threads() {
        let items: Vec<u64> = (0..1_001).collect();
        let want: Vec<u64> = items.iter().map(|x| x * x).collect();
        for threads in [0, 1, 2, 3, 7, 1_000, 5_000] {
            assert_eq!(
                map_in_order(&items, threads, |x| x * x),
                want,
                "{threads} threads"
            );
        }
        assert!(map_in_order(&[] as &[u64], 4, |x| *x).is_empty());
    }
}
