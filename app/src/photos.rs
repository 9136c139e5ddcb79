//! Photos on an activity: chosen from the phone's gallery (the webview's file picker) or
//! taken with its camera (拍照, `capture`), checked and kept by the core at once (so a
//! photo that is too large is refused when it is chosen), shown as thumbnails, and
//! downloaded when another device took them. In a phone's browser a photo larger than
//! [`LONGEST_SIDE`] is made smaller first (JPEG; its EXIF, location included, stays
//! behind): fewer bytes on a village's network and in the phone's store.

use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::{AppError, Field, FieldError, MAX_PHOTO_BYTES, Problem};
use wasm_bindgen::JsCast as _;

use crate::api;
use crate::i18n::{app_error, t};

/// The longest side, in pixels, of a photo the web app keeps (larger ones are scaled
/// down before they are kept).
pub const LONGEST_SIDE: u32 = 2048;

/// `file` scaled down to [`LONGEST_SIDE`] as JPEG, in a phone's browser when it is
/// larger; `None` to keep it as it is (small enough, the desktop app, or a browser that
/// cannot: the core still checks it).
async fn smaller(file: &web_sys::File) -> Option<Vec<u8>> {
    use wasm_bindgen_futures::JsFuture;
    if !crate::transport::in_browser() {
        return None;
    }
    let window = web_sys::window()?;
    let bitmap: web_sys::ImageBitmap =
        JsFuture::from(window.create_image_bitmap_with_blob(file).ok()?)
            .await
            .ok()?
            .dyn_into()
            .ok()?;
    let (w, h) = (bitmap.width(), bitmap.height());
    let longest = w.max(h);
    if longest <= LONGEST_SIDE {
        return None;
    }
    let scale = f64::from(LONGEST_SIDE) / f64::from(longest);
    let (tw, th) = (
        ((f64::from(w) * scale).round() as u32).max(1),
        ((f64::from(h) * scale).round() as u32).max(1),
    );
    let canvas = web_sys::OffscreenCanvas::new(tw, th).ok()?;
    let context: web_sys::OffscreenCanvasRenderingContext2d =
        canvas.get_context("2d").ok()??.dyn_into().ok()?;
    context
        .draw_image_with_image_bitmap_and_dw_and_dh(&bitmap, 0.0, 0.0, f64::from(tw), f64::from(th))
        .ok()?;
    let options = web_sys::ImageEncodeOptions::new();
    options.set_type("image/jpeg");
    options.set_quality(0.85);
    let blob: web_sys::Blob = JsFuture::from(canvas.convert_to_blob_with_options(&options).ok()?)
        .await
        .ok()?
        .dyn_into()
        .ok()?;
    let buffer = JsFuture::from(blob.array_buffer()).await.ok()?;
    Some(js_sys::Uint8Array::new(&buffer).to_vec())
}

