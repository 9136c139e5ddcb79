//! How a [`Command`] reaches the core, chosen once at start: Tauri's invoke in the
//! desktop app (`window.__TAURI__` is there), otherwise messages to the core's dedicated
//! worker (`core/worker.js`) in a phone's browser. [`crate::api`] is written against
//! [`send`], [`send_photo`] and [`save_file`] alone: no screen knows which it has.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;

use serde::Serialize;
use shared::{AppError, Command};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = ["window", "__TAURI__", "core"], catch)]
    async fn invoke(cmd: &str, args: JsValue) -> Result<JsValue, JsValue>;
}

/// The core's answer to a failed command; anything else (a JS error) as a storage error.
pub fn app_error_of(e: JsValue) -> AppError {
    serde_wasm_bindgen::from_value::<AppError>(e.clone()).unwrap_or_else(|_| AppError::Storage {
        detail: e.as_string().unwrap_or_else(|| format!("{e:?}")),
    })
}

/// A failure of the UI's own (a value that did not convert) as a storage error.
pub fn storage_error(e: impl ToString) -> AppError {
    AppError::Storage {
        detail: e.to_string(),
    }
}

/// `value` as a plain JS value (objects, never `Map`s: a record's JSON form is a map).
fn to_js<T: Serialize + ?Sized>(value: &T) -> Result<JsValue, AppError> {
    value
        .serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .map_err(storage_error)
}

/// The core's worker and the answers it still owes, by message id.
struct Worker {
    worker: web_sys::Worker,
    next: Cell<u32>,
    pending: RefCell<HashMap<u32, (js_sys::Function, js_sys::Function)>>,
    _on_message: Closure<dyn Fn(web_sys::MessageEvent)>,
    _on_error: Closure<dyn Fn(web_sys::Event)>,
}

enum Transport {
    Tauri,
    /// The core's worker, started on first use and again after it failed.
    Worker(RefCell<Option<Worker>>),
}

thread_local! {
    static TRANSPORT: Transport = Transport::new();
}

impl Transport {
    fn new() -> Transport {
        let tauri = web_sys::window()
            .and_then(|w| js_sys::Reflect::get(&w, &"__TAURI__".into()).ok())
            .is_some_and(|t| !t.is_undefined());
        if tauri {
            return Transport::Tauri;
        }
        Transport::Worker(RefCell::new(None))
    }
}

/// Posts `message` to the core's worker (started if there is none); the promise of its
/// answer.
fn post_to_worker(slot: &RefCell<Option<Worker>>, message: js_sys::Object) -> js_sys::Promise {
    slot.borrow_mut()
        .get_or_insert_with(Worker::start)
        .post(message)
}

/// The worker failed beyond a command's error (the core stopped on a bug, or its script
/// did not load): every answer it owes fails with `error`, and the next command starts
/// a new one, which opens the store again (nothing saved is lost: each save was
/// committed before it was answered).
fn worker_failed(error: JsValue) {
    TRANSPORT.with(|t| {
        let Transport::Worker(slot) = t else { return };
        let Some(w) = slot.borrow_mut().take() else {
            return;
        };
        w.worker.terminate();
        for (_, (_, reject)) in w.pending.borrow_mut().drain() {
            let _ = reject.call1(&JsValue::NULL, &error);
        }
    });
}

/// Whether the core runs in this browser (the web app), not behind the desktop shell.
pub fn in_browser() -> bool {
    TRANSPORT.with(|t| matches!(t, Transport::Worker(_)))
}

/// Whether this browser lacks what the web app needs: module workers, the origin-private
/// file system the store lives in, and service workers (to open offline). WeChat's
/// built-in browser on iPhones, for one, has no service workers.
pub fn browser_lacks_features() -> bool {
    let Some(window) = web_sys::window() else {
        return true;
    };
    let has = |target: &JsValue, name: &str| {
        js_sys::Reflect::get(target, &name.into()).is_ok_and(|v| !v.is_undefined())
    };
    let navigator: JsValue = window.navigator().into();
    let storage = js_sys::Reflect::get(&navigator, &"storage".into()).unwrap_or_default();
    !(has(&window, "Worker")
        && has(&navigator, "serviceWorker")
        && !storage.is_undefined()
        && has(&storage, "getDirectory"))
}

/// Whether the page runs in WeChat's built-in browser (which can open it in the
/// system's browser from its menu).
pub fn in_wechat() -> bool {
    web_sys::window()
        .and_then(|w| w.navigator().user_agent().ok())
        .is_some_and(|ua| ua.contains("MicroMessenger"))
}

