//! The activity register: every kind of activity, filtered by kind, station and dates,
//! with totals. The statistics and the duty record open it filtered through the address
//! (`/activities?from=…&to=…&subdistrict=…&level=city&online=true&campaign=…&draft=…&
//! deputy=…`); the filters the form has no field for show as removable chips. The list
//! exports as it is filtered (活动登记簿, xlsx or CSV).

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::hooks::{use_navigate, use_query_map};
use leptos_router::params::ParamsMap;
use shared::{
    ActivityFilter, ActivityKind, ActivitySummary, ActivityTotals, Campaign, DeputyLevel,
    DraftRegulation, Station,
};

use crate::api::ExportFormat;
use crate::filters::{Chip, Chips, ExportButtons, Exporter, param, parse_bool, parse_enum, some};
use crate::i18n::{self, enum_label, join, kind_label, t, tf, tn};
use crate::links::{file_name, period_name};
use crate::paging::{JustSaved, MoreButton, Pager};
use crate::{Ctx, Tab, api, go};

/// The filters of the register the form has no field for: they come in the address.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct Extra {
    subdistrict: String,
    level: String,
    online: String,
    campaign: String,
    draft: String,
    deputy: String,
    /// The deputy's name, for the chip and the file name.
    deputy_name: String,
}

impl Extra {
    fn of(q: &ParamsMap) -> Extra {
        Extra {
            subdistrict: param(q, "subdistrict"),
            level: param(q, "level"),
            online: param(q, "online"),
            campaign: param(q, "campaign"),
            draft: param(q, "draft"),
            deputy: param(q, "deputy"),
            deputy_name: param(q, "dname"),
        }
    }

    fn is_empty(&self) -> bool {
        self.subdistrict.is_empty()
            && self.level.is_empty()
            && self.online.is_empty()
            && self.campaign.is_empty()
            && self.draft.is_empty()
            && self.deputy.is_empty()
    }

    fn clear(&mut self, key: &str) {
        match key {
            "subdistrict" => self.subdistrict.clear(),
            "level" => self.level.clear(),
            "online" => self.online.clear(),
            "campaign" => self.campaign.clear(),
            "draft" => self.draft.clear(),
            "deputy" => {
                self.deputy.clear();
                self.deputy_name.clear();
            }
            _ => {}
        }
    }
}

