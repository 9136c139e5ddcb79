//! A station's poster for its wall (二维码海报): its name and the QR code of its public
//! page, where voters leave opinions from their own phones. Made by the server (which
//! knows its public address); shown here and saved as PNG or PDF into the downloads.

use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::i18n::{app_error, t, tf};
use crate::{Ctx, api};

#[component]
pub fn PosterPage() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let station = RwSignal::new(String::new());
    let image = RwSignal::new(None::<String>);
    let message = RwSignal::new(None::<(bool, String)>);
    let loading = RwSignal::new(false);
    // The first station until one is chosen.
    Effect::new(move |_| {
        if station.get_untracked().is_empty()
            && let Some(first) = ctx.stations.get().first()
        {
            station.set(first.id.clone());
        }
    });
    Effect::new(move |_| {
        let id = station.get();
        if id.is_empty() {
            return;
        }
        loading.set(true);
        message.set(None);
        spawn_local(async move {
            match api::station_poster(&id).await {
                Ok(png) => image.set(crate::photos::blob_url(&png)),
                Err(e) => {
                    image.set(None);
                    message.set(Some((false, app_error(&e))));
                }
            }
            loading.set(false);
        });
    });
    let save = move |pdf: bool| {
        let id = station.get_untracked();
        let name = ctx
            .stations
            .get_untracked()
            .into_iter()
            .find(|s| s.id == id)
            .map_or_else(|| id.clone(), |s| s.name);
        let file = format!(
            "{}.{}",
            tf("poster.file", &[("station", &name)]),
            if pdf { "pdf" } else { "png" }
        );
        spawn_local(async move {
            message.set(match api::save_poster(&id, pdf, &file).await {
                Ok(Some(path)) => Some((true, tf("poster.saved", &[("path", &path)]))),
                Ok(None) => None,
                Err(e) => Some((false, app_error(&e))),
            });
        });
    };
    view! {
        <section aria-labelledby="poster-title" id="poster">
            <h2 id="poster-title">{t("poster.title")}</h2>
            <p class="hint">{t("poster.intro")}</p>
            <div class="field">
                <label for="poster-station">{t("field.station")}</label>
                <select
                    id="poster-station"
                    prop:value=move || station.get()
                    on:change=move |ev| station.set(event_target_value(&ev))
                >
                    {move || {
                        ctx.stations
                            .get()
                            .into_iter()
                            .map(|s| view! { <option value=s.id.clone()>{s.name.clone()}</option> })
                            .collect_view()
                    }}
                </select>
            </div>
            {move || {
                message
                    .get()
                    .map(|(ok, m)| {
                        view! {
                            <p class=if ok { "message" } else { "message error" } role="status" id="poster-message">
                                {m}
                            </p>
                        }
                    })
            }}
            <Show when=move || loading.get()>
                <p class="hint">{t("poster.loading")}</p>
            </Show>
            {move || {
                image
                    .get()
                    .map(|src| {
                        view! {
                            <img class="poster" id="poster-image" src=src alt=t("poster.alt")/>
                            <div class="buttons">
                                <button id="poster-save-png" class="secondary" on:click=move |_| save(false)>
                                    {t("poster.save_png")}
                                </button>
                                <button id="poster-save-pdf" on:click=move |_| save(true)>
                                    {t("poster.save_pdf")}
                                </button>
                            </div>
                        }
                    })
            }}
        </section>
    }
}
