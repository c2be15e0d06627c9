//! Small pure helpers shared by several modules.

pub mod json_depth;
pub mod json_object;
pub mod url_path;
pub mod time;
pub mod uuid_v7;
