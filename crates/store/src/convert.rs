//! Rows <-> core types.
