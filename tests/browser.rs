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
    let got: Rc<RefCell<Option<(String, String)>>> = Rc::default();
    let sink = got.clone();
    let props = LoginFormProps {
        on_submit: Callback::from(move |v| *sink.borrow_mut() = Some(v)),
        busy: false,
        error: None,
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
        Some(("alice@demo.ppt".to_owned(), "demo1234".to_owned()))
    );
    assert!(by_testid(&root, "login-error").is_none());
}

/// An error is shown in an alert and a busy form cannot be submitted twice.
#[wasm_bindgen_test]
async fn login_form_shows_errors_and_busy_state() {
    let root = mount();
    let props = LoginFormProps {
        on_submit: Callback::noop(),
        busy: true,
        error: Some("Wrong email or password.".into()),
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
