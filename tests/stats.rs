//! Statistics, duty records and yearly reports, counted by the device store from its
//! projection tables on a real SQLite file.

use chrono::NaiveDate;
use shared::{
    ActivityFilter, ActivityInput, ActivityKind, AnswerInput, AnswerStatus, DeputyLevel,
    FeedbackInput, OpinionCategory, OpinionFilter, OpinionInput, OpinionStatus, ReferralInput,
    Satisfaction, StatsQuery, Store, StoreKey, SuggestionInput, YearReportInput,
};

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 25).unwrap()
}

fn day(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn store(dir: &tempfile::TempDir) -> Store {
    let mut store = Store::open(
        &dir.path().join("device.db"),
        &StoreKey::from_bytes([7; 32]),
    )
    .unwrap();
    store.receive_directory(&shared::demo::directory()).unwrap();
    store
}

fn activity(
    store: &mut Store,
    kind: ActivityKind,
    station: &str,
    date: &str,
    deputies: &[&str],
    voters: u32,
    online: bool,
) -> String {
    store
        .create_activity(
            &ActivityInput {
                kind,
                station_id: station.into(),
                date: date.into(),
                deputy_ids: deputies.iter().map(|d| d.to_string()).collect(),
                voters_received: voters.to_string(),
                online,
                summary: format!("{date} 听取选民意见"),
                ..ActivityInput::default()
            },
            today(),
        )
        .unwrap()
}

fn opinion(store: &mut Store, station: &str, date: &str, category: OpinionCategory) -> String {
    store
        .create_opinion(
            &OpinionInput {
                station_id: station.into(),
                date: date.into(),
                categories: vec![category],
                content: "小区门口停车难".into(),
                ..OpinionInput::default()
            },
            today(),
        )
        .unwrap()
}

fn refer(store: &mut Store, opinion: &str, department: &str, on: &str, deadline: &str) -> String {
    store
        .refer_opinion(
            &ReferralInput {
                opinion_id: opinion.into(),
                department_id: department.into(),
                deadline: deadline.into(),
                ..ReferralInput::default()
            },
            day(on),
        )
        .unwrap()
}

fn answer(store: &mut Store, referral: &str, date: &str) {
    store
        .answer_referral(
            &AnswerInput {
                referral_id: referral.into(),
                status: AnswerStatus::Answered,
                date: date.into(),
                text: "已处理".into(),
            },
            today(),
        )
        .unwrap();
}

/// Two stations of 紫竹院 and one of 上地 over 2026, with a deputy on two levels.
#[test]
fn figures_follow_the_counting_rules_and_open_the_records_behind_them() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = store(&dir);
    use ActivityKind::*;
    // dep-002 李秀英 is a city and a district deputy; dep-001 and dep-003 district.
    activity(
        &mut s,
        VoterMeeting,
        "st-zizhuyuan-home",
        "2026-01-10",
        &["dep-001", "dep-002"],
        40,
        false,
    );
    activity(
        &mut s,
        VoterMeeting,
        "st-zizhuyuan-home",
        "2026-01-20",
        &["dep-002", "dep-003"],
        25,
        true,
    );
    activity(
        &mut s,
        Training,
        "st-zizhuyuan-home",
        "2026-03-02",
        &["dep-001"],
        0,
        false,
    );
    activity(
        &mut s,
        ReceptionDay,
        "st-shangdi-park",
        "2026-03-15",
        &["dep-004", "dep-005"],
        12,
        false,
    );
    // Outside the year: never counted.
    activity(
        &mut s,
        ReceptionDay,
        "st-shangdi-park",
        "2025-12-31",
        &["dep-004"],
        99,
        false,
    );

    let o1 = opinion(
        &mut s,
        "st-zizhuyuan-home",
        "2026-01-10",
        OpinionCategory::Traffic,
    );
    let o2 = opinion(
        &mut s,
        "st-zizhuyuan-home",
        "2026-01-20",
        OpinionCategory::Traffic,
    );
    let o3 = opinion(
        &mut s,
        "st-shangdi-park",
        "2026-03-15",
        OpinionCategory::Healthcare,
    );
    let _o4 = opinion(
        &mut s,
        "st-shangdi-park",
        "2026-03-16",
        OpinionCategory::Culture,
    );
    let r1 = refer(&mut s, &o1, "dept-traffic", "2026-01-11", "2026-02-10");
    answer(&mut s, &r1, "2026-01-15"); // 4 days
    let r2 = refer(&mut s, &o2, "dept-traffic", "2026-01-21", "2026-02-20");
    answer(&mut s, &r2, "2026-01-31"); // 10 days
    s.record_feedback(
        &FeedbackInput {
            opinion_id: o2.clone(),
            date: "2026-02-01".into(),
            text: "已告知选民".into(),
            satisfaction: Some(Satisfaction::Satisfied),
        },
        today(),
    )
    .unwrap();
    refer(&mut s, &o3, "dept-health", "2026-03-16", "2026-04-15"); // overdue by today
    s.create(
        &SuggestionInput {
            station_id: "st-zizhuyuan-home".into(),
            date: "2026-02-01".into(),
            title: "关于增设停车位的建议".into(),
            content: "多位选民反映停车难".into(),
            deputy_ids: vec!["dep-002".into()],
            opinion_ids: vec![o1.clone(), o2.clone()],
            supervised: true,
            ..SuggestionInput::default()
        },
        today(),
    )
    .unwrap();

    let stats = s.statistics(&StatsQuery::year(2026), today()).unwrap();
    let t = &stats.totals;
    assert_eq!(t.activities, 4);
    assert_eq!(t.attendances, 7, "one per deputy per activity");
    assert_eq!(t.deputies, 5, "each person once");
    assert_eq!((t.voters_on_site, t.voters_online), (52, 25));
    assert_eq!(t.opinions, 4);
    assert_eq!(t.answered, 2);
    assert_eq!(t.overdue, 1);
    assert_eq!(t.suggestions, 1);
    assert_eq!(stats.supervised_suggestions, 1);
    // 李秀英 counts at both her levels; 陈静 (dep-005) is a city deputy.
    let level = |l| {
        stats
            .attendances_by_level
            .iter()
            .find(|(x, _)| *x == l)
            .unwrap()
            .1
    };
    assert_eq!(level(DeputyLevel::City), 3);
    assert_eq!(level(DeputyLevel::District), 6);
    assert_eq!(level(DeputyLevel::Town), 0);
    let distinct_city = stats.deputies_by_level[0];
    assert_eq!(distinct_city, (DeputyLevel::City, 2));
    assert!(stats.activities_by_kind.contains(&(VoterMeeting, 2)));
    assert!(
        stats
            .opinions_by_category
            .contains(&(OpinionCategory::Traffic, 2))
    );
    assert!(
        stats
            .opinions_by_status
            .contains(&(OpinionStatus::FedBack, 1))
    );
    assert!(
        stats
            .opinions_by_status
            .contains(&(OpinionStatus::Recorded, 1))
    );
    assert_eq!(stats.satisfaction[0], (Satisfaction::Satisfied, 1));
    assert_eq!(stats.median_days_to_answer, Some(7.0));
    let traffic = &stats.referrals_by_department[0];
    assert_eq!(
        (traffic.id.as_str(), traffic.referred, traffic.answered),
        ("dept-traffic", 2, 2)
    );
    let health = stats
        .referrals_by_department
        .iter()
        .find(|d| d.id == "dept-health")
        .unwrap();
    assert_eq!(
        (health.referred, health.answered, health.overdue),
        (1, 0, 1)
    );
    // By place: every station of the directory, and the streets adding up.
    let home = stats
        .by_station
        .iter()
        .find(|p| p.id == "st-zizhuyuan-home")
        .unwrap();
    assert_eq!((home.figures.activities, home.figures.deputies), (3, 3));
    assert!(
        stats
            .by_station
            .iter()
            .any(|p| p.id == "st-sujiatuo-xinmu" && p.figures.activities == 0)
    );
    let zizhuyuan = stats
        .by_subdistrict
        .iter()
        .find(|p| p.id == "sd-zizhuyuan")
        .unwrap();
    assert_eq!(zizhuyuan.name, "紫竹院街道");
    assert_eq!(
        (zizhuyuan.figures.activities, zizhuyuan.figures.voters()),
        (3, 65)
    );
    assert_eq!(stats.by_month.len(), 12);
    assert_eq!(stats.by_month[0].month, "2026-01");
    assert_eq!(
        (stats.by_month[0].activities, stats.by_month[0].attendances),
        (2, 4)
    );
    assert_eq!(stats.by_month[2].opinions, 2);

    // Narrowed to a street, a station, a month.
    let street = s
        .statistics(
            &StatsQuery {
                subdistrict_id: Some("sd-shangdi".into()),
                ..StatsQuery::year(2026)
            },
            today(),
        )
        .unwrap();
    assert_eq!((street.totals.activities, street.totals.opinions), (1, 2));
    assert!(street.by_station.iter().all(|p| p.id == "st-shangdi-park"));
    let march = s
        .statistics(
            &StatsQuery {
                from: Some(day("2026-03-01")),
                to: Some(day("2026-03-31")),
                ..StatsQuery::default()
            },
            today(),
        )
        .unwrap();
    assert_eq!(march.totals.activities, 2);
    assert_eq!(march.by_month.len(), 1);

    // Every figure opens its records: the lists filter the same way.
    let city = s
        .list_activities(&ActivityFilter {
            level: Some(DeputyLevel::City),
            from: Some(day("2026-01-01")),
            to: Some(day("2026-12-31")),
            ..ActivityFilter::default()
        })
        .unwrap();
    assert_eq!(city.len(), 3);
    let online = s
        .list_activities(&ActivityFilter {
            online: Some(true),
            ..ActivityFilter::default()
        })
        .unwrap();
    assert_eq!(online.len(), 1);
    let traffic_ops = s
        .list_opinions(
            &OpinionFilter {
                category: Some(OpinionCategory::Traffic),
                subdistrict_id: Some("sd-zizhuyuan".into()),
                from: Some(day("2026-01-01")),
                to: Some(day("2026-12-31")),
                ..OpinionFilter::default()
            },
            today(),
        )
        .unwrap();
    assert_eq!(traffic_ops.len(), 2);
    let satisfied = s
        .list_opinions(
            &OpinionFilter {
                satisfaction: Some(Satisfaction::Satisfied),
                ..OpinionFilter::default()
            },
            today(),
        )
        .unwrap();
    assert_eq!(satisfied.len(), 1);
    let answered = s
        .list_opinions(
            &OpinionFilter {
                statuses: vec![OpinionStatus::Answered, OpinionStatus::FedBack],
                ..OpinionFilter::default()
            },
            today(),
        )
        .unwrap();
    assert_eq!(answered.len() as u64, stats.totals.answered);

    // Dates the wrong way round are refused.
    assert!(
        s.statistics(
            &StatsQuery {
                from: Some(day("2026-03-01")),
                to: Some(day("2026-02-01")),
                ..StatsQuery::default()
            },
            today(),
        )
        .is_err()
    );
    s.verify().unwrap();
}

