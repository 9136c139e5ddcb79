//! Finding a deputy of the scope, to open their duty record.

use super::*;

/// 代表履职档案: the deputies of `stations`, searchable by name, each a link to their duty
/// record of `year`. Loaded when opened (a district has hundreds).
#[component]
pub(super) fn DeputyFinder(
    stations: Signal<Vec<(String, String)>>,
    year: Signal<i32>,
) -> impl IntoView {
    let open = RwSignal::new(false);
    let deputies = RwSignal::new(Vec::<Deputy>::new());
    let loading = RwSignal::new(false);
    let search = RwSignal::new(String::new());
    Effect::new(move |_| {
        if !open.get() {
            return;
        }
        let ids = stations.get();
        loading.set(true);
        spawn_local(async move {
            let mut all = Vec::new();
            for (id, _) in ids {
                all.extend(api::deputies(&id).await.unwrap_or_default());
            }
            deputies.set(all);
            loading.set(false);
        });
    });
    /// At most this many deputies are listed; searching narrows the rest.
    const SHOWN: usize = 100;
    let matching = move || {
        let s = search.get();
        let s = s.trim();
        deputies
            .get()
            .into_iter()
            .filter(|d| s.is_empty() || d.name.contains(s))
            .collect::<Vec<_>>()
    };
    view! {
        <section class="card deputies" id="stats-deputies" aria-labelledby="stats-deputies-title">
            <div class="section-head">
                <h3 id="stats-deputies-title">{t("stats.deputies")}</h3>
                <button
                    type="button"
                    class="link"
                    id="stats-deputies-open"
                    aria-expanded=move || open.get().to_string()
                    on:click=move |_| open.update(|o| *o = !*o)
                >
                    {move || if open.get() { t("stats.deputies_close") } else { t("stats.deputies_open") }}
                </button>
            </div>
            <Show when=move || open.get()>
                <input
                    id="stats-deputy-search"
                    type="search"
                    placeholder=t("stats.deputy_search")
                    aria-label=t("stats.deputy_search")
                    prop:value=move || search.get()
                    on:input=move |ev| search.set(event_target_value(&ev))
                />
                <Show when=move || loading.get()>
                    <p class="hint">{t("stats.loading")}</p>
                </Show>
                {move || {
                    let list = matching();
                    let total = list.len();
                    if total == 0 && !loading.get() {
                        return view! { <p class="empty">{t("stats.no_deputies")}</p> }.into_any();
                    }
                    let y = year.get();
                    let names = stations.get();
                    let station_name = move |id: &str| {
                        names.iter().find(|(s, _)| s == id).map(|(_, n)| n.clone()).unwrap_or_default()
                    };
                    view! {
                        <ul class="deputy-list" id="stats-deputy-list">
                            {list
                                .into_iter()
                                .take(SHOWN)
                                .map(|d| {
                                    let levels: Vec<String> = d
                                        .levels
                                        .iter()
                                        .map(|l| enum_label("level", l))
                                        .collect();
                                    view! {
                                        <li data-id=d.id.clone()>
                                            <a href=crate::links::href(&format!("/deputy/{}/{y}", d.id))>{d.name.clone()}</a>
                                            <span class="hint">{crate::i18n::join(&levels)}</span>
                                            <span class="hint station">{station_name(&d.station_id)}</span>
                                        </li>
                                    }
                                })
                                .collect_view()}
                        </ul>
                        {(total > SHOWN)
                            .then(|| {
                                view! {
                                    <p class="hint">
                                        {tf("stats.deputies_more", &[("n", &(total - SHOWN).to_string())])}
                                    </p>
                                }
                            })}
                    }
                        .into_any()
                }}
            </Show>
        </section>
    }
}
