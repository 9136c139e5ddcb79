//! Reference data: streets and towns, stations and their staff, deputies, departments,
//! campaigns and draft regulations. Written by coordinators and administrators, read by
//! every device to fill pick lists and to check what a record points at.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::ActivityKind;

/// A street (街道) or a town (镇) of the district.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(
    feature = "store",
    derive(autosurgeon::Reconcile, autosurgeon::Hydrate)
)]
pub struct Subdistrict {
    pub id: String,
    pub name: String,
    pub kind: SubdistrictKind,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Copy)]
#[cfg_attr(
    feature = "store",
    derive(autosurgeon::Reconcile, autosurgeon::Hydrate)
)]
#[serde(rename_all = "snake_case")]
pub enum SubdistrictKind {
    #[cfg_attr(feature = "store", autosurgeon(rename = "street"))]
    Street,
    #[cfg_attr(feature = "store", autosurgeon(rename = "town"))]
    Town,
}

/// A deputy home (人大代表之家) or liaison station (人大代表联络站).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(
    feature = "store",
    derive(autosurgeon::Reconcile, autosurgeon::Hydrate)
)]
pub struct Station {
    pub id: String,
    pub name: String,
    pub kind: StationKind,
    pub subdistrict_id: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Copy)]
#[cfg_attr(
    feature = "store",
    derive(autosurgeon::Reconcile, autosurgeon::Hydrate)
)]
#[serde(rename_all = "snake_case")]
pub enum StationKind {
    #[cfg_attr(feature = "store", autosurgeon(rename = "home"))]
    Home,
    #[cfg_attr(feature = "store", autosurgeon(rename = "liaison_point"))]
    LiaisonPoint,
}

/// A station's full-time staff member (专职工作人员). Only a name and a post: staff
/// phone numbers are personal data the app does not need.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(
    feature = "store",
    derive(autosurgeon::Reconcile, autosurgeon::Hydrate)
)]
pub struct StationStaff {
    pub id: String,
    pub station_id: String,
    pub name: String,
    /// e.g. 站长, 联络员; may be empty.
    pub post: String,
}

/// A people's-congress deputy (人大代表), grouped into one station.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(
    feature = "store",
    derive(autosurgeon::Reconcile, autosurgeon::Hydrate)
)]
pub struct Deputy {
    pub id: String,
    pub name: String,
    /// Levels the person sits at; at least one.
    pub levels: Vec<DeputyLevel>,
    pub station_id: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Copy, PartialOrd, Ord)]
#[cfg_attr(
    feature = "store",
    derive(autosurgeon::Reconcile, autosurgeon::Hydrate)
)]
#[serde(rename_all = "snake_case")]
pub enum DeputyLevel {
    #[cfg_attr(feature = "store", autosurgeon(rename = "city"))]
    City,
    #[cfg_attr(feature = "store", autosurgeon(rename = "district"))]
    District,
    #[cfg_attr(feature = "store", autosurgeon(rename = "town"))]
    Town,
}

/// A government department (承办单位 / 委办局) that answers referred opinions.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(
    feature = "store",
    derive(autosurgeon::Reconcile, autosurgeon::Hydrate)
)]
pub struct Department {
    pub id: String,
    pub name: String,
}

/// A campaign (专题活动, e.g. 回家站听意见): a window of dates, the kind of activity it
/// asks for, and the stations it targets.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(
    feature = "store",
    derive(autosurgeon::Reconcile, autosurgeon::Hydrate)
)]
pub struct Campaign {
    pub id: String,
    pub name: String,
    pub activity_kind: ActivityKind,
    #[cfg_attr(feature = "store", autosurgeon(with = "crate::model::am_date"))]
    pub starts: NaiveDate,
    #[cfg_attr(feature = "store", autosurgeon(with = "crate::model::am_date"))]
    pub ends: NaiveDate,
    pub station_ids: Vec<String>,
}

/// A draft regulation (法规草案) out for consultation, with its articles.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(
    feature = "store",
    derive(autosurgeon::Reconcile, autosurgeon::Hydrate)
)]
pub struct DraftRegulation {
    pub id: String,
    pub title: String,
    #[cfg_attr(feature = "store", autosurgeon(with = "crate::model::am_date"))]
    pub opens: NaiveDate,
    #[cfg_attr(feature = "store", autosurgeon(with = "crate::model::am_date"))]
    pub closes: NaiveDate,
    pub articles: Vec<Article>,
}

/// One article (条款) of a draft regulation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(
    feature = "store",
    derive(autosurgeon::Reconcile, autosurgeon::Hydrate)
)]
pub struct Article {
    pub id: String,
    /// 第N条.
    pub number: u32,
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
