//! The set value type (placeholder until its family lands).

/// A set value.
#[derive(Debug, Default, Clone)]
pub struct Set {}

impl Set {
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