impl Worker {
    fn start() -> Worker {
        let options = web_sys::WorkerOptions::new();
        options.set_type(web_sys::WorkerType::Module);
        // A browser without module workers cannot run the app; every command then says
        // so (see `post`).
        let worker =
            web_sys::Worker::new_with_options("core/worker.js", &options).expect("a module worker");
        let on_message =
            Closure::<dyn Fn(web_sys::MessageEvent)>::new(|event: web_sys::MessageEvent| {
                answer(event.data());
            });
        worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        let on_error = Closure::<dyn Fn(web_sys::Event)>::new(|_event: web_sys::Event| {
            let error = to_js(&storage_error("the core's worker stopped")).unwrap_or_default();
            worker_failed(error);
        });
        worker.set_onerror(Some(on_error.as_ref().unchecked_ref()));
        Worker {
            worker,
            next: Cell::new(0),
            pending: RefCell::new(HashMap::new()),
            _on_message: on_message,
            _on_error: on_error,
        }
    }

    /// Posts `message` (an object without its id) and waits for the answer.
    fn post(&self, message: js_sys::Object) -> js_sys::Promise {
        let id = self.next.get().wrapping_add(1);
        self.next.set(id);
        let _ = js_sys::Reflect::set(&message, &"id".into(), &id.into());
        let promise = js_sys::Promise::new(&mut |resolve, reject| {
            self.pending.borrow_mut().insert(id, (resolve, reject));
        });
        if let Err(e) = self.worker.post_message(&message)
            && let Some((_, reject)) = self.pending.borrow_mut().remove(&id)
        {
            let _ = reject.call1(&JsValue::NULL, &e);
        }
        promise
    }
}

/// Settles the promise of the worker's answer `data` (`{id, value}` or `{id, error}`;
/// `{error, fatal: true}` when the core stopped).
fn answer(data: JsValue) {
    let get = |k: &str| js_sys::Reflect::get(&data, &k.into()).unwrap_or(JsValue::UNDEFINED);
    if get("fatal").is_truthy() {
        worker_failed(get("error"));
        return;
    }
    let Some(id) = get("id").as_f64() else {
        return;
    };
    TRANSPORT.with(|t| {
        let Transport::Worker(slot) = t else { return };
        let slot = slot.borrow();
        let Some(w) = slot.as_ref() else { return };
        let Some((resolve, reject)) = w.pending.borrow_mut().remove(&(id as u32)) else {
            return;
        };
        let error = get("error");
        let _ = if error.is_undefined() {
            resolve.call1(&JsValue::NULL, &get("value"))
        } else {
            reject.call1(&JsValue::NULL, &error)
        };
    });
}

/// A message for the worker: `{key: value}`.
fn message(key: &str, value: &JsValue) -> js_sys::Object {
    let m = js_sys::Object::new();
    let _ = js_sys::Reflect::set(&m, &key.into(), value);
    m
}

#[derive(Serialize)]
struct Request<'a> {
    request: &'a Command,
}

/// Sends `command` to the core; its answer (a value, or a file's bytes as a
/// `Uint8Array`/`ArrayBuffer`).
pub async fn send(command: &Command) -> Result<JsValue, AppError> {
    let promise = TRANSPORT.with(|t| match t {
        Transport::Tauri => Ok(None),
        Transport::Worker(slot) => Ok::<_, AppError>(Some(post_to_worker(
            slot,
            message("command", &to_js(command)?),
        ))),
    })?;
    match promise {
        None => invoke("call", to_js(&Request { request: command })?)
            .await
            .map_err(app_error_of),
        Some(p) => JsFuture::from(p).await.map_err(app_error_of),
    }
}

#[wasm_bindgen]
extern "C" {
    /// `invoke` with a raw body (a `Uint8Array`).
    #[wasm_bindgen(js_namespace = ["window", "__TAURI__", "core"], js_name = invoke, catch)]
    async fn invoke_raw(cmd: &str, args: JsValue) -> Result<JsValue, JsValue>;
}

