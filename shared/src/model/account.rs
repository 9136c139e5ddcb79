//! Accounts and roles: who a user is to the server, and what each role may touch.
//!
//! The rule itself ([`crate::access::access`]) needs document ids, so it lives with the
//! store; these types are also used by the wasm UI (what to show a signed-in user).

use serde::{Deserialize, Serialize};

/// What a person does; fixes which documents the account reads and writes
/// (ARCHITECTURE.md "Accounts and scopes" has the table).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// 人大代表: records the meetings and opinions of their station.
    Deputy,
    /// 专职工作人员: keeps the station's register and refers opinions.
    StationStaff,
    /// 街道工委 / 镇人大: every station of one street or town.
    SubdistrictCoordinator,
    /// 区人大常委会: reads everything, writes no records (supervision and statistics).
    DistrictAdmin,
    /// 承办单位: reads the opinions referred to it, writes its answers.
    Department,
}

/// What an account's `scope_id` names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScopeKind {
    Station,
    Subdistrict,
    Department,
    /// The whole district: no scope id.
    District,
}

impl Role {
    pub const ALL: [Role; 5] = [
        Role::Deputy,
        Role::StationStaff,
        Role::SubdistrictCoordinator,
        Role::DistrictAdmin,
        Role::Department,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Deputy => "deputy",
            Role::StationStaff => "station_staff",
            Role::SubdistrictCoordinator => "subdistrict_coordinator",
            Role::DistrictAdmin => "district_admin",
            Role::Department => "department",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// What the account's scope id must name for this role.
    pub fn scope_kind(self) -> ScopeKind {
        match self {
            Role::Deputy | Role::StationStaff => ScopeKind::Station,
            Role::SubdistrictCoordinator => ScopeKind::Subdistrict,
            Role::DistrictAdmin => ScopeKind::District,
            Role::Department => ScopeKind::Department,
        }
    }
}

/// An account as the server and the app know it: never a password or a token.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Account {
    /// The sign-in name.
    pub username: String,
    /// The name shown in the app.
    pub display_name: String,
    pub role: Role,
    /// The station (deputy, station staff), subdistrict (coordinator) or department
    /// (department) the account works in; `None` for the district administrator.
    pub scope_id: Option<String>,
    /// For a deputy's account: the deputy in the directory ("me" in forms).
    #[serde(default)]
    pub deputy_id: Option<String>,
}

/// How far an account may go with one document.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Access {
    /// Not even its existence: to this account the document does not exist.
    None,
    Read,
    Write,
}
