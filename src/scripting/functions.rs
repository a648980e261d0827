//! FUNCTION's libraries: a Lua state of their own (as in Redis), the libraries loaded
//! into it and the functions they registered.

use std::collections::BTreeMap;

/// A registered function.
pub struct Function {
    pub name: String,
    pub library: String,
    pub description: Option<Vec<u8>>,
    pub flags: u32,
    pub func_ref: std::ffi::c_int,
}

/// The libraries and their functions.
#[derive(Default)]
pub struct Functions {
    pub functions: BTreeMap<String, Function>,
}

impl Functions {
    /// The flags of a function, if it exists.
    pub fn function_flags(&self, name: &[u8]) -> Option<u32> {
        let name = std::str::from_utf8(name).ok()?;
        self.functions.get(name).map(|f| f.flags)
    }
}
