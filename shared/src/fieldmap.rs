//! [`FieldMap`]: a map from field or consent ids to values, kept as a vector
//! of `(id, value)` pairs sorted by id.
//!
//! Why not `BTreeMap`: the widget links everything here, and the tree code
//! (node splitting, merging, rebalancing, one copy per value type) took about
//! 16 KB of its wasm before wasm-opt; this type saved 5.8 KB of the gzipped
//! download. A form holds at most [`crate::spec::MAX_FIELDS`] fields, so a
//! binary search over a vector is as fast as a tree. (Ids and values in two parallel vectors, so
//! that one search serves every value type, measured larger.)
//!
//! It behaves as `BTreeMap<String, V>` does wherever the code can see it:
//! iteration in byte order of the ids, `insert` replaces the value of an
//! existing id, serde writes and reads a JSON object with the ids in that
//! order, and when an id comes twice (in JSON or in an iterator) the last
//! value wins. Webhook bodies, CSV rows, hashes and consent certificates are
//! therefore byte for byte those of the `BTreeMap` it replaced.
//!
//! What it must not do: keep insertion order or any other order (outputs
//! would change), hand out `&mut` ids (the sort would break silently), or do
//! quadratic work on untrusted input (reading sorts once). It stays a plain
//! container: no validation rules, no reactivity, no DOM.

use std::fmt;
use std::marker::PhantomData;

use serde::de::{MapAccess, Visitor};
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Id → value, sorted by id (byte order, as `String`'s `Ord`); one entry per id.
#[derive(Clone, PartialEq, Eq)]
pub struct FieldMap<V>(Vec<(String, V)>);

impl<V> Default for FieldMap<V> {
    fn default() -> Self {
        FieldMap(Vec::new())
    }
}

impl<V> FieldMap<V> {
    /// An empty map (allocates nothing).
    pub const fn new() -> Self {
        FieldMap(Vec::new())
    }

    /// `Ok(index)` of `id`, or `Err(index)` where it would be inserted.
    fn search(&self, id: &str) -> Result<usize, usize> {
        self.0.binary_search_by(|(key, _)| key.as_str().cmp(id))
    }

    /// Builds the map from entries in any order; the last value of a repeated
    /// id wins, as when inserting them one by one. O(n log n).
    fn from_entries(mut entries: Vec<(String, V)>) -> Self {
        // Stable: entries with the same id keep their given order.
        entries.sort_by(|a, b| a.0.cmp(&b.0));
        // `dedup_by` keeps the first of a run and passes (later, kept): move
        // the later value into the kept entry so the last one given survives.
        entries.dedup_by(|later, kept| {
            let same = later.0 == kept.0;
            if same {
                std::mem::swap(&mut later.1, &mut kept.1);
            }
            same
        });
        FieldMap(entries)
    }

    pub fn get(&self, id: &str) -> Option<&V> {
        self.search(id).ok().map(|i| &self.0[i].1)
    }

    pub fn get_mut(&mut self, id: &str) -> Option<&mut V> {
        self.search(id).ok().map(|i| &mut self.0[i].1)
    }

    pub fn contains_key(&self, id: &str) -> bool {
        self.search(id).is_ok()
    }

    /// Sets the value of `id`; returns the value it replaces, if any.
    pub fn insert(&mut self, id: String, value: V) -> Option<V> {
        match self.search(&id) {
            Ok(i) => Some(std::mem::replace(&mut self.0[i].1, value)),
            Err(i) => {
                self.0.insert(i, (id, value));
                None
            }
        }
    }

    /// Removes `id`; returns its value, if it had one.
    pub fn remove(&mut self, id: &str) -> Option<V> {
        self.search(id).ok().map(|i| self.0.remove(i).1)
    }

    /// Keeps only the entries for which `keep` returns `true`, in order.
    pub fn retain(&mut self, mut keep: impl FnMut(&String, &mut V) -> bool) {
        self.0.retain_mut(|(id, value)| keep(id, value));
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Entries in id order.
    pub fn iter(&self) -> Iter<'_, V> {
        Iter(self.0.iter())
    }

    /// Ids in order.
    pub fn keys(&self) -> impl DoubleEndedIterator<Item = &String> + ExactSizeIterator {
        self.0.iter().map(|(id, _)| id)
    }

    /// Values in id order.
    pub fn values(&self) -> impl DoubleEndedIterator<Item = &V> + ExactSizeIterator {
        self.0.iter().map(|(_, value)| value)
    }
}

/// Iterator over `(&id, &value)` in id order, as `BTreeMap::iter` yields.
#[derive(Debug, Clone)]
pub struct Iter<'a, V>(std::slice::Iter<'a, (String, V)>);

