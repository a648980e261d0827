//! Lua scripting as Redis 7.0 embeds it: a Lua 5.1 state with Redis's libraries
//! (`cjson`, `cmsgpack`, `bit`, `struct`) and sandbox, the `redis` table, EVAL's script
//! cache and FUNCTION's libraries.

pub mod cmsgpack;
