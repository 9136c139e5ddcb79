//! What every form shares: the refusal next to a field, the invalid mark, the required
//! mark. The core's `FieldError`s drive all three.

use leptos::prelude::*;
use shared::{Field, FieldError};

use crate::i18n::{field_error, t};

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

/// Whether `field` is refused (it gets the red border).
pub fn invalid(errors: RwSignal<Vec<FieldError>>, field: Field) -> impl Fn() -> bool {
    move || errors.get().iter().any(|e| e.field == field)
}

/// The mark after a required field's label.
pub fn required() -> impl IntoView {
    view! { <span class="req" title=t("form.required")>"*"</span> }
}
