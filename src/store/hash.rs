//! The hash value type (placeholder until its family lands).

/// A hash value.
#[derive(Debug, Default, Clone)]
pub struct Hash {}

impl Hash {
    pub fn len(&self) -> usize {
        0
    }
    pub fn is_empty(&self) -> bool {
        true
    }
    /// The name OBJECT ENCODING reports.
    pub fn encoding(&self) -> &'static str {
        "hashtable"
    }
}