#[test]
fn a_campaign_or_a_consultation_counts_only_its_own_activities_and_opinions() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = store(&dir);
    let campaign = "cmp-2022-home-listening";
    let in_campaign = s
        .create_activity(
            &ActivityInput {
                kind: ActivityKind::HomeListening,
                station_id: "st-zizhuyuan-home".into(),
                date: "2022-09-20".into(),
                deputy_ids: vec!["dep-001".into(), "dep-002".into()],
                voters_received: "30".into(),
                summary: "回家站听取意见".into(),
                campaign_id: campaign.into(),
                ..ActivityInput::default()
            },
            today(),
        )
        .unwrap();
    // The same window, not part of the campaign.
    activity(
        &mut s,
        ActivityKind::ReceptionDay,
        "st-zizhuyuan-home",
        "2022-09-21",
        &["dep-003"],
        8,
        false,
    );
    let mut at = OpinionInput {
        station_id: "st-zizhuyuan-home".into(),
        date: "2022-09-20".into(),
        categories: vec![OpinionCategory::Housing],
        content: "老旧小区加装电梯".into(),
        activity_id: in_campaign.clone(),
        ..OpinionInput::default()
    };
    s.create_opinion(&at, today()).unwrap();
    at.activity_id = String::new();
    s.create_opinion(&at, today()).unwrap();
    let stats = s
        .statistics(
            &StatsQuery {
                campaign_id: Some(campaign.into()),
                from: Some(day("2022-09-15")),
                to: Some(day("2022-10-15")),
                ..StatsQuery::default()
            },
            today(),
        )
        .unwrap();
    assert_eq!(stats.totals.activities, 1);
    assert_eq!(stats.totals.deputies, 2);
    assert_eq!(stats.totals.voters(), 30);
    assert_eq!(
        stats.totals.opinions, 1,
        "only opinions received at its activities"
    );
    let listed = s
        .list_opinions(
            &OpinionFilter {
                campaign_id: Some(campaign.into()),
                ..OpinionFilter::default()
            },
            today(),
        )
        .unwrap();
    assert_eq!(listed.len(), 1);
}

