//! `Sds`: the byte string used for keys and string values (placeholder body; see dict brief).

use std::borrow::Borrow;
use std::ops::Deref;

/// A byte string: inline when short, on the heap otherwise.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Sds(Vec<u8>);

impl Sds {
    pub fn new() -> Sds {
        Sds(Vec::new())
    }
    pub fn from_vec(v: Vec<u8>) -> Sds {
        Sds(v)
    }
    pub fn as_slice(&self) -> &[u8] {
        &self.0
    }
    /// Appends bytes, growing geometrically so repeated appends are amortised O(1).
    pub fn push_slice(&mut self, b: &[u8]) {
        self.0.extend_from_slice(b)
    }
    /// Overwrites `b` at `offset`, zero-padding the string first if it is shorter.
    pub fn set_range(&mut self, offset: usize, b: &[u8]) {
        if self.0.len() < offset + b.len() {
            self.0.resize(offset + b.len(), 0);
        }
        self.0[offset..offset + b.len()].copy_from_slice(b);
    }
    pub fn as_mut_slice(&mut self) -> &mut [u8] {
        &mut self.0
    }
    pub fn resize(&mut self, len: usize, fill: u8) {
        self.0.resize(len, fill)
    }
    pub fn into_vec(self) -> Vec<u8> {
        self.0
    }
    /// Bytes this value occupies on the heap (0 when inline).
    pub fn heap_size(&self) -> usize {
        self.0.capacity()
    }
}

impl From<&[u8]> for Sds {
    fn from(b: &[u8]) -> Sds {
        Sds(b.to_vec())
    }
}

impl Deref for Sds {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        &self.0
    }
}

impl Borrow<[u8]> for Sds {
    fn borrow(&self) -> &[u8] {
        &self.0
    }
}

impl std::fmt::Debug for Sds {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}", String::from_utf8_lossy(&self.0))
    }
}
