//! The access rule: what an account may do with a document, decided from the document's
//! id and the account alone. The server applies it to every document id in every request
//! (and its SQL read filter must agree: the authorization-matrix test checks both).
//!
//! | role | directory, consultations | its stations' months | referrals of its stations | answers to its stations | its department's referrals | its department's answers |
//! |---|---|---|---|---|---|---|
//! | deputy, station staff (one station) | read | write | write | read | – | – |
//! | subdistrict coordinator (stations of one street/town) | read | write | write | read | – | – |
//! | district administrator | read | read (all) | read (all) | read (all) | read | read |
//! | department | read | – | – | – | read | write |
//!
//! Everything marked – does not exist for that account: pushes to it get the same answer
//! as a document that is not there, and pulls never include it.
//!
//! What an account reads is [`read_scope`], one value a backend turns into its query (the
//! server's pulls and bootstrap pages); [`access`] decides single documents from the same
//! value, so the two cannot disagree.

use crate::doc::DocId;
use crate::model::{Access, Account, Role};

/// The documents an account reads besides the shared ones ([`DocFamily::is_shared`]:
/// the directory and consultations, which every account reads).
///
/// [`DocFamily::is_shared`]: crate::doc::DocFamily::is_shared
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ReadScope {
    /// Every document.
    All,
    /// The documents of one station ([`DocId::station_id`]): its months, its referrals
    /// and the answers to them.
    Station(String),
    /// The documents of every station of one street or town.
    Subdistrict(String),
    /// The documents of one department ([`DocId::department_id`]): the referrals to it
    /// and its answers.
    Department(String),
    /// None besides the shared ones (an account without the scope its role needs).
    Shared,
}

/// What `account` reads besides the shared documents.
pub fn read_scope(account: &Account) -> ReadScope {
    let Some(scope) = account.scope_id.clone() else {
        return match account.role {
            Role::DistrictAdmin => ReadScope::All,
            _ => ReadScope::Shared,
        };
    };
    match account.role {
        Role::DistrictAdmin => ReadScope::All,
        Role::Deputy | Role::StationStaff => ReadScope::Station(scope),
        Role::SubdistrictCoordinator => ReadScope::Subdistrict(scope),
        Role::Department => ReadScope::Department(scope),
    }
}

/// What `account` may do with `doc`. `subdistrict_of` maps a station id to its street or
/// town (only consulted for coordinators); an unknown station is in no subdistrict.
pub fn access(
    account: &Account,
    doc: &DocId,
    subdistrict_of: impl Fn(&str) -> Option<String>,
) -> Access {
    if doc.family().is_shared() {
        return Access::Read;
    }
    let station = doc.station_id();
    let reads = match read_scope(account) {
        ReadScope::All => true,
        ReadScope::Station(s) => station == Some(s.as_str()),
        ReadScope::Subdistrict(sd) => {
            station.is_some_and(|st| subdistrict_of(st).as_deref() == Some(sd.as_str()))
        }
        ReadScope::Department(d) => doc.department_id() == Some(d.as_str()),
        ReadScope::Shared => false,
    };
    // Of what it reads, a station writes its months and referrals and reads the answers;
    // a department writes its answers and reads the referrals; the district reads.
    let writes = match (account.role, doc) {
        (Role::DistrictAdmin, _) => false,
        (Role::Department, doc) => matches!(doc, DocId::Answers { .. }),
        (_, doc) => !matches!(doc, DocId::Answers { .. }),
    };
    match (reads, writes) {
        (false, _) => Access::None,
        (true, false) => Access::Read,
        (true, true) => Access::Write,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn account(role: Role, scope: Option<&str>) -> Account {
        Account {
            username: "u".into(),
            display_name: "u".into(),
            role,
            scope_id: scope.map(str::to_owned),
            deputy_id: None,
        }
    }

    #[test]
    fn a_coordinator_reaches_only_the_stations_of_their_subdistrict() {
        let coordinator = account(Role::SubdistrictCoordinator, Some("sd-a"));
        let subdistrict_of = |s: &str| (s == "st-1").then(|| "sd-a".to_owned());
        let month = |s: &str| DocId::parse(&format!("station/{s}/2026-11")).unwrap();
        assert_eq!(
            access(&coordinator, &month("st-1"), subdistrict_of),
            Access::Write
        );
        assert_eq!(
            access(&coordinator, &month("st-2"), subdistrict_of),
            Access::None
        );
        // A coordinator without a scope reaches no station, even an unknown one.
        let unscoped = account(Role::SubdistrictCoordinator, None);
        assert_eq!(access(&unscoped, &month("st-x"), |_| None), Access::None);
    }
}
