//! The activity register: every kind of activity, filtered by kind, station and dates,
//! with totals.

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::hooks::use_navigate;
use shared::{ActivityFilter, ActivityKind, ActivitySummary, Station};

use crate::i18n::{self, join, kind_label, t, tf, tn};
use crate::paging::{MoreButton, Pager};
use crate::{Ctx, api, go};

#[component]
pub fn ActivityList() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let navigate = StoredValue::new_local(use_navigate());
    let edit = move |id: String| navigate.with_value(|n| go(n, &format!("/activities/{id}")));
    // Filters: kind, station, a date range. Empty means all.
    let kind = RwSignal::new(String::new());
    let station = RwSignal::new(String::new());
    let from = RwSignal::new(String::new());
    let to = RwSignal::new(String::new());
    let stations = RwSignal::new(Vec::<Station>::new());
    spawn_local(async move {
        if let Ok(s) = api::all_stations().await {
            stations.set(s);
        }
    });
    let list = RwSignal::new(Vec::<ActivitySummary>::new());
    let pager = Pager::new();
    // A filter chosen: its first page.
    let choose = move |filter: RwSignal<String>, value: String| {
        pager.reset();
        filter.set(value);
    };
    let filtered = move || {
        !(kind.get().is_empty()
            && station.get().is_empty()
            && from.get().is_empty()
            && to.get().is_empty())
    };
    // Again whenever a filter changes, "more" is asked for, or the records change (a
    // save, a sync).
    Effect::new(move |_| {
        ctx.data_version.track();
        let shown = pager.shown();
        let filter = ActivityFilter {
            kind: serde_json::from_value(serde_json::Value::String(kind.get())).ok(),
            station_id: Some(station.get()).filter(|s| !s.is_empty()),
            from: from.get().parse().ok(),
            to: to.get().parse().ok(),
            limit: Pager::limit(shown),
        };
        spawn_local(async move {
            if let Ok(l) = api::list_activities(&filter).await {
                list.set(pager.page(l, shown));
            }
        });
    });
    let clear = move |_| {
        pager.reset();
        kind.set(String::new());
        station.set(String::new());
        from.set(String::new());
        to.set(String::new());
    };
    view! {
        <section aria-labelledby="list-title">
            <h2 id="list-title">{t("list.title")}</h2>
            <div class="filters" id="filters">
                <label>
                    <span>{t("filter.kind")}</span>
                    <select id="filter-kind" on:change=move |ev| choose(kind, event_target_value(&ev))>
                        <option value="" selected=move || kind.get().is_empty()>{t("filter.all")}</option>
                        {ActivityKind::ALL
                            .into_iter()
                            .map(|k| {
                                let value = i18n::snake(&k);
                                let v = value.clone();
                                view! {
                                    <option value=value selected=move || kind.get() == v>
                                        {kind_label(k)}
                                    </option>
                                }
                            })
                            .collect_view()}
                    </select>
                </label>
                <label>
                    <span>{t("filter.station")}</span>
                    <select id="filter-station" on:change=move |ev| choose(station, event_target_value(&ev))>
                        <option value="" selected=move || station.get().is_empty()>{t("filter.all")}</option>
                        <For
                            each=move || stations.get()
                            key=|s| s.id.clone()
                            children=move |s: Station| {
                                let id = s.id.clone();
                                view! {
                                    <option value=s.id.clone() selected=move || station.get() == id>
                                        {s.name.clone()}
                                    </option>
                                }
                            }
                        />
                    </select>
                </label>
                <label>
                    <span>{t("filter.from")}</span>
                    <input
                        id="filter-from"
                        type="date"
                        prop:value=move || from.get()
                        on:input=move |ev| choose(from, event_target_value(&ev))
                    />
                </label>
                <label>
                    <span>{t("filter.to")}</span>
                    <input
                        id="filter-to"
                        type="date"
                        prop:value=move || to.get()
                        on:input=move |ev| choose(to, event_target_value(&ev))
                    />
                </label>
                <Show when=filtered>
                    <button type="button" id="filter-clear" class="link" on:click=clear>
                        {t("filter.clear")}
                    </button>
                </Show>
            </div>
            <p class="totals" id="list-totals">
                {move || {
                    let l = list.get();
                    let voters: u64 = l.iter().map(|m| u64::from(m.voters_received)).sum();
                    let voters = tn("list.voters_total", voters, &[]);
                    // Totals of the rows loaded; with more to load, it says so.
                    let n = l.len() as u64;
                    if pager.has_more() {
                        tf(
                            "list.totals_partial",
                            &[("records", &tn("list.shown", n, &[])), ("voters", &voters)],
                        )
                    } else {
                        tf("list.totals", &[("records", &tn("list.records", n, &[])), ("voters", &voters)])
                    }
                }}
            </p>
            <Show
                when=move || !list.get().is_empty()
                fallback=move || {
                    let key = if filtered() { "list.none_match" } else { "list.empty" };
                    view! { <p class="empty">{t(key)}</p> }
                }
            >
                <ul class="records" id="meeting-list">
                    <For
                        each=move || list.get()
                        key=|m| (m.id.clone(), m.voters_received, m.summary.clone(), m.pending_sync)
                        children=move |m: ActivitySummary| {
                            let id = m.id.clone();
                            view! {
                                <li class="record" data-id=m.id.clone()>
                                    <div class="record-head">
                                        <span class="date">{m.date.to_string()}</span>
                                        <span class="kind">{kind_label(m.kind)}</span>
                                        <span class="station">{m.station_name.clone()}</span>
                                        {m.pending_sync
                                            .then(|| view! { <span class="badge">{t("list.pending")}</span> })}
                                    </div>
                                    <p class="voters">
                                        {tf("list.voters", &[("n", &m.voters_received.to_string())])}
                                    </p>
                                    <p class="deputies">
                                        {tf("list.deputies", &[("names", &join(&m.deputy_names))])}
                                    </p>
                                    <p class="summary">{m.summary.clone()}</p>
                                    <button class="link" on:click=move |_| edit(id.clone())>
                                        {t("list.edit")}
                                    </button>
                                </li>
                            }
                        }
                    />
                </ul>
                <MoreButton id="list-more" pager=pager/>
            </Show>
        </section>
    }
}
