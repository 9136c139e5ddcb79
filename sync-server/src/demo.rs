//! The demo: Haidian District with a lived-in year 2022 of records
//! ([`shared::demo::haidian`]), and demo accounts, one of every role, so someone trying
//! the app can sign in. The admin command `load-demo` loads the district; `demo-accounts`
//! (which the README's run command calls) loads it too and creates the accounts on a demo
//! server and prints them.
//!
//! Their passwords are generated once and kept in a file beside the database (mode
//! 0600), so every run prints the same ones. A database with any other account is not
//! a demo server: the command refuses it.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{Context as _, bail};
use shared::demo::haidian;
use shared::model::Role;

use crate::{NewAccount, SqliteStorage};

/// One demo account with its password.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DemoAccount {
    pub username: String,
    pub password: String,
    pub display_name: String,
    pub role: Role,
    pub scope_id: Option<String>,
    pub deputy_id: Option<String>,
}

/// The demo accounts (without passwords): ids from [`shared::demo::directory`] (which
/// the district's directory holds too), all around 紫竹院 so the accounts see each
/// other's records.
fn wanted() -> Vec<NewAccount> {
    let dir = shared::demo::directory();
    let staff = &dir.staff[0];
    let deputy = &dir.deputies[0];
    let station = &dir.stations[0];
    let department = &dir.departments[0];
    let account =
        |username: &str, name: &str, role, scope: Option<&str>, deputy: Option<&str>| NewAccount {
            username: username.into(),
            display_name: name.into(),
            role,
            scope_id: scope.map(str::to_owned),
            deputy_id: deputy.map(str::to_owned),
        };
    vec![
        account(
            "demo-station",
            &staff.name,
            Role::StationStaff,
            Some(&staff.station_id),
            None,
        ),
        account(
            "demo-deputy",
            &deputy.name,
            Role::Deputy,
            Some(&deputy.station_id),
            Some(&deputy.id),
        ),
        account(
            "demo-coordinator",
            "宋佳",
            Role::SubdistrictCoordinator,
            Some(&station.subdistrict_id),
            None,
        ),
        account(
            "demo-department",
            &department.name,
            Role::Department,
            Some(&department.id),
            None,
        ),
        account(
            "demo-admin",
            "区人大常委会办公室",
            Role::DistrictAdmin,
            None,
            None,
        ),
    ]
}

/// What loading the demo wrote.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DemoLoaded {
    /// The district's directory (it was missing).
    pub directory: bool,
    /// Documents of the year's records (none when the server held records already).
    pub documents: usize,
    /// The server holds another directory than the district's (the small `--demo` one,
    /// or a real district's): nothing was loaded.
    pub other_directory: bool,
}

/// Loads the demo district: [`haidian::directory`] if the server has no directory, and
/// the year 2022 ([`haidian::year`] of [`haidian::DEMO_SEED`]) if the server has no
/// station documents yet and its directory is the district's (a server loaded with
/// another directory, such as the small `--demo` one, gets no records: they would name
/// stations it does not have).
pub fn load_demo(storage: &SqliteStorage) -> anyhow::Result<DemoLoaded> {
    let dir = haidian::directory();
    let directory = storage.load_directory_if_missing(&dir)?;
    let known: std::collections::BTreeSet<String> = storage.station_ids()?.into_iter().collect();
    if dir.stations.iter().any(|s| !known.contains(&s.id)) {
        return Ok(DemoLoaded {
            directory,
            documents: 0,
            other_directory: true,
        });
    }
    let records = haidian::year(&dir, haidian::DEMO_SEED);
    let documents = storage.load_records_if_missing(&records)?;
    if documents > 0 {
        tracing::info!(
            "demo year {}: {} activities, {} opinions, {} referrals, {} answers, {} suggestions, \
             {} livelihood leads in {documents} documents",
            haidian::YEAR,
            records.activities.len(),
            records.opinions.len(),
            records.referrals.len(),
            records.answers.len(),
            records.suggestions.len(),
            records.leads.len(),
        );
    }
    Ok(DemoLoaded {
        directory,
        documents,
        other_directory: false,
    })
}

