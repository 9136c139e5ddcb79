//! What every form shares: the refusal next to a field, the invalid mark, the required
//! mark. The core's `FieldError`s drive all three.

use std::sync::Arc;

use leptos::prelude::*;
use leptos::task::spawn_local;
use serde::Serialize;
use serde::de::DeserializeOwned;
use shared::{AppError, Deputy, Field, FieldError, Station};

use crate::i18n::{app_error, field_error, t};

/// The sentence next to `field` when the core refused it.
pub fn error_for(errors: RwSignal<Vec<FieldError>>, field: Field) -> impl Fn() -> Option<AnyView> {
    move || {
        errors
            .get()
            .iter()
            .find(|e| e.field == field)
            .map(|e| view! { <p class="field-error" role="alert">{field_error(e)}</p> }.into_any())
    }
}

/// [`error_for`] with the sentences of form `form` where it has its own
/// (`error.<form>.<field>.<problem>`, e.g. a report's text is not an opinion's content).
pub fn error_in(
    errors: RwSignal<Vec<FieldError>>,
    field: Field,
    form: &'static str,
) -> impl Fn() -> Option<AnyView> {
    move || {
        errors.get().iter().find(|e| e.field == field).map(|e| {
            let key = format!(
                "error.{form}.{}.{}",
                crate::i18n::snake(&e.field),
                crate::i18n::snake(&e.problem)
            );
            let own = t(&key);
            let text = if own == key { field_error(e) } else { own };
            view! { <p class="field-error" role="alert">{text}</p> }.into_any()
        })
    }
}

/// Whether `field` is refused (it gets the red border).
pub fn invalid(errors: RwSignal<Vec<FieldError>>, field: Field) -> impl Fn() -> bool {
    move || errors.get().iter().any(|e| e.field == field)
}

/// The mark after a required field's label.
pub fn required() -> impl IntoView {
    view! { <span class="req" title=t("form.required")>"*"</span> }
}

/// A required date field (`field.date`) bound to `value`, with its refusal beside it.
#[component]
pub fn DateField(
    id: &'static str,
    value: RwSignal<String>,
    errors: RwSignal<Vec<FieldError>>,
) -> impl IntoView {
    view! {
        <div class="field" class:invalid=invalid(errors, Field::Date)>
            <label for=id>{t("field.date")} {required()}</label>
            <input
                id=id
                type="date"
                prop:value=move || value.get()
                on:input=move |ev| value.set(event_target_value(&ev))
            />
            {error_for(errors, Field::Date)}
        </div>
    }
}

/// A required station choice among `stations`, bound to `value`; `on_change` hears the
/// user's choice (to reset what depends on the station).
#[component]
pub fn StationSelect(
    id: &'static str,
    value: RwSignal<String>,
    stations: RwSignal<Vec<Station>>,
    errors: RwSignal<Vec<FieldError>>,
    #[prop(optional)] on_change: Option<Callback<String>>,
) -> impl IntoView {
    view! {
        <div class="field" class:invalid=invalid(errors, Field::Station)>
            <label for=id>{t("field.station")} {required()}</label>
            // A new device learns its stations with its first sync.
            <Show
                when=move || !stations.get().is_empty()
                fallback=|| view! { <p class="hint">{t("form.station.none")}</p> }
            >
                <select
                    id=id
                    on:change=move |ev| {
                        let chosen = event_target_value(&ev);
                        value.set(chosen.clone());
                        if let Some(f) = on_change {
                            f.run(chosen);
                        }
                    }
                >
                    <For
                        each=move || stations.get()
                        key=|s| s.id.clone()
                        children=move |s: Station| {
                            let sid = s.id.clone();
                            view! {
                                <option value=s.id.clone() selected=move || value.get() == sid>
                                    {s.name.clone()}
                                </option>
                            }
                        }
                    />
                </select>
            </Show>
            {error_for(errors, Field::Station)}
        </div>
    }
}

/// Where a form's draft is kept in the device store.
#[derive(Clone)]
pub enum DraftSlot {
    /// Under the form's name (`save_form_draft`): the opinion, bulk-entry and answer forms.
    Form(String),
    /// The activity form's own slot (`save_draft`), which the core forgets in the
    /// transaction that saves the activity.
    Activity,
    /// Nowhere: the form edits a saved record.
    Off,
}

