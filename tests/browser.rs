//! Browser tests (wasm-bindgen-test in headless Chromium): components rendered into a node.
#![cfg(target_arch = "wasm32")]

use std::cell::RefCell;
use std::rc::Rc;

use ppt_web::components::pages::{LoginForm, LoginFormProps};
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;
use web_sys::{Element, HtmlElement, HtmlInputElement};
use yew::Callback;

wasm_bindgen_test_configure!(run_in_browser);

fn mount() -> Element {
    let doc = gloo_utils_document();
    let root = doc.create_element("div").unwrap();
    doc.body().unwrap().append_child(&root).unwrap();
    root
}

fn gloo_utils_document() -> web_sys::Document {
    web_sys::window().unwrap().document().unwrap()
}

fn by_testid(root: &Element, id: &str) -> Option<Element> {
    root.query_selector(&format!("[data-testid=\"{id}\"]"))
        .unwrap()
}

/// The login form has the contract's test ids and hands over what was typed.
#[wasm_bindgen_test]
async fn login_form_submits_what_was_typed() {
    let root = mount();
    let got: Rc<RefCell<Option<(String, String, bool)>>> = Rc::default();
    let sink = got.clone();
    let props = LoginFormProps {
        on_submit: Callback::from(move |v| *sink.borrow_mut() = Some(v)),
        busy: false,
        error: None,
        notice: None,
    };
    yew::Renderer::<LoginForm>::with_root_and_props(root.clone(), props).render();
    yew::scheduler::flush().await;

    let email: HtmlInputElement = by_testid(&root, "login-email").unwrap().dyn_into().unwrap();
    let password: HtmlInputElement = by_testid(&root, "login-password")
        .unwrap()
        .dyn_into()
        .unwrap();
    email.set_value("alice@demo.ppt");
    password.set_value("demo1234");
    let submit: HtmlElement = by_testid(&root, "login-submit")
        .unwrap()
        .dyn_into()
        .unwrap();
    submit.click();
    yew::scheduler::flush().await;

    assert_eq!(
        *got.borrow(),
        Some(("alice@demo.ppt".to_owned(), "demo1234".to_owned(), false))
    );
    assert!(by_testid(&root, "login-error").is_none());

    // "This is a shared computer" goes with the submission.
    let shared: HtmlInputElement = by_testid(&root, "login-shared")
        .unwrap()
        .dyn_into()
        .unwrap();
    shared.click();
    submit.click();
    yew::scheduler::flush().await;
    assert_eq!(
        *got.borrow(),
        Some(("alice@demo.ppt".to_owned(), "demo1234".to_owned(), true))
    );
}

/// An error is shown in an alert and a busy form cannot be submitted twice.
#[wasm_bindgen_test]
async fn login_form_shows_errors_and_busy_state() {
    let root = mount();
    let props = LoginFormProps {
        on_submit: Callback::noop(),
        busy: true,
        error: Some("Wrong email or password.".into()),
        notice: Some("Your session has expired. Please sign in again.".into()),
    };
    yew::Renderer::<LoginForm>::with_root_and_props(root.clone(), props).render();
    yew::scheduler::flush().await;
    let error = by_testid(&root, "login-error").unwrap();
    assert_eq!(error.get_attribute("role").as_deref(), Some("alert"));
    assert_eq!(error.text_content().unwrap(), "Wrong email or password.");
    assert!(by_testid(&root, "login-submit")
        .unwrap()
        .has_attribute("disabled"));
}

mod connection_status {
    use ppt_realtime::{ConnectionState, StatusView};
    use ppt_web::components::connection_status::{
        connection_status_view, ConnectionStatusViewProps,
    };

    use super::*;
    use yew::prelude::*;

    #[function_component]
    fn ConnectionStatusView(props: &ConnectionStatusViewProps) -> Html {
        connection_status_view(props)
    }

    fn view(state: ConnectionState, retry_at: Option<u64>) -> StatusView {
        StatusView {
            retry_at,
            ..StatusView::of(state)
        }
    }

    async fn render(props: ConnectionStatusViewProps) -> Element {
        let root = mount();
        yew::Renderer::<ConnectionStatusView>::with_root_and_props(root.clone(), props).render();
        yew::scheduler::flush().await;
        by_testid(&root, "connection-status").expect("the indicator is there")
    }

