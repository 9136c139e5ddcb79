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

use crate::doc::DocId;
use crate::model::{Access, Account, Role};

/// What `account` may do with `doc`. `subdistrict_of` maps a station id to its street or
/// town (only consulted for coordinators); an unknown station is in no subdistrict.
pub fn access(
    account: &Account,
    doc: &DocId,
    subdistrict_of: impl Fn(&str) -> Option<String>,
) -> Access {
    let scope = account.scope_id.as_deref();
    let mine = |station: &str| match account.role {
        Role::Deputy | Role::StationStaff => scope == Some(station),
        Role::SubdistrictCoordinator => {
            scope.is_some() && subdistrict_of(station).as_deref() == scope
        }
        Role::DistrictAdmin | Role::Department => false,
    };
    let admin = account.role == Role::DistrictAdmin;
    let department = |d: &str| account.role == Role::Department && scope == Some(d);
    match doc {
        DocId::District | DocId::Subdistrict(_) | DocId::Consultation(_) => Access::Read,
        _ if admin => Access::Read,
        DocId::Station { station, .. } | DocId::Referrals { station, .. } if mine(station) => {
            Access::Write
        }
        DocId::Answers { station, .. } if mine(station) => Access::Read,
        DocId::Referrals { department: d, .. } if department(d) => Access::Read,
        DocId::Answers { department: d, .. } if department(d) => Access::Write,
        _ => Access::None,
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