#[test]
fn a_deputys_duty_record_keeps_the_rhythm_and_follows_edits() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = store(&dir);
    use ActivityKind::*;
    let jan = activity(
        &mut s,
        VoterMeeting,
        "st-zizhuyuan-home",
        "2026-01-10",
        &["dep-001", "dep-002"],
        40,
        false,
    );
    activity(
        &mut s,
        ReceptionDay,
        "st-zizhuyuan-home",
        "2026-03-05",
        &["dep-001"],
        10,
        false,
    );
    activity(
        &mut s,
        Training,
        "st-zizhuyuan-home",
        "2026-04-05",
        &["dep-001"],
        0,
        false,
    );
    activity(
        &mut s,
        HomeListening,
        "st-zizhuyuan-home",
        "2026-09-20",
        &["dep-001"],
        15,
        false,
    );
    activity(
        &mut s,
        DutyReport,
        "st-zizhuyuan-home",
        "2026-11-20",
        &["dep-001"],
        30,
        false,
    );
    let mut o = OpinionInput {
        station_id: "st-zizhuyuan-home".into(),
        date: "2026-01-10".into(),
        categories: vec![OpinionCategory::Traffic],
        content: "公交站太远".into(),
        activity_id: jan.clone(),
        ..OpinionInput::default()
    };
    s.create_opinion(&o, today()).unwrap();
    o.activity_id = String::new();
    o.received_by = "dep-001".into();
    s.create_opinion(&o, today()).unwrap();
    o.received_by = "dep-003".into();
    s.create_opinion(&o, today()).unwrap();

    let r = s.duty_record("dep-001", 2026).unwrap();
    assert_eq!(r.name, "王建华");
    assert_eq!(r.activities.len(), 5);
    assert_eq!(r.voters_met, 95);
    assert_eq!(r.opinions, 2, "at his activities or received by him");
    let kept: Vec<usize> = (0..12).filter(|m| r.months[*m]).collect();
    assert_eq!(kept, [0, 2], "training keeps no rhythm");
    assert_eq!(r.quarters, [false, false, true, false]);
    assert!(r.duty_report);
    assert_eq!(r.elapsed(today()), (11, 4));

    // Taking him off the January meeting takes January off his record.
    let mut edit = s.activity(&jan).unwrap();
    edit.deputy_ids = vec!["dep-002".into()];
    s.update_activity(&jan, &edit, today()).unwrap();
    let r = s.duty_record("dep-001", 2026).unwrap();
    assert!(!r.months[0]);
    assert_eq!(r.activities.len(), 4);
    assert_eq!(s.duty_record("dep-002", 2026).unwrap().activities.len(), 1);
    assert!(s.duty_record("dep-nobody", 2026).is_err());
    s.verify().unwrap();
}