    /// Every state shows its `data-state`, its words, and an accessible label.
    #[wasm_bindgen_test]
    async fn every_state_renders() {
        for (state, words) in [
            (ConnectionState::Connecting, "Connecting…"),
            (ConnectionState::Connected, "Live"),
            (ConnectionState::Reconnecting, "Reconnecting…"),
            (ConnectionState::Disconnected, "Offline"),
            (ConnectionState::Error, "Connection error"),
        ] {
            let el = render(ConnectionStatusViewProps {
                view: view(state, None),
                now: 0,
                on_retry: Callback::noop(),
                on_details: None,
                details_open: false,
            })
            .await;
            assert_eq!(
                el.get_attribute("data-state").as_deref(),
                Some(state.as_str())
            );
            assert_eq!(el.get_attribute("role").as_deref(), Some("status"));
            assert!(el.text_content().unwrap().contains(words), "{state:?}");
            assert!(el
                .get_attribute("aria-label")
                .unwrap()
                .starts_with("Connection: "));
            assert!(
                by_testid(&el, "connection-retry").is_none(),
                "no retry button unless waiting"
            );
        }
    }

    /// While waiting to reconnect: a countdown in whole seconds and a working "Retry now".
    #[wasm_bindgen_test]
    async fn waiting_shows_countdown_and_retry() {
        let clicked = Rc::new(RefCell::new(0));
        let sink = clicked.clone();
        let opened = Rc::new(RefCell::new(0));
        let open_sink = opened.clone();
        let el = render(ConnectionStatusViewProps {
            view: view(ConnectionState::Reconnecting, Some(4_500)),
            now: 1_000,
            on_retry: Callback::from(move |_| *sink.borrow_mut() += 1),
            on_details: Some(Callback::from(move |_| *open_sink.borrow_mut() += 1)),
            details_open: false,
        })
        .await;
        // The dot and words open the diagnostics panel (one click from the status).
        let details: HtmlElement = by_testid(&el, "connection-details")
            .unwrap()
            .dyn_into()
            .unwrap();
        assert_eq!(
            details.get_attribute("aria-expanded").as_deref(),
            Some("false")
        );
        details.click();
        assert_eq!(*opened.borrow(), 1);
        assert!(el.text_content().unwrap().contains("Reconnecting in 4 s"));
        let retry: HtmlElement = by_testid(&el, "connection-retry")
            .unwrap()
            .dyn_into()
            .unwrap();
        retry.click();
        yew::scheduler::flush().await;
        assert_eq!(*clicked.borrow(), 1);
    }
}

mod header {
    use ppt_protocol::rest::{LoginResponse, Role, User};
    use ppt_realtime::{ConnectionState, StatusView};
    use ppt_web::components::header::Header;
    use ppt_web::hooks::WsContext;
    use ppt_web::store::session::{Session, SessionAction};
    use yew::prelude::*;
    use yewdux::Dispatch;

    use super::*;

    #[derive(Properties, PartialEq)]
    struct HarnessProps {
        state: ConnectionState,
    }

    #[function_component]
    fn Harness(props: &HarnessProps) -> Html {
        let ctx = WsContext {
            status: StatusView::of(props.state),
            ..WsContext::default()
        };
        // The header's links need a router; an in-memory history leaves the page's address alone.
        let history =
            yew_router::history::AnyHistory::from(yew_router::history::MemoryHistory::new());
        html! {
            <yew_router::Router {history}>
                <ContextProvider<WsContext> context={ctx}>
                    <Header />
                </ContextProvider<WsContext>>
            </yew_router::Router>
        }
    }

    /// The header shows the user's name, logout, and the connection state it is given.
    #[wasm_bindgen_test]
    async fn header_in_each_state() {
        for state in [
            ConnectionState::Connecting,
            ConnectionState::Connected,
            ConnectionState::Reconnecting,
            ConnectionState::Disconnected,
            ConnectionState::Error,
        ] {
            // Outside a YewduxRoot, components use the global store.
            Dispatch::<Session>::global().apply(SessionAction::LoggedIn(LoginResponse {
                token: "t".into(),
                user: User {
                    id: "1".into(),
                    name: "Alice Novak".into(),
                    email: "a@x".into(),
                    role: Role::Resident,
                    building_name: String::new(),
                },
                expires_in: 900,
                shared: false,
                offline_max_age: 0,
                session_tag: String::new(),
            }));
            let root = mount();
            yew::Renderer::<Harness>::with_root_and_props(root.clone(), HarnessProps { state })
                .render();
            yew::scheduler::flush().await;
            let status = by_testid(&root, "connection-status").expect("status in the header");
            assert_eq!(
                status.get_attribute("data-state").as_deref(),
                Some(state.as_str())
            );
            assert_eq!(
                by_testid(&root, "user-name")
                    .unwrap()
                    .text_content()
                    .unwrap(),
                "Alice Novak"
            );
            assert!(by_testid(&root, "logout").is_some());
            assert!(
                by_testid(&root, "unread-count").is_none(),
                "no badge at zero"
            );
        }
    }

