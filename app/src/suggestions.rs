//! Deputy suggestions (代表建议) and livelihood-project leads (民生实事线索): the two
//! lists, each item with the opinions it was formed from (their status, each opening the
//! opinion), and the forms that create them. An opinion's detail opens a form with that
//! opinion ticked (`/suggestions?new=suggestion&opinion=<id>`); the statistics open the
//! lists filtered (`?from=…&to=…&station=…&supervised=1&tab=leads`…).

use std::collections::{HashMap, HashSet};

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::hooks::use_query_map;
use leptos_router::params::ParamsMap;
use shared::{
    Department, Deputy, DeputySuggestion, Field, FieldError, LeadInput, LivelihoodLead,
    OpinionFilter, OpinionStatus, OpinionSummary, Station, SuggestionInput, TimelineStep,
};

use crate::filters::{Chip, Chips, param, parse_bool, some};
use crate::i18n::{enum_label, join, snake, t, tf};
use crate::links::{Link, period_name};
use crate::paging::{MoreButton, PAGE, Pager};
use crate::{Ctx, api, today};

/// Which list is shown.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum List {
    Suggestions,
    Leads,
}

/// Which form is open.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Opening {
    lead: bool,
    /// Ticked to start with (the opinion the form was opened from).
    opinion: Option<String>,
    /// The station to start with ("" for the first); `None` while the opinion's is
    /// being looked up.
    station: Option<String>,
}

/// The filters of the lists, as they come in the address.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct Filters {
    from: String,
    to: String,
    station: String,
    subdistrict: String,
    deputy: String,
    supervised: bool,
    campaign: String,
    draft: String,
}

impl Filters {
    fn of(q: &ParamsMap) -> Filters {
        Filters {
            from: param(q, "from"),
            to: param(q, "to"),
            station: param(q, "station"),
            subdistrict: param(q, "subdistrict"),
            deputy: param(q, "deputy"),
            supervised: parse_bool(&param(q, "supervised")) == Some(true),
            campaign: param(q, "campaign"),
            draft: param(q, "draft"),
        }
    }

    fn clear(&mut self, key: &str) {
        match key {
            "period" => {
                self.from.clear();
                self.to.clear();
            }
            "station" => self.station.clear(),
            "subdistrict" => self.subdistrict.clear(),
            "deputy" => self.deputy.clear(),
            "supervised" => self.supervised = false,
            "campaign" => self.campaign.clear(),
            "draft" => self.draft.clear(),
            _ => {}
        }
    }

    /// Whether a record of `station` dated `date` formed from `opinions` passes the
    /// filters (the street or town through `subdistrict_of`; a campaign's or draft's
    /// opinions are `among`, when one is asked for).
    fn keeps(
        &self,
        station: &str,
        date: &str,
        opinions: &[String],
        subdistrict_of: &HashMap<String, String>,
        among: &Option<HashSet<String>>,
    ) -> bool {
        (self.from.is_empty() || date >= self.from.as_str())
            && (self.to.is_empty() || date <= self.to.as_str())
            && (self.station.is_empty() || station == self.station)
            && (self.subdistrict.is_empty()
                || subdistrict_of.get(station) == Some(&self.subdistrict))
            && among
                .as_ref()
                .is_none_or(|ids| opinions.iter().any(|o| ids.contains(o)))
    }
}