#[component]
pub fn ActivityList() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let navigate = StoredValue::new_local(use_navigate());
    let edit = move |id: String| navigate.with_value(|n| go(n, &format!("/activities/{id}")));
    let query = use_query_map();
    let initial = query.get_untracked();
    // Filters: kind, station, a date range. Empty means all.
    let kind = RwSignal::new(param(&initial, "kind"));
    let station = RwSignal::new(param(&initial, "station"));
    let from = RwSignal::new(param(&initial, "from"));
    let to = RwSignal::new(param(&initial, "to"));
    let extra = RwSignal::new(Extra::of(&initial));
    let stations = RwSignal::new(Vec::<Station>::new());
    let campaigns = RwSignal::new(Vec::<Campaign>::new());
    let drafts = RwSignal::new(Vec::<DraftRegulation>::new());
    spawn_local(async move {
        if let Ok(s) = api::all_stations().await {
            stations.set(s);
        }
        campaigns.set(api::campaigns().await.unwrap_or_default());
        drafts.set(api::drafts().await.unwrap_or_default());
    });
    ctx.load_subdistricts();
    let list = RwSignal::new(Vec::<ActivitySummary>::new());
    let totals = RwSignal::new(None::<ActivityTotals>);
    let pager = Pager::new();
    // The record the form just saved (`?saved=<id>`): a word above the list, the record
    // marked and brought into view.
    let just_saved = JustSaved::new(some(param(&initial, "saved")), "meeting-list", move |id| {
        list.with(|l| l.iter().any(|m| m.id == id))
    });
    // Another link to this screen (the address changed): its filters.
    Effect::new(move |seen: Option<()>| {
        let q = query.get();
        if seen.is_some() {
            pager.reset();
            kind.set(param(&q, "kind"));
            station.set(param(&q, "station"));
            from.set(param(&q, "from"));
            to.set(param(&q, "to"));
            extra.set(Extra::of(&q));
        }
    });
    // A filter chosen: its first page.
    let choose = move |filter: RwSignal<String>, value: String| {
        pager.reset();
        filter.set(value);
    };
    let filtered = move || {
        !(kind.get().is_empty()
            && station.get().is_empty()
            && from.get().is_empty()
            && to.get().is_empty()
            && extra.with(Extra::is_empty))
    };
    // The filter as the store takes it (tracked).
    let filter = move || {
        let x = extra.get();
        ActivityFilter {
            kind: parse_enum(&kind.get()),
            station_id: some(station.get()),
            from: from.get().parse().ok(),
            to: to.get().parse().ok(),
            subdistrict_id: some(x.subdistrict),
            deputy_id: some(x.deputy),
            level: parse_enum(&x.level),
            campaign_id: some(x.campaign),
            draft_id: some(x.draft),
            online: parse_bool(&x.online),
            limit: None,
        }
    };
    // Again whenever a filter changes, "more" is asked for, or the records change (a
    // save, a sync).
    Effect::new(move |_| {
        ctx.data_version.track();
        let shown = pager.shown();
        let filter = ActivityFilter {
            limit: Pager::limit(shown),
            ..filter()
        };
        spawn_local(async move {
            if let Ok(l) = api::list_activities(&filter).await {
                list.set(pager.page(l, shown));
            }
            // The totals of every record the filter selects, not only the rows shown.
            totals.set(api::activity_totals(&filter).await.ok());
        });
    });
    let clear = move || {
        pager.reset();
        kind.set(String::new());
        station.set(String::new());
        from.set(String::new());
        to.set(String::new());
        extra.set(Extra::default());
    };
    let station_name = move |id: &str| {
        stations
            .get()
            .into_iter()
            .find(|s| s.id == id)
            .map_or_else(|| id.to_owned(), |s| s.name)
    };
    // The filters from the address, as chips.
    let chips = Signal::derive(move || {
        let x = extra.get();
        let mut chips = Vec::new();
        if !x.deputy.is_empty() {
            let name = if x.deputy_name.is_empty() {
                x.deputy.clone()
            } else {
                x.deputy_name.clone()
            };
            chips.push(Chip {
                key: "deputy",
                text: tf("chip.deputy", &[("name", &name)]),
            });
        }
        if !x.subdistrict.is_empty() {
            chips.push(Chip {
                key: "subdistrict",
                text: tf(
                    "chip.subdistrict",
                    &[("name", &ctx.subdistrict_name(&x.subdistrict))],
                ),
            });
        }
        if let Some(level) = parse_enum::<DeputyLevel>(&x.level) {
            chips.push(Chip {
                key: "level",
                text: tf("chip.level", &[("level", &enum_label("level", &level))]),
            });
        }
        if let Some(online) = parse_bool(&x.online) {
            chips.push(Chip {
                key: "online",
                text: if online {
                    t("chip.online")
                } else {
                    t("chip.on_site")
                },
            });
        }
        if !x.campaign.is_empty() {
            let name = campaigns
                .get()
                .into_iter()
                .find(|c| c.id == x.campaign)
                .map_or_else(|| x.campaign.clone(), |c| c.name);
            chips.push(Chip {
                key: "campaign",
                text: tf("chip.campaign", &[("name", &name)]),
            });
        }
        if !x.draft.is_empty() {
            let name = drafts
                .get()
                .into_iter()
                .find(|d| d.id == x.draft)
                .map_or_else(|| x.draft.clone(), |d| d.title);
            chips.push(Chip {
                key: "draft",
                text: tf("chip.draft", &[("name", &name)]),
            });
        }
        chips
    });
    let remove = Callback::new(move |key: &'static str| {
        pager.reset();
        extra.update(|x| x.clear(key));
    });
    // The register as filtered, named after its place and period
    // ("紫竹院街道-活动登记簿-2022年.xlsx").
    let exporter = Exporter::new();
    let export = Callback::new(move |format: ExportFormat| {
        let filter = untrack(filter);
        let x = extra.get_untracked();
        let place = untrack(|| {
            if !x.deputy_name.is_empty() {
                x.deputy_name.clone()
            } else if let Some(s) = &filter.station_id {
                station_name(s)
            } else if let Some(sd) = &filter.subdistrict_id {
                ctx.subdistrict_name(sd)
            } else {
                ctx.scope_name()
            }
        });
        let period = untrack(|| {
            if let Some(c) = campaigns.get().into_iter().find(|c| c.id == x.campaign) {
                c.name
            } else if let Some(d) = drafts.get().into_iter().find(|d| d.id == x.draft) {
                d.title
            } else {
                period_name(
                    Some(from.get().as_str()).filter(|s| !s.is_empty()),
                    Some(to.get().as_str()).filter(|s| !s.is_empty()),
                )
            }
        });
        let name = file_name(
            &tf(
                "export.file.register",
                &[("place", &place), ("period", &period)],
            ),
            format.extension(),
        );
        exporter.run(format, async move {
            api::export_register(&filter, format, &name).await
        });
    });
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
                    <button type="button" id="filter-clear" class="link" on:click=move |_| clear()>
                        {t("filter.clear")}
                    </button>
                </Show>
            </div>
            <Chips chips=chips on_remove=remove/>
            <ExportButtons exporter=exporter export=export/>
            <Show when=move || just_saved.any()>
                <p class="message ok" role="status" id="list-saved">{t("list.saved")}</p>
            </Show>
            <p class="totals" id="list-totals">
                {move || {
                    // Every record the filter selects; with more rows to load, how many
                    // are shown.
                    let Some(all) = totals.get() else {
                        return String::new();
                    };
                    let records = tn("list.records", all.records, &[]);
                    let voters = tn("list.voters_total", all.voters, &[]);
                    if pager.has_more() {
                        let shown = tn("list.shown", list.with(Vec::len) as u64, &[]);
                        tf(
                            "list.totals_partial",
                            &[("records", &records), ("voters", &voters), ("shown", &shown)],
                        )
                    } else {
                        tf("list.totals", &[("records", &records), ("voters", &voters)])
                    }
                }}
            </p>
            <Show
                when=move || !list.get().is_empty()
                fallback=move || {
                    let role = ctx.status.get().and_then(|s| s.account).map(|a| a.role);
                    let key = if filtered() {
                        "list.none_match"
                    } else if ctx.never_synced() {
                        "list.empty_first_sync"
                    } else if crate::has_tab(role, Tab::Form) {
                        "list.empty"
                    } else {
                        "list.empty_others"
                    };
                    view! { <p class="empty">{t(key)}</p> }
                }
            >
                <ul class="records" id="meeting-list">
                    <For
                        each=move || list.get()
                        key=|m| (m.id.clone(), m.voters_received, m.summary.clone(), m.pending_sync)
                        children=move |m: ActivitySummary| {
                            let id = m.id.clone();
                            let this = m.id.clone();
                            // Only where this account may write: the district office
                            // reads every station's records.
                            let writable = move || {
                                ctx.stations.get().iter().any(|s| s.id == m.station_id)
                            };
                            view! {
                                <li
                                    class="record"
                                    class:just-saved=move || just_saved.is(&this)
                                    data-id=m.id.clone()
                                >
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
                                    <Show when=writable.clone()>
                                        <button class="link" on:click={
                                            let id = id.clone();
                                            move |_| edit(id.clone())
                                        }>{t("list.edit")}</button>
                                    </Show>
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