    /// Logging out from the header clears the session.
    #[wasm_bindgen_test]
    async fn logout_clears_the_session() {
        let dispatch = Dispatch::<Session>::global();
        dispatch.apply(SessionAction::LoggedIn(LoginResponse {
            token: "t".into(),
            user: User {
                id: "1".into(),
                name: "Alice".into(),
                email: "a@x".into(),
                role: Role::Resident,
                building_name: String::new(),
            },
            expires_in: 900,
            shared: false,
            offline_max_age: 0,
            session_tag: String::new(),
        }));
        let root = mount();
        yew::Renderer::<Harness>::with_root_and_props(
            root.clone(),
            HarnessProps {
                state: ConnectionState::Connected,
            },
        )
        .render();
        yew::scheduler::flush().await;
        let logout: HtmlElement = by_testid(&root, "logout").unwrap().dyn_into().unwrap();
        logout.click();
        yew::scheduler::flush().await;
        assert!(!dispatch.get().is_logged_in());
    }
}

mod unread_badge {
    use ppt_web::components::unread_badge::unread_badge;
    use yew::prelude::*;

    use super::*;

    #[derive(Properties, PartialEq)]
    struct BadgeProps {
        count: u64,
    }

    #[function_component]
    fn Badge(props: &BadgeProps) -> Html {
        unread_badge(props.count)
    }

    /// The badge's text is the number, and it is absent at zero.
    #[wasm_bindgen_test]
    async fn badge_shows_the_number() {
        for (count, expected) in [(0u64, None), (1, Some("1")), (142, Some("142"))] {
            let root = mount();
            yew::Renderer::<Badge>::with_root_and_props(root.clone(), BadgeProps { count })
                .render();
            yew::scheduler::flush().await;
            let text = by_testid(&root, "unread-count").map(|e| e.text_content().unwrap());
            assert_eq!(text.as_deref(), expected);
        }
    }
}

mod toasts {
    use ppt_web::components::toast::{toast_stack, ToastStackProps};
    use ppt_web::store::toasts::{Toast, ToastKind};

    use super::*;
    use yew::prelude::*;

    #[function_component]
    fn ToastStack(props: &ToastStackProps) -> Html {
        toast_stack(props)
    }

    fn toast(id: u64, kind: ToastKind) -> Rc<Toast> {
        Rc::new(Toast {
            id,
            kind,
            title: format!("Title {id}"),
            body: "Body".into(),
            link: Some("/faults".into()),
            created_at: 0,
        })
    }

    /// Each toast has the contract's test id and kind, sits in a live region, and can be
    /// dismissed; hidden ones are summarised.
    #[wasm_bindgen_test]
    async fn toasts_render_dismiss_and_summarise() {
        let root = mount();
        let dismissed = Rc::new(RefCell::new(Vec::new()));
        let sink = dismissed.clone();
        let props = ToastStackProps {
            toasts: vec![
                toast(1, ToastKind::Notification),
                toast(2, ToastKind::Message),
                toast(3, ToastKind::Reconnected),
            ],
            more: 2,
            on_dismiss: Callback::from(move |id| sink.borrow_mut().push(id)),
            on_open: Callback::noop(),
        };
        yew::Renderer::<ToastStack>::with_root_and_props(root.clone(), props).render();
        yew::scheduler::flush().await;
        let region = root
            .query_selector("[aria-live=polite]")
            .unwrap()
            .expect("a live region");
        let items = region.query_selector_all("[data-testid=toast]").unwrap();
        assert_eq!(items.length(), 3);
        let kinds: Vec<String> = (0..3)
            .map(|i| {
                items
                    .item(i)
                    .unwrap()
                    .dyn_into::<Element>()
                    .unwrap()
                    .get_attribute("data-kind")
                    .unwrap()
            })
            .collect();
        assert_eq!(kinds, vec!["notification", "message", "reconnected"]);
        assert_eq!(
            by_testid(&root, "toast-more")
                .unwrap()
                .text_content()
                .unwrap(),
            "+2 more"
        );
        let close: HtmlElement = by_testid(&root, "toast-dismiss")
            .unwrap()
            .dyn_into()
            .unwrap();
        close.click();
        yew::scheduler::flush().await;
        assert_eq!(*dismissed.borrow(), vec![1]);
    }
}

