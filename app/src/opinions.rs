//! Opinions (意见建议): the list with each opinion's status, and the intake form. Name and
//! phone of the voter are optional and kept only with the consent box ticked (the core
//! refuses them otherwise, and the form says why next to the box).
//!
//! The statistics and the duty record open the list filtered through the address
//! (`/opinions?from=…&status=answered,fed_back&category=…&overdue=1&…`): the filters show
//! as removable chips, and the ledger (意见建议台账) exports as filtered. An opinion's
//! detail (`opinion_detail.rs`) opens above the list.

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::hooks::use_query_map;
use leptos_router::params::ParamsMap;
use shared::{
    Campaign, Department, Deputy, DraftRegulation, Field, FieldError, OpinionCategory,
    OpinionFilter, OpinionInput, OpinionStatus, OpinionSummary, OpinionTotals, Satisfaction,
    Station,
};

use crate::api::ExportFormat;
use crate::filters::{Chip, Chips, ExportButtons, Exporter, param, parse_bool, parse_enum, some};
use crate::i18n::{enum_label, join, snake, t, tf, tn};
use crate::links::{file_name, period_name};
use crate::opinion_detail::OpinionDetail;
use crate::paging::{JustSaved, MoreButton, Pager};
use crate::{Ctx, api, today};

/// The intake form's draft.
const DRAFT: &str = "opinion";

fn category_label(c: OpinionCategory) -> String {
    enum_label("category", &c)
}

pub(crate) fn status_label(s: OpinionStatus) -> String {
    enum_label("status", &s)
}

pub(crate) fn satisfaction_label(s: Satisfaction) -> String {
    enum_label("satisfaction", &s)
}

/// The status choice that lists the overdue opinions.
const OVERDUE: &str = "overdue";

/// The filters of the list, as they come in the address.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct Filters {
    from: String,
    to: String,
    /// One status, or several (`answered,fed_back`: answered or fed back).
    statuses: Vec<OpinionStatus>,
    category: String,
    department: String,
    overdue: bool,
    satisfaction: String,
    online: String,
    campaign: String,
    draft: String,
    subdistrict: String,
    station: String,
    deputy: String,
    /// The deputy's name, for the chip and the file name.
    deputy_name: String,
    /// Words to look for (typed on the screen, not in the address).
    words: String,
}

impl Filters {
    fn of(q: &ParamsMap) -> Filters {
        Filters {
            from: param(q, "from"),
            to: param(q, "to"),
            statuses: param(q, "status")
                .split(',')
                .filter_map(parse_enum::<OpinionStatus>)
                .collect(),
            category: param(q, "category"),
            department: param(q, "department"),
            overdue: parse_bool(&param(q, "overdue")) == Some(true),
            satisfaction: param(q, "satisfaction"),
            online: param(q, "online"),
            campaign: param(q, "campaign"),
            draft: param(q, "draft"),
            subdistrict: param(q, "subdistrict"),
            station: param(q, "station"),
            deputy: param(q, "deputy"),
            deputy_name: param(q, "dname"),
            words: String::new(),
        }
    }

    fn clear(&mut self, key: &str) {
        match key {
            "period" => {
                self.from.clear();
                self.to.clear();
            }
            "status" => self.statuses.clear(),
            "category" => self.category.clear(),
            "department" => self.department.clear(),
            "overdue" => self.overdue = false,
            "satisfaction" => self.satisfaction.clear(),
            "online" => self.online.clear(),
            "campaign" => self.campaign.clear(),
            "draft" => self.draft.clear(),
            "subdistrict" => self.subdistrict.clear(),
            "station" => self.station.clear(),
            "deputy" => {
                self.deputy.clear();
                self.deputy_name.clear();
            }
            _ => {}
        }
    }

    /// The status choice on the screen: "" (any), one status, or `overdue`; several
    /// statuses from a link show as a chip instead.
    fn status_choice(&self) -> String {
        match (self.overdue, self.statuses.as_slice()) {
            (true, []) => OVERDUE.to_owned(),
            (false, [one]) => snake(one),
            _ => String::new(),
        }
    }

    fn choose_status(&mut self, value: &str) {
        self.overdue = value == OVERDUE;
        self.statuses = parse_enum::<OpinionStatus>(value).into_iter().collect();
    }

