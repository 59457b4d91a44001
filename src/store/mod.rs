//! yewdux stores and their reducers.

pub mod session;