mod data_updated_chip {
    use ppt_web::components::data_updated_chip::{
        data_updated_chip_view, DataUpdatedChipViewProps,
    };

    use super::*;
    use yew::prelude::*;

    #[function_component]
    fn DataUpdatedChipView(props: &DataUpdatedChipViewProps) -> Html {
        data_updated_chip_view(props)
    }

    /// The chip is present only while shown, with the contract's test id, as a polite status.
    #[wasm_bindgen_test]
    async fn chip_present_only_while_shown() {
        for visible in [false, true] {
            let root = mount();
            yew::Renderer::<DataUpdatedChipView>::with_root_and_props(
                root.clone(),
                DataUpdatedChipViewProps { visible },
            )
            .render();
            yew::scheduler::flush().await;
            let chip = by_testid(&root, "data-updated-chip");
            assert_eq!(chip.is_some(), visible);
            if let Some(chip) = chip {
                assert_eq!(chip.get_attribute("role").as_deref(), Some("status"));
                assert_eq!(chip.get_attribute("aria-live").as_deref(), Some("polite"));
                assert!(chip.text_content().unwrap().contains("Data updated"));
            }
        }
    }
}

mod queries {
    use std::cell::Cell;

    use ppt_protocol::rest::{Fault, FaultStatus, Message};
    use ppt_protocol::{QueryKey, Timestamp};
    use ppt_web::hooks::use_query;
    use ppt_web::store::lists::MESSAGES;
    use ppt_web::store::messages::Inbox;
    use ppt_web::store::queries::{Queries, QueriesAction, QueryValue};
    use yew::prelude::*;
    use yewdux::Dispatch;

    use super::*;

    thread_local! {
        static INBOX_RENDERS: Cell<u32> = const { Cell::new(0) };
    }

    /// Shows `["messages"]` through `use_query`, as the inbox does, and counts its renders.
    #[function_component]
    fn InboxProbe() -> Html {
        let inbox = use_query(&MESSAGES);
        INBOX_RENDERS.with(|n| n.set(n.get() + 1));
        let count = inbox.data.map_or(0, |i| i.list.len());
        html! { <p data-testid="probe">{ count }</p> }
    }

    fn fetched(key: QueryKey, data: ppt_web::store::queries::QueryData) -> QueriesAction {
        QueriesAction::Fetched {
            key,
            data,
            now: 1,
            foreign: true,
        }
    }

    fn fault(status: FaultStatus) -> Fault {
        Fault {
            id: "1".into(),
            title: "Lift".into(),
            description: "stuck".into(),
            status,
            reporter_id: "2".into(),
            reporter_name: "Bob".into(),
            created_at: Timestamp::default(),
            updated_at: Timestamp::default(),
            version: 1,
        }
    }

    /// A change to `["faults"]` does not render what shows `["messages"]`; a change to
    /// `["messages"]` does, once.
    #[wasm_bindgen_test]
    async fn a_change_to_faults_does_not_render_the_inbox() {
        let queries = Dispatch::<Queries>::global();
        let root = mount();
        yew::Renderer::<InboxProbe>::with_root(root.clone()).render();
        yew::scheduler::flush().await;
        let before = INBOX_RENDERS.with(Cell::get);
        assert!(before >= 1);

        let faults = QueryKey::new(["faults"]);
        queries.apply(QueriesAction::Fetching(faults.clone()));
        queries.apply(fetched(
            faults.clone(),
            vec![fault(FaultStatus::Open)].wrap(),
        ));
        queries.apply(fetched(faults, vec![fault(FaultStatus::Resolved)].wrap()));
        yew::scheduler::flush().await;
        assert_eq!(
            INBOX_RENDERS.with(Cell::get),
            before,
            "faults changed, inbox rendered"
        );

        let message = Message {
            id: "7".into(),
            conversation_id: "1-2".into(),
            from_user_id: "2".into(),
            from_name: "Bob".into(),
            to_user_id: "1".into(),
            body: "Hi".into(),
            sent_at: Timestamp::default(),
            read: false,
        };
        queries.apply(fetched(MESSAGES.key(), Inbox::from(vec![message]).wrap()));
        yew::scheduler::flush().await;
        assert_eq!(INBOX_RENDERS.with(Cell::get), before + 1);
        assert_eq!(
            by_testid(&root, "probe").unwrap().text_content().unwrap(),
            "1"
        );
    }
}
