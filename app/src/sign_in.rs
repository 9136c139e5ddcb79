//! The sign-in form: server address, user name and password; or, on a new device, a
//! one-time set-up code (scanned: `…/setup#<code>` fills it in) and the password its
//! user chooses.

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::hooks::use_navigate;
use shared::AppError;

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
    // A set-up code from the address (a scanned QR: `…/setup#<code>`).
    let scanned = web_sys::window()
        .and_then(|w| w.location().hash().ok())
        .map(|h| h.trim_start_matches('#').to_owned())
        .filter(|h| !h.is_empty());
    let with_code = RwSignal::new(scanned.is_some());
    let code = RwSignal::new(scanned.unwrap_or_default());
    let repeat = RwSignal::new(String::new());
    let navigate = StoredValue::new_local(use_navigate());
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
        let coded = with_code.get_untracked();
        let problem = if coded {
            if code.get_untracked().trim().is_empty() || password.get_untracked().is_empty() {
                Some("signin.code_missing")
            } else if password.get_untracked().chars().count() < 8 {
                Some("signin.password_short")
            } else if password.get_untracked() != repeat.get_untracked() {
                Some("signin.password_mismatch")
            } else {
                None
            }
        } else if username.get_untracked().trim().is_empty() || password.get_untracked().is_empty()
        {
            Some("signin.missing")
        } else {
            None
        };
        if let Some(key) = problem {
            error.set(Some(t(key)));
            return;
        }
        running.set(true);
        error.set(None);
        spawn_local(async move {
            let r = if coded {
                api::set_up(
                    &server.get_untracked(),
                    &code.get_untracked(),
                    &password.get_untracked(),
                )
                .await
            } else {
                api::sign_in(
                    &server.get_untracked(),
                    &username.get_untracked(),
                    &password.get_untracked(),
                )
                .await
            };
            running.set(false);
            match r {
                Ok(_) => {
                    password.set(String::new());
                    repeat.set(String::new());
                    if coded {
                        // The code is used up: off the address, home first.
                        code.set(String::new());
                        navigate.with_value(|n| {
                            n(
                                &crate::links::href("/"),
                                leptos_router::NavigateOptions {
                                    replace: true,
                                    resolve: false,
                                    ..Default::default()
                                },
                            )
                        });
                    }
                    ctx.refresh();
                    ctx.sync_in_background();
                }
                Err(AppError::SignInRefused) if coded => error.set(Some(t("signin.code_refused"))),
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
    let toggle = move |_| {
        with_code.update(|c| *c = !*c);
        error.set(None);
    };
    view! {
        <form class="sign-in" on:submit=submit aria-labelledby="sign-in-title" novalidate>
            <h2 id="sign-in-title">
                {move || t(if with_code.get() { "signin.code_title" } else { "signin.title" })}
            </h2>
            {field("server-address", "signin.server", "url", "url", server)}
            {move || {
                if with_code.get() {
                    view! {
                        {field("setup-code", "signin.code", "text", "one-time-code", code)}
                        {field("password", "signin.new_password", "password", "new-password", password)}
                        {field("password-again", "signin.repeat_password", "password", "new-password", repeat)}
                    }
                        .into_any()
                } else {
                    view! {
                        {field("username", "signin.username", "text", "username", username)}
                        {field("password", "signin.password", "password", "current-password", password)}
                    }
                        .into_any()
                }
            }}
            {move || {
                error
                    .get()
                    .map(|e| view! { <p class="message error" role="alert" id="sign-in-error">{e}</p> })
            }}
            <button id="sign-in" type="submit" class="primary" disabled=move || running.get()>
                {move || match (running.get(), with_code.get()) {
                    (true, true) => t("signin.setting_up"),
                    (true, false) => t("signin.running"),
                    (false, true) => t("signin.set_up"),
                    (false, false) => t("signin.submit"),
                }}
            </button>
            <button id="sign-in-mode" type="button" class="link" on:click=toggle>
                {move || t(if with_code.get() { "signin.with_password" } else { "signin.with_code" })}
            </button>
        </form>
    }
}
