//! Authentication: who is calling.

pub mod sigv4;