#[test]
fn a_yearly_report_is_drafted_from_the_record_then_saved_and_edited_as_one_record() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = store(&dir);
    activity(
        &mut s,
        ActivityKind::VoterMeeting,
        "st-zizhuyuan-home",
        "2026-01-10",
        &["dep-001"],
        4655,
        false,
    );
    let draft = s.year_report("dep-001", 2026).unwrap();
    assert!(
        draft.title.contains("王建华") && draft.title.contains("2026"),
        "{}",
        draft.title
    );
    assert!(draft.text.contains("4,655"), "{}", draft.text);
    assert!(
        draft.text.contains("紫竹院街道人大代表之家"),
        "{}",
        draft.text
    );
    assert!(draft.text.contains("进站见选民1次"), "{}", draft.text);
    let sections = shared::report_sections(&draft.text);
    assert!(sections.len() >= 3, "{sections:?}");

    // Nothing is saved until asked; bad input is refused.
    assert_eq!(s.duty_record("dep-001", 2026).unwrap().report_id, None);
    let empty = YearReportInput {
        text: "  ".into(),
        ..draft.clone()
    };
    assert!(s.save_report(&empty, today()).is_err());
    assert_eq!(s.duty_record("dep-001", 2026).unwrap().report_id, None);

    let id = s.save_report(&draft, today()).unwrap();
    let mut edited = draft.clone();
    edited.text.push_str("\n\n另：全年走访困难群众十户。");
    assert_eq!(
        s.save_report(&edited, today()).unwrap(),
        id,
        "the same record"
    );
    assert_eq!(s.year_report("dep-001", 2026).unwrap(), edited);
    assert_eq!(
        s.duty_record("dep-001", 2026).unwrap().report_id,
        Some(id.clone())
    );
    let history = s.history("report", &id).unwrap();
    assert_eq!(history.len(), 2, "{history:?}");
    s.verify().unwrap();
}