/// Keeps a photo's `bytes` in the store; its hash.
pub async fn send_photo(bytes: &[u8]) -> Result<String, AppError> {
    let body: JsValue = js_sys::Uint8Array::from(bytes).into();
    let promise = TRANSPORT.with(|t| match t {
        Transport::Tauri => None,
        Transport::Worker(slot) => Some(post_to_worker(slot, message("photo", &body))),
    });
    let v = match promise {
        None => invoke_raw("stage_photo", body).await,
        Some(p) => JsFuture::from(p).await,
    }
    .map_err(app_error_of)?;
    serde_wasm_bindgen::from_value(v).map_err(storage_error)
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SaveFile<'a> {
    request: &'a Command,
    file_name: &'a str,
}

/// Hands the file `command` makes to the user as `file_name`: on desktop through a save
/// dialog (the saved path, or `None` if they cancelled); in a browser to the share sheet
/// or as a download (its name, or `None` if they closed the share sheet).
pub async fn save_file(command: &Command, file_name: &str) -> Result<Option<String>, AppError> {
    if !in_browser() {
        let args = to_js(&SaveFile {
            request: command,
            file_name,
        })?;
        let v = invoke("save_file", args).await.map_err(app_error_of)?;
        return serde_wasm_bindgen::from_value(v).map_err(storage_error);
    }
    let bytes = bytes_of(send(command).await?);
    if share(&bytes, file_name).await? == Shared::Cancelled {
        return Ok(None);
    }
    Ok(Some(file_name.to_owned()))
}

#[derive(PartialEq, Eq)]
enum Shared {
    Done,
    Cancelled,
}

/// Hands `bytes` over as `file_name`: to the phone's share sheet where the browser has
/// one for files (Web Share: a chat, mail, the print shop), else as a download (also
/// when the share sheet may not open any more, the tap being too long ago).
async fn share(bytes: &[u8], file_name: &str) -> Result<Shared, AppError> {
    let parts = js_sys::Array::of1(&js_sys::Uint8Array::from(bytes));
    let file =
        web_sys::File::new_with_u8_array_sequence(&parts, file_name).map_err(app_error_of)?;
    let data = js_sys::Object::new();
    let _ = js_sys::Reflect::set(&data, &"files".into(), &js_sys::Array::of1(&file));
    let navigator: JsValue = web_sys::window()
        .map(|w| w.navigator().into())
        .unwrap_or_default();
    let method = |name: &str| {
        js_sys::Reflect::get(&navigator, &name.into())
            .ok()
            .and_then(|f| f.dyn_into::<js_sys::Function>().ok())
    };
    if let (Some(can_share), Some(share)) = (method("canShare"), method("share"))
        && can_share
            .call1(&navigator, &data)
            .is_ok_and(|v| v.is_truthy())
        && let Ok(promise) = share.call1(&navigator, &data)
    {
        match JsFuture::from(js_sys::Promise::from(promise)).await {
            Ok(_) => return Ok(Shared::Done),
            Err(e) => {
                let name = js_sys::Reflect::get(&e, &"name".into())
                    .ok()
                    .and_then(|n| n.as_string());
                if name.as_deref() == Some("AbortError") {
                    return Ok(Shared::Cancelled);
                }
            }
        }
    }
    download(bytes, file_name)?;
    Ok(Shared::Done)
}

/// The bytes of an answer that is a file (`Uint8Array` from the worker, `ArrayBuffer`
/// from Tauri).
pub fn bytes_of(v: JsValue) -> Vec<u8> {
    js_sys::Uint8Array::new(&v).to_vec()
}

/// Offers `bytes` as a download named `file_name`.
fn download(bytes: &[u8], file_name: &str) -> Result<(), AppError> {
    let parts = js_sys::Array::of1(&js_sys::Uint8Array::from(bytes));
    let blob = web_sys::Blob::new_with_u8_array_sequence(&parts).map_err(app_error_of)?;
    let url = web_sys::Url::create_object_url_with_blob(&blob).map_err(app_error_of)?;
    let document = web_sys::window()
        .and_then(|w| w.document())
        .ok_or_else(|| storage_error("no document"))?;
    let a: web_sys::HtmlAnchorElement = document
        .create_element("a")
        .map_err(app_error_of)?
        .unchecked_into();
    a.set_href(&url);
    a.set_download(file_name);
    a.click();
    // Released once the browser has taken the download.
    let release = Closure::once_into_js(move || {
        let _ = web_sys::Url::revoke_object_url(&url);
    });
    if let Some(w) = web_sys::window() {
        let _ = w
            .set_timeout_with_callback_and_timeout_and_arguments_0(release.unchecked_ref(), 60_000);
    }
    Ok(())
}