impl DraftSlot {
    /// The kept draft, as JSON text.
    async fn load(&self) -> Option<String> {
        match self {
            DraftSlot::Form(form) => crate::api::form_draft(form).await,
            DraftSlot::Activity => {
                let draft = crate::api::load_draft().await.ok().flatten()?;
                to_json(&draft)
            }
            DraftSlot::Off => None,
        }
    }

    /// Keeps `draft` (JSON text), or forgets the kept one (`None`).
    async fn keep(&self, draft: Option<String>) {
        match self {
            DraftSlot::Form(form) => {
                let _ = crate::api::save_form_draft(form, draft.unwrap_or_default()).await;
            }
            DraftSlot::Activity => {
                // The core keeps only a draft with something typed in it: an empty input
                // forgets it.
                let input: shared::ActivityInput =
                    draft.and_then(|d| from_json(&d)).unwrap_or_default();
                let _ = crate::api::save_draft(&input).await;
            }
            DraftSlot::Off => {}
        }
    }
}

/// `value` as JSON text (through the browser's JSON, so no JSON library ships in the UI).
fn to_json<T: Serialize>(value: &T) -> Option<String> {
    let js = value
        .serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .ok()?;
    js_sys::JSON::stringify(&js).ok()?.as_string()
}

/// JSON text as a `T`, if it reads as one.
fn from_json<T: DeserializeOwned>(json: &str) -> Option<T> {
    serde_wasm_bindgen::from_value(js_sys::JSON::parse(json).ok()?).ok()
}

/// A form's draft in the device store: what is typed survives closing the app.
#[derive(Clone, Copy)]
pub struct Draft {
    ready: RwSignal<bool>,
    slot: StoredValue<DraftSlot>,
    /// What the form holds now, as the draft is kept (`None`: nothing typed).
    current: StoredValue<Arc<dyn Fn() -> Option<String> + Send + Sync>>,
    /// What it held when it opened, or when its record was loaded.
    clean: StoredValue<Option<String>>,
}

impl Draft {
    /// Whether the form holds something cancelling would throw away: typed into a new
    /// form, or changed since the record was loaded ([`Draft::mark_clean`]).
    pub fn unsaved(self) -> bool {
        let now = untrack(|| (self.current.get_value())());
        now != self.clean.get_value()
    }

    /// What the form holds now is the saved record (an edit form, once loaded).
    pub fn mark_clean(self) {
        let now = untrack(|| (self.current.get_value())());
        self.clean.set_value(now);
    }

    /// Forgets the draft (the form was saved or cancelled).
    pub fn forget(self) {
        self.ready.set(false);
        let slot = self.slot.get_value();
        spawn_local(async move { slot.keep(None).await });
    }
}

/// Keeps form `form`'s draft: hands a kept draft to `restore` once, then keeps what
/// `current` gives each time it changes (or forgets it while `typed` says nothing is).
pub fn keep_draft<T>(
    form: String,
    current: impl Fn() -> T + Send + Sync + 'static,
    typed: fn(&T) -> bool,
    restore: impl FnOnce(T) + 'static,
) -> Draft
where
    T: Serialize + DeserializeOwned + 'static,
{
    keep_draft_in(DraftSlot::Form(form), current, typed, restore)
}

/// [`keep_draft`] in any slot.
pub fn keep_draft_in<T>(
    slot: DraftSlot,
    current: impl Fn() -> T + Send + Sync + 'static,
    typed: fn(&T) -> bool,
    restore: impl FnOnce(T) + 'static,
) -> Draft
where
    T: Serialize + DeserializeOwned + 'static,
{
    keep_json(
        slot,
        Box::new(move || {
            let input = current();
            typed(&input).then(|| to_json(&input)).flatten()
        }),
        Box::new(move |json| {
            if let Some(d) = from_json(&json) {
                restore(d);
            }
        }),
    )
}

/// [`keep_draft_in`] on JSON text: what every form shares, built once for all of them.
/// `current` gives the draft to keep (`None`: nothing typed, forget it).
fn keep_json(
    slot: DraftSlot,
    current: Box<dyn Fn() -> Option<String> + Send + Sync>,
    restore: Box<dyn FnOnce(String)>,
) -> Draft {
    let ready = RwSignal::new(false);
    let off = matches!(slot, DraftSlot::Off);
    let slot = StoredValue::new(slot);
    let current: Arc<dyn Fn() -> Option<String> + Send + Sync> = Arc::from(current);
    let now = current.clone();
    let opened = untrack(|| current());
    if !off {
        spawn_local(async move {
            if let Some(d) = slot.get_value().load().await {
                restore(d);
            }
            ready.set(true);
        });
    }
    Effect::new(move |_| {
        let draft = now();
        if !ready.get() {
            return;
        }
        let slot = slot.get_value();
        spawn_local(async move { slot.keep(draft).await });
    });
    Draft {
        ready,
        slot,
        current: StoredValue::new(current),
        clean: StoredValue::new(opened),
    }
}