#[component]
pub fn SuggestionsPage() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    ctx.load_subdistricts();
    let query = use_query_map();
    let list_of = |q: &ParamsMap| {
        if param(q, "tab") == "leads" || param(q, "new") == "lead" {
            List::Leads
        } else {
            List::Suggestions
        }
    };
    let opening_of = |q: &ParamsMap| {
        let new = param(q, "new");
        let opinion = some(param(q, "opinion"));
        (new == "suggestion" || new == "lead").then(|| Opening {
            lead: new == "lead",
            // From an opinion: its station, once known.
            station: if opinion.is_some() {
                None
            } else {
                Some(String::new())
            },
            opinion,
        })
    };
    let initial = query.get_untracked();
    let shown = RwSignal::new(list_of(&initial));
    let filters = RwSignal::new(Filters::of(&initial));
    let opening = RwSignal::new(opening_of(&initial));
    let message = RwSignal::new(None::<String>);
    Effect::new(move |seen: Option<()>| {
        let q = query.get();
        if seen.is_some() {
            shown.set(list_of(&q));
            filters.set(Filters::of(&q));
            opening.set(opening_of(&q));
        }
    });
    // An opinion to start from, whose station is not known yet: its station.
    Effect::new(move |_| {
        let Some(o) = opening.get() else {
            return;
        };
        if o.station.is_some() {
            return;
        }
        let Some(id) = o.opinion.clone() else {
            return;
        };
        spawn_local(async move {
            let station = api::get_opinion(&id).await.ok().map(|i| i.station_id);
            opening.update(|open| {
                if let Some(open) = open {
                    open.station = Some(station.unwrap_or_default());
                }
            });
        });
    });

    let suggestions = RwSignal::new(Vec::<DeputySuggestion>::new());
    let leads = RwSignal::new(Vec::<LivelihoodLead>::new());
    let stations = RwSignal::new(Vec::<Station>::new());
    let departments = RwSignal::new(Vec::<Department>::new());
    // The deputies of each station that has suggestions, for their names.
    let rosters = RwSignal::new(HashMap::<String, Vec<Deputy>>::new());
    spawn_local(async move {
        stations.set(api::all_stations().await.unwrap_or_default());
        departments.set(api::departments().await.unwrap_or_default());
    });
    Effect::new(move |_| {
        ctx.data_version.track();
        spawn_local(async move {
            let s = api::records::<SuggestionInput>().await.unwrap_or_default();
            let mut wanted: Vec<String> = s.iter().map(|x| x.station_id.clone()).collect();
            wanted.sort();
            wanted.dedup();
            suggestions.set(s);
            leads.set(api::records::<LeadInput>().await.unwrap_or_default());
            for station in wanted {
                // Known already (or the screen was left meanwhile).
                if rosters.try_with_untracked(|r| r.contains_key(&station)) != Some(false) {
                    continue;
                }
                let list = api::deputies(&station).await.unwrap_or_default();
                rosters.update(|r| {
                    r.insert(station, list);
                });
            }
        });
    });
    // A campaign's or consultation's opinions, when the lists are filtered by one.
    let among = RwSignal::new(None::<HashSet<String>>);
    Effect::new(move |_| {
        ctx.data_version.track();
        let f = filters.get();
        if f.campaign.is_empty() && f.draft.is_empty() {
            among.set(None);
            return;
        }
        let filter = OpinionFilter {
            campaign_id: some(f.campaign),
            draft_id: some(f.draft),
            ..OpinionFilter::default()
        };
        spawn_local(async move {
            let ids = api::list_opinions(&filter)
                .await
                .unwrap_or_default()
                .into_iter()
                .map(|o| o.id)
                .collect();
            among.set(Some(ids));
        });
    });
    let subdistrict_of = Memo::new(move |_| {
        stations
            .get()
            .into_iter()
            .map(|s| (s.id, s.subdistrict_id))
            .collect::<HashMap<_, _>>()
    });
    let station_name = move |id: &str| {
        stations
            .get()
            .into_iter()
            .find(|s| s.id == id)
            .map_or_else(|| id.to_owned(), |s| s.name)
    };
    let pager = Pager::new();
    let shown_suggestions = Memo::new(move |_| {
        let f = filters.get();
        let subs = subdistrict_of.get();
        let among = among.get();
        suggestions
            .get()
            .into_iter()
            .filter(|s| {
                f.keeps(
                    &s.station_id,
                    &s.date.to_string(),
                    &s.opinion_ids,
                    &subs,
                    &among,
                ) && (f.deputy.is_empty() || s.deputy_ids.contains(&f.deputy))
                    && (!f.supervised || s.supervised)
            })
            .collect::<Vec<_>>()
    });
    let shown_leads = Memo::new(move |_| {
        let f = filters.get();
        let subs = subdistrict_of.get();
        let among = among.get();
        leads
            .get()
            .into_iter()
            .filter(|l| {
                f.keeps(
                    &l.station_id,
                    &l.date.to_string(),
                    &l.opinion_ids,
                    &subs,
                    &among,
                )
            })
            .collect::<Vec<_>>()
    });
    // Paged on the device (the lists come whole).
    Effect::new(move |_| {
        let n = match shown.get() {
            List::Suggestions => shown_suggestions.with(Vec::len),
            List::Leads => shown_leads.with(Vec::len),
        };
        let _ = pager.page(vec![(); n], pager.shown());
    });
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
        if !f.station.is_empty() {
            chip(
                "station",
                tf("chip.station", &[("name", &station_name(&f.station))]),
            );
        }
        if !f.subdistrict.is_empty() {
            let name = ctx.subdistrict_name(&f.subdistrict);
            chip("subdistrict", tf("chip.subdistrict", &[("name", &name)]));
        }
        if !f.deputy.is_empty() {
            let name = rosters
                .get()
                .values()
                .flatten()
                .find(|d| d.id == f.deputy)
                .map_or_else(|| f.deputy.clone(), |d| d.name.clone());
            chip("deputy", tf("chip.deputy", &[("name", &name)]));
        }
        if f.supervised {
            chip("supervised", t("chip.supervised"));
        }
        if !f.campaign.is_empty() {
            chip("campaign", t("chip.campaign_any"));
        }
        if !f.draft.is_empty() {
            chip("draft", t("chip.draft_any"));
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
    let choose = move |list: List| {
        pager.reset();
        shown.set(list);
    };
    let open_form = move |lead: bool| {
        message.set(None);
        opening.set(Some(Opening {
            lead,
            opinion: None,
            station: ctx.stations.get_untracked().first().map(|s| s.id.clone()),
        }));
    };
    let saved = move |lead: bool| {
        opening.set(None);
        shown.set(if lead { List::Leads } else { List::Suggestions });
        message.set(Some(t("form.saved")));
        ctx.saved();
    };
    let department_name = move |id: &str| {
        departments
            .get()
            .into_iter()
            .find(|d| d.id == id)
            .map_or_else(|| id.to_owned(), |d| d.name)
    };
    let deputy_names = move |station: &str, ids: &[String]| {
        let roster = rosters.get().get(station).cloned().unwrap_or_default();
        let names: Vec<String> = ids
            .iter()
            .map(|id| {
                roster
                    .iter()
                    .find(|d| &d.id == id)
                    .map_or_else(|| id.clone(), |d| d.name.clone())
            })
            .collect();
        join(&names)
    };
    let tab = move |list: List, id: &'static str, key: &'static str| {
        view! {
            <button
                type="button"
                role="tab"
                id=id
                class:on=move || shown.get() == list
                aria-selected=move || (shown.get() == list).to_string()
                on:click=move |_| choose(list)
            >
                {t(key)}
            </button>
        }
    };
    view! {
        <section aria-labelledby="suggestions-title" id="suggestions">
            <h2 id="suggestions-title">{t("suggestions.title")}</h2>
            <div class="switch tabs-inline" role="tablist" aria-label=t("suggestions.title")>
                {tab(List::Suggestions, "suggestions-tab-suggestions", "suggestions.tab_suggestions")}
                {tab(List::Leads, "suggestions-tab-leads", "suggestions.tab_leads")}
            </div>
            <Show when=move || opening.get().is_none() && !ctx.stations.get().is_empty()>
                <div class="buttons new-buttons">
                    <button type="button" id="suggestion-new" class="secondary" on:click=move |_| open_form(false)>
                        {t("suggestions.new_suggestion")}
                    </button>
                    <button type="button" id="lead-new" class="secondary" on:click=move |_| open_form(true)>
                        {t("suggestions.new_lead")}
                    </button>
                </div>
            </Show>
            {move || {
                message
                    .get()
                    .map(|m| view! { <p class="message ok" role="status" id="suggestions-message">{m}</p> })
            }}
            {move || {
                let o = opening.get()?;
                // Waiting for the station of the opinion it starts from.
                let station = o.station.clone()?;
                let station = Some(station).filter(|s| !s.is_empty());
                let lead = o.lead;
                Some(view! {
                    <SuggestionOrLeadForm
                        lead=lead
                        opinion=o.opinion.clone()
                        station=station
                        on_saved=move || saved(lead)
                        on_cancel=move || opening.set(None)
                    />
                })
            }}
            <Chips chips=chips on_remove=remove on_clear=clear_all/>
            // Keyed lists: a name arriving (a station, a department) does not draw the
            // items again, nor reload the opinions under them.
            <Show when=move || shown.get() == List::Suggestions>
                <Show
                    when=move || shown_suggestions.with(|l| !l.is_empty())
                    fallback=|| view! { <p class="empty">{t("suggestions.none")}</p> }
                >
                    <ul class="records" id="suggestion-list">
                        <For
                            each=move || {
                                shown_suggestions
                                    .get()
                                    .into_iter()
                                    .take(pager.shown() as usize)
                                    .collect::<Vec<_>>()
                            }
                            key=|s| s.id.clone()
                            children=move |s: DeputySuggestion| {
                                let sid = s.station_id.clone();
                                let station = sid.clone();
                                let deputies = s.deputy_ids.clone();
                                let department = s.department_id.clone();
                                view! {
                                    <li class="record" data-id=s.id.clone()>
                                        <div class="record-head">
                                            <span class="date">{s.date.to_string()}</span>
                                            <span class="station">{move || station_name(&station)}</span>
                                            {s.supervised
                                                .then(|| {
                                                    view! {
                                                        <span class="badge supervised">{t("suggestions.supervised")}</span>
                                                    }
                                                })}
                                        </div>
                                        <p class="title">{s.title.clone()}</p>
                                        <p class="deputies">
                                            {move || {
                                                tf(
                                                    "suggestions.deputies",
                                                    &[("names", &deputy_names(&sid, &deputies))],
                                                )
                                            }}
                                        </p>
                                        {department
                                            .map(|d| {
                                                view! {
                                                    <p class="department">
                                                        {move || {
                                                            tf("suggestions.department", &[("name", &department_name(&d))])
                                                        }}
                                                    </p>
                                                }
                                            })}
                                        <p class="summary">{s.content.clone()}</p>
                                        <FormedFrom opinions=s.opinion_ids.clone()/>
                                    </li>
                                }
                            }
                        />
                    </ul>
                </Show>
            </Show>
            <Show when=move || shown.get() == List::Leads>
                <Show
                    when=move || shown_leads.with(|l| !l.is_empty())
                    fallback=|| view! { <p class="empty">{t("suggestions.no_leads")}</p> }
                >
                    <ul class="records" id="lead-list">
                        <For
                            each=move || {
                                shown_leads.get().into_iter().take(pager.shown() as usize).collect::<Vec<_>>()
                            }
                            key=|l| l.id.clone()
                            children=move |l: LivelihoodLead| {
                                let station = l.station_id.clone();
                                view! {
                                    <li class="record" data-id=l.id.clone()>
                                        <div class="record-head">
                                            <span class="date">{l.date.to_string()}</span>
                                            <span class="station">{move || station_name(&station)}</span>
                                        </div>
                                        <p class="title">{l.title.clone()}</p>
                                        <p class="summary">{l.content.clone()}</p>
                                        <FormedFrom opinions=l.opinion_ids.clone()/>
                                    </li>
                                }
                            }
                        />
                    </ul>
                </Show>
            </Show>
            <MoreButton id="suggestions-more" pager=pager/>
        </section>
    }
}

