//! The pages, one module each.

mod dashboard;
mod login;
mod messages;
mod placeholder;
mod settings;

pub use dashboard::Dashboard;
pub use login::{LoginForm, LoginFormProps, LoginPage};
pub use messages::{MessageItem, MessagesPage};
pub use placeholder::Placeholder;
pub use settings::SettingsPage;