/// The photos field of the activity form: `photos` holds the chosen photos' hashes.
#[component]
pub fn PhotoField(
    photos: RwSignal<Vec<String>>,
    /// The activity being edited (to download photos another device took).
    activity_id: Signal<Option<String>>,
    errors: RwSignal<Vec<FieldError>>,
) -> impl IntoView {
    let busy = RwSignal::new(false);
    let failure = RwSignal::new(None::<String>);
    let chosen = move |ev: leptos::ev::Event| {
        let Some(input) = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
        else {
            return;
        };
        let Some(files) = input.files() else {
            return;
        };
        let files: Vec<web_sys::File> = (0..files.length()).filter_map(|i| files.get(i)).collect();
        // The same file can be chosen again after a refusal.
        input.set_value("");
        busy.set(true);
        spawn_local(async move {
            errors.update(|e| e.retain(|e| e.field != Field::Photos));
            failure.set(None);
            for file in files {
                // Not read, let alone sent, when it is too large.
                if file.size() > MAX_PHOTO_BYTES as f64 {
                    errors.update(|e| e.push(FieldError::new(Field::Photos, Problem::TooLarge)));
                    continue;
                }
                let bytes = match smaller(&file).await {
                    Some(bytes) => bytes,
                    None => match wasm_bindgen_futures::JsFuture::from(file.array_buffer()).await {
                        Ok(buffer) => js_sys::Uint8Array::new(&buffer).to_vec(),
                        Err(_) => continue,
                    },
                };
                match api::stage_photo(&bytes).await {
                    Ok(hash) => photos.update(|p| {
                        if !p.contains(&hash) {
                            p.push(hash);
                        }
                    }),
                    Err(AppError::Invalid { fields }) => errors.update(|e| e.extend(fields)),
                    Err(e) => failure.set(Some(app_error(&e))),
                }
            }
            busy.set(false);
        });
    };
    view! {
        <div class="field" class:invalid=crate::form::invalid(errors, Field::Photos)>
            <label for="photo-input">{t("field.photos")}</label>
            <ul class="photos" id="photos">
                <For
                    each=move || photos.get()
                    key=|h| h.clone()
                    children=move |hash: String| {
                        let remove = hash.clone();
                        view! {
                            <li>
                                <PhotoThumb hash=hash activity_id=activity_id/>
                                <button
                                    type="button"
                                    class="link remove-photo"
                                    on:click=move |_| photos.update(|p| p.retain(|h| *h != remove))
                                >
                                    {t("photos.remove")}
                                </button>
                            </li>
                        }
                    }
                />
            </ul>
            <input
                id="photo-input"
                type="file"
                accept="image/jpeg,image/png,image/webp,image/heic"
                multiple
                disabled=move || busy.get()
                on:change=chosen
            />
            <input
                id="photo-camera"
                class="visually-hidden"
                type="file"
                accept="image/*"
                capture="environment"
                disabled=move || busy.get()
                on:change=chosen
            />
            <label for="photo-camera" class="secondary camera">{t("photos.camera")}</label>
            <p class="hint">{t("photos.hint")}</p>
            {crate::form::error_for(errors, Field::Photos)}
            {move || failure.get().map(|m| view! { <p class="field-error" role="alert">{m}</p> })}
        </div>
    }
}

/// One photo, from this device or downloaded.
#[component]
fn PhotoThumb(hash: String, activity_id: Signal<Option<String>>) -> impl IntoView {
    let url = RwSignal::new(None::<String>);
    let failed = RwSignal::new(false);
    let id = activity_id.get_untracked();
    spawn_local(async move {
        match api::photo(id.as_deref(), &hash).await {
            Ok(bytes) => match blob_url(&bytes) {
                Some(u) => url.set(Some(u)),
                None => failed.set(true),
            },
            Err(_) => failed.set(true),
        }
    });
    on_cleanup(move || {
        if let Some(u) = url.get_untracked() {
            let _ = web_sys::Url::revoke_object_url(&u);
        }
    });
    // The thumbnail's place is kept from the start, so nothing below it moves when the
    // photo arrives (a tap aimed at 删除 would land elsewhere).
    view! {
        <span class="photo-slot">
            {move || {
                url.get().map(|u| view! { <img class="photo" src=u alt=t("field.photos")/> })
            }}
            <Show when=move || failed.get()>
                <span class="photo-missing">{t("photos.unavailable")}</span>
            </Show>
        </span>
    }
}

/// A `blob:` URL of the photo, typed from its first bytes (WebKit draws an untyped
/// blob as nothing).
pub fn blob_url(bytes: &[u8]) -> Option<String> {
    let mime = if bytes.starts_with(&[0x89, b'P', b'N', b'G']) {
        "image/png"
    } else if bytes.starts_with(&[0xff, 0xd8, 0xff]) {
        "image/jpeg"
    } else if bytes.get(8..12) == Some(b"WEBP") {
        "image/webp"
    } else {
        "image/heic"
    };
    let parts = js_sys::Array::of1(&js_sys::Uint8Array::from(bytes));
    let options = web_sys::BlobPropertyBag::new();
    options.set_type(mime);
    let blob = web_sys::Blob::new_with_u8_array_sequence_and_options(&parts, &options).ok()?;
    web_sys::Url::create_object_url_with_blob(&blob).ok()
}