/// The register, the ledger and the statistics read back from the files the office
/// gets; the report's PDF read back as text and rendered as pages.
#[test]
fn exports_read_back_with_their_figures_and_rows() {
    use calamine::{Data, DataType as _, Reader as _};
    let dir = tempfile::tempdir().unwrap();
    let mut s = store(&dir);
    use ActivityKind::*;
    let meeting = activity(
        &mut s,
        VoterMeeting,
        "st-zizhuyuan-home",
        "2026-01-10",
        &["dep-001", "dep-002"],
        40,
        false,
    );
    activity(
        &mut s,
        ReceptionDay,
        "st-shangdi-park",
        "2026-03-15",
        &["dep-004"],
        12,
        true,
    );
    let o = s
        .create_opinion(
            &OpinionInput {
                station_id: "st-zizhuyuan-home".into(),
                date: "2026-01-10".into(),
                categories: vec![OpinionCategory::Traffic],
                content: "小区门口停车难".into(),
                activity_id: meeting,
                ..OpinionInput::default()
            },
            today(),
        )
        .unwrap();
    let r = refer(&mut s, &o, "dept-traffic", "2026-01-11", "2026-02-10");
    answer(&mut s, &r, "2026-01-15");
    opinion(
        &mut s,
        "st-shangdi-park",
        "2026-03-16",
        OpinionCategory::Culture,
    );

    let read =
        |bytes: Vec<u8>| calamine::Xlsx::new(std::io::Cursor::new(bytes)).expect("a valid xlsx");
    // The register with the list's filter: only 紫竹院's activity.
    let register = s
        .register_table(&ActivityFilter {
            subdistrict_id: Some("sd-zizhuyuan".into()),
            ..ActivityFilter::default()
        })
        .unwrap();
    let mut book = read(shared::export::xlsx(&[register]).unwrap());
    let sheet = book.worksheet_range("活动登记簿").unwrap();
    let rows: Vec<&[Data]> = sheet.rows().collect();
    assert_eq!(rows[0][0], Data::String("代表活动情况登记簿".into()));
    let header = rows
        .iter()
        .position(|r| r.first() == Some(&Data::String("日期".into())))
        .unwrap();
    let body = &rows[header + 1..];
    assert_eq!(body.len(), 1);
    let row = body[0];
    assert!(matches!(row[0], Data::DateTime(_)), "{:?}", row[0]);
    assert_eq!(row[2], Data::String("进站见选民".into()));
    assert_eq!(row[3], Data::String("王建华、李秀英".into()));
    assert_eq!(row[6].as_f64(), Some(40.0));
    assert_eq!(row[10].as_f64(), Some(1.0), "one opinion at it");

    // The ledger: status, department and days to an answer, no voter details.
    let ledger = s.ledger_table(&OpinionFilter::default(), today()).unwrap();
    let csv = String::from_utf8(shared::export::csv(&ledger)).unwrap();
    assert!(
        csv.starts_with('\u{feff}'),
        "a BOM so spreadsheets read Chinese"
    );
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 3, "{csv}");
    assert!(
        lines[1].contains("已答复") && lines[1].contains("区交通委"),
        "{}",
        lines[1]
    );
    assert!(
        lines[1].contains(",4,"),
        "four days to the answer: {}",
        lines[1]
    );
    assert!(lines[2].contains("登记"), "{}", lines[2]);

    // The statistics workbook: every table, with the figures of the screen.
    let stats = s.statistics(&StatsQuery::year(2026), today()).unwrap();
    let mut book =
        read(shared::export::xlsx(&shared::store::statistics_tables(&stats, "2026年")).unwrap());
    let names = book.sheet_names();
    for wanted in ["总体", "按街镇", "按站点", "按月", "按承办单位"] {
        assert!(
            names.iter().any(|n| n == wanted),
            "{wanted} missing from {names:?}"
        );
    }
    let totals = book.worksheet_range("总体").unwrap();
    let value = |label: &str| {
        totals
            .rows()
            .find(|r| r.first() == Some(&Data::String(label.into())))
            .and_then(|r| r[1].as_f64())
    };
    // Named as the screen names them (one figure, one name).
    assert_eq!(value("活动场次"), Some(2.0));
    assert_eq!(value("代表参加人次"), Some(3.0));
    assert_eq!(value("接待选民人次（云见面）"), Some(12.0));
    assert_eq!(
        value("接待选民人次"),
        Some(value("接待选民人次（现场）").unwrap() + 12.0)
    );
    // A station's row names its street or town first, and its voters in all.
    let stations = book.worksheet_range("按站点").unwrap();
    let header: Vec<String> = stations
        .rows()
        .nth(1)
        .unwrap()
        .iter()
        .map(|c| c.to_string())
        .collect();
    assert_eq!(header[..3], ["街道/镇", "名称", "活动场次"], "{header:?}");
    assert!(header.contains(&"接待选民人次".to_owned()), "{header:?}");
    // Streets before towns, each in pinyin order (not by code point: 紫 before 上).
    let mut streets: Vec<String> = Vec::new();
    for row in stations.rows().skip(2) {
        let street = row[0].to_string();
        if streets.last() != Some(&street) {
            streets.push(street);
        }
    }
    assert_eq!(
        streets,
        [
            "上地街道",
            "学院路街道",
            "紫竹院街道",
            "苏家坨镇",
            "西北旺镇"
        ]
    );
    assert_eq!(value("答复用时中位数（天）"), Some(4.0));
    let months = book.worksheet_range("按月").unwrap();
    assert_eq!(
        months.rows().count(),
        2 + 12,
        "title, header, twelve months"
    );

    // The yearly report as a PDF: text and figures in it, pages that render.
    let Ok(font) = shared::export::CjkFont::find() else {
        panic!("no Chinese font: .ci/install.sh installs fonts-noto-cjk");
    };
    s.save_report(
        &YearReportInput {
            deputy_id: "dep-001".into(),
            year: 2026,
            title: "王建华2026年度履职报告".into(),
            text: "# 一、进站履职情况\n\n全年参加活动1次，接待选民40人次。".into(),
        },
        today(),
    )
    .unwrap();
    let pdf =
        shared::export::report_pdf(&s.report_document("dep-001", 2026).unwrap(), &font).unwrap();
    let path = dir.path().join("report.pdf");
    std::fs::write(&path, pdf).unwrap();
    let out = std::process::Command::new("pdftotext")
        .args([path.to_str().unwrap(), "-"])
        .output()
        .expect("pdftotext (poppler-utils) is installed by .ci/install.sh");
    let text = String::from_utf8_lossy(&out.stdout);
    for wanted in [
        "王建华2026年度履职报告",
        "一、进站履职情况",
        "接待选民40人次",
        "紫竹院街道人大代表之家",
    ] {
        assert!(text.contains(wanted), "{wanted} missing from {text}");
    }
    let status = std::process::Command::new("pdftoppm")
        .args([
            "-r",
            "30",
            "-png",
            path.to_str().unwrap(),
            dir.path().join("page").to_str().unwrap(),
        ])
        .status()
        .unwrap();
    assert!(status.success());
    assert!(dir.path().join("page-1.png").metadata().unwrap().len() > 1000);
}
