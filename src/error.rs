//! Error replies.