/// The file beside `db` that keeps the demo passwords.
pub fn default_file(db: &Path) -> std::path::PathBuf {
    db.with_file_name("demo-accounts.txt")
}

/// Loads the demo district if missing ([`load_demo`]), makes sure every demo account
/// exists with the password kept in `file` (creating the account, or setting the
/// password, where they differ), keeps the passwords in `file` (mode 0600), and returns
/// the accounts.
pub fn ensure_demo_accounts(
    storage: &SqliteStorage,
    file: &Path,
) -> anyhow::Result<Vec<DemoAccount>> {
    let wanted = wanted();
    let existing = storage.accounts()?;
    if let Some((other, _)) = existing
        .iter()
        .find(|(a, _)| !wanted.iter().any(|w| w.username == a.username))
    {
        bail!(
            "this database has the account {:?}, so it is not a demo server: demo accounts \
             are only made on a database with none but them",
            other.username
        );
    }
    load_demo(storage)?;
    let mut kept = read_file(file)?;
    let mut accounts = Vec::new();
    for new in wanted {
        let exists = existing.iter().any(|(a, _)| a.username == new.username);
        let password = match kept.get(&new.username) {
            Some(p) if exists => p.clone(),
            Some(p) => {
                storage.create_account(&new, p)?;
                p.clone()
            }
            None => {
                let p = crate::auth::random_password()?;
                if exists {
                    storage.reset_password(&new.username, &p)?;
                } else {
                    storage.create_account(&new, &p)?;
                }
                p
            }
        };
        kept.insert(new.username.clone(), password.clone());
        accounts.push(DemoAccount {
            username: new.username,
            password,
            display_name: new.display_name,
            role: new.role,
            scope_id: new.scope_id,
            deputy_id: new.deputy_id,
        });
    }
    write_file(file, &kept)?;
    Ok(accounts)
}

/// `username<TAB>password` lines.
fn read_file(file: &Path) -> anyhow::Result<BTreeMap<String, String>> {
    match std::fs::read_to_string(file) {
        Ok(text) => Ok(text
            .lines()
            .filter_map(|l| l.split_once('\t'))
            .map(|(u, p)| (u.to_owned(), p.to_owned()))
            .collect()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(BTreeMap::new()),
        Err(e) => Err(e).with_context(|| file.display().to_string()),
    }
}

fn write_file(file: &Path, kept: &BTreeMap<String, String>) -> anyhow::Result<()> {
    let text: String = kept.iter().map(|(u, p)| format!("{u}\t{p}\n")).collect();
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt as _, PermissionsExt as _};
        options.mode(0o600);
        // A file made before with wider permissions is narrowed too.
        if file.exists() {
            std::fs::set_permissions(file, std::fs::Permissions::from_mode(0o600))?;
        }
    }
    let mut f = options
        .open(file)
        .with_context(|| file.display().to_string())?;
    std::io::Write::write_all(&mut f, text.as_bytes())?;
    Ok(())
}

/// What each role sees first in the app, for the printed table.
fn first_screen(role: Role) -> &'static str {
    match role {
        Role::StationStaff => "home: its station's deputies, opinions, records",
        Role::Deputy => "home, with the deputy ticked on the form",
        Role::SubdistrictCoordinator => "home: every station of the street",
        Role::Department => "inbox: opinions referred to it, to answer",
        Role::DistrictAdmin => "register of every station (reads only)",
    }
}

/// The accounts as a table: a header line, then one tab-separated line per account
/// (user name, password, role, scope, name, what it sees first).
pub fn table(accounts: &[DemoAccount]) -> String {
    let mut out = String::from("user name\tpassword\trole\tscope\tname\tsees first\n");
    for a in accounts {
        out.push_str(&format!(
            "{}\t{}\t{}\t{}\t{}\t{}\n",
            a.username,
            a.password,
            a.role.as_str(),
            a.scope_id.as_deref().unwrap_or("-"),
            a.display_name,
            first_screen(a.role),
        ));
    }
    out
}