impl<'a, V> Iterator for Iter<'a, V> {
    type Item = (&'a String, &'a V);

    fn next(&mut self) -> Option<Self::Item> {
        self.0.next().map(|(id, value)| (id, value))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.0.size_hint()
    }
}

impl<V> DoubleEndedIterator for Iter<'_, V> {
    fn next_back(&mut self) -> Option<Self::Item> {
        self.0.next_back().map(|(id, value)| (id, value))
    }
}

impl<V> ExactSizeIterator for Iter<'_, V> {}

impl<'a, V> IntoIterator for &'a FieldMap<V> {
    type Item = (&'a String, &'a V);
    type IntoIter = Iter<'a, V>;

    fn into_iter(self) -> Iter<'a, V> {
        self.iter()
    }
}

impl<V> IntoIterator for FieldMap<V> {
    type Item = (String, V);
    type IntoIter = std::vec::IntoIter<(String, V)>;

    /// Entries in id order.
    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

impl<V> FromIterator<(String, V)> for FieldMap<V> {
    fn from_iter<I: IntoIterator<Item = (String, V)>>(entries: I) -> Self {
        FieldMap::from_entries(entries.into_iter().collect())
    }
}

impl<V, const N: usize> From<[(String, V); N]> for FieldMap<V> {
    fn from(entries: [(String, V); N]) -> Self {
        FieldMap::from_entries(Vec::from(entries))
    }
}

impl<V> Extend<(String, V)> for FieldMap<V> {
    /// Inserts each entry in turn: later values win.
    fn extend<I: IntoIterator<Item = (String, V)>>(&mut self, entries: I) {
        for (id, value) in entries {
            self.insert(id, value);
        }
    }
}

impl<V: fmt::Debug> fmt::Debug for FieldMap<V> {
    /// As `BTreeMap` prints: `{"id": value, ...}`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

impl<V: Serialize> Serialize for FieldMap<V> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.len()))?;
        for (id, value) in self {
            map.serialize_entry(id, value)?;
        }
        map.end()
    }
}

impl<'de, V: Deserialize<'de>> Deserialize<'de> for FieldMap<V> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(FieldMapVisitor(PhantomData))
    }
}

struct FieldMapVisitor<V>(PhantomData<V>);