    /// The store's filter.
    fn filter(&self) -> OpinionFilter {
        OpinionFilter {
            station_id: some(self.station.clone()),
            status: None,
            statuses: self.statuses.clone(),
            department_id: some(self.department.clone()),
            draft_id: some(self.draft.clone()),
            overdue_only: self.overdue,
            from: self.from.parse().ok(),
            to: self.to.parse().ok(),
            subdistrict_id: some(self.subdistrict.clone()),
            category: parse_enum(&self.category),
            campaign_id: some(self.campaign.clone()),
            satisfaction: parse_enum(&self.satisfaction),
            online: parse_bool(&self.online),
            deputy_id: some(self.deputy.clone()),
            words: self.words.clone(),
            limit: None,
        }
    }
}

#[component]
pub fn OpinionsPage() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let list = RwSignal::new(Vec::<OpinionSummary>::new());
    let totals = RwSignal::new(None::<OpinionTotals>);
    let adding = RwSignal::new(false);
    let query = use_query_map();
    let initial = query.get_untracked();
    let filters = RwSignal::new(Filters::of(&initial));
    // The opinion whose detail (timeline, referral, feedback) is open (`?open=<id>` opens
    // one, e.g. from a suggestion).
    let selected = RwSignal::new(some(param(&initial, "open")));
    let pager = Pager::new();
    let stations = RwSignal::new(Vec::<Station>::new());
    let campaigns = RwSignal::new(Vec::<Campaign>::new());
    let drafts = RwSignal::new(Vec::<DraftRegulation>::new());
    let departments = RwSignal::new(Vec::<Department>::new());
    spawn_local(async move {
        stations.set(api::all_stations().await.unwrap_or_default());
        campaigns.set(api::campaigns().await.unwrap_or_default());
        drafts.set(api::drafts().await.unwrap_or_default());
        departments.set(api::departments().await.unwrap_or_default());
    });
    ctx.load_subdistricts();
    // Another link to this screen (the address changed): its filters.
    Effect::new(move |seen: Option<()>| {
        let q = query.get();
        if seen.is_some() {
            pager.reset();
            filters.set(Filters::of(&q));
            if let Some(open) = some(param(&q, "open")) {
                selected.set(Some(open));
            }
        }
    });
    // Again whenever a filter changes, "more" is asked for, or the data may have changed
    // (a save, a sync).
    Effect::new(move |_| {
        ctx.data_version.track();
        let shown = pager.shown();
        let wanted = OpinionFilter {
            limit: Pager::limit(shown),
            ..filters.with(Filters::filter)
        };
        spawn_local(async move {
            if let Ok(l) = api::list_opinions(&wanted).await {
                list.set(pager.page(l, shown));
            }
            // Every opinion the filter selects, not only the rows shown.
            totals.set(api::opinion_totals(&wanted).await.ok());
        });
    });
    // A new opinion is marked in the list and brought into view once the list has it,
    // with a word above the list that it was kept.
    let just_saved = JustSaved::new(None, "opinion-list", move |id| {
        list.with(|l| l.iter().any(|o| o.id == id))
    });
    let saved = move |id: String| {
        adding.set(false);
        just_saved.set(id);
        ctx.saved();
    };
    let name_of = |items: Vec<(String, String)>, id: &str| {
        items
            .into_iter()
            .find(|(i, _)| i == id)
            .map_or_else(|| id.to_owned(), |(_, n)| n)
    };
    let station_name = move |id: &str| {
        name_of(
            stations.get().into_iter().map(|s| (s.id, s.name)).collect(),
            id,
        )
    };
    let campaign_name = move |id: &str| {
        name_of(
            campaigns
                .get()
                .into_iter()
                .map(|c| (c.id, c.name))
                .collect(),
            id,
        )
    };
    let draft_name = move |id: &str| {
        name_of(
            drafts.get().into_iter().map(|d| (d.id, d.title)).collect(),
            id,
        )
    };
    let department_name = move |id: &str| {
        name_of(
            departments
                .get()
                .into_iter()
                .map(|d| (d.id, d.name))
                .collect(),
            id,
        )
    };
    let chips = Signal::derive(move || {
        let f = filters.get();
        let mut chips = Vec::new();
        let mut chip = |key: &'static str, text: String| chips.push(Chip { key, text });
        if !f.from.is_empty() || !f.to.is_empty() {
            let period = period_name(
                Some(f.from.as_str()).filter(|s| !s.is_empty()),
                Some(f.to.as_str()).filter(|s| !s.is_empty()),
            );
            chip("period", tf("chip.period", &[("period", &period)]));
        }
        if !f.deputy.is_empty() {
            let name = if f.deputy_name.is_empty() {
                f.deputy.clone()
            } else {
                f.deputy_name.clone()
            };
            chip("deputy", tf("chip.deputy", &[("name", &name)]));
        }
        if !f.subdistrict.is_empty() {
            let name = ctx.subdistrict_name(&f.subdistrict);
            chip("subdistrict", tf("chip.subdistrict", &[("name", &name)]));
        }
        if !f.station.is_empty() {
            chip(
                "station",
                tf("chip.station", &[("name", &station_name(&f.station))]),
            );
        }
        // One status, the overdue ones and a category show in the screen's own choices.
        if f.statuses.len() > 1 {
            let names: Vec<String> = f.statuses.iter().map(|s| status_label(*s)).collect();
            chip("status", tf("chip.status", &[("status", &join(&names))]));
        }
        if !f.department.is_empty() {
            chip(
                "department",
                tf(
                    "chip.department",
                    &[("name", &department_name(&f.department))],
                ),
            );
        }
        if f.overdue && !f.statuses.is_empty() {
            chip("overdue", t("chip.overdue"));
        }
        if let Some(x) = parse_enum::<Satisfaction>(&f.satisfaction) {
            chip(
                "satisfaction",
                tf(
                    "chip.satisfaction",
                    &[("satisfaction", &satisfaction_label(x))],
                ),
            );
        }
        if let Some(online) = parse_bool(&f.online) {
            chip(
                "online",
                if online {
                    t("chip.opinions_online")
                } else {
                    t("chip.opinions_on_site")
                },
            );
        }
        if !f.campaign.is_empty() {
            chip(
                "campaign",
                tf("chip.campaign", &[("name", &campaign_name(&f.campaign))]),
            );
        }
        if !f.draft.is_empty() {
            chip(
                "draft",
                tf("chip.draft", &[("name", &draft_name(&f.draft))]),
            );
        }
        chips
    });
    let remove = Callback::new(move |key: &'static str| {
        pager.reset();
        filters.update(|f| f.clear(key));
    });
    let clear_all = Callback::new(move |()| {
        pager.reset();
        filters.set(Filters::default());
    });
    // The ledger as filtered, named after its place and period.
    let exporter = Exporter::new();
    let export = Callback::new(move |format: ExportFormat| {
        let f = filters.get_untracked();
        let filter = f.filter();
        let (place, period) = untrack(|| {
            let place = if !f.deputy_name.is_empty() {
                f.deputy_name.clone()
            } else if !f.station.is_empty() {
                station_name(&f.station)
            } else if !f.subdistrict.is_empty() {
                ctx.subdistrict_name(&f.subdistrict)
            } else if !f.department.is_empty() {
                department_name(&f.department)
            } else {
                ctx.scope_name()
            };
            let period = if !f.campaign.is_empty() {
                campaign_name(&f.campaign)
            } else if !f.draft.is_empty() {
                draft_name(&f.draft)
            } else {
                period_name(
                    Some(f.from.as_str()).filter(|s| !s.is_empty()),
                    Some(f.to.as_str()).filter(|s| !s.is_empty()),
                )
            };
            (place, period)
        });
        let name = file_name(
            &tf(
                "export.file.ledger",
                &[("place", &place), ("period", &period)],
            ),
            format.extension(),
        );
        exporter.run(format, async move {
            api::export_ledger(&filter, format, &name).await
        });
    });
    let filtered = move || filters.with(|f| *f != Filters::default());
    view! {
        <section aria-labelledby="opinions-title">
            <div class="section-head">
                <h2 id="opinions-title">{t("opinions.title")}</h2>
                // Only an account that records for a station takes opinions in.
                <Show when=move || !adding.get() && !ctx.stations.get().is_empty()>
                    <button
                        id="opinion-new"
                        class="secondary"
                        on:click=move |_| {
                            just_saved.clear();
                            adding.set(true);
                        }
                    >
                        {t("opinions.new")}
                    </button>
                </Show>
            </div>
            <Show when=move || adding.get()>
                <OpinionForm on_saved=saved on_cancel=move || adding.set(false)/>
            </Show>
            <div class="filters" id="opinion-filters">
                <label class="grow">
                    <span>{t("inbox.search")}</span>
                    <input
                        id="opinion-search"
                        type="search"
                        placeholder=t("opinions.search_hint")
                        prop:value=move || filters.with(|f| f.words.clone())
                        on:input=move |ev| {
                            let words = event_target_value(&ev);
                            pager.reset();
                            filters.update(|f| f.words = words);
                        }
                    />
                </label>
                <label>
                    <span>{t("opinions.filter_status")}</span>
                    <select
                        id="opinion-status"
                        on:change=move |ev| {
                            let value = event_target_value(&ev);
                            pager.reset();
                            filters.update(|f| f.choose_status(&value));
                        }
                    >
                        <option value="" selected=move || filters.with(|f| f.status_choice().is_empty())>
                            {t("filter.all")}
                        </option>
                        {OpinionStatus::ALL
                            .into_iter()
                            .map(|st| {
                                let value = snake(&st);
                                let v = value.clone();
                                view! {
                                    <option value=value selected=move || filters.with(|f| f.status_choice() == v)>
                                        {status_label(st)}
                                    </option>
                                }
                            })
                            .collect_view()}
                        <option value=OVERDUE selected=move || filters.with(|f| f.status_choice() == OVERDUE)>
                            {t("opinions.overdue")}
                        </option>
                    </select>
                </label>
                <label>
                    <span>{t("field.categories")}</span>
                    <select
                        id="opinion-category"
                        on:change=move |ev| {
                            let value = event_target_value(&ev);
                            pager.reset();
                            filters.update(|f| f.category = value);
                        }
                    >
                        <option value="" selected=move || filters.with(|f| f.category.is_empty())>
                            {t("filter.all")}
                        </option>
                        {OpinionCategory::ALL
                            .into_iter()
                            .map(|c| {
                                let value = snake(&c);
                                let v = value.clone();
                                view! {
                                    <option value=value selected=move || filters.with(|f| f.category == v)>
                                        {category_label(c)}
                                    </option>
                                }
                            })
                            .collect_view()}
                    </select>
                </label>
            </div>
            <Chips chips=chips on_remove=remove on_clear=clear_all/>
            <ExportButtons exporter=exporter export=export/>
            <Show when=move || just_saved.any()>
                <p class="message ok" role="status" id="opinion-saved">{t("opinions.saved")}</p>
            </Show>
            <p class="totals" id="opinion-totals">
                {move || {
                    // Every opinion the filter selects; with more rows to load, how many
                    // are shown.
                    let Some(all) = totals.get() else {
                        return String::new();
                    };
                    let records = tn("list.records", all.records, &[]);
                    let totals = if all.overdue > 0 {
                        let overdue = tn("opinions.overdue_count", all.overdue, &[]);
                        tf("opinions.totals_overdue", &[("records", &records), ("overdue", &overdue)])
                    } else {
                        records
                    };
                    if pager.has_more() {
                        let shown = tn("list.shown", list.with(Vec::len) as u64, &[]);
                        tf("opinions.totals_partial", &[("totals", &totals), ("shown", &shown)])
                    } else {
                        totals
                    }
                }}
            </p>
            {move || {
                selected
                    .get()
                    .map(|id| {
                        view! {
                            <OpinionDetail
                                id=id
                                on_changed=move || ctx.saved()
                                on_close=move || selected.set(None)
                            />
                        }
                    })
            }}
            <Show
                when=move || !list.get().is_empty()
                fallback=move || {
                    let key = if filtered() { "list.none_match" } else { "opinions.empty" };
                    view! { <p class="empty">{t(key)}</p> }
                }
            >
                <ul class="records" id="opinion-list">
                    <For
                        each=move || list.get()
                        key=|o| (o.id.clone(), o.status, o.pending_sync, o.content.clone(), o.online)
                        children=move |o: OpinionSummary| {
                            let id = o.id.clone();
                            let status = snake(&o.status);
                            let cats = o
                                .categories
                                .iter()
                                .map(|c| category_label(*c))
                                .collect::<Vec<_>>();
                            let cats = join(&cats);
                            let this = o.id.clone();
                            view! {
                                <li
                                    class="record"
                                    class:just-saved=move || just_saved.is(&this)
                                    data-id=o.id.clone()
                                >
                                    <div class="record-head">
                                        <span class="date">{o.date.to_string()}</span>
                                        <span class=format!("status status-{status}")>
                                            {status_label(o.status)}
                                        </span>
                                        {o.overdue
                                            .then(|| view! { <span class="status overdue">{t("opinions.overdue")}</span> })}
                                        {o.online
                                            .then(|| view! { <span class="badge online">{t("opinions.online")}</span> })}
                                        {o.pending_sync
                                            .then(|| view! { <span class="badge">{t("list.pending")}</span> })}
                                    </div>
                                    <p class="station">{o.station_name.clone()} " · " {cats}</p>
                                    <p class="summary">{o.content.clone()}</p>
                                    {o.department
                                        .clone()
                                        .map(|d| view! { <p class="department">{d}</p> })}
                                    <button
                                        class="link"
                                        on:click=move |_| {
                                            selected.set(Some(id.clone()));
                                            if let Some(w) = web_sys::window() {
                                                w.scroll_to_with_x_and_y(0.0, 0.0);
                                            }
                                        }
                                    >
                                        {t("opinions.open")}
                                    </button>
                                </li>
                            }
                        }
                    />
                </ul>
                <MoreButton id="opinions-more" pager=pager/>
            </Show>
        </section>
    }
}