/// The opinions a suggestion or lead was formed from, each with its status, opening it.
#[component]
fn FormedFrom(opinions: Vec<String>) -> impl IntoView {
    if opinions.is_empty() {
        return None;
    }
    Some(view! {
        <div class="formed-from">
            <p class="label">{t("suggestions.formed_from")}</p>
            <ul class="opinion-refs">
                {opinions.into_iter().map(|id| view! { <OpinionRef id=id/> }).collect_view()}
            </ul>
        </div>
    })
}

/// One opinion by id: its status (as of its timeline) and the start of its content.
#[component]
fn OpinionRef(id: String) -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let steps = RwSignal::new(Vec::<TimelineStep>::new());
    let key = StoredValue::new(id.clone());
    Effect::new(move |_| {
        ctx.data_version.track();
        let id = key.get_value();
        spawn_local(async move {
            steps.set(api::opinion_timeline(&id).await.unwrap_or_default());
        });
    });
    let href = Link::new("/opinions").with("open", id.clone()).href();
    view! {
        <li data-opinion=id>
            <a href=href>
                {move || {
                    let steps = steps.get();
                    let last = steps.last()?;
                    let status = snake(&last.status);
                    let overdue = matches!(last.status, OpinionStatus::Referred | OpinionStatus::InProgress)
                        && last.deadline.is_some_and(|d| d.to_string() < today());
                    let content = steps.first().map(|s| s.text.clone()).unwrap_or_default();
                    Some(view! {
                        <span class=format!("status status-{status}")>{enum_label("status", &last.status)}</span>
                        {overdue.then(|| view! { <span class="status overdue">{t("opinions.overdue")}</span> })}
                        " "
                        <span class="text">{content}</span>
                    })
                }}
            </a>
        </li>
    }
}

