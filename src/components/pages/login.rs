//! The login page: the form (pure component) and the page that submits it.

use yew::prelude::*;
use yew_router::prelude::*;
use yewdux::use_store;

use crate::api::{self, ApiError};
use crate::app::Replace;
use crate::route::Route;
use crate::store::session::{Session, SessionAction};

#[derive(Properties, PartialEq)]
pub struct LoginFormProps {
    /// Called with (email, password, shared): `shared` is the "This is a
    /// shared computer" box, a session that keeps nothing in the browser.
    pub on_submit: Callback<(String, String, bool)>,
    #[prop_or_default]
    pub busy: bool,
    #[prop_or_default]
    pub error: Option<String>,
    /// A notice above the form (e.g. why the last session ended).
    #[prop_or_default]
    pub notice: Option<String>,
}

/// The login form with the contract's test ids.
#[function_component]
pub fn LoginForm(props: &LoginFormProps) -> Html {
    let email = use_node_ref();
    let password = use_node_ref();
    let shared = use_node_ref();
    let onsubmit = {
        let (email, password, shared, on_submit) = (
            email.clone(),
            password.clone(),
            shared.clone(),
            props.on_submit.clone(),
        );
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let value = |r: &NodeRef| {
                r.cast::<web_sys::HtmlInputElement>()
                    .map(|i| i.value())
                    .unwrap_or_default()
            };
            let shared = shared
                .cast::<web_sys::HtmlInputElement>()
                .is_some_and(|i| i.checked());
            on_submit.emit((value(&email), value(&password), shared));
        })
    };
    html! {
        <form class="login-form card" {onsubmit}>
            <h1>{ "Sign in" }</h1>
            if let Some(n) = &props.notice {
                <p class="form-notice" role="status" data-testid="login-notice">{ n.clone() }</p>
            }
            <label>{ "Email" }
                <input ref={email} type="email" name="email" autocomplete="username" required=true
                    data-testid="login-email" />
            </label>
            <label>{ "Password" }
                <input ref={password} type="password" name="password" autocomplete="current-password" required=true
                    data-testid="login-password" />
            </label>
            <label class="check">
                <input ref={shared} type="checkbox" name="shared" data-testid="login-shared" />
                <span>{ "This is a shared computer" }
                    <small class="muted">{ " Nothing is kept after you sign out or close the browser." }</small>
                </span>
            </label>
            if let Some(err) = &props.error {
                <p class="form-error" role="alert" data-testid="login-error">{ err.clone() }</p>
            }
            <button type="submit" class="primary" disabled={props.busy} data-testid="login-submit">
                { if props.busy { "Signing in…" } else { "Sign in" } }
            </button>
            <p class="muted demo-hint">{ "Demo: alice@demo.ppt / demo1234" }</p>
        </form>
    }
}

/// The login page: submits the form and, on success, goes to the dashboard.
#[function_component]
pub fn LoginPage() -> Html {
    let (session, dispatch) = use_store::<Session>();
    let busy = use_state(|| false);
    let error = use_state(|| None::<String>);
    if session.is_logged_in() {
        return html! { <Replace to={Route::Dashboard} /> };
    }
    let navigator = use_navigator();
    let on_submit = {
        let (busy, error) = (busy.clone(), error.clone());
        Callback::from(move |(email, password, shared): (String, String, bool)| {
            let (busy, error, dispatch) = (busy.clone(), error.clone(), dispatch.clone());
            let navigator = navigator.clone();
            busy.set(true);
            error.set(None);
            wasm_bindgen_futures::spawn_local(async move {
                match api::login(&email, &password, shared).await {
                    Ok(r) => {
                        dispatch.apply(SessionAction::LoggedIn(r));
                        if let Some(n) = navigator {
                            n.push(&Route::Dashboard);
                        }
                    }
                    Err(e) => {
                        busy.set(false);
                        error.set(Some(match e {
                            ApiError::Http { status: 401, .. } => {
                                "Wrong email or password.".to_owned()
                            }
                            other => other.to_string(),
                        }));
                    }
                }
            });
        })
    };
    let notice = session
        .expired
        .then(|| "Your session has expired. Please sign in again.".to_owned());
    html! {
        <main class="login-page">
            <div class="login-brand">{ "ppt" }<span>{ "web" }</span></div>
            <LoginForm {on_submit} busy={*busy} error={(*error).clone()} {notice} />
        </main>
    }
}
