//! [`IdMap`]: a map from field or consent ids to values, kept as a vector.
//!
//! A form holds at most a hundred fields and consents, so a linear search is
//! as fast as a tree here, and each `BTreeMap` value type would bring its own
//! copy of the tree code into the wasm (see `widget/size-report.sh`). This
//! module must stay a plain container: no ordering rules, no reactivity.

/// Id → value, in insertion order; one entry per id.
#[derive(Debug, Clone, PartialEq)]
pub struct IdMap<V>(Vec<(String, V)>);

impl<V> Default for IdMap<V> {
    fn default() -> Self {
        IdMap(Vec::new())
    }
}

impl<V> IdMap<V> {
    fn position(&self, id: &str) -> Option<usize> {
        self.0.iter().position(|(key, _)| key == id)
    }

    pub fn get(&self, id: &str) -> Option<&V> {
        self.position(id).map(|i| &self.0[i].1)
    }

    pub fn contains_key(&self, id: &str) -> bool {
        self.position(id).is_some()
    }

    /// Sets the value of `id`, replacing any earlier one.
    pub fn insert(&mut self, id: &str, value: V) {
        match self.position(id) {
            Some(i) => self.0[i].1 = value,
            None => self.0.push((id.to_owned(), value)),
        }
    }

    /// Sets the value of `id` unless it already has one.
    pub fn insert_first(&mut self, id: &str, value: V) {
        if !self.contains_key(id) {
            self.0.push((id.to_owned(), value));
        }
    }

    pub fn remove(&mut self, id: &str) {
        self.0.retain(|(key, _)| key != id);
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::IdMap;

    #[test]
    fn behaves_like_a_map() {
        let mut map = IdMap::default();
        assert!(map.is_empty());
        map.insert("a", 1);
        map.insert("b", 2);
        map.insert("a", 3);
        map.insert_first("b", 4);
        assert_eq!(map.get("a"), Some(&3));
        assert_eq!(map.get("b"), Some(&2));
        map.remove("a");
        assert!(!map.contains_key("a"));
        assert_eq!(map.get("c"), None);
        assert!(!map.is_empty());
    }
}