/// Ticks opinions of the station chosen in `station` into `chosen`: a search over their
/// text, and the list (the ticked ones first).
#[component]
fn OpinionPicker(
    prefix: &'static str,
    station: RwSignal<String>,
    chosen: RwSignal<Vec<String>>,
    errors: RwSignal<Vec<FieldError>>,
    form: &'static str,
    required: bool,
) -> impl IntoView {
    let opinions = RwSignal::new(Vec::<OpinionSummary>::new());
    let search = RwSignal::new(String::new());
    Effect::new(move |_| {
        let sid = station.get();
        spawn_local(async move {
            let list = if sid.is_empty() {
                vec![]
            } else {
                api::list_opinions(&OpinionFilter {
                    station_id: Some(sid),
                    ..OpinionFilter::default()
                })
                .await
                .unwrap_or_default()
            };
            opinions.set(list);
        });
    });
    let shown = move || {
        let s = search.get();
        let s = s.trim().to_owned();
        let ticked = chosen.get();
        let mut list: Vec<OpinionSummary> = opinions
            .get()
            .into_iter()
            .filter(|o| ticked.contains(&o.id) || s.is_empty() || o.content.contains(&s))
            .collect();
        list.sort_by_key(|o| !ticked.contains(&o.id));
        let more = list.len().saturating_sub(PAGE as usize);
        list.truncate(PAGE as usize);
        (list, more)
    };
    view! {
        <fieldset class="field" class:invalid=crate::form::invalid(errors, Field::Opinions)>
            <legend>
                {t("field.opinions")}
                {required.then(crate::form::required)}
                " "
                <span class="hint">
                    {move || tf("suggestions.chosen", &[("n", &chosen.get().len().to_string())])}
                </span>
            </legend>
            <input
                id=format!("{prefix}-opinion-search")
                type="search"
                placeholder=t("suggestions.search_opinions")
                aria-label=t("suggestions.search_opinions")
                prop:value=move || search.get()
                on:input=move |ev| search.set(event_target_value(&ev))
            />
            <ul class="picker" id=format!("{prefix}-opinions")>
                {move || {
                    let (list, more) = shown();
                    if list.is_empty() {
                        return view! { <li class="empty">{t("suggestions.no_opinions")}</li> }.into_any();
                    }
                    view! {
                        {list
                            .into_iter()
                            .map(|o| {
                                let id = o.id.clone();
                                let id2 = o.id.clone();
                                let status = snake(&o.status);
                                view! {
                                    <li>
                                        <label>
                                            <input
                                                type="checkbox"
                                                value=o.id.clone()
                                                prop:checked=move || chosen.get().contains(&id)
                                                on:change=move |ev| {
                                                    let on = event_target_checked(&ev);
                                                    chosen.update(|c| {
                                                        c.retain(|x| *x != id2);
                                                        if on {
                                                            c.push(id2.clone());
                                                        }
                                                    });
                                                }
                                            />
                                            <span class="date">{o.date.to_string()}</span>
                                            <span class=format!("status status-{status}")>
                                                {enum_label("status", &o.status)}
                                            </span>
                                            <span class="text">{o.content.clone()}</span>
                                        </label>
                                    </li>
                                }
                            })
                            .collect_view()}
                        {(more > 0)
                            .then(|| {
                                view! {
                                    <li class="hint">{tf("suggestions.more_opinions", &[("n", &more.to_string())])}</li>
                                }
                            })}
                    }
                        .into_any()
                }}
            </ul>
            {crate::form::error_in(errors, Field::Opinions, form)}
        </fieldset>
    }
}

