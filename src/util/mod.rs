//! Small pure helpers shared by several modules.

pub mod json_object;
pub mod time;
