//! The sign-in form: server address, user name and password.

use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::i18n::{app_error, t};
use crate::{Ctx, api};

/// Server address, user name and password. Used on first start and, after a session
/// ends, on the sync page.
#[component]
pub fn SignInForm() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let server = RwSignal::new(String::new());
    let username = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let running = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    spawn_local(async move {
        if let Ok(url) = api::default_server().await {
            server.set(url);
        }
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if running.get_untracked() {
            return;
        }
        if username.get_untracked().trim().is_empty() || password.get_untracked().is_empty() {
            error.set(Some(t("signin.missing")));
            return;
        }
        running.set(true);
        error.set(None);
        spawn_local(async move {
            let r = api::sign_in(
                &server.get_untracked(),
                &username.get_untracked(),
                &password.get_untracked(),
            )
            .await;
            running.set(false);
            match r {
                Ok(_) => {
                    password.set(String::new());
                    ctx.refresh();
                    ctx.sync_in_background();
                }
                Err(e) => error.set(Some(app_error(&e))),
            }
        });
    };
    // A labelled input bound to `value`.
    let field = |id: &'static str,
                 label: &'static str,
                 kind: &'static str,
                 autocomplete: &'static str,
                 value: RwSignal<String>| {
        view! {
            <label for=id>{t(label)}</label>
            <input
                id=id
                type=kind
                autocomplete=autocomplete
                autocapitalize="none"
                prop:value=move || value.get()
                on:input=move |ev| value.set(event_target_value(&ev))
            />
        }
    };
    view! {
        <form class="sign-in" on:submit=submit aria-labelledby="sign-in-title" novalidate>
            <h2 id="sign-in-title">{t("signin.title")}</h2>
            {field("server-address", "signin.server", "url", "url", server)}
            {field("username", "signin.username", "text", "username", username)}
            {field("password", "signin.password", "password", "current-password", password)}
            {move || {
                error
                    .get()
                    .map(|e| view! { <p class="message error" role="alert" id="sign-in-error">{e}</p> })
            }}
            <button id="sign-in" type="submit" class="primary" disabled=move || running.get()>
                {move || if running.get() { t("signin.running") } else { t("signin.submit") }}
            </button>
        </form>
    }
}