/// A title and a content field of a suggestion or lead form.
fn text_fields(
    prefix: &'static str,
    form: &'static str,
    title: RwSignal<String>,
    content: RwSignal<String>,
    errors: RwSignal<Vec<FieldError>>,
) -> impl IntoView {
    let invalid = move |field: Field| crate::form::invalid(errors, field);
    let required = crate::form::required;
    view! {
        <div class="field" class:invalid=invalid(Field::Title)>
            <label for=format!("{prefix}-title")>{t("field.title")} {required()}</label>
            <input
                id=format!("{prefix}-title")
                type="text"
                prop:value=move || title.get()
                on:input=move |ev| title.set(event_target_value(&ev))
            />
            {crate::form::error_in(errors, Field::Title, form)}
        </div>
        <div class="field" class:invalid=invalid(Field::Content)>
            <label for=format!("{prefix}-content")>{t(&format!("suggestions.{form}_content"))} {required()}</label>
            <textarea
                id=format!("{prefix}-content")
                rows="5"
                prop:value=move || content.get()
                on:input=move |ev| content.set(event_target_value(&ev))
            ></textarea>
            {crate::form::error_in(errors, Field::Content, form)}
        </div>
    }
}

/// Brings the first refused field into view, once drawn.
fn show_first_refusal() {
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
}