impl<'de, V: Deserialize<'de>> Visitor<'de> for FieldMapVisitor<V> {
    type Value = FieldMap<V>;

    fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        // BTreeMap's words, so error messages stay as they were.
        formatter.write_str("a map")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Self::Value, A::Error> {
        // The hint comes from the input: trust it only so far.
        let mut entries = Vec::with_capacity(access.size_hint().unwrap_or(0).min(256));
        while let Some(entry) = access.next_entry::<String, V>()? {
            entries.push(entry);
        }
        Ok(FieldMap::from_entries(entries))
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use proptest::prelude::*;

    use super::FieldMap;

    /// One step applied to both maps.
    #[derive(Debug, Clone)]
    enum Op {
        Insert(&'static str, u32),
        Remove(&'static str),
        /// Keeps the entries whose value is even.
        RetainEven,
        /// Adds 1 to the value of the id, if present.
        Bump(&'static str),
    }

    /// Applies `ops` to a `FieldMap` and a `BTreeMap` and checks that every
    /// return value and the final contents agree.
    fn check_against_btree(ops: &[Op]) {
        let mut ours = FieldMap::new();
        let mut tree = BTreeMap::new();
        for op in ops {
            match *op {
                Op::Insert(id, v) => {
                    assert_eq!(ours.insert(id.to_owned(), v), tree.insert(id.to_owned(), v))
                }
                Op::Remove(id) => assert_eq!(ours.remove(id), tree.remove(id), "{ops:?}"),
                Op::RetainEven => {
                    ours.retain(|_, v| *v % 2 == 0);
                    tree.retain(|_, v| *v % 2 == 0);
                }
                Op::Bump(id) => {
                    if let Some(v) = ours.get_mut(id) {
                        *v += 1;
                    }
                    if let Some(v) = tree.get_mut(id) {
                        *v += 1;
                    }
                }
            }
            assert_same(&ours, &tree);
        }
    }

    fn assert_same(ours: &FieldMap<u32>, tree: &BTreeMap<String, u32>) {
        assert_eq!(ours.len(), tree.len());
        assert_eq!(ours.is_empty(), tree.is_empty());
        assert!(ours.iter().eq(tree.iter()));
        assert!(ours.iter().rev().eq(tree.iter().rev()));
        assert!(ours.keys().eq(tree.keys()));
        assert!(ours.values().eq(tree.values()));
        for id in ["", "a", "b", "B", "é", "a0", "z", "missing"] {
            assert_eq!(ours.get(id), tree.get(id), "{id:?}");
            assert_eq!(ours.contains_key(id), tree.contains_key(id), "{id:?}");
        }
        assert_eq!(format!("{ours:?}"), format!("{tree:?}"));
        assert_eq!(
            serde_json::to_string(ours).expect("json"),
            serde_json::to_string(tree).expect("json")
        );
    }

    #[test]
    fn operations_match_btreemap() {
        use Op::*;
        let cases: &[&[Op]] = &[
            &[],
            &[Insert("a", 1)],
            &[Insert("b", 1), Insert("a", 2), Insert("c", 3)],
            &[Insert("a", 1), Insert("a", 2)],
            &[
                Insert("z", 1),
                Insert("é", 2),
                Insert("B", 3),
                Insert("", 4),
            ],
            &[Insert("a", 1), Remove("a"), Remove("a"), Insert("a", 3)],
            &[Remove("missing")],
            &[Insert("a", 1), Insert("b", 2), Insert("c", 4), RetainEven],
            &[Insert("a", 1), Bump("a"), Bump("missing"), RetainEven],
            &[Insert("a0", 1), Insert("a", 2), Insert("b", 3), Remove("a")],
        ];
        for ops in cases {
            check_against_btree(ops);
        }
    }

    #[test]
    fn collecting_keeps_the_last_of_a_repeated_id() {
        let cases: &[&[(&str, u32)]] = &[
            &[],
            &[("a", 1), ("a", 2)],
            &[("b", 1), ("a", 2), ("b", 3), ("a", 4), ("b", 5)],
            &[("c", 1), ("b", 2), ("a", 3)],
            &[("x", 1), ("x", 2), ("x", 3), ("y", 4)],
        ];
        for entries in cases {
            let owned = || entries.iter().map(|&(id, v)| (id.to_owned(), v));
            let ours: FieldMap<u32> = owned().collect();
            let tree: BTreeMap<String, u32> = owned().collect();
            assert_same(&ours, &tree);
            let mut extended = FieldMap::from([("a".to_owned(), 0)]);
            let mut tree_extended = BTreeMap::from([("a".to_owned(), 0)]);
            extended.extend(owned());
            tree_extended.extend(owned());
            assert_same(&extended, &tree_extended);
            let owned_order: Vec<_> = ours.into_iter().collect();
            assert_eq!(owned_order, tree.into_iter().collect::<Vec<_>>());
        }
    }

    #[test]
    fn json_reads_as_btreemap_does() {
        let cases = [
            r#"{}"#,
            r#"{"b":1,"a":2}"#,
            r#"{"a":1,"a":2}"#,
            r#"{"b":1,"a":2,"b":3}"#,
            r#"{"é":1,"e":2,"E":3}"#,
            r#"[]"#,
            r#"{"a":"x"}"#,
            r#"null"#,
            r#"{"a":1"#,
        ];
        for json in cases {
            let ours = serde_json::from_str::<FieldMap<u32>>(json);
            let tree = serde_json::from_str::<BTreeMap<String, u32>>(json);
            match (ours, tree) {
                (Ok(ours), Ok(tree)) => assert_same(&ours, &tree),
                (Err(ours), Err(tree)) => assert_eq!(ours.to_string(), tree.to_string(), "{json}"),
                (ours, tree) => panic!("{json}: {ours:?} vs {tree:?}"),
            }
        }
    }

    proptest! {
        #[test]
        fn random_operations_match_btreemap(
            steps in proptest::collection::vec((0u8..4, 0usize..6, 0u32..10), 0..40)
        ) {
            const IDS: [&str; 6] = ["a", "b", "ab", "B", "é", ""];
            let ops: Vec<Op> = steps
                .into_iter()
                .map(|(kind, id, v)| match kind {
                    0 => Op::Insert(IDS[id], v),
                    1 => Op::Remove(IDS[id]),
                    2 => Op::Bump(IDS[id]),
                    _ => Op::RetainEven,
                })
                .collect();
            check_against_btree(&ops);
        }
    }
}