/// A form's save and cancel buttons; cancelling forgets the form's draft, after asking
/// when something typed would be thrown away.
#[component]
pub fn SaveOrCancel(
    save_id: &'static str,
    label: String,
    saving: RwSignal<bool>,
    draft: Draft,
    on_cancel: impl Fn() + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let asking = RwSignal::new(false);
    let discard = move || {
        asking.set(false);
        draft.forget();
        on_cancel();
    };
    view! {
        <div class="actions">
            <button type="submit" id=save_id class="primary" disabled=move || saving.get()>
                {label}
            </button>
            <button
                type="button"
                class="link form-cancel"
                on:click=move |_| {
                    if draft.unsaved() {
                        asking.set(true);
                    } else {
                        discard();
                    }
                }
            >
                {t("form.cancel")}
            </button>
        </div>
        <Show when=move || asking.get()>
            <div class="confirm" role="alertdialog" aria-labelledby="discard-question">
                <p id="discard-question">{t("form.discard_question")}</p>
                <div class="actions">
                    <button type="button" id="discard-yes" class="secondary" on:click=move |_| discard()>
                        {t("form.discard_yes")}
                    </button>
                    <button type="button" id="discard-no" class="primary" on:click=move |_| asking.set(false)>
                        {t("form.discard_no")}
                    </button>
                </div>
            </div>
        </Show>
    }
}

/// The deputies of the station chosen in `station_id`, following the choice.
pub fn roster_of(station_id: RwSignal<String>) -> RwSignal<Vec<Deputy>> {
    let roster = RwSignal::new(Vec::<Deputy>::new());
    Effect::new(move |_| {
        let sid = station_id.get();
        spawn_local(async move {
            let list = if sid.is_empty() {
                vec![]
            } else {
                crate::api::deputies(&sid).await.unwrap_or_default()
            };
            roster.set(list);
        });
    });
    roster
}

/// Runs a form's save, one at a time (`saving` while it runs). Saved: `saved` gets the
/// result. Refused: each field's reason goes to `errors`, and the sentence for the form
/// as a whole to `report` (which also hears any other error).
pub fn submit<T: 'static>(
    saving: RwSignal<bool>,
    errors: RwSignal<Vec<FieldError>>,
    report: impl Fn(String) + 'static,
    save: impl std::future::Future<Output = Result<T, AppError>> + 'static,
    saved: impl FnOnce(T) + 'static,
) {
    if saving.get_untracked() {
        return;
    }
    saving.set(true);
    spawn_local(async move {
        match save.await {
            Ok(value) => {
                errors.set(vec![]);
                saved(value);
            }
            Err(AppError::Invalid { fields }) => {
                errors.set(fields);
                report(t("form.invalid"));
            }
            Err(e) => report(app_error(&e)),
        }
        saving.set(false);
    });
}

/// The deputies of `roster` as checkbox chips (`name="deputy"`, value the id), ticked as
/// `chosen` holds them; ticking adds to `chosen`, unticking removes.
#[component]
pub fn DeputyChips(
    id: &'static str,
    #[prop(into)] roster: Signal<Vec<Deputy>>,
    chosen: RwSignal<Vec<String>>,
) -> impl IntoView {
    view! {
        <div class="chips" id=id>
            <For
                each=move || roster.get()
                key=|d| d.id.clone()
                children=move |d: Deputy| {
                    let id = d.id.clone();
                    let id2 = d.id.clone();
                    view! {
                        <label class="chip">
                            <input
                                type="checkbox"
                                name="deputy"
                                value=d.id.clone()
                                prop:checked=move || chosen.get().contains(&id)
                                on:change=move |ev| {
                                    let on = event_target_checked(&ev);
                                    let id = id2.clone();
                                    chosen.update(|ids| {
                                        ids.retain(|x| *x != id);
                                        if on {
                                            ids.push(id);
                                        }
                                    });
                                }
                            />
                            <span>{d.name.clone()}</span>
                        </label>
                    }
                }
            />
        </div>
    }
}