/// The form of a deputy suggestion (`lead: false`) or a livelihood lead (`lead: true`):
/// one form, the suggestion's with its deputies, department and supervision besides.
/// Both keep their draft as a [`SuggestionInput`] (a lead's reads as one: the fields it
/// lacks default).
#[component]
fn SuggestionOrLeadForm(
    lead: bool,
    opinion: Option<String>,
    station: Option<String>,
    on_saved: impl Fn() + Copy + Send + Sync + 'static,
    on_cancel: impl Fn() + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let form: &'static str = if lead { "lead" } else { "suggestion" };
    let id = move |part: &str| format!("{form}-{part}");
    let ctx = expect_context::<Ctx>();
    let from_opinion = opinion.is_some();
    let station_id = RwSignal::new(station.unwrap_or_else(|| {
        ctx.stations
            .get_untracked()
            .first()
            .map(|s| s.id.clone())
            .unwrap_or_default()
    }));
    let roster = crate::form::roster_of(station_id);
    let date = RwSignal::new(today());
    let title = RwSignal::new(String::new());
    let content = RwSignal::new(String::new());
    let deputy_ids = RwSignal::new(if lead {
        vec![]
    } else {
        ctx.status
            .get_untracked()
            .and_then(|s| s.account)
            .and_then(|a| a.deputy_id)
            .into_iter()
            .collect::<Vec<_>>()
    });
    let opinion_ids = RwSignal::new(opinion.into_iter().collect::<Vec<_>>());
    let department = RwSignal::new(String::new());
    let supervised = RwSignal::new(false);
    let departments = RwSignal::new(Vec::<Department>::new());
    if !lead {
        spawn_local(async move {
            departments.set(api::departments().await.unwrap_or_default());
        });
    }
    let errors = RwSignal::new(Vec::<FieldError>::new());
    let message = RwSignal::new(None::<String>);
    let saving = RwSignal::new(false);
    let current = move || SuggestionInput {
        station_id: station_id.get(),
        date: date.get(),
        title: title.get(),
        content: content.get(),
        deputy_ids: deputy_ids.get(),
        opinion_ids: opinion_ids.get(),
        department_id: department.get(),
        supervised: supervised.get(),
    };
    // What was typed before the app closed comes back (unless the form starts from an
    // opinion: then it is about that one).
    let draft = crate::form::keep_draft(
        form.to_owned(),
        current,
        |i| !i.title.trim().is_empty() || !i.content.trim().is_empty(),
        move |d: SuggestionInput| {
            if from_opinion {
                return;
            }
            if !d.station_id.is_empty() {
                station_id.set(d.station_id);
            }
            if !d.date.is_empty() {
                date.set(d.date);
            }
            title.set(d.title);
            content.set(d.content);
            deputy_ids.set(d.deputy_ids);
            opinion_ids.set(d.opinion_ids);
            department.set(d.department_id);
            supervised.set(d.supervised);
        },
    );
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let input = untrack(current);
        crate::form::submit(
            saving,
            errors,
            move |m| {
                message.set(Some(m));
                show_first_refusal();
            },
            async move {
                if lead {
                    api::create(
                        &LeadInput {
                            station_id: input.station_id,
                            date: input.date,
                            title: input.title,
                            content: input.content,
                            opinion_ids: input.opinion_ids,
                        },
                        Some(form),
                    )
                    .await
                } else {
                    api::create(&input, Some(form)).await
                }
            },
            move |_| {
                draft.forget();
                on_saved();
            },
        );
    };
    let invalid = move |field: Field| crate::form::invalid(errors, field);
    let error_in = move |field: Field| crate::form::error_in(errors, field, form);
    let required = crate::form::required;
    view! {
        <form class="form card" on:submit=save novalidate aria-labelledby=id("form-title")>
            <h3 id=id("form-title")>{t(&format!("suggestions.form_{form}"))}</h3>
            {move || {
                message
                    .get()
                    .map(|m| view! { <p class="message error" role="status" id=id("message")>{m}</p> })
            }}
            <crate::form::StationSelect
                id=if lead { "lead-station" } else { "suggestion-station" }
                value=station_id
                stations=ctx.stations
                errors=errors
                on_change=Callback::new(move |_| {
                    deputy_ids.set(vec![]);
                    opinion_ids.set(vec![]);
                })
            />
            <crate::form::DateField
                id=if lead { "lead-date" } else { "suggestion-date" }
                value=date
                errors=errors
            />
            {text_fields(form, form, title, content, errors)}
            {(!lead).then(|| view! {
                <fieldset class="field" class:invalid=invalid(Field::Deputies)>
                    <legend>{t("suggestions.by_deputies")} {required()}</legend>
                    <crate::form::DeputyChips id="suggestion-deputies" roster=roster chosen=deputy_ids/>
                    {error_in(Field::Deputies)}
                </fieldset>
            })}
            <OpinionPicker
                prefix=form
                station=station_id
                chosen=opinion_ids
                errors=errors
                form=form
                required=lead
            />
            {(!lead).then(|| view! {
                <div class="field" class:invalid=invalid(Field::Department)>
                    <label for="suggestion-department">{t("suggestions.department_optional")}</label>
                    <select
                        id="suggestion-department"
                        prop:value=move || department.get()
                        on:change=move |ev| department.set(event_target_value(&ev))
                    >
                        <option value="">{t("suggestions.no_department")}</option>
                        <For
                            each=move || departments.get()
                            key=|d| d.id.clone()
                            children=move |d: Department| {
                                let id = d.id.clone();
                                view! {
                                    <option value=d.id.clone() selected=move || department.get() == id>
                                        {d.name.clone()}
                                    </option>
                                }
                            }
                        />
                    </select>
                    {error_in(Field::Department)}
                </div>
                <div class="field check">
                    <label>
                        <input
                            id="suggestion-supervised"
                            type="checkbox"
                            prop:checked=move || supervised.get()
                            on:change=move |ev| supervised.set(event_target_checked(&ev))
                        />
                        {t("suggestions.supervised_check")}
                    </label>
                </div>
            })}
            <crate::form::SaveOrCancel
                save_id=if lead { "lead-save" } else { "suggestion-save" }
                label=t("form.save")
                saving=saving
                draft=draft
                on_cancel=on_cancel
            />
        </form>
    }
}
