//! Reference data: streets and towns, stations and their staff, deputies, departments,
//! campaigns and draft regulations. Written by coordinators and administrators, read by
//! every device to fill pick lists and to check what a record points at.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::ActivityKind;

/// A street (街道) or a town (镇) of the district.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(
    feature = "store",
    derive(autosurgeon::Reconcile, autosurgeon::Hydrate)
)]
pub struct Subdistrict {
    pub id: String,
    /// Its name (e.g. 紫竹院街道).
    pub name: String,
    pub kind: SubdistrictKind,
}

/// Whether a subdistrict is a street or a town.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Copy)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(
    feature = "store",
    derive(autosurgeon::Reconcile, autosurgeon::Hydrate)
)]
#[serde(rename_all = "snake_case")]
pub enum SubdistrictKind {
    /// 街道 (street)
    #[cfg_attr(feature = "store", autosurgeon(rename = "street"))]
    Street,
    /// 镇 (town)
    #[cfg_attr(feature = "store", autosurgeon(rename = "town"))]
    Town,
}

/// A deputy home (人大代表之家) or liaison station (人大代表联络站).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(
    feature = "store",
    derive(autosurgeon::Reconcile, autosurgeon::Hydrate)
)]
pub struct Station {
    pub id: String,
    /// Its name.
    pub name: String,
    pub kind: StationKind,
    /// The street or town it is in.
    pub subdistrict_id: String,
}

/// What a station is.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Copy)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(
    feature = "store",
    derive(autosurgeon::Reconcile, autosurgeon::Hydrate)
)]
#[serde(rename_all = "snake_case")]
pub enum StationKind {
    /// 人大代表之家 (deputy home)
    #[cfg_attr(feature = "store", autosurgeon(rename = "home"))]
    Home,
    /// 人大代表联络站 (liaison station)
    #[cfg_attr(feature = "store", autosurgeon(rename = "liaison_point"))]
    LiaisonPoint,
}

/// A station's full-time staff member (专职工作人员). Only a name and a post: staff
/// phone numbers are personal data the app does not need.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(
    feature = "store",
    derive(autosurgeon::Reconcile, autosurgeon::Hydrate)
)]
pub struct StationStaff {
    pub id: String,
    /// The station they work at.
    pub station_id: String,
    /// Their name.
    pub name: String,
    /// e.g. 站长, 联络员; may be empty.
    pub post: String,
}

/// A people's-congress deputy (人大代表), grouped into one station.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(
    feature = "store",
    derive(autosurgeon::Reconcile, autosurgeon::Hydrate)
)]
pub struct Deputy {
    pub id: String,
    /// Their name.
    pub name: String,
    /// Levels the person sits at; at least one.
    pub levels: Vec<DeputyLevel>,
    /// The station the deputy is grouped into.
    pub station_id: String,
}

/// A level of people's congress a deputy sits at.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Copy, PartialOrd, Ord)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(
    feature = "store",
    derive(autosurgeon::Reconcile, autosurgeon::Hydrate)
)]
#[serde(rename_all = "snake_case")]
pub enum DeputyLevel {
    /// 市人大代表 (city deputy)
    #[cfg_attr(feature = "store", autosurgeon(rename = "city"))]
    City,
    /// 区人大代表 (district deputy)
    #[cfg_attr(feature = "store", autosurgeon(rename = "district"))]
    District,
    /// 镇人大代表 (town deputy)
    #[cfg_attr(feature = "store", autosurgeon(rename = "town"))]
    Town,
}

/// A government department (承办单位 / 委办局) that answers referred opinions.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(
    feature = "store",
    derive(autosurgeon::Reconcile, autosurgeon::Hydrate)
)]
pub struct Department {
    pub id: String,
    /// Its name (e.g. 区交通委).
    pub name: String,
}

/// A campaign (专题活动, e.g. 回家站听意见): a window of dates, the kind of activity it
/// asks for, and the stations it targets.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(
    feature = "store",
    derive(autosurgeon::Reconcile, autosurgeon::Hydrate)
)]
pub struct Campaign {
    pub id: String,
    /// Its name.
    pub name: String,
    /// The kind of activity it asks for.
    pub activity_kind: ActivityKind,
    /// Its first day.
    #[cfg_attr(feature = "store", autosurgeon(with = "crate::model::am_date"))]
    pub starts: NaiveDate,
    /// Its last day.
    #[cfg_attr(feature = "store", autosurgeon(with = "crate::model::am_date"))]
    pub ends: NaiveDate,
    /// The stations it targets.
    pub station_ids: Vec<String>,
}

/// A draft regulation (法规草案) out for consultation, with its articles.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(
    feature = "store",
    derive(autosurgeon::Reconcile, autosurgeon::Hydrate)
)]
pub struct DraftRegulation {
    pub id: String,
    /// Its title.
    pub title: String,
    /// The first day opinions on it are taken.
    #[cfg_attr(feature = "store", autosurgeon(with = "crate::model::am_date"))]
    pub opens: NaiveDate,
    /// The last day opinions on it are taken.
    #[cfg_attr(feature = "store", autosurgeon(with = "crate::model::am_date"))]
    pub closes: NaiveDate,
    /// Its articles, in order.
    pub articles: Vec<Article>,
}

/// One article (条款) of a draft regulation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(
    feature = "store",
    derive(autosurgeon::Reconcile, autosurgeon::Hydrate)
)]
pub struct Article {
    /// Its id (an opinion's `article_id`).
    pub id: String,
    /// 第N条.
    pub number: u32,
    /// Its text.
    pub text: String,
}

/// All the reference data a device holds.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Directory {
    pub subdistricts: Vec<Subdistrict>,
    pub stations: Vec<Station>,
    pub staff: Vec<StationStaff>,
    pub deputies: Vec<Deputy>,
    pub departments: Vec<Department>,
    pub campaigns: Vec<Campaign>,
    pub drafts: Vec<DraftRegulation>,
}
