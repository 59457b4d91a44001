//! Components: the header and the pages.

pub mod header;
pub mod pages;
