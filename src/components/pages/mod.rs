//! The pages, one module each.

mod dashboard;
mod login;
mod placeholder;

pub use dashboard::Dashboard;
pub use login::{LoginForm, LoginFormProps, LoginPage};
pub use placeholder::Placeholder;
