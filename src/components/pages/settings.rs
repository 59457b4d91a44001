//! Settings: notification preferences per category (toast, sound, browser), saved at once,
//! and the one place that asks for browser-notification permission (from a click).

use ppt_protocol::resources;
use ppt_protocol::rest::{NotificationCategory, NotificationPreferences};
use web_sys::HtmlInputElement;
use yew::prelude::*;
use yewdux::{use_dispatch, use_store};

use crate::api;
use crate::browser::notifications;
use crate::store::preferences::{Channel, Preferences, PreferencesAction};
use crate::store::session::Session;

/// A category is named as its resource is (`ppt_protocol::resources`).
fn category_label(c: NotificationCategory) -> &'static str {
    resources::for_category(c).map_or(c.as_str(), |r| r.label)
}

fn channel_name(c: Channel) -> &'static str {
    match c {
        Channel::Toast => "toast",
        Channel::Sound => "sound",
        Channel::Browser => "browser",
    }
}

/// The settings page.
#[function_component]
pub fn SettingsPage() -> Html {
    // The token is read when a change is saved (it is renewed while the page is open).
    let session = use_dispatch::<Session>();
    let (prefs, dispatch) = use_store::<Preferences>();
    let permission = use_state(notifications::permission_label);

    let on_toggle = {
        let dispatch = dispatch.clone();
        Callback::from(
            move |(category, channel, on): (NotificationCategory, Channel, bool)| {
                let previous: NotificationPreferences = dispatch.get().prefs.clone();
                dispatch.apply(PreferencesAction::Set {
                    category,
                    channel,
                    on,
                });
                let wanted = dispatch.get().prefs.clone();
                let dispatch = dispatch.clone();
                let token = session.get().token.clone().unwrap_or_default();
                wasm_bindgen_futures::spawn_local(async move {
                    match api::put::<NotificationPreferences, _>(
                        "/notification-preferences",
                        &token,
                        &wanted,
                    )
                    .await
                    {
                        Ok(saved) => dispatch.apply(PreferencesAction::Replaced(saved)),
                        Err(error) => {
                            dispatch.apply(PreferencesAction::SaveFailed { previous, error })
                        }
                    }
                });
            },
        )
    };

    let ask = {
        let permission = permission.clone();
        Callback::from(move |_: MouseEvent| {
            let permission = permission.clone();
            notifications::request_permission(Callback::from(move |_| {
                permission.set(notifications::permission_label())
            }));
        })
    };

    html! {
        <section class="card settings" data-testid="settings">
            <h1>{ "Notifications" }</h1>
            <p class="muted">{ "Choose how each kind of news reaches you. Changes apply at once, on all your devices." }</p>
            if let Some(e) = &prefs.error { <p class="form-error" role="alert">{ format!("Not saved: {e}") }</p> }
            // On the narrowest phones the table may scroll within its box, never the page.
            <div class="table-scroll">
            <table class="prefs" data-testid="preferences" aria-busy={prefs.saving.to_string()}>
                <thead><tr><th scope="col">{ "Category" }</th><th scope="col">{ "Toast" }</th><th scope="col">{ "Sound" }</th><th scope="col">{ "Browser" }</th></tr></thead>
                <tbody>
                { for NotificationCategory::ALL.into_iter().map(|category| {
                    let current = prefs.prefs.get(category);
                    html! {
                        <tr>
                            <th scope="row">{ category_label(category) }</th>
                            { for [(Channel::Toast, current.toast), (Channel::Sound, current.sound), (Channel::Browser, current.browser)].into_iter().map(|(channel, on)| {
                                let on_toggle = on_toggle.clone();
                                let onchange = Callback::from(move |e: Event| {
                                    let checked = e.target_unchecked_into::<HtmlInputElement>().checked();
                                    on_toggle.emit((category, channel, checked));
                                });
                                let id = format!("pref-{}-{}", category.as_str(), channel_name(channel));
                                html! {
                                    <td>
                                        <input type="checkbox" id={id.clone()} data-testid={id} checked={on} disabled={!prefs.loaded} {onchange}
                                            aria-label={format!("{} {}", category_label(category), channel_name(channel))} />
                                    </td>
                                }
                            }) }
                        </tr>
                    }
                }) }
                </tbody>
            </table>
            </div>
            <div class="permission">
                <p>{ format!("Browser notifications are {}.", *permission) }</p>
                <button class="primary" onclick={ask} data-testid="ask-notification-permission">{ "Allow browser notifications" }</button>
            </div>
        </section>
    }
}
