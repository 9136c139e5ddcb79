//! Settings: the account and server this device uses, and the language (中文 first,
//! English second). A new language applies by starting the app's screens over.

use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::Language;

use crate::i18n::{app_error, t};
use crate::{Ctx, api};

#[component]
pub fn SettingsPage() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let message = RwSignal::new(None::<String>);
    let choose = move |language: Language| {
        if language == crate::i18n::language() {
            return;
        }
        spawn_local(async move {
            match api::set_language(language).await {
                // Every text is drawn again in the new language, from the home screen.
                Ok(()) => {
                    if let Some(w) = web_sys::window() {
                        let _ = w.location().replace(&crate::links::href("/"));
                    }
                }
                Err(e) => message.set(Some(app_error(&e))),
            }
        });
    };
    view! {
        <section class="settings" aria-labelledby="settings-title">
            <h2 id="settings-title">{t("settings.title")}</h2>
            <dl>
                <dt>{t("sync.account")}</dt>
                <dd id="settings-account">
                    {move || {
                        ctx.account_line()
                    }}
                </dd>
                <dt>{t("sync.server")}</dt>
                <dd id="settings-server">{move || ctx.status.get().map(|s| s.server_url)}</dd>
            </dl>
            <fieldset class="field">
                <legend>{t("settings.language")}</legend>
                <div class="chips" id="language">
                    {Language::ALL
                        .into_iter()
                        .map(|l| {
                            let key = match l {
                                Language::ZhCn => "language.zh_cn",
                                Language::En => "language.en",
                            };
                            view! {
                                <label class="chip">
                                    <input
                                        type="radio"
                                        name="language"
                                        value=crate::i18n::snake(&l)
                                        prop:checked=move || crate::i18n::language() == l
                                        on:change=move |_| choose(l)
                                    />
                                    <span>{t(key)}</span>
                                </label>
                            }
                        })
                        .collect_view()}
                </div>
                <p class="hint">{t("settings.language_hint")}</p>
            </fieldset>
            {move || message.get().map(|m| view! { <p class="message error">{m}</p> })}
            <p class="hint">{t("settings.sign_out_hint")}</p>
        </section>
    }
}