#[component]
fn OpinionForm(
    /// Hears the new opinion's id.
    on_saved: impl Fn(String) + Copy + Send + Sync + 'static,
    on_cancel: impl Fn() + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let station_id = RwSignal::new(
        ctx.stations
            .get_untracked()
            .first()
            .map(|s| s.id.clone())
            .unwrap_or_default(),
    );
    let roster = crate::form::roster_of(station_id);
    let date = RwSignal::new(today());
    let categories = RwSignal::new(Vec::<OpinionCategory>::new());
    let content = RwSignal::new(String::new());
    let received_by = RwSignal::new(String::new());
    let voter_name = RwSignal::new(String::new());
    let voter_phone = RwSignal::new(String::new());
    let consent = RwSignal::new(false);
    let errors = RwSignal::new(Vec::<FieldError>::new());
    let message = RwSignal::new(None::<String>);
    let saving = RwSignal::new(false);
    // What was typed before the app closed comes back; every change is kept again.
    let draft = crate::form::keep_draft(
        DRAFT.to_owned(),
        move || OpinionInput {
            station_id: station_id.get(),
            date: date.get(),
            categories: categories.get(),
            content: content.get(),
            voter_name: voter_name.get(),
            voter_phone: voter_phone.get(),
            consent: consent.get(),
            received_by: received_by.get(),
            ..OpinionInput::default()
        },
        |i| {
            !i.content.trim().is_empty()
                || !i.categories.is_empty()
                || !i.voter_name.trim().is_empty()
                || !i.voter_phone.trim().is_empty()
        },
        move |d: OpinionInput| {
            if !d.station_id.is_empty() {
                station_id.set(d.station_id);
            }
            if !d.date.is_empty() {
                date.set(d.date);
            }
            categories.set(d.categories);
            content.set(d.content);
            received_by.set(d.received_by);
            voter_name.set(d.voter_name);
            voter_phone.set(d.voter_phone);
            consent.set(d.consent);
        },
    );
    let forget_draft = move || draft.forget();

    let error_for = move |field: Field| crate::form::error_for(errors, field);
    let invalid = move |field: Field| crate::form::invalid(errors, field);
    let required = crate::form::required;

    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let input = OpinionInput {
            station_id: station_id.get_untracked(),
            date: date.get_untracked(),
            categories: categories.get_untracked(),
            content: content.get_untracked(),
            voter_name: voter_name.get_untracked(),
            voter_phone: voter_phone.get_untracked(),
            consent: consent.get_untracked(),
            received_by: received_by.get_untracked(),
            ..OpinionInput::default()
        };
        crate::form::submit(
            saving,
            errors,
            move |m| {
                message.set(Some(m));
                // Once drawn, bring the first refused field (and its reason) into view.
                set_timeout(
                    || {
                        if let Some(first) = web_sys::window()
                            .and_then(|w| w.document())
                            .and_then(|d| d.query_selector(".card .invalid").ok().flatten())
                        {
                            first.scroll_into_view();
                        }
                    },
                    std::time::Duration::ZERO,
                );
            },
            async move { api::save_opinion(None, &input, Some(DRAFT)).await },
            move |id| {
                forget_draft();
                on_saved(id);
            },
        );
    };

    view! {
        <form class="form card" on:submit=save novalidate aria-labelledby="opinion-form-title">
            <h3 id="opinion-form-title">{t("opinions.form_title")}</h3>
            {move || {
                message
                    .get()
                    .map(|m| view! { <p class="message error" role="status" id="opinion-message">{m}</p> })
            }}
            <crate::form::StationSelect
                id="opinion-station"
                value=station_id
                stations=ctx.stations
                errors=errors
                on_change=Callback::new(move |_| received_by.set(String::new()))
            />
            <crate::form::DateField id="opinion-date" value=date errors=errors/>
            <fieldset class="field" class:invalid=invalid(Field::Categories)>
                <legend>{t("field.categories")} {required()}</legend>
                <div class="chips" id="categories">
                    {OpinionCategory::ALL
                        .into_iter()
                        .map(|c| {
                            view! {
                                <label class="chip">
                                    <input
                                        type="checkbox"
                                        name="category"
                                        value=snake(&c)
                                        prop:checked=move || categories.get().contains(&c)
                                        on:change=move |ev| {
                                            let on = event_target_checked(&ev);
                                            categories.update(|cs| {
                                                cs.retain(|x| *x != c);
                                                if on {
                                                    cs.push(c);
                                                }
                                            });
                                        }
                                    />
                                    <span>{category_label(c)}</span>
                                </label>
                            }
                        })
                        .collect_view()}
                </div>
                {error_for(Field::Categories)}
            </fieldset>
            <div class="field" class:invalid=invalid(Field::Content)>
                <label for="opinion-content">{t("field.content")} {required()}</label>
                <textarea
                    id="opinion-content"
                    rows="4"
                    prop:value=move || content.get()
                    on:input=move |ev| content.set(event_target_value(&ev))
                ></textarea>
                {error_for(Field::Content)}
            </div>
            <div class="field" class:invalid=invalid(Field::ReceivedBy)>
                <label for="opinion-received-by">{t("field.received_by")}</label>
                <select
                    id="opinion-received-by"
                    on:change=move |ev| received_by.set(event_target_value(&ev))
                >
                    <option value="">{t("opinions.nobody")}</option>
                    <For
                        each=move || roster.get()
                        key=|d| d.id.clone()
                        children=move |d: Deputy| {
                            let id = d.id.clone();
                            view! {
                                <option value=d.id.clone() selected=move || received_by.get() == id>
                                    {d.name.clone()}
                                </option>
                            }
                        }
                    />
                </select>
                {error_for(Field::ReceivedBy)}
            </div>
            <p class="hint">{t("opinions.voter_hint")}</p>
            <div class="field" class:invalid=invalid(Field::VoterName)>
                <label for="voter-name">{t("field.voter_name")}</label>
                <input
                    id="voter-name"
                    type="text"
                    autocomplete="off"
                    prop:value=move || voter_name.get()
                    on:input=move |ev| voter_name.set(event_target_value(&ev))
                />
                {error_for(Field::VoterName)}
            </div>
            <div class="field" class:invalid=invalid(Field::VoterPhone)>
                <label for="voter-phone">{t("field.voter_phone")}</label>
                <input
                    id="voter-phone"
                    type="tel"
                    autocomplete="off"
                    prop:value=move || voter_phone.get()
                    on:input=move |ev| voter_phone.set(event_target_value(&ev))
                />
                {error_for(Field::VoterPhone)}
            </div>
            <div class="field check" class:invalid=invalid(Field::Consent)>
                <label>
                    <input
                        id="consent"
                        type="checkbox"
                        prop:checked=move || consent.get()
                        on:change=move |ev| consent.set(event_target_checked(&ev))
                    />
                    {t("opinions.consent")}
                </label>
                {error_for(Field::Consent)}
            </div>
            <crate::form::SaveOrCancel
                save_id="opinion-save"
                label=t("form.save")
                saving=saving
                draft=draft
                on_cancel=on_cancel
            />
        </form>
    }
}
