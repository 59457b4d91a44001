//! The pages, one module each; [`list_card`] is the frame the list pages share and
//! [`create_form`] the form their "create" actions share, [`delete_button`] their delete.

mod announcements;
mod create_form;
mod dashboard;
mod delete_button;
mod documents;
mod faults;
mod list_card;
mod login;
mod messages;
mod neighbors;
mod not_found;
mod settings;
mod votes;

pub use announcements::AnnouncementsPage;
pub use dashboard::Dashboard;
pub use documents::DocumentsPage;
pub use faults::FaultsPage;
pub use login::{LoginForm, LoginFormProps, LoginPage};
pub use messages::{MessageItem, MessagesPage};
pub use neighbors::NeighborsPage;
pub use not_found::not_found_page;
pub use settings::SettingsPage;
pub use votes::VotesPage;
