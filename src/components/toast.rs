//! Toasts: an ARIA live region in the corner; each toast dismissible and gone after a few
//! seconds; at most three at once with the rest summarised.

use std::rc::Rc;

use gloo_timers::callback::Timeout;
use yew::prelude::*;
use yew_router::prelude::*;
use yewdux::use_store;

use crate::browser::clock::now_ms;
use crate::route::Route;
use crate::store::toasts::{Toast, ToastAction, Toasts};

#[derive(Properties, PartialEq)]
pub struct ToastStackProps {
    pub toasts: Vec<Rc<Toast>>,
    /// How many more wait behind the shown ones.
    #[prop_or_default]
    pub more: usize,
    #[prop_or_default]
    pub on_dismiss: Callback<u64>,
    #[prop_or_default]
    pub on_open: Callback<String>,
}

/// The toasts as given (pure view, a plain function).
pub fn toast_stack(props: &ToastStackProps) -> Html {
    html! {
        <section class="toasts" aria-live="polite" aria-label="Notifications">
            { for props.toasts.iter().map(|t| {
                let id = t.id;
                let dismiss = props.on_dismiss.reform(move |_: MouseEvent| id);
                let open = t.link.clone().map(|l| props.on_open.reform(move |_: MouseEvent| l.clone()));
                html! {
                    <div class={classes!("toast", format!("toast-{}", t.kind.as_str()))} data-testid="toast" data-kind={t.kind.as_str()} role="status">
                        <div class="toast-text">
                            <strong class="toast-title">{ t.title.clone() }</strong>
                            if !t.body.is_empty() { <span class="toast-body">{ t.body.clone() }</span> }
                        </div>
                        if let Some(open) = open { <button class="link-button" onclick={open}>{ "Open" }</button> }
                        <button class="toast-close" aria-label="Dismiss" data-testid="toast-dismiss" onclick={dismiss}>{ "×" }</button>
                    </div>
                }
            }) }
            if props.more > 0 {
                <div class="toast-more" data-testid="toast-more">{ format!("+{} more", props.more) }</div>
            }
        </section>
    }
}

/// The app's toasts: the store's, expiring on time, links opening in the app.
#[function_component]
pub fn ToastHost() -> Html {
    let (toasts, dispatch) = use_store::<Toasts>();
    {
        let dispatch = dispatch.clone();
        use_effect_with(toasts.next_expiry(), move |expiry| {
            let timer = expiry.map(|at| {
                let wait = at.saturating_sub(now_ms()) as u32;
                Timeout::new(wait, move || {
                    dispatch.apply(ToastAction::Expire { now: now_ms() })
                })
            });
            move || drop(timer)
        });
    }
    let (shown, more) = toasts.visible();
    let on_dismiss = dispatch.apply_callback(ToastAction::Dismiss);
    let navigator = use_navigator();
    let on_open = {
        let dispatch = dispatch.clone();
        Callback::from(move |link: String| {
            if let Some(n) = &navigator {
                n.push(&Route::from_link(&link));
            }
            dispatch.apply(ToastAction::Clear);
        })
    };
    toast_stack(&ToastStackProps {
        toasts: shown.to_vec(),
        more,
        on_dismiss,
        on_open,
    })
}
