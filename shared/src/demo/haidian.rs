//! 海淀区 as a lived-in demo district: its 29 streets and towns with every home, liaison
//! station and deputy ([`directory`]), and a year 2022 of records generated from a seed
//! ([`year`]) whose headline figures are those of the district's 2022 work report.
//!
//! Plain data only (model types, chrono and a seeded ChaCha generator): it builds without
//! the `store` feature. The sync server writes the records into documents
//! (`SqliteStorage::load_records_if_missing`, through `shared::demo::documents`, which
//! needs the `store` feature).
//!
//! # The figures that come out exactly, whatever the seed
//! Counting rules (the same as the statistics screen's):
//! - an **attendance** (人次) is one deputy at one activity; a deputy who sits at several
//!   levels counts once at *each* level held, so levels can add up to more than the
//!   attendances;
//! - **deputies** counts distinct people;
//! - **voters received** (and a consultation's citizens) is the sum of the activities'
//!   `voters_received`.
//!
//! | what | records | figure |
//! |---|---|---|
//! | 进站见选民 | `VoterMeeting` activities with `campaign_id` [`VOTER_MEETING_CAMPAIGN`] (all in January) | 330 deputies, 4,655 voters received, some online (云见面) |
//! | 回家站听意见 | `HomeListening` activities with `campaign_id` [`HOME_LISTENING_CAMPAIGN`] (Sep 15 – Oct 15) | stations of 25 streets/towns, 363 deputies |
//! | 征求立法意见 | `LegislativeConsultation` activities with `draft_id` [`DRAFT_ID`] | attendances 257 city, 1,375 district, 1,412 town; 21,936 citizens; 1,472 opinions on the draft's articles |
//! | 紫竹院 home ([`MODEL_HOME`]) | every activity and opinion of the year at the station | 16 activities, 312 voters received, 78 opinions |
//!
//! No other activity of a campaign's kind falls in its window untagged, and no other
//! opinion names the draft, so the app's campaign and consultation views count the same.
//!
//! The rest of the year is lived in, not counted: monthly reception days and voter
//! meetings (most deputies keep 月进站 most months, with gaps), a 回家 listening at each
//! street's or town's home every quarter (季回家), duty reports (年述职) in November and
//! December from most deputies, training, inspections, bureau and prosecutor visits;
//! opinions referred to the department of their topic, answered, fed back, some left
//! unreferred or overdue; deputy suggestions and livelihood leads formed from a station's
//! opinions.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{Datelike as _, Days, NaiveDate};
use rand::seq::{IndexedRandom as _, SliceRandom as _};
use rand::{Rng as _, SeedableRng as _};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::model::{
    Activity, ActivityKind, Answer, AnswerStatus, Campaign, Department, Deputy, DeputyLevel,
    DeputySuggestion, Directory, LivelihoodLead, Opinion, OpinionCategory, Referral, Satisfaction,
    Station, StationKind, StationStaff, Subdistrict, SubdistrictKind,
};

/// The year the records are of.
pub const YEAR: i32 = 2022;
/// The seed the sync server's demo loads (`load-demo`, `demo-accounts`).
pub const DEMO_SEED: u64 = 2022;
/// 进站见选民, January 2022, every station.
pub const VOTER_MEETING_CAMPAIGN: &str = "cmp-2022-voter-meeting";
/// 回家站听意见, 15 September – 15 October 2022 (the small demo's campaign id).
pub const HOME_LISTENING_CAMPAIGN: &str = "cmp-2022-home-listening";
/// 北京市接诉即办条例(草案), out for consultation in June and July.
pub const DRAFT_ID: &str = "draft-jiesujiban";
/// The home whose year the report gives as an example (紫竹院街道人大代表之家).
pub const MODEL_HOME: &str = "st-zizhuyuan-home";

/// City deputies (市人大代表); a person on two levels counts at both.
pub const CITY_DEPUTIES: usize = 96;
/// District deputies (区人大代表).
pub const DISTRICT_DEPUTIES: usize = 443;
/// Town deputies (镇人大代表), only in the seven towns.
pub const TOWN_DEPUTIES: usize = 475;
/// People who sit at two levels.
const CITY_AND_DISTRICT: usize = 30;
const DISTRICT_AND_TOWN: usize = 60;

/// 进站见选民: distinct deputies.
pub const VOTER_MEETING_DEPUTIES: usize = 330;
/// 进站见选民: voters received.
pub const VOTER_MEETING_VOTERS: u32 = 4_655;
/// 回家站听意见: streets and towns whose stations held it.
pub const HOME_LISTENING_SUBDISTRICTS: usize = 25;
/// 回家站听意见: distinct deputies.
pub const HOME_LISTENING_DEPUTIES: usize = 363;
/// The consultation round: attendances (人次) of city deputies.
pub const CONSULTATION_CITY: u32 = 257;
/// The consultation round: attendances of district deputies.
pub const CONSULTATION_DISTRICT: u32 = 1_375;
/// The consultation round: attendances of town deputies.
pub const CONSULTATION_TOWN: u32 = 1_412;
/// The consultation round: citizens taking part (the activities' voters received).
pub const CONSULTATION_CITIZENS: u32 = 21_936;
/// The consultation round: opinions on the draft's articles.
pub const CONSULTATION_OPINIONS: u32 = 1_472;
/// The model home's year: activities.
pub const MODEL_HOME_ACTIVITIES: usize = 16;
/// The model home's year: voters received.
pub const MODEL_HOME_VOTERS: u32 = 312;
/// The model home's year: opinions (of every kind, on the draft included).
pub const MODEL_HOME_OPINIONS: u32 = 78;

/// The seed of the directory's invented names and placements (the directory is fixed).
const DIRECTORY_SEED: u64 = 0x004a_6961_7a68_616e;

/// A year of a district's records.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct YearRecords {
    pub activities: Vec<Activity>,
    pub opinions: Vec<Opinion>,
    pub referrals: Vec<Referral>,
    pub answers: Vec<Answer>,
    pub suggestions: Vec<DeputySuggestion>,
    pub leads: Vec<LivelihoodLead>,
}

impl YearRecords {
    /// Records of every kind together.
    pub fn count(&self) -> usize {
        self.activities.len()
            + self.opinions.len()
            + self.referrals.len()
            + self.answers.len()
            + self.suggestions.len()
            + self.leads.len()
    }
}

// ---------------------------------------------------------------------------------------
// The directory.

use SubdistrictKind::{Street, Town};

/// Streets and towns: id (after `sd-`), name, kind, and the places of their liaison
/// stations (id after `st-<street>-`, place name). 72 stations in streets, 31 in towns.
#[allow(clippy::type_complexity)]
const SUBDISTRICTS: &[(&str, &str, SubdistrictKind, &[(&str, &str)])] = &[
    (
        "wanshoulu",
        "万寿路街道",
        Street,
        &[
            ("cuiweilu", "翠微路社区"),
            ("fuxinglu", "复兴路社区"),
            ("taipinglu", "太平路社区"),
            ("louyu", "翠微商务楼宇"),
        ],
    ),
    (
        "yongdinglu",
        "永定路街道",
        Street,
        &[
            ("dongli", "永定路东里社区"),
            ("caishilu", "采石路社区"),
            ("louyu", "玉泉路商务楼宇"),
        ],
    ),
    (
        "yangfangdian",
        "羊坊店街道",
        Street,
        &[
            ("lianhuachi", "莲花池社区"),
            ("huayuancun", "花园村社区"),
            ("xizhan", "西客站商务楼宇"),
        ],
    ),
    (
        "ganjiakou",
        "甘家口街道",
        Street,
        &[
            ("zengguang", "增光社区"),
            ("fuchenglu", "阜成路社区"),
            ("louyu", "甘家口商务楼宇"),
        ],
    ),
    (
        "balizhuang",
        "八里庄街道",
        Street,
        &[
            ("beiwalu", "北洼路社区"),
            ("dinghuisi", "定慧寺社区"),
            ("linglonglu", "玲珑路社区"),
        ],
    ),
    (
        "zizhuyuan",
        "紫竹院街道",
        Street,
        &[
            ("weigongcun", "魏公村社区"),
            ("chedaogou", "车道沟社区"),
            ("wanshousi", "万寿寺社区"),
        ],
    ),
    (
        "beixiaguan",
        "北下关街道",
        Street,
        &[
            ("jiaodadonglu", "交大东路社区"),
            ("nanhuayuan", "南花园社区"),
            ("daliushu", "大柳树社区"),
        ],
    ),
    (
        "beitaipingzhuang",
        "北太平庄街道",
        Street,
        &[
            ("mingguangcun", "明光村社区"),
            ("beiying", "北影社区"),
            ("jimenli", "蓟门里社区"),
        ],
    ),
    (
        "xueyuanlu",
        "学院路街道",
        Street,
        &[
            ("shiyou", "石油共生大院"),
            ("linda", "林大社区"),
            ("erlizhuang", "二里庄社区"),
            ("kejiyuan", "学院路科技园"),
        ],
    ),
    (
        "zhongguancun",
        "中关村街道",
        Street,
        &[
            ("keyuan", "科源社区"),
            ("huangzhuang", "黄庄社区"),
            ("chuangye", "中关村创业大街"),
            ("kexueyuan", "科学院南路社区"),
        ],
    ),
    (
        "haidian-street",
        "海淀街道",
        Street,
        &[
            ("daoxiangyuan", "稻香园社区"),
            ("sanyimiao", "三义庙社区"),
            ("suzhoujie", "苏州街社区"),
        ],
    ),
    (
        "qinglongqiao",
        "青龙桥街道",
        Street,
        &[
            ("gongdesi", "功德寺社区"),
            ("xiyuan", "西苑社区"),
            ("hongshankou", "红山口社区"),
        ],
    ),
    (
        "qinghuayuan",
        "清华园街道",
        Street,
        &[
            ("heqingyuan", "荷清苑社区"),
            ("donglou", "东楼社区"),
            ("xiqu", "西区社区"),
        ],
    ),
    (
        "yanyuan",
        "燕园街道",
        Street,
        &[
            ("yandongyuan", "燕东园社区"),
            ("weixiuyuan", "蔚秀园社区"),
            ("changchunyuan", "畅春园社区"),
        ],
    ),
    (
        "xiangshan",
        "香山街道",
        Street,
        &[
            ("maimaijie", "买卖街社区"),
            ("beixincun", "北辛村社区"),
            ("siwangfu", "四王府社区"),
        ],
    ),
    (
        "qinghe",
        "清河街道",
        Street,
        &[
            ("maofang", "毛纺路社区"),
            ("anningli", "安宁里社区"),
            ("meiheyuan", "美和园社区"),
            ("wucaicheng", "五彩城商务楼宇"),
        ],
    ),
    (
        "huayuanlu",
        "花园路街道",
        Street,
        &[
            ("mudanyuan", "牡丹园社区"),
            ("tayuan", "塔院社区"),
            ("huayuandonglu", "花园东路社区"),
        ],
    ),
    (
        "xisanqi",
        "西三旗街道",
        Street,
        &[
            ("yuxin", "育新花园社区"),
            ("jiancaicheng", "建材城社区"),
            ("yongtaiyuan", "永泰园社区"),
            ("jinyu", "金隅智造工场"),
        ],
    ),
    (
        "malianwa",
        "马连洼街道",
        Street,
        &[
            ("juyuan", "菊园社区"),
            ("baiwang", "百旺家苑社区"),
            ("tianxiu", "天秀花园社区"),
        ],
    ),
    (
        "tiancunlu",
        "田村路街道",
        Street,
        &[
            ("tiancun", "田村社区"),
            ("banbidian", "半壁店社区"),
            ("lefu", "乐府江南社区"),
        ],
    ),
    (
        "shangdi",
        "上地街道",
        Street,
        &[
            ("park", "高科技产业园区"),
            ("dongli", "上地东里社区"),
            ("xili", "上地西里社区"),
            ("ruanjianyuan", "上地软件园"),
        ],
    ),
    (
        "shuguang",
        "曙光街道",
        Street,
        &[
            ("shijicheng", "世纪城社区"),
            ("huayuan", "曙光花园社区"),
            ("yuandayuan", "远大园社区"),
        ],
    ),
    (
        "sijiqing",
        "四季青镇",
        Town,
        &[
            ("mentou", "门头村"),
            ("jushan", "巨山村"),
            ("xingshikou", "杏石口村"),
            ("coop", "四季青股份经济合作社"),
            ("huigu", "玉泉慧谷园区"),
        ],
    ),
    (
        "haidian-town",
        "海淀镇",
        Town,
        &[
            ("liulangzhuang", "六郎庄村"),
            ("xiaojiahe", "肖家河社区"),
            ("shucun", "树村"),
            ("coop", "海淀镇股份经济合作社"),
        ],
    ),
    (
        "dongsheng",
        "东升镇",
        Town,
        &[
            ("mafang", "马坊村"),
            ("houtun", "后屯村"),
            ("bajia", "八家村"),
            ("coop", "东升镇股份经济合作社"),
            ("kejiyuan", "东升科技园"),
        ],
    ),
    (
        "wenquan",
        "温泉镇",
        Town,
        &[
            ("baijiatuan", "白家疃村"),
            ("yangjiazhuang", "杨家庄村"),
            ("wenquancun", "温泉村"),
            ("dongbutou", "东埠头村"),
            ("huanbao", "中关村环保科技示范园"),
        ],
    ),
    (
        "sujiatuo",
        "苏家坨镇",
        Town,
        &[
            ("xinmu", "新牧置业公司"),
            ("xixiaoying", "西小营村"),
            ("beianhe", "北安河村"),
            ("cheerying", "车耳营村"),
            ("coop", "苏家坨镇农业合作社"),
        ],
    ),
    (
        "shangzhuang",
        "上庄镇",
        Town,
        &[
            ("qianzhang", "前章村"),
            ("baishuiwa", "白水洼村"),
            ("ximafang", "西马坊村"),
            ("cuihu", "翠湖科技园"),
        ],
    ),
    (
        "xibeiwang",
        "西北旺镇",
        Town,
        &[
            ("yongfeng", "永丰基地(拉拉)"),
            ("hanjiachuan", "韩家川村"),
            ("tangjialing", "唐家岭村"),
        ],
    ),
];

/// The streets and towns whose stations did not hold 回家站听意见 (the other 25 did).
const NOT_HOME_LISTENING: &[&str] = &[
    "sd-yanyuan",
    "sd-qinghuayuan",
    "sd-qinglongqiao",
    "sd-haidian-town",
];

/// Departments beyond the small demo's nine.
const MORE_DEPARTMENTS: &[(&str, &str)] = &[
    ("dept-market", "区市场监管局"),
    ("dept-water", "区水务局"),
    ("dept-greening", "区园林绿化局"),
    ("dept-traffic-police", "区公安分局交通支队"),
    ("dept-hr", "区人力资源社会保障局"),
    ("dept-environment", "区生态环境局"),
    ("dept-emergency", "区应急管理局"),
    ("dept-planning", "市规划自然资源委海淀分局"),
];

const SURNAMES: &[char] = &[
    '王', '李', '张', '刘', '陈', '杨', '黄', '赵', '吴', '周', '徐', '孙', '马', '朱', '胡', '郭',
    '何', '高', '林', '罗', '郑', '梁', '谢', '宋', '唐', '许', '韩', '冯', '邓', '曹', '彭', '曾',
    '肖', '田', '董', '袁', '潘', '于', '蒋', '蔡', '余', '杜', '叶', '程', '苏', '魏', '吕', '丁',
    '任', '沈', '姚', '卢', '姜', '崔', '钟', '谭', '陆', '汪', '范', '金', '石', '廖', '贾', '夏',
    '韦', '付', '方', '白', '邹', '孟', '熊', '秦', '邱', '江', '尹', '薛', '闫', '段', '雷', '侯',
    '龙', '史', '陶', '黎', '贺', '顾', '毛', '郝', '龚', '邵', '万', '钱', '严', '武', '戴', '孔',
    '汤', '康', '常', '温',
];

const GIVEN: &[char] = &[
    '建', '华', '秀', '英', '伟', '洋', '静', '帆', '敏', '志', '强', '丽', '刚', '红', '梅', '国',
    '庆', '娟', '明', '军', '平', '玉', '兰', '海', '燕', '霞', '芳', '杰', '涛', '磊', '超', '勇',
    '艳', '鹏', '辉', '波', '宁', '琳', '颖', '慧', '婷', '雪', '倩', '晨', '鑫', '浩', '宇', '文',
    '斌', '萍', '亮', '飞', '新', '春', '晓', '蕾', '佳', '立', '东', '凤', '云', '永', '金', '荣',
    '桂', '淑', '振', '德', '卫', '兵', '林', '峰', '彬', '秋', '莉', '青', '雅', '欣', '怡', '嘉',
    '俊', '凯', '博', '思', '瑞', '昊', '泽', '晶', '丹', '璐', '阳', '成', '学', '胜', '利', '继',
    '光', '长', '福', '宏',
];

/// An invented Chinese name: a surname (the common ones more often) and one or two
/// given characters.
fn person_name(rng: &mut ChaCha8Rng) -> String {
    let surname = if rng.random_bool(0.45) {
        SURNAMES[rng.random_range(0..10)]
    } else {
        *SURNAMES.choose(rng).expect("surnames")
    };
    let mut name = String::from(surname);
    let first = *GIVEN.choose(rng).expect("given names");
    name.push(first);
    if rng.random_bool(0.65) {
        let mut second = *GIVEN.choose(rng).expect("given names");
        while second == first {
            second = *GIVEN.choose(rng).expect("given names");
        }
        name.push(second);
    }
    name
}

/// A name not yet in `used` (a few tries; a rare duplicate is allowed, as in life).
fn new_name(rng: &mut ChaCha8Rng, used: &mut BTreeSet<String>) -> String {
    let mut name = person_name(rng);
    for _ in 0..20 {
        if !used.contains(&name) {
            break;
        }
        name = person_name(rng);
    }
    used.insert(name.clone());
    name
}

/// Haidian's 29 streets and towns, their 29 homes and 103 liaison stations, staff,
/// 96 city, 443 district and 475 town deputies (counted per level), departments, the two
/// campaigns of 2022 and the 接诉即办 draft. Always the same (the invented names come from
/// a fixed seed), and a superset of the small [`super::directory`]: every id there is
/// here with the same record, so accounts and tests naming them work on either.
pub fn directory() -> Directory {
    use DeputyLevel::{City, District, Town as TownLevel};
    let small = super::directory();
    let mut rng = ChaCha8Rng::seed_from_u64(DIRECTORY_SEED);

    let subdistricts: Vec<Subdistrict> = SUBDISTRICTS
        .iter()
        .map(|(slug, name, kind, _)| Subdistrict {
            id: format!("sd-{slug}"),
            name: (*name).to_owned(),
            kind: *kind,
        })
        .collect();
    let mut stations = Vec::new();
    for (slug, sub_name, _, points) in SUBDISTRICTS {
        stations.push(Station {
            id: format!("st-{slug}-home"),
            name: format!("{sub_name}人大代表之家"),
            kind: StationKind::Home,
            subdistrict_id: format!("sd-{slug}"),
        });
        for (point, place) in *points {
            stations.push(Station {
                id: format!("st-{slug}-{point}"),
                name: format!("{sub_name}{place}人大代表联络站"),
                kind: StationKind::LiaisonPoint,
                subdistrict_id: format!("sd-{slug}"),
            });
        }
    }
    // The small demo's stations keep their records (names as the report writes them).
    for s in &mut stations {
        if let Some(known) = small.stations.iter().find(|k| k.id == s.id) {
            *s = known.clone();
        }
    }
    let town_sub: BTreeSet<String> = subdistricts
        .iter()
        .filter(|s| s.kind == Town)
        .map(|s| s.id.clone())
        .collect();
    let in_town = |s: &Station| town_sub.contains(&s.subdistrict_id);

    // Deputies: the small demo's, then the rest of each group of levels.
    let mut used: BTreeSet<String> = small.deputies.iter().map(|d| d.name.clone()).collect();
    used.extend(small.staff.iter().map(|s| s.name.clone()));
    let groups: [(&[DeputyLevel], usize); 5] = [
        (&[City], CITY_DEPUTIES - CITY_AND_DISTRICT),
        (&[City, District], CITY_AND_DISTRICT),
        (
            &[District],
            DISTRICT_DEPUTIES - CITY_AND_DISTRICT - DISTRICT_AND_TOWN,
        ),
        (&[District, TownLevel], DISTRICT_AND_TOWN),
        (&[TownLevel], TOWN_DEPUTIES - DISTRICT_AND_TOWN),
    ];
    let mut town_people: Vec<Vec<DeputyLevel>> = Vec::new();
    let mut other_people: Vec<Vec<DeputyLevel>> = Vec::new();
    for (levels, size) in groups {
        let have = small.deputies.iter().filter(|d| d.levels == levels).count();
        for _ in have..size {
            if levels.contains(&TownLevel) {
                town_people.push(levels.to_vec());
            } else {
                other_people.push(levels.to_vec());
            }
        }
    }
    town_people.shuffle(&mut rng);
    other_people.shuffle(&mut rng);
    let mut placed: Vec<Vec<Vec<DeputyLevel>>> = vec![Vec::new(); stations.len()];
    let has_small = |s: &Station| small.deputies.iter().any(|d| d.station_id == s.id);
    // Town deputies sit only in the towns' stations (streets have no town congress).
    let town_stations: Vec<usize> = (0..stations.len())
        .filter(|&i| in_town(&stations[i]))
        .collect();
    for &i in &town_stations {
        if !has_small(&stations[i]) {
            placed[i].extend(town_people.pop());
        }
    }
    while let Some(p) = town_people.pop() {
        let i = *town_stations.choose(&mut rng).expect("towns have stations");
        placed[i].push(p);
    }
    // City and district deputies everywhere but the model home (its three are the small
    // demo's), more of them in the streets, whose stations have no town deputies.
    let open: Vec<usize> = (0..stations.len())
        .filter(|&i| stations[i].id != MODEL_HOME)
        .collect();
    for &i in &open {
        if !in_town(&stations[i]) && !has_small(&stations[i]) {
            placed[i].extend(other_people.pop());
        }
    }
    let weights: Vec<f64> = open
        .iter()
        .map(|&i| if in_town(&stations[i]) { 1.0 } else { 3.0 })
        .collect();
    while let Some(p) = other_people.pop() {
        placed[open[pick_weighted(&mut rng, &weights)]].push(p);
    }
    let mut deputies = small.deputies.clone();
    for (i, people) in placed.into_iter().enumerate() {
        for mut levels in people {
            levels.sort();
            deputies.push(Deputy {
                id: format!("dep-{:03}", deputies.len() + 1),
                name: new_name(&mut rng, &mut used),
                levels,
                station_id: stations[i].id.clone(),
            });
        }
    }

    // Staff: one or two a station; a home has its head (站长) and a liaison officer.
    let mut staff = Vec::new();
    let mut next_staff = small.staff.len() + 1;
    for s in &stations {
        let mine: Vec<&StationStaff> = small
            .staff
            .iter()
            .filter(|x| x.station_id == s.id)
            .collect();
        staff.extend(mine.iter().map(|x| (*x).clone()));
        let posts: &[&str] = match (s.kind, mine.is_empty()) {
            (StationKind::Home, true) => &["站长", "联络员"],
            (StationKind::Home, false) => &["联络员"],
            (StationKind::LiaisonPoint, false) => &[],
            (StationKind::LiaisonPoint, true) if rng.random_bool(0.3) => &["站长", "联络员"],
            (StationKind::LiaisonPoint, true) => &["联络员"],
        };
        for post in posts {
            staff.push(StationStaff {
                id: format!("staff-{next_staff:03}"),
                station_id: s.id.clone(),
                name: new_name(&mut rng, &mut used),
                post: (*post).to_owned(),
            });
            next_staff += 1;
        }
    }

    let mut departments = small.departments.clone();
    departments.extend(MORE_DEPARTMENTS.iter().map(|(id, name)| Department {
        id: (*id).to_owned(),
        name: (*name).to_owned(),
    }));

    let listening = small
        .campaigns
        .iter()
        .find(|c| c.id == HOME_LISTENING_CAMPAIGN)
        .expect("the small demo's campaign");
    let campaigns = vec![
        Campaign {
            id: VOTER_MEETING_CAMPAIGN.into(),
            name: "进站见选民".into(),
            activity_kind: ActivityKind::VoterMeeting,
            starts: date(1, 1),
            ends: date(1, 31),
            station_ids: stations.iter().map(|s| s.id.clone()).collect(),
        },
        Campaign {
            station_ids: stations
                .iter()
                .filter(|s| !NOT_HOME_LISTENING.contains(&s.subdistrict_id.as_str()))
                .map(|s| s.id.clone())
                .collect(),
            ..listening.clone()
        },
    ];

    Directory {
        subdistricts,
        stations,
        staff,
        deputies,
        departments,
        campaigns,
        drafts: small.drafts,
    }
}

fn date(month: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(YEAR, month, day).expect("a date of the year")
}

fn days_in_month(month: u32) -> u32 {
    let next = if month == 12 {
        NaiveDate::from_ymd_opt(YEAR + 1, 1, 1)
    } else {
        NaiveDate::from_ymd_opt(YEAR, month + 1, 1)
    };
    next.expect("a month").pred_opt().expect("a day").day()
}

fn date_in(rng: &mut ChaCha8Rng, from: NaiveDate, to: NaiveDate) -> NaiveDate {
    let span = (to - from).num_days().max(0) as u64;
    from + Days::new(rng.random_range(0..=span))
}

fn later(d: NaiveDate, days: u64) -> NaiveDate {
    d + Days::new(days)
}

/// An index drawn with the given (non-negative, not all zero) weights.
fn pick_weighted(rng: &mut ChaCha8Rng, weights: &[f64]) -> usize {
    let total: f64 = weights.iter().sum();
    let mut x = rng.random::<f64>() * total;
    for (i, w) in weights.iter().enumerate() {
        if x < *w {
            return i;
        }
        x -= w;
    }
    weights.iter().rposition(|w| *w > 0.0).unwrap_or(0)
}

/// `total` split in proportion to `weights` (largest remainders, exactly `total`).
fn split_exact(total: u32, weights: &[f64]) -> Vec<u32> {
    let units: Vec<u64> = weights
        .iter()
        .map(|w| (w.max(0.0) * 1_000_000.0).round() as u64)
        .collect();
    let sum: u64 = units.iter().sum();
    if sum == 0 {
        assert_eq!(total, 0, "nothing to split {total} over");
        return vec![0; weights.len()];
    }
    let total64 = u64::from(total);
    let mut out: Vec<u32> = units
        .iter()
        .map(|u| u32::try_from(total64 * u / sum).expect("a part of a u32"))
        .collect();
    let mut rest: Vec<(u64, usize)> = units
        .iter()
        .enumerate()
        .map(|(i, u)| (total64 * u % sum, i))
        .collect();
    rest.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    let given: u32 = out.iter().sum();
    for (_, i) in rest.into_iter().take((total - given) as usize) {
        out[i] += 1;
    }
    out
}

/// `items` dealt into as few groups of at most `max` as will do, sizes balanced.
fn groups_of(items: Vec<usize>, max: usize) -> Vec<Vec<usize>> {
    let n = items.len().div_ceil(max).max(1);
    let mut out = vec![Vec::new(); n];
    for (i, x) in items.into_iter().enumerate() {
        out[i % n].push(x);
    }
    out.retain(|g| !g.is_empty());
    out
}

// ---------------------------------------------------------------------------------------
// What voters say.

use OpinionCategory as Cat;

#[derive(Clone, Copy, PartialEq, Eq)]
enum At {
    Anywhere,
    Streets,
    Towns,
}

/// An opinion as voters put it: its topics (the first decides the department) and words.
struct Topic {
    cats: &'static [OpinionCategory],
    text: &'static str,
    at: At,
}

const fn t(cats: &'static [OpinionCategory], text: &'static str, at: At) -> Topic {
    Topic { cats, text, at }
}

const TOPICS: &[Topic] = &[
    t(
        &[Cat::Traffic, Cat::Safety],
        "{place}小区外部道路夜间停车难，车辆占用消防通道，建议增划夜间限时停车位。",
        At::Streets,
    ),
    t(
        &[Cat::Traffic],
        "小区周边停车位严重不足，居民下班回家找不到车位，建议挖掘周边单位停车资源错时共享。",
        At::Streets,
    ),
    t(
        &[Cat::Traffic],
        "节假日{place}周边道路拥堵严重，居民出行不便，建议优化信号灯配时并加强疏导。",
        At::Anywhere,
    ),
    t(
        &[Cat::Traffic, Cat::ElderlyCare],
        "公交站点距离{place}较远，老年人出行不便，建议调整公交线路或增设站点。",
        At::Anywhere,
    ),
    t(
        &[Cat::Traffic, Cat::Safety, Cat::Education],
        "{place}附近路口没有信号灯，学生上下学过马路危险，建议增设信号灯和护学岗。",
        At::Anywhere,
    ),
    t(
        &[Cat::Traffic, Cat::Environment],
        "共享单车乱停乱放堵塞人行道，建议划定停放区域并加强管理。",
        At::Streets,
    ),
    t(
        &[Cat::Traffic],
        "地铁站出口与公交接驳不便，建议开通接驳微循环公交。",
        At::Streets,
    ),
    t(
        &[Cat::Traffic],
        "{place}村内主干道路面破损，雨天积水，建议尽快修缮。",
        At::Towns,
    ),
    t(
        &[Cat::Traffic],
        "周末进山游客车辆多，村口道路拥堵，村民出行困难，建议节假日实行交通管控。",
        At::Towns,
    ),
    t(
        &[Cat::Healthcare, Cat::ElderlyCare],
        "社区卫生服务站医生少、药品不全，老年人看病要跑大医院，建议增加家庭医生签约服务。",
        At::Anywhere,
    ),
    t(
        &[Cat::Healthcare, Cat::ElderlyCare],
        "老年人就医挂号难，不会用手机预约，建议医院保留现场挂号窗口。",
        At::Anywhere,
    ),
    t(
        &[Cat::Healthcare],
        "村卫生室只有一名乡村医生，建议定期安排镇社区卫生服务中心医生下村坐诊。",
        At::Towns,
    ),
    t(
        &[Cat::Healthcare],
        "希望社区卫生服务中心开设夜间门诊，方便上班族就医。",
        At::Streets,
    ),
    t(
        &[Cat::Healthcare, Cat::Other],
        "疫情期间封控小区买药难，建议建立应急保供和代购药品机制。",
        At::Anywhere,
    ),
    t(
        &[Cat::ElderlyCare],
        "{place}老年人多，缺少养老驿站，希望提供助餐、日间照料服务。",
        At::Anywhere,
    ),
    t(
        &[Cat::ElderlyCare, Cat::Housing],
        "老旧楼房没有电梯，老人上下楼困难，建议加快老楼加装电梯。",
        At::Streets,
    ),
    t(
        &[Cat::ElderlyCare],
        "独居老人缺少日常关照，建议建立邻里互助和定期探访机制。",
        At::Anywhere,
    ),
    t(
        &[Cat::ElderlyCare, Cat::Commerce],
        "老年餐桌价格偏高、菜品单一，希望改进并提供送餐上门服务。",
        At::Anywhere,
    ),
    t(
        &[Cat::Education],
        "附近小学学位紧张，建议加大学校建设投入、扩大招生规模。",
        At::Anywhere,
    ),
    t(
        &[Cat::Education],
        "村里没有幼儿园，孩子入园要到镇上，建议增设普惠性幼儿园。",
        At::Towns,
    ),
    t(
        &[Cat::Education],
        "学校放学时间早，家长接送困难，建议开展课后托管服务。",
        At::Streets,
    ),
    t(
        &[Cat::Education, Cat::Commerce, Cat::Safety],
        "学校周边小卖部售卖三无食品，建议加强监管。",
        At::Anywhere,
    ),
    t(
        &[Cat::Culture],
        "{place}没有文化活动场所，居民跳舞、唱歌只能在路边，建议开放或建设文化活动室。",
        At::Anywhere,
    ),
    t(
        &[Cat::Culture],
        "希望社区图书室延长开放时间，增加适合老人和孩子的图书。",
        At::Streets,
    ),
    t(
        &[Cat::Culture, Cat::Safety],
        "村文化广场健身器材老化损坏，建议更换。",
        At::Towns,
    ),
    t(
        &[Cat::Culture, Cat::Environment],
        "建议利用腾退空间建设口袋公园和全民健身场地。",
        At::Streets,
    ),
    t(
        &[Cat::Commerce],
        "{place}周边缺少便民早餐点和菜店，买菜要走很远，建议引进便民商业网点。",
        At::Anywhere,
    ),
    t(
        &[Cat::Commerce, Cat::ElderlyCare],
        "附近菜市场拆除后买菜不便，希望开设蔬菜直通车。",
        At::Streets,
    ),
    t(
        &[Cat::Commerce],
        "周边缺少修鞋、配钥匙、家电维修等便民服务，建议设置便民服务点。",
        At::Streets,
    ),
    t(
        &[Cat::Commerce],
        "周边超市价签不清、标价与结算不符，建议加强价格检查。",
        At::Anywhere,
    ),
    t(
        &[Cat::Environment],
        "垃圾分类桶站设置不合理，夏季异味大，建议调整位置并增加清运频次。",
        At::Anywhere,
    ),
    t(
        &[Cat::Environment],
        "附近工地夜间施工噪音扰民，建议加强执法。",
        At::Streets,
    ),
    t(
        &[Cat::Environment],
        "小区绿地缺乏养护，杂草丛生，建议加强园林绿化管理。",
        At::Streets,
    ),
    t(
        &[Cat::Environment],
        "村边河道有垃圾堆积，夏天蚊虫多，建议定期清理。",
        At::Towns,
    ),
    t(
        &[Cat::Environment, Cat::Commerce],
        "楼下餐馆油烟直排，影响楼上居民，建议督促安装油烟净化设备。",
        At::Streets,
    ),
    t(
        &[Cat::Housing, Cat::Safety],
        "老旧小区屋顶漏水、外墙脱落，建议纳入老旧小区综合整治。",
        At::Streets,
    ),
    t(
        &[Cat::Housing],
        "小区物业服务差、收费不透明，建议加强对物业企业的监管。",
        At::Streets,
    ),
    t(
        &[Cat::Housing],
        "冬季供暖温度不达标，建议督促供热单位整改。",
        At::Anywhere,
    ),
    t(
        &[Cat::Housing, Cat::Environment],
        "平房区煤改气后燃气费用负担重，希望延续取暖补贴政策。",
        At::Anywhere,
    ),
    t(
        &[Cat::Housing, Cat::Environment],
        "村里煤改电设备故障维修不及时，冬季取暖受影响。",
        At::Towns,
    ),
    t(
        &[Cat::Agriculture],
        "农田灌溉用水不足，机井年久失修，建议尽快维修。",
        At::Towns,
    ),
    t(
        &[Cat::Agriculture],
        "果园缺少灌溉水源，建议完善农田水利设施。",
        At::Towns,
    ),
    t(
        &[Cat::Agriculture, Cat::Other],
        "村集体经济收益分配不透明，建议加强监管和公开。",
        At::Towns,
    ),
    t(
        &[Cat::Agriculture, Cat::Commerce],
        "农产品销售渠道少，建议搭建农产品进社区平台。",
        At::Towns,
    ),
    t(
        &[Cat::Agriculture, Cat::Traffic],
        "村里机耕路破损，农机下地困难，建议修缮。",
        At::Towns,
    ),
    t(
        &[Cat::Employment],
        "失业人员希望社区多提供职业技能培训和就业岗位信息。",
        At::Streets,
    ),
    t(
        &[Cat::Employment],
        "高校毕业生就业难，建议园区企业与社区对接招聘。",
        At::Anywhere,
    ),
    t(
        &[Cat::Employment, Cat::Agriculture],
        "转移就业的农民缺少技能培训，建议开办技能培训班。",
        At::Towns,
    ),
    t(
        &[Cat::Safety, Cat::Housing],
        "楼道内电动自行车充电，存在消防隐患，建议建设集中充电桩。",
        At::Anywhere,
    ),
    t(
        &[Cat::Safety],
        "小区监控探头老化，失窃时有发生，建议更新安防设施。",
        At::Streets,
    ),
    t(
        &[Cat::Safety, Cat::Environment],
        "汛期下凹桥和地下通道易积水，建议完善排水设施。",
        At::Anywhere,
    ),
    t(
        &[Cat::Safety, Cat::Housing],
        "燃气管道老化，建议燃气公司入户排查隐患。",
        At::Anywhere,
    ),
    t(
        &[Cat::Other],
        "希望政务服务中心延长办公时间，周末也能办理业务。",
        At::Anywhere,
    ),
    t(
        &[Cat::Other, Cat::ElderlyCare],
        "老年人不会使用智能手机，建议开展智能技术使用培训。",
        At::Anywhere,
    ),
];

/// Opinions on the draft, with the article they address.
const ON_THE_DRAFT: &[(&str, &str)] = &[
    (
        "art-1",
        "建议在立法目的中增加“推动超大城市治理体系和治理能力现代化”的表述。",
    ),
    (
        "art-1",
        "建议立法目的中突出“以人民为中心”，把群众满意作为接诉即办的出发点。",
    ),
    (
        "art-1",
        "建议增加党建引领接诉即办的内容，体现首都基层治理经验。",
    ),
    (
        "art-2",
        "建议明确接诉即办的适用范围，区分咨询、求助、投诉、建议等不同诉求类型。",
    ),
    (
        "art-2",
        "建议对恶意诉求、重复诉求作出界定和处理规定，避免占用公共资源。",
    ),
    ("art-2", "建议明确诉求办理时限，紧急诉求应当立即响应。"),
    (
        "art-2",
        "建议把“主动治理、未诉先办”写入定义，对高频诉求开展专项治理。",
    ),
    (
        "art-2",
        "建议明确街道乡镇和部门之间的职责分工，避免推诿扯皮。",
    ),
    (
        "art-2",
        "建议将诉求人满意度作为考核的重要依据，同时防止唯满意率考核。",
    ),
    (
        "art-3",
        "建议保留线下渠道，方便不会使用手机的老年人提出诉求。",
    ),
    ("art-3", "建议整合各类政务服务热线，统一归并到12345热线。"),
    (
        "art-3",
        "建议明确保护诉求人个人信息，规定泄露信息的法律责任。",
    ),
    (
        "art-3",
        "建议增加通过人大代表家站反映诉求的渠道，与接诉即办平台衔接。",
    ),
];

const OPENINGS_STREETS: &[&str] = &["", "", "居民反映：", "选民反映：", "多名居民反映："];
const OPENINGS_TOWNS: &[&str] = &["", "", "村民反映：", "选民反映：", "多名村民反映："];

/// What a topic is called in a summary.
fn topic_words(c: OpinionCategory) -> &'static str {
    match c {
        Cat::Traffic => "停车和交通出行",
        Cat::Healthcare => "看病就医",
        Cat::ElderlyCare => "养老服务",
        Cat::Education => "子女入学和教育",
        Cat::Culture => "文体活动场所",
        Cat::Commerce => "便民商业网点",
        Cat::Environment => "环境卫生",
        Cat::Housing => "老旧小区和物业管理",
        Cat::Agriculture => "农田水利",
        Cat::Employment => "就业培训",
        Cat::Safety => "安全隐患",
        Cat::Legislation => "接诉即办立法",
        Cat::Other => "政务服务",
    }
}

/// What deputies go to see on an inspection of a topic.
fn inspected(c: OpinionCategory) -> &'static str {
    match c {
        Cat::Traffic => "背街小巷停车治理",
        Cat::Healthcare => "社区卫生服务中心建设",
        Cat::ElderlyCare => "养老驿站运营",
        Cat::Education => "中小学校建设",
        Cat::Culture => "基层文化设施建设",
        Cat::Commerce => "便民商业网点建设",
        Cat::Environment => "垃圾分类和环境整治",
        Cat::Housing => "老旧小区综合整治",
        Cat::Agriculture => "农村人居环境整治和农田水利",
        Cat::Employment => "稳就业工作",
        Cat::Safety => "燃气和消防安全",
        Cat::Legislation | Cat::Other => "政务服务",
    }
}

/// The departments that answer opinions of a topic, with weights; none for opinions on
/// a draft (they go to the legislature, not a department).
fn answering(c: OpinionCategory) -> &'static [(&'static str, f64)] {
    match c {
        Cat::Traffic => &[("dept-traffic", 0.6), ("dept-traffic-police", 0.4)],
        Cat::Healthcare => &[("dept-health", 1.0)],
        Cat::ElderlyCare => &[("dept-civil", 0.8), ("dept-health", 0.2)],
        Cat::Education => &[("dept-education", 1.0)],
        Cat::Culture => &[("dept-culture", 1.0)],
        Cat::Commerce => &[("dept-commerce", 0.6), ("dept-market", 0.4)],
        Cat::Environment => &[
            ("dept-urban", 0.5),
            ("dept-environment", 0.3),
            ("dept-greening", 0.2),
        ],
        Cat::Housing => &[("dept-housing", 0.75), ("dept-planning", 0.25)],
        Cat::Agriculture => &[("dept-agriculture", 0.6), ("dept-water", 0.4)],
        Cat::Employment => &[("dept-hr", 1.0)],
        Cat::Safety => &[("dept-emergency", 0.7), ("dept-traffic-police", 0.3)],
        Cat::Legislation => &[],
        Cat::Other => &[("dept-urban", 1.0)],
    }
}

/// The topic a department is first asked about (a bureau visit's subject).
fn department_topic(id: &str) -> OpinionCategory {
    OpinionCategory::ALL
        .into_iter()
        .find(|c| answering(*c).first().is_some_and(|(d, _)| *d == id))
        .unwrap_or(Cat::Other)
}

fn answers_for(c: OpinionCategory) -> &'static [&'static str] {
    match c {
        Cat::Traffic => &[
            "经现场勘查，已会同属地和交管部门在周边增设停车泊位，并加强违法停车治理。",
            "已将该路段纳入交通拥堵治理计划，优化信号灯配时，节假日增派警力疏导。",
            "已协调公交集团研究调整线路，拟在周边增设站点。",
        ],
        Cat::Healthcare => &[
            "已协调社区卫生服务中心增派全科医生，开通老年人预约绿色通道。",
            "已安排医联体医生定期下沉坐诊，并保留现场挂号窗口。",
        ],
        Cat::ElderlyCare => &[
            "已将该社区养老驿站建设纳入年度计划，先行开展助餐配送服务。",
            "已指导社区建立独居老人巡访制度，由社工和志愿者定期探访。",
        ],
        Cat::Education => &[
            "经研究，已将学校改扩建纳入区教育设施建设规划，新增学位将于明年秋季投入使用。",
            "已指导学校开展课后托管服务，托管时间延长至18:00。",
        ],
        Cat::Culture => &[
            "已协调属地腾退空间改建为文化活动室，近期向居民开放。",
            "已更换损坏的健身器材，并纳入定期巡检。",
        ],
        Cat::Commerce => &[
            "已引入品牌连锁便民早餐店，并开通蔬菜直通车定点服务。",
            "已对相关商户开展检查，责令整改并依法处理。",
        ],
        Cat::Environment => &[
            "已调整垃圾桶站位置，增加夏季清运和消杀频次。",
            "已对施工单位夜间施工进行查处，责令其按规定时间作业。",
            "已安排专业队伍对绿地进行补植养护。",
        ],
        Cat::Housing => &[
            "已将该小区纳入老旧小区综合整治项目库，预计明年开工。",
            "已约谈物业服务企业，督促其公开收费明细并提升服务质量。",
            "已督促供热单位排查管网，室温已达标。",
        ],
        Cat::Agriculture => &[
            "已安排对机井进行维修，灌溉季前完工。",
            "已协调完善农田灌溉设施，保障春灌用水。",
        ],
        Cat::Employment => &[
            "已在社区开设职业技能培训班，并定期发布岗位信息。",
            "已组织园区企业开展专场招聘会。",
        ],
        Cat::Safety => &[
            "已在小区建设电动自行车集中充电设施，并开展消防安全宣传。",
            "已更新小区安防监控设施，加强夜间巡逻。",
        ],
        Cat::Legislation | Cat::Other => &[
            "已延长政务服务中心周末办理时间，并开设老年人专窗。",
            "已组织志愿者开展智能手机使用培训。",
        ],
    }
}

const IN_PROGRESS: &[&str] = &[
    "已收到交办意见，正在会同属地调查核实。",
    "正在协调相关单位研究解决方案，将尽快答复。",
];

const NOTES: &[&str] = &[
    "",
    "",
    "请在规定时限内答复。",
    "选民反映强烈，请重点办理。",
    "请核实后答复并告知联络站。",
];

const FEEDBACK: &[&str] = &[
    "已在选民接待日当面向选民反馈办理结果。",
    "已通过电话向选民反馈承办单位的答复意见。",
    "已通过公告栏和居民微信群反馈办理情况。",
    "联络站工作人员已上门向选民反馈答复意见。",
];

/// A deputy suggestion's subject, from the topic of its opinions.
fn suggestion_subject(c: OpinionCategory) -> &'static str {
    match c {
        Cat::Traffic => "缓解{place}周边停车难和交通拥堵问题",
        Cat::Healthcare => "方便{place}居民特别是老年人就医",
        Cat::ElderlyCare => "加快{place}养老服务设施建设",
        Cat::Education => "增加{place}周边学位供给",
        Cat::Culture => "为{place}居民提供文化活动场所",
        Cat::Commerce => "完善{place}便民商业网点",
        Cat::Environment => "改善{place}环境卫生",
        Cat::Housing => "推进{place}老旧小区综合整治",
        Cat::Agriculture => "改善{place}农田灌溉条件",
        Cat::Employment => "加强{place}就业培训服务",
        Cat::Safety => "消除{place}安全隐患",
        Cat::Legislation | Cat::Other => "提升政务服务便利度",
    }
}

/// Livelihood projects (民生实事) and the words of opinions that call for them.
const PROJECTS: &[(&str, &[&str])] = &[
    ("增设居民夜间共享停车位", &["停车"]),
    ("建设社区养老服务驿站", &["养老驿站", "老年餐桌"]),
    ("增设便民早餐点和蔬菜零售网点", &["早餐", "蔬菜直通车"]),
    ("设置便民服务点", &["修鞋"]),
    ("建设文化活动室", &["文化活动场所"]),
    ("更新文化广场健身器材", &["健身器材"]),
    ("建设口袋公园和全民健身场地", &["口袋公园"]),
    ("老旧楼房加装电梯", &["电梯"]),
    ("老旧小区综合整治", &["综合整治"]),
    ("家庭医生签约和医生下沉坐诊", &["家庭医生", "坐诊"]),
    ("增设普惠性幼儿园", &["幼儿园"]),
    ("开展课后托管服务", &["课后托管"]),
    ("修缮农田机井和灌溉设施", &["机井", "灌溉"]),
    ("建设电动自行车集中充电设施", &["充电"]),
    ("增设公交站点和接驳微循环公交", &["公交"]),
];

/// The project an opinion calls for, if any.
fn project_of(content: &str) -> Option<&'static str> {
    PROJECTS
        .iter()
        .find(|(_, words)| words.iter().any(|w| content.contains(w)))
        .map(|(p, _)| *p)
}

/// What a voter said without who said it and the full stop, to quote in a list.
fn quoted(content: &str) -> &str {
    let said = OPENINGS_STREETS
        .iter()
        .chain(OPENINGS_TOWNS)
        .filter(|o| !o.is_empty())
        .find_map(|o| content.strip_prefix(o))
        .unwrap_or(content);
    said.strip_suffix('。').unwrap_or(said)
}

// ---------------------------------------------------------------------------------------
// The year.

/// An activity before it has an id, voters and words.
struct Plan {
    kind: ActivityKind,
    station: usize,
    date: NaiveDate,
    deputies: Vec<usize>,
    online: bool,
    campaign: Option<&'static str>,
    consultation: bool,
    /// A visiting or inspected department.
    department: Option<usize>,
    guests: String,
    voters: u32,
    opinions: u32,
}

/// An opinion before it has an id, with the plan it was collected at.
struct Said {
    opinion: Opinion,
    plan: Option<usize>,
}

/// Whether an attendance at an activity of `kind` is a month's visit to the station
/// (月进站).
fn keeps_month(kind: ActivityKind) -> bool {
    matches!(
        kind,
        ActivityKind::VoterMeeting
            | ActivityKind::ReceptionDay
            | ActivityKind::BureauVisit
            | ActivityKind::ProsecutorVisit
            | ActivityKind::LegislativeConsultation
    )
}

struct Gen<'a> {
    dir: &'a Directory,
    rng: ChaCha8Rng,
    station_sub: Vec<usize>,
    sub_town: Vec<bool>,
    sub_home: Vec<usize>,
    sub_stations: Vec<Vec<usize>>,
    station_deputies: Vec<Vec<usize>>,
    sub_deputies: Vec<Vec<usize>>,
    /// The place a station sits in (its community, village, enterprise or park).
    place: Vec<String>,
    /// How keen each deputy is (the chance they come to a given meeting).
    keen: Vec<f64>,
    model_home: usize,
    /// Opinions voters sent the model home online.
    model_online: u32,
    plans: Vec<Plan>,
    /// (deputy, month) with a 月进站 attendance.
    kept: BTreeSet<(usize, u32)>,
}

/// The year 2022 of `dir` (which is [`directory`]: the exact figures need its streets,
/// towns, stations and deputies), generated from `seed`: the same seed gives the same
/// records, another seed other records with the same headline figures (see the module
/// documentation). Ids are `act-00001`, `op-00001`, `ref-00001`, `ans-00001`, `sug-0001`
/// and `lead-0001`, in date order. Opinions that carry a voter's name and phone (a few,
/// with consent) carry them in the clear, as validation leaves them: whoever writes them
/// into documents seals them first.
///
/// Panics if `dir` is not shaped like [`directory`] (no model home, too few deputies).
pub fn year(dir: &Directory, seed: u64) -> YearRecords {
    let mut g = Gen::new(dir, seed);
    g.voter_meeting_campaign();
    g.consultation();
    g.home_listening_campaign();
    g.quarterly_listening();
    g.visits_training_inspections();
    g.duty_reports();
    g.monthly_reception();
    g.voters_and_opinion_counts();
    g.records()
}

impl<'a> Gen<'a> {
    fn new(dir: &'a Directory, seed: u64) -> Gen<'a> {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let sub_index: BTreeMap<&str, usize> = dir
            .subdistricts
            .iter()
            .enumerate()
            .map(|(i, s)| (s.id.as_str(), i))
            .collect();
        let station_index: BTreeMap<&str, usize> = dir
            .stations
            .iter()
            .enumerate()
            .map(|(i, s)| (s.id.as_str(), i))
            .collect();
        let station_sub: Vec<usize> = dir
            .stations
            .iter()
            .map(|s| sub_index[s.subdistrict_id.as_str()])
            .collect();
        let mut sub_stations = vec![Vec::new(); dir.subdistricts.len()];
        for (i, &sub) in station_sub.iter().enumerate() {
            sub_stations[sub].push(i);
        }
        let sub_home: Vec<usize> = sub_stations
            .iter()
            .map(|ss| {
                *ss.iter()
                    .find(|&&s| dir.stations[s].kind == StationKind::Home)
                    .or(ss.first())
                    .expect("every street and town has a station")
            })
            .collect();
        let mut station_deputies = vec![Vec::new(); dir.stations.len()];
        let mut sub_deputies = vec![Vec::new(); dir.subdistricts.len()];
        for (d, deputy) in dir.deputies.iter().enumerate() {
            let s = station_index[deputy.station_id.as_str()];
            station_deputies[s].push(d);
            sub_deputies[station_sub[s]].push(d);
        }
        assert!(
            station_deputies.iter().all(|d| !d.is_empty()),
            "every station has a deputy"
        );
        let place = dir
            .stations
            .iter()
            .zip(&station_sub)
            .map(|(s, &sub)| {
                let sub_name = &dir.subdistricts[sub].name;
                let mut name = s.name.strip_prefix(sub_name.as_str()).unwrap_or(&s.name);
                for suffix in ["人大代表联络站", "代表联络站", "人大代表之家"] {
                    name = name.strip_suffix(suffix).unwrap_or(name);
                }
                if name.is_empty() {
                    sub_name.clone()
                } else {
                    name.to_owned()
                }
            })
            .collect();
        let keen = (0..dir.deputies.len())
            .map(|_| {
                if rng.random_bool(0.1) {
                    rng.random_range(0.3..0.6)
                } else {
                    rng.random_range(0.7..0.97)
                }
            })
            .collect();
        Gen {
            dir,
            rng,
            station_sub,
            sub_town: dir.subdistricts.iter().map(|s| s.kind == Town).collect(),
            sub_home,
            sub_stations,
            station_deputies,
            sub_deputies,
            place,
            keen,
            model_home: *station_index
                .get(MODEL_HOME)
                .expect("the directory has the model home"),
            model_online: 0,
            plans: Vec::new(),
            kept: BTreeSet::new(),
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn plan(
        &mut self,
        kind: ActivityKind,
        station: usize,
        date: NaiveDate,
        mut deputies: Vec<usize>,
        online: bool,
        campaign: Option<&'static str>,
        department: Option<usize>,
        guests: String,
    ) {
        assert!(!deputies.is_empty(), "an activity has deputies");
        deputies.sort_unstable();
        deputies.dedup();
        if keeps_month(kind) {
            for &d in &deputies {
                self.kept.insert((d, date.month()));
            }
        }
        self.plans.push(Plan {
            kind,
            station,
            date,
            deputies,
            online,
            campaign,
            consultation: kind == ActivityKind::LegislativeConsultation,
            department,
            guests,
            voters: 0,
            opinions: 0,
        });
    }

    /// The stations of a street or town other than its home (the home when it has none).
    fn points_of(&self, sub: usize) -> Vec<usize> {
        let home = self.sub_home[sub];
        let points: Vec<usize> = self.sub_stations[sub]
            .iter()
            .copied()
            .filter(|&s| s != home)
            .collect();
        if points.is_empty() {
            vec![home]
        } else {
            points
        }
    }

    fn department(&self, id: &str) -> Option<usize> {
        self.dir.departments.iter().position(|d| d.id == id)
    }

    fn keen_ones(&mut self, among: &[usize], boost: f64) -> Vec<usize> {
        let mut out = Vec::new();
        for &d in among {
            if self.rng.random_bool((self.keen[d] + boost).clamp(0.0, 1.0)) {
                out.push(d);
            }
        }
        out
    }

    fn some_of(&mut self, among: &[usize], min: usize, max: usize) -> Vec<usize> {
        let n = self.rng.random_range(min..=max).min(among.len());
        among.choose_multiple(&mut self.rng, n).copied().collect()
    }

    /// 进站见选民 in January: exactly [`VOTER_MEETING_DEPUTIES`] deputies, at least one
    /// at every station, one or two meetings a station, a fifth of them online.
    fn voter_meeting_campaign(&mut self) {
        let n = self.dir.deputies.len();
        let mut chosen = vec![false; n];
        for s in 0..self.dir.stations.len() {
            let d = *self.station_deputies[s]
                .choose(&mut self.rng)
                .expect("deputies");
            chosen[d] = true;
        }
        let mut rest: Vec<usize> = (0..n).filter(|&d| !chosen[d]).collect();
        rest.shuffle(&mut self.rng);
        let have = chosen.iter().filter(|c| **c).count();
        for d in rest.into_iter().take(VOTER_MEETING_DEPUTIES - have) {
            chosen[d] = true;
        }
        for s in 0..self.dir.stations.len() {
            let mut here: Vec<usize> = self.station_deputies[s]
                .iter()
                .copied()
                .filter(|&d| chosen[d])
                .collect();
            here.shuffle(&mut self.rng);
            let max = if s == self.model_home || here.len() < 5 {
                here.len()
            } else {
                here.len().div_ceil(2)
            };
            for group in groups_of(here, max) {
                let day = date_in(&mut self.rng, date(1, 4), date(1, 28));
                let online = self.rng.random_bool(0.2);
                self.plan(
                    ActivityKind::VoterMeeting,
                    s,
                    day,
                    group,
                    online,
                    Some(VOTER_MEETING_CAMPAIGN),
                    None,
                    String::new(),
                );
            }
        }
    }

    /// The consultation on the draft, in June and July: four to six meetings a station
    /// (two at the model home), attendances per level exactly the report's.
    fn consultation(&mut self) {
        use DeputyLevel::{City, District, Town as TownLevel};
        let stations = self.dir.stations.len();
        let meetings: Vec<usize> = (0..stations)
            .map(|s| {
                if s == self.model_home {
                    2
                } else {
                    self.rng.random_range(4..=6)
                }
            })
            .collect();
        // The five groups of levels and what each must attend, solving
        // city = C + CD, district = CD + D + DT, town = DT + T.
        let signature = |levels: &[DeputyLevel]| -> Option<usize> {
            let has = |l| levels.contains(&l);
            match (has(City), has(District), has(TownLevel)) {
                (true, false, false) => Some(0),
                (true, true, false) => Some(1),
                (false, true, false) => Some(2),
                (false, true, true) => Some(3),
                (false, false, true) => Some(4),
                _ => None,
            }
        };
        let city_district = self.rng.random_range(70..=90);
        let district_town = self.rng.random_range(160..=200);
        let mut budget: [u32; 5] = [
            CONSULTATION_CITY - city_district,
            city_district,
            CONSULTATION_DISTRICT - city_district - district_town,
            district_town,
            CONSULTATION_TOWN - district_town,
        ];
        let group: Vec<Option<usize>> = self
            .dir
            .deputies
            .iter()
            .map(|d| signature(&d.levels))
            .collect();
        let station_of = |d: usize, g: &Gen<'_>| {
            (0..stations)
                .find(|&s| g.station_deputies[s].contains(&d))
                .expect("a deputy's station")
        };
        let cap: Vec<usize> = (0..self.dir.deputies.len())
            .map(|d| meetings[station_of(d, self)])
            .collect();
        let mut times = vec![0usize; self.dir.deputies.len()];
        // Someone comes at every station (two at the model home, one for each meeting).
        for (s, &m) in meetings.iter().enumerate() {
            let mut here = self.station_deputies[s].clone();
            here.shuffle(&mut self.rng);
            for d in here
                .into_iter()
                .take(if s == self.model_home { m } else { 1 })
            {
                if let Some(g) = group[d].filter(|&g| budget[g] > 0) {
                    times[d] = 1;
                    budget[g] -= 1;
                }
            }
        }
        for (g, left) in budget.iter_mut().enumerate() {
            let mut open: Vec<usize> = (0..times.len())
                .filter(|&d| group[d] == Some(g) && times[d] < cap[d])
                .collect();
            while *left > 0 {
                assert!(
                    !open.is_empty(),
                    "consultation group {g} cannot take its share"
                );
                let i = self.rng.random_range(0..open.len());
                let d = open[i];
                times[d] += 1;
                *left -= 1;
                if times[d] == cap[d] {
                    open.swap_remove(i);
                }
            }
        }
        let days: Vec<NaiveDate> = (0..54).map(|i| later(date(6, 6), i)).collect();
        for (s, &m) in meetings.iter().enumerate() {
            let mut attend: Vec<Vec<usize>> = vec![Vec::new(); m];
            let mut here = self.station_deputies[s].clone();
            here.sort_by_key(|&d| std::cmp::Reverse(times[d]));
            for d in here {
                let mut order: Vec<usize> = (0..m).collect();
                order.shuffle(&mut self.rng);
                order.sort_by_key(|&i| attend[i].len());
                for &i in order.iter().take(times[d]) {
                    attend[i].push(d);
                }
            }
            let mut when: Vec<NaiveDate> =
                days.choose_multiple(&mut self.rng, m).copied().collect();
            when.sort();
            for (deputies, day) in attend.into_iter().zip(when) {
                if deputies.is_empty() {
                    continue;
                }
                let guests = if self.rng.random_bool(0.3) {
                    "区人大常委会法制工作室 1人".to_owned()
                } else {
                    String::new()
                };
                self.plan(
                    ActivityKind::LegislativeConsultation,
                    s,
                    day,
                    deputies,
                    false,
                    None,
                    None,
                    guests,
                );
            }
        }
    }

    /// 回家站听意见, 15 September – 15 October: the stations of the campaign's streets and
    /// towns, exactly [`HOME_LISTENING_DEPUTIES`] of their deputies; the first session
    /// of each at its home, the others at its liaison stations.
    fn home_listening_campaign(&mut self) {
        let campaign = self
            .dir
            .campaigns
            .iter()
            .find(|c| c.id == HOME_LISTENING_CAMPAIGN)
            .expect("the directory has the 回家站听意见 campaign");
        let subs: Vec<usize> = (0..self.dir.subdistricts.len())
            .filter(|&sub| {
                campaign
                    .station_ids
                    .contains(&self.dir.stations[self.sub_home[sub]].id)
            })
            .collect();
        assert_eq!(subs.len(), HOME_LISTENING_SUBDISTRICTS);
        let weights: Vec<f64> = subs
            .iter()
            .map(|&sub| self.sub_deputies[sub].len() as f64 * self.rng.random_range(0.8..1.2))
            .collect();
        let mut quota = split_exact(HOME_LISTENING_DEPUTIES as u32, &weights);
        // At least three in each, no more than it has.
        loop {
            let size = |i: usize| self.sub_deputies[subs[i]].len() as u32;
            if let Some(i) = (0..subs.len()).find(|&i| quota[i] < 3.min(size(i))) {
                let j = (0..subs.len()).max_by_key(|&j| quota[j]).expect("subs");
                quota[j] -= 1;
                quota[i] += 1;
            } else if let Some(i) = (0..subs.len()).find(|&i| quota[i] > size(i)) {
                let j = (0..subs.len())
                    .find(|&j| quota[j] < size(j))
                    .expect("room for the campaign's deputies");
                quota[i] -= 1;
                quota[j] += 1;
            } else {
                break;
            }
        }
        for (i, &sub) in subs.iter().enumerate() {
            let chosen = self.some_of(
                &self.sub_deputies[sub].clone(),
                quota[i] as usize,
                quota[i] as usize,
            );
            let guests = self.listening_guests(sub);
            self.listen(
                sub,
                chosen,
                date(9, 15),
                date(10, 15),
                Some(HOME_LISTENING_CAMPAIGN),
                guests,
            );
        }
    }

    fn listening_guests(&self, sub: usize) -> String {
        if self.sub_town[sub] {
            "镇人大主席团 1人".into()
        } else {
            "街道人大工委 1人".into()
        }
    }

    /// Sessions of at most twelve deputies of street or town `sub` back home: the first
    /// at its home, the others at its liaison stations.
    fn listen(
        &mut self,
        sub: usize,
        mut deputies: Vec<usize>,
        from: NaiveDate,
        to: NaiveDate,
        campaign: Option<&'static str>,
        guests: String,
    ) {
        deputies.shuffle(&mut self.rng);
        let points = self.points_of(sub);
        for (k, group) in groups_of(deputies, 12).into_iter().enumerate() {
            let station = if k == 0 {
                self.sub_home[sub]
            } else {
                *points.choose(&mut self.rng).expect("points")
            };
            let day = date_in(&mut self.rng, from, to);
            self.plan(
                ActivityKind::HomeListening,
                station,
                day,
                group,
                false,
                campaign,
                None,
                guests.clone(),
            );
        }
    }

    /// 季回家: every quarter most of each street's and town's deputies come back to listen
    /// (outside the campaign's window).
    fn quarterly_listening(&mut self) {
        let quarters = [
            (date(2, 14), date(3, 31)),
            (date(4, 6), date(6, 30)),
            (date(7, 4), date(9, 9)),
            (date(10, 17), date(12, 16)),
        ];
        for sub in 0..self.dir.subdistricts.len() {
            for (from, to) in quarters {
                let all = self.sub_deputies[sub].clone();
                let mut who = self.keen_ones(&all, 0.0);
                if who.is_empty() {
                    who.extend(all.choose(&mut self.rng));
                }
                let guests = if self.rng.random_bool(0.5) {
                    self.listening_guests(sub)
                } else {
                    String::new()
                };
                self.listen(sub, who, from, to, None, guests);
            }
        }
    }

    /// Bureau and prosecutor visits, training at the homes, inspections.
    fn visits_training_inspections(&mut self) {
        let departments = self.dir.departments.len();
        for sub in 0..self.dir.subdistricts.len() {
            let home = self.sub_home[sub];
            let points = self.points_of(sub);
            // Training: once at every home, and once more at a town's liaison station.
            let month = if self.rng.random_bool(0.5) { 3 } else { 8 };
            let day = date_in(&mut self.rng, date(month, 1), date(month, 28));
            let mut who = self.keen_ones(&self.station_deputies[home].clone(), 0.1);
            if who.is_empty() {
                who = self.station_deputies[home].clone();
            }
            self.plan(
                ActivityKind::Training,
                home,
                day,
                who,
                false,
                None,
                None,
                "区人大常委会代表工作室 1人".into(),
            );
            if self.sub_town[sub] {
                let s = *points.choose(&mut self.rng).expect("points");
                let day = date_in(&mut self.rng, date(11, 1), date(11, 30));
                let who = self.some_of(&self.station_deputies[s].clone(), 3, 12);
                self.plan(
                    ActivityKind::Training,
                    s,
                    day,
                    who,
                    false,
                    None,
                    None,
                    "镇人大主席团 1人".into(),
                );
            }
            // 委办局走进代表家站: two or three a street or town (the model home's in April).
            let visits = self.rng.random_range(2..=3);
            let open: Vec<usize> = self.sub_stations[sub]
                .iter()
                .copied()
                .filter(|&s| s != self.model_home)
                .collect();
            for _ in 0..visits {
                let s = *open.choose(&mut self.rng).expect("stations");
                let month = *[3, 4, 5, 8, 9, 10, 11]
                    .choose(&mut self.rng)
                    .expect("months");
                let day = date_in(&mut self.rng, date(month, 3), date(month, 26));
                let who = self.some_of(&self.station_deputies[s].clone(), 2, 5);
                let dept = self.rng.random_range(0..departments);
                let guests = format!(
                    "{} {}人",
                    self.dir.departments[dept].name,
                    self.rng.random_range(1..=3)
                );
                self.plan(
                    ActivityKind::BureauVisit,
                    s,
                    day,
                    who,
                    false,
                    None,
                    Some(dept),
                    guests,
                );
            }
            if self.station_sub[self.model_home] == sub {
                let s = self.model_home;
                let day = date_in(&mut self.rng, date(4, 11), date(4, 22));
                let who = self.station_deputies[s].clone();
                let dept = ["dept-traffic", "dept-urban", "dept-civil"]
                    .choose(&mut self.rng)
                    .and_then(|id| self.department(id))
                    .unwrap_or(0);
                let guests = format!("{} 2人", self.dir.departments[dept].name);
                self.plan(
                    ActivityKind::BureauVisit,
                    s,
                    day,
                    who,
                    false,
                    None,
                    Some(dept),
                    guests,
                );
            }
            // 检察官走进代表之家: at most homes.
            if self.rng.random_bool(0.6) {
                let s = if home == self.model_home {
                    *points.choose(&mut self.rng).expect("points")
                } else {
                    home
                };
                let month = self.rng.random_range(4..=11);
                let day = date_in(&mut self.rng, date(month, 1), date(month, 28));
                let who = self.some_of(&self.station_deputies[s].clone(), 2, 6);
                let guests = format!("区人民检察院 检察官{}人", self.rng.random_range(1..=3));
                self.plan(
                    ActivityKind::ProsecutorVisit,
                    s,
                    day,
                    who,
                    false,
                    None,
                    None,
                    guests,
                );
            }
            // 视察调研: one or two at liaison stations.
            for _ in 0..self.rng.random_range(1..=2) {
                let s = *points.choose(&mut self.rng).expect("points");
                if s == self.model_home {
                    continue;
                }
                let month = *[3, 5, 8, 9, 11].choose(&mut self.rng).expect("months");
                let day = date_in(&mut self.rng, date(month, 1), date(month, 28));
                let who = self.some_of(&self.station_deputies[s].clone(), 2, 5);
                let dept = self.rng.random_range(0..departments);
                let guests = format!("{} 1人", self.dir.departments[dept].name);
                self.plan(
                    ActivityKind::Inspection,
                    s,
                    day,
                    who,
                    false,
                    None,
                    Some(dept),
                    guests,
                );
            }
        }
    }

    /// 年述职: most deputies report to their voters in late November or December.
    fn duty_reports(&mut self) {
        for s in 0..self.dir.stations.len() {
            let all = self.station_deputies[s].clone();
            let mut who = self.keen_ones(&all, 0.12);
            if who.is_empty() && s == self.model_home {
                who.extend(all.choose(&mut self.rng));
            }
            if who.is_empty() {
                continue;
            }
            who.shuffle(&mut self.rng);
            let max = if s == self.model_home { who.len() } else { 10 };
            for group in groups_of(who, max) {
                let day = date_in(&mut self.rng, date(11, 21), date(12, 23));
                self.plan(
                    ActivityKind::DutyReport,
                    s,
                    day,
                    group,
                    false,
                    None,
                    None,
                    String::new(),
                );
            }
        }
    }

    /// 月进站: each month's reception days and voter meetings for the deputies who have
    /// not been to their station yet that month (keen ones most months, with gaps). The
    /// model home holds them in five months only.
    fn monthly_reception(&mut self) {
        let reception_day: Vec<u32> = (0..self.dir.stations.len())
            .map(|_| self.rng.random_range(5..=24))
            .collect();
        for month in 1..=12u32 {
            for (s, &first_day) in reception_day.iter().enumerate() {
                if s == self.model_home && ![2, 3, 5, 10, 11].contains(&month) {
                    continue;
                }
                let waiting: Vec<usize> = self.station_deputies[s]
                    .iter()
                    .copied()
                    .filter(|&d| !self.kept.contains(&(d, month)))
                    .collect();
                let mut who = self.keen_ones(&waiting, 0.0);
                if s == self.model_home && who.is_empty() {
                    who = self.station_deputies[s].clone();
                }
                who.shuffle(&mut self.rng);
                let max = if s == self.model_home {
                    who.len().max(1)
                } else {
                    12
                };
                let online_chance = match month {
                    4 | 5 => 0.3,
                    12 => 0.25,
                    1 => 0.1,
                    _ => 0.03,
                };
                for (k, group) in groups_of(who, max).into_iter().enumerate() {
                    if group.is_empty() {
                        continue;
                    }
                    let day = (first_day + 2 * k as u32).min(days_in_month(month));
                    let kind = if month != 1 && self.rng.random_bool(0.25) {
                        ActivityKind::VoterMeeting
                    } else {
                        ActivityKind::ReceptionDay
                    };
                    let online = self.rng.random_bool(online_chance);
                    self.plan(
                        kind,
                        s,
                        date(month, day),
                        group,
                        online,
                        None,
                        None,
                        String::new(),
                    );
                }
            }
        }
    }

    /// Voters received and opinions to collect at each activity: the report's totals
    /// exactly where it gives them, a plausible number elsewhere.
    fn voters_and_opinion_counts(&mut self) {
        let model: Vec<usize> = (0..self.plans.len())
            .filter(|&i| self.plans[i].station == self.model_home)
            .collect();
        assert_eq!(model.len(), MODEL_HOME_ACTIVITIES, "the model home's plan");
        let kind_weight = |k: ActivityKind| match k {
            ActivityKind::VoterMeeting => 28.0,
            ActivityKind::ReceptionDay => 15.0,
            ActivityKind::HomeListening => 22.0,
            ActivityKind::BureauVisit => 18.0,
            ActivityKind::ProsecutorVisit => 16.0,
            ActivityKind::LegislativeConsultation => 40.0,
            ActivityKind::DutyReport => 30.0,
            ActivityKind::Training | ActivityKind::Inspection => 0.0,
        };
        let weights: Vec<f64> = model
            .iter()
            .map(|&i| kind_weight(self.plans[i].kind) * self.rng.random_range(0.7..1.3))
            .collect();
        for (&i, v) in model.iter().zip(split_exact(MODEL_HOME_VOTERS, &weights)) {
            self.plans[i].voters = v;
        }
        let is_model = |p: &Plan, g: &Gen<'_>| p.station == g.model_home;
        // 进站见选民 and the consultation: what the model home's share leaves.
        let january: Vec<usize> = (0..self.plans.len())
            .filter(|&i| self.plans[i].campaign == Some(VOTER_MEETING_CAMPAIGN))
            .collect();
        let consultation: Vec<usize> = (0..self.plans.len())
            .filter(|&i| self.plans[i].consultation)
            .collect();
        for (list, total) in [
            (&january, VOTER_MEETING_VOTERS),
            (&consultation, CONSULTATION_CITIZENS),
        ] {
            let fixed: u32 = list
                .iter()
                .filter(|&&i| is_model(&self.plans[i], self))
                .map(|&i| self.plans[i].voters)
                .sum();
            let free: Vec<usize> = list
                .iter()
                .copied()
                .filter(|&i| !is_model(&self.plans[i], self))
                .collect();
            let weights: Vec<f64> = free
                .iter()
                .map(|&i| {
                    (self.plans[i].deputies.len() as f64 + 3.0) * self.rng.random_range(0.5..1.5)
                })
                .collect();
            for (&i, v) in free.iter().zip(split_exact(total - fixed, &weights)) {
                self.plans[i].voters = v;
            }
        }
        for i in 0..self.plans.len() {
            let p = &self.plans[i];
            if is_model(p, self) || p.campaign == Some(VOTER_MEETING_CAMPAIGN) || p.consultation {
                continue;
            }
            let range = match p.kind {
                ActivityKind::ReceptionDay => 4..=30,
                ActivityKind::VoterMeeting => 10..=45,
                ActivityKind::HomeListening => 8..=40,
                ActivityKind::BureauVisit => 8..=30,
                ActivityKind::ProsecutorVisit => 10..=35,
                ActivityKind::DutyReport => 15..=50,
                _ => 0..=0,
            };
            self.plans[i].voters = self.rng.random_range(range);
        }
        // Opinions on the draft: the model home's dozen, the rest elsewhere.
        let model_on_draft: u32 = self.rng.random_range(10..=16);
        let (model_lc, other_lc): (Vec<usize>, Vec<usize>) = consultation
            .iter()
            .copied()
            .partition(|&i| is_model(&self.plans[i], self));
        let w: Vec<f64> = model_lc
            .iter()
            .map(|&i| f64::from(self.plans[i].voters) + 1.0)
            .collect();
        for (&i, n) in model_lc.iter().zip(split_exact(model_on_draft, &w)) {
            self.plans[i].opinions = n;
        }
        let w: Vec<f64> = other_lc
            .iter()
            .map(|&i| f64::from(self.plans[i].voters) * self.rng.random_range(0.5..1.5) + 1.0)
            .collect();
        for (&i, n) in other_lc
            .iter()
            .zip(split_exact(CONSULTATION_OPINIONS - model_on_draft, &w))
        {
            self.plans[i].opinions = n;
        }
        // The model home's other opinions (less the few sent online).
        self.model_online = self.rng.random_range(1..=3);
        let model_online = self.model_online;
        let rest: Vec<usize> = model
            .iter()
            .copied()
            .filter(|&i| !self.plans[i].consultation)
            .collect();
        let w: Vec<f64> = rest
            .iter()
            .map(|&i| f64::from(self.plans[i].voters))
            .collect();
        let left = MODEL_HOME_OPINIONS - model_on_draft - model_online;
        for (&i, n) in rest.iter().zip(split_exact(left, &w)) {
            self.plans[i].opinions = n;
        }
        for i in 0..self.plans.len() {
            let p = &self.plans[i];
            if is_model(p, self) || p.consultation {
                continue;
            }
            let n = match p.kind {
                ActivityKind::Training => 0,
                ActivityKind::Inspection => u32::from(self.rng.random_bool(0.4)),
                ActivityKind::BureauVisit => self.rng.random_range(1..=3),
                _ => {
                    let mean = f64::from(p.voters) / 18.0 * self.rng.random_range(0.3..1.7);
                    (mean.round() as u32).min(5)
                }
            };
            self.plans[i].opinions = n;
        }
    }

    fn voter_contact(&mut self) -> (String, String) {
        let mut used = BTreeSet::new();
        let name = new_name(&mut self.rng, &mut used);
        let prefix = *[
            "139", "138", "136", "135", "158", "186", "187", "150", "159", "188",
        ]
        .choose(&mut self.rng)
        .expect("prefixes");
        let phone = format!("{prefix}{:08}", self.rng.random_range(0..100_000_000u32));
        (name, phone)
    }

    /// Where station `s` is: its place, or its street's or town's name for a home.
    fn station_place(&self, s: usize) -> String {
        if self.dir.stations[s].kind == StationKind::Home {
            self.dir.subdistricts[self.station_sub[s]].name.clone()
        } else {
            self.place[s].clone()
        }
    }

    /// The place an opinion at station `s` is about (a home: one of its street's or
    /// town's places).
    fn place_of(&mut self, s: usize) -> String {
        if self.dir.stations[s].kind == StationKind::Home {
            let points = self.points_of(self.station_sub[s]);
            let p = *points.choose(&mut self.rng).expect("points");
            self.place[p].clone()
        } else {
            self.place[s].clone()
        }
    }

    /// What a voter at station `s` says (on `about` if given), as the station writes it
    /// down (`recorded`: perhaps who said it) or as the voter typed it.
    fn words(
        &mut self,
        s: usize,
        about: Option<OpinionCategory>,
        recorded: bool,
    ) -> (Vec<OpinionCategory>, String) {
        let town = self.sub_town[self.station_sub[s]];
        let fits = |t: &&Topic| match t.at {
            At::Anywhere => true,
            At::Streets => !town,
            At::Towns => town,
        };
        let mut candidates: Vec<&Topic> = TOPICS
            .iter()
            .filter(fits)
            .filter(|t| about.is_none_or(|c| t.cats[0] == c))
            .collect();
        if candidates.is_empty() {
            candidates = TOPICS.iter().filter(fits).collect();
        }
        let topic = *candidates.choose(&mut self.rng).expect("topics");
        let openings = if town {
            OPENINGS_TOWNS
        } else {
            OPENINGS_STREETS
        };
        let opening = if recorded {
            *openings.choose(&mut self.rng).expect("openings")
        } else {
            ""
        };
        let place = self.place_of(s);
        (
            topic.cats.to_vec(),
            format!("{opening}{}", topic.text.replace("{place}", &place)),
        )
    }

    fn opinion(
        &self,
        s: usize,
        day: NaiveDate,
        cats: Vec<OpinionCategory>,
        content: String,
    ) -> Opinion {
        Opinion {
            id: String::new(),
            station_id: self.dir.stations[s].id.clone(),
            date: day,
            categories: cats,
            content,
            voter_name: String::new(),
            voter_phone: String::new(),
            consent: false,
            contact: None,
            channel: None,
            received_by: None,
            activity_id: None,
            draft_id: None,
            article_id: None,
            feedback_date: None,
            feedback: String::new(),
            satisfaction: None,
        }
    }

    fn records(mut self) -> YearRecords {
        // Activities in date order take their ids.
        let mut order: Vec<usize> = (0..self.plans.len()).collect();
        order.sort_by_key(|&i| (self.plans[i].date, self.plans[i].station));
        let plans: Vec<Plan> = {
            let mut slots: Vec<Option<Plan>> = std::mem::take(&mut self.plans)
                .into_iter()
                .map(Some)
                .collect();
            order
                .iter()
                .map(|&i| slots[i].take().expect("each plan once"))
                .collect()
        };
        let activity_id = |i: usize| format!("act-{:05}", i + 1);

        // What voters said at each activity, and online.
        let mut said: Vec<Said> = Vec::new();
        for (i, p) in plans.iter().enumerate() {
            for _ in 0..p.opinions {
                let mut o = if p.consultation {
                    let (article, text) =
                        *ON_THE_DRAFT.choose(&mut self.rng).expect("draft opinions");
                    let mut o =
                        self.opinion(p.station, p.date, vec![Cat::Legislation], text.to_owned());
                    o.draft_id = Some(DRAFT_ID.into());
                    o.article_id = Some(article.into());
                    o
                } else {
                    let about = p
                        .department
                        .map(|d| department_topic(&self.dir.departments[d].id));
                    let (cats, text) = self.words(p.station, about, true);
                    let mut o = self.opinion(p.station, p.date, cats, text);
                    if self.rng.random_bool(0.03) {
                        (o.voter_name, o.voter_phone) = self.voter_contact();
                        o.consent = true;
                    }
                    o
                };
                if p.consultation || self.rng.random_bool(0.9) {
                    o.received_by = p
                        .deputies
                        .choose(&mut self.rng)
                        .map(|&d| self.dir.deputies[d].id.clone());
                }
                o.activity_id = Some(activity_id(i));
                said.push(Said {
                    opinion: o,
                    plan: Some(i),
                });
            }
        }
        let model_online = self.model_online;
        for s in 0..self.dir.stations.len() {
            let n = if s == self.model_home {
                model_online
            } else {
                [0, 0, 1, 1, 1, 2, 2, 3][self.rng.random_range(0..8)]
            };
            for _ in 0..n {
                let day = date_in(&mut self.rng, date(2, 1), date(12, 28));
                let (cats, text) = self.words(s, None, false);
                let mut o = self.opinion(s, day, cats, text);
                o.channel = Some(crate::model::OpinionChannel::Online);
                if self.rng.random_bool(0.3) {
                    (o.voter_name, o.voter_phone) = self.voter_contact();
                    o.consent = true;
                }
                said.push(Said {
                    opinion: o,
                    plan: None,
                });
            }
        }
        said.sort_by_key(|x| (x.opinion.date, x.opinion.station_id.clone(), x.plan));
        let mut opinions: Vec<Opinion> = Vec::with_capacity(said.len());
        let mut by_plan: Vec<Vec<usize>> = vec![Vec::new(); plans.len()];
        for (n, x) in said.into_iter().enumerate() {
            let mut o = x.opinion;
            o.id = format!("op-{:05}", n + 1);
            if let Some(p) = x.plan {
                by_plan[p].push(n);
            }
            opinions.push(o);
        }

        let activities: Vec<Activity> = plans
            .iter()
            .enumerate()
            .map(|(i, p)| self.activity(activity_id(i), p, &by_plan[i], &opinions))
            .collect();

        let (referrals, answers) = self.referrals_and_answers(&mut opinions);
        let (suggestions, leads) = self.suggestions_and_leads(&opinions);
        YearRecords {
            activities,
            opinions,
            referrals,
            answers,
            suggestions,
            leads,
        }
    }

    fn activity(&self, id: String, p: &Plan, said: &[usize], opinions: &[Opinion]) -> Activity {
        let station = &self.dir.stations[p.station];
        let sub = &self.dir.subdistricts[self.station_sub[p.station]];
        let mut counts: BTreeMap<OpinionCategory, usize> = BTreeMap::new();
        for &o in said {
            *counts.entry(opinions[o].categories[0]).or_default() += 1;
        }
        let mut topics: Vec<(OpinionCategory, usize)> = counts.into_iter().collect();
        topics.sort_by_key(|(c, n)| (std::cmp::Reverse(*n), *c));
        let topics: Vec<&str> = topics
            .iter()
            .take(3)
            .map(|(c, _)| topic_words(*c))
            .collect();
        let heard = if topics.is_empty() {
            String::new()
        } else {
            format!("，选民重点反映{}等方面的问题", topics.join("、"))
        };
        let k = p.deputies.len();
        let v = p.voters;
        let location = if p.online {
            "线上（视频连线）".to_owned()
        } else if station.kind == StationKind::Home {
            format!("{}活动室", station.name)
        } else if self.place[p.station].ends_with('村') || self.place[p.station].ends_with("社区")
        {
            format!("{}党群服务中心", self.place[p.station])
        } else {
            format!("{}会议室", self.place[p.station])
        };
        let department = p.department.map(|d| self.dir.departments[d].name.clone());
        // Where deputies come back to: the home, or a station of their street or town.
        let back = if station.kind == StationKind::Home {
            station.name.clone()
        } else {
            format!("{}{}", sub.name, self.place[p.station])
        };
        let summary = match p.kind {
            ActivityKind::VoterMeeting if p.campaign.is_some() && p.online => format!(
                "以“云见面”方式开展进站见选民活动，{k}名代表通过视频连线与{v}名选民交流{heard}。"
            ),
            ActivityKind::VoterMeeting if p.campaign.is_some() => {
                format!("开展“进站见选民”活动，{k}名代表与{v}名选民面对面交流{heard}。")
            }
            ActivityKind::VoterMeeting => {
                format!("召开选民见面会，代表通报近期履职情况，听取{v}名选民意见{heard}。")
            }
            ActivityKind::ReceptionDay if p.online => {
                format!("选民接待日（电话和视频接待），代表接待选民{v}人次{heard}。")
            }
            ActivityKind::ReceptionDay => format!("选民接待日，代表接待来访选民{v}人次{heard}。"),
            ActivityKind::HomeListening if p.campaign.is_some() => {
                format!("“回家站听意见”专题活动：{k}名代表回到{back}听取{v}名选民意见{heard}。")
            }
            ActivityKind::HomeListening => {
                format!("季度回家站活动：{k}名代表回到{back}听取选民意见{heard}。")
            }
            ActivityKind::BureauVisit => format!(
                "{}走进代表家站，就{}与代表和选民面对面沟通{heard}，现场答复有关问题。",
                department.as_deref().unwrap_or("区政府部门"),
                topic_words(department_topic(
                    &self.dir.departments[p.department.unwrap_or(0)].id
                )),
            ),
            ActivityKind::ProsecutorVisit => format!(
                "检察官走进代表家站，介绍公益诉讼和未成年人检察工作，听取代表和选民意见{heard}。"
            ),
            ActivityKind::LegislativeConsultation => format!(
                "“万名代表下基层”征求《{}》意见：{k}名代表组织{v}名群众逐条讨论草案，收集意见{}条。",
                self.dir
                    .drafts
                    .iter()
                    .find(|d| d.id == DRAFT_ID)
                    .map_or("北京市接诉即办条例(草案)", |d| d.title.as_str()),
                said.len()
            ),
            ActivityKind::Training => {
                "代表学习培训：学习宪法和代表法，交流“月进站、季回家、年述职”履职经验。".to_owned()
            }
            ActivityKind::Inspection => format!(
                "代表视察调研：实地查看{}情况，听取有关部门汇报，提出改进建议{heard}。",
                inspected(department_topic(
                    &self.dir.departments[p.department.unwrap_or(0)].id
                ))
            ),
            ActivityKind::DutyReport => {
                format!("年度述职：{k}名代表向选民报告{YEAR}年履职情况，{v}名选民参加评议{heard}。")
            }
        };
        Activity {
            id,
            kind: p.kind,
            station_id: station.id.clone(),
            date: p.date,
            deputy_ids: p
                .deputies
                .iter()
                .map(|&d| self.dir.deputies[d].id.clone())
                .collect(),
            guests: p.guests.clone(),
            voters_received: v,
            online: p.online,
            location,
            summary,
            photos: Vec::new(),
            campaign_id: p.campaign.map(str::to_owned),
            draft_id: p.consultation.then(|| DRAFT_ID.to_owned()),
        }
    }

    /// Opinions referred to the department of their topic (most; not those of the last
    /// days of the year, nor those on the draft), answered (most), fed back (most of
    /// those answered); some overdue, in progress or unanswered.
    fn referrals_and_answers(&mut self, opinions: &mut [Opinion]) -> (Vec<Referral>, Vec<Answer>) {
        let end = date(12, 31);
        let mut referrals = Vec::new();
        let mut answers = Vec::new();
        for o in opinions.iter_mut() {
            if o.draft_id.is_some() || o.date > date(12, 20) || self.rng.random_bool(0.15) {
                continue;
            }
            let choices = answering(o.categories[0]);
            if choices.is_empty() {
                continue;
            }
            let weights: Vec<f64> = choices.iter().map(|(_, w)| *w).collect();
            let choice = choices[pick_weighted(&mut self.rng, &weights)].0;
            let Some(dept) = self.department(choice) else {
                continue;
            };
            let department = &self.dir.departments[dept];
            let referred_on = later(o.date, self.rng.random_range(1..=6));
            let deadline = later(referred_on, self.rng.random_range(15..=30));
            let referral = Referral {
                id: format!("ref-{:05}", referrals.len() + 1),
                opinion_id: o.id.clone(),
                station_id: o.station_id.clone(),
                department_id: department.id.clone(),
                referred_on,
                deadline,
                categories: o.categories.clone(),
                content: o.content.clone(),
                note: (*NOTES.choose(&mut self.rng).expect("notes")).to_owned(),
            };
            let roll = self.rng.random::<f64>();
            let answered_on = later(
                referred_on,
                self.rng
                    .random_range(5..=(deadline - referred_on).num_days() as u64 + 8),
            );
            let answer = if roll < 0.82 && answered_on <= end {
                let text = *answers_for(o.categories[0])
                    .choose(&mut self.rng)
                    .expect("answers");
                Some((AnswerStatus::Answered, answered_on, text))
            } else if roll < 0.92 {
                let on = later(referred_on, self.rng.random_range(2..=7)).min(end);
                let text = *IN_PROGRESS.choose(&mut self.rng).expect("texts");
                Some((AnswerStatus::InProgress, on, text))
            } else {
                None
            };
            if let Some((status, on, text)) = answer {
                answers.push(Answer {
                    id: format!("ans-{:05}", answers.len() + 1),
                    referral_id: referral.id.clone(),
                    opinion_id: o.id.clone(),
                    station_id: o.station_id.clone(),
                    department_id: department.id.clone(),
                    status,
                    date: on,
                    text: text.to_owned(),
                });
                if status == AnswerStatus::Answered && self.rng.random_bool(0.88) {
                    o.feedback_date = Some(later(on, self.rng.random_range(1..=10)).min(end));
                    o.feedback = (*FEEDBACK.choose(&mut self.rng).expect("feedback")).to_owned();
                    let r = self.rng.random::<f64>();
                    o.satisfaction = Some(if r < 0.68 {
                        Satisfaction::Satisfied
                    } else if r < 0.92 {
                        Satisfaction::BasicallySatisfied
                    } else {
                        Satisfaction::Dissatisfied
                    });
                }
            }
            referrals.push(referral);
        }
        (referrals, answers)
    }

    /// Deputy suggestions and livelihood leads from a station's opinions on one topic.
    fn suggestions_and_leads(
        &mut self,
        opinions: &[Opinion],
    ) -> (Vec<DeputySuggestion>, Vec<LivelihoodLead>) {
        let station_index: BTreeMap<&str, usize> = self
            .dir
            .stations
            .iter()
            .enumerate()
            .map(|(i, s)| (s.id.as_str(), i))
            .collect();
        let mut groups: BTreeMap<(usize, OpinionCategory), Vec<&Opinion>> = BTreeMap::new();
        for o in opinions.iter().filter(|o| o.draft_id.is_none()) {
            groups
                .entry((station_index[o.station_id.as_str()], o.categories[0]))
                .or_default()
                .push(o);
        }
        let end = date(12, 31);
        let mut suggestions = Vec::new();
        for ((s, topic), group) in groups {
            if group.len() < 3 || !self.rng.random_bool(0.35) {
                continue;
            }
            let n = self.rng.random_range(3..=group.len().min(5));
            let picked = &group[group.len() - n..];
            let last = picked.iter().map(|o| o.date).max().expect("opinions");
            let day = later(last, self.rng.random_range(3..=15)).min(end);
            let place = self.station_place(s);
            let own = &self.station_deputies[s];
            let mut deputies: Vec<String> = picked
                .iter()
                .filter_map(|o| o.received_by.clone())
                .filter(|d| own.iter().any(|&x| self.dir.deputies[x].id == *d))
                .collect();
            deputies.sort();
            deputies.dedup();
            deputies.truncate(3);
            if deputies.is_empty() {
                let d = *own.choose(&mut self.rng).expect("deputies");
                deputies.push(self.dir.deputies[d].id.clone());
            }
            let department = answering(topic)
                .first()
                .and_then(|(id, _)| self.department(id))
                .map(|d| self.dir.departments[d].id.clone());
            let mut said: Vec<&str> = Vec::new();
            for o in picked {
                if !said.contains(&quoted(&o.content)) {
                    said.push(quoted(&o.content));
                }
            }
            suggestions.push(DeputySuggestion {
                id: String::new(),
                station_id: self.dir.stations[s].id.clone(),
                date: day,
                title: format!(
                    "关于{}的建议",
                    suggestion_subject(topic).replace("{place}", &place)
                ),
                content: format!(
                    "{place}选民多次反映：{}（共{n}条）。建议有关部门统筹研究，制定解决方案并限期落实。",
                    said.join("；")
                ),
                deputy_ids: deputies,
                opinion_ids: picked.iter().map(|o| o.id.clone()).collect(),
                department_id: department,
                supervised: self.rng.random_bool(0.25),
            });
        }
        // Livelihood leads: a station's opinions that call for the same project.
        let mut calls: BTreeMap<(usize, &str), Vec<&Opinion>> = BTreeMap::new();
        for o in opinions.iter().filter(|o| o.draft_id.is_none()) {
            if let Some(project) = project_of(&o.content) {
                calls
                    .entry((station_index[o.station_id.as_str()], project))
                    .or_default()
                    .push(o);
            }
        }
        let mut leads = Vec::new();
        for ((s, project), group) in calls {
            if group.len() < 2 || !self.rng.random_bool(0.3) {
                continue;
            }
            let n = self.rng.random_range(2..=group.len().min(4));
            let picked = &group[..n];
            let last = picked.iter().map(|o| o.date).max().expect("opinions");
            let day = later(last, self.rng.random_range(5..=30)).min(end);
            let mut said: Vec<&str> = Vec::new();
            for o in picked {
                if !said.contains(&quoted(&o.content)) {
                    said.push(quoted(&o.content));
                }
            }
            leads.push(LivelihoodLead {
                id: String::new(),
                station_id: self.dir.stations[s].id.clone(),
                date: day,
                title: format!("{}{project}", self.station_place(s)),
                content: format!(
                    "根据{n}条选民意见形成：{}。建议纳入{}年民生实事项目。",
                    said.join("；"),
                    YEAR + 1
                ),
                opinion_ids: picked.iter().map(|o| o.id.clone()).collect(),
            });
        }
        suggestions.sort_by(|a, b| (a.date, &a.station_id).cmp(&(b.date, &b.station_id)));
        for (i, x) in suggestions.iter_mut().enumerate() {
            x.id = format!("sug-{:04}", i + 1);
        }
        leads.sort_by(|a, b| (a.date, &a.station_id).cmp(&(b.date, &b.station_id)));
        for (i, x) in leads.iter_mut().enumerate() {
            x.id = format!("lead-{:04}", i + 1);
        }
        (suggestions, leads)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, BTreeSet};

    use chrono::NaiveDate;

    use super::{DRAFT_ID, HOME_LISTENING_CAMPAIGN, MODEL_HOME, VOTER_MEETING_CAMPAIGN};
    use crate::model::*;

    fn d(m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2022, m, day).unwrap()
    }

    /// The rule of `crate::doc::is_valid_id` (which needs the `store` feature).
    fn valid_id(id: &str) -> bool {
        !id.is_empty()
            && id.len() <= 64
            && id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    }

    fn has(d: &Deputy, l: DeputyLevel) -> bool {
        d.levels.contains(&l)
    }

    #[test]
    fn the_directory_is_the_districts() {
        let dir = super::directory();
        assert_eq!(dir, super::directory(), "always the same");
        let streets: Vec<&Subdistrict> = dir
            .subdistricts
            .iter()
            .filter(|s| s.kind == SubdistrictKind::Street)
            .collect();
        let towns: Vec<&Subdistrict> = dir
            .subdistricts
            .iter()
            .filter(|s| s.kind == SubdistrictKind::Town)
            .collect();
        assert_eq!(dir.subdistricts.len(), 29);
        assert_eq!(streets.len(), 22);
        assert_eq!(towns.len(), 7);
        assert!(streets.iter().all(|s| s.name.ends_with("街道")));
        assert!(towns.iter().all(|s| s.name.ends_with('镇')));
        let homes: Vec<&Station> = dir
            .stations
            .iter()
            .filter(|s| s.kind == StationKind::Home)
            .collect();
        assert_eq!(homes.len(), 29);
        let with_home: BTreeSet<&str> = homes.iter().map(|s| s.subdistrict_id.as_str()).collect();
        assert_eq!(with_home.len(), 29, "one home in each street and town");
        assert_eq!(
            dir.stations
                .iter()
                .filter(|s| s.kind == StationKind::LiaisonPoint)
                .count(),
            103
        );
        // Deputies per level, a person on two levels counted at both.
        let at = |l| dir.deputies.iter().filter(|d| has(d, l)).count();
        assert_eq!(at(DeputyLevel::City), 96);
        assert_eq!(at(DeputyLevel::District), 443);
        assert_eq!(at(DeputyLevel::Town), 475);
        let two = |a, b| {
            dir.deputies
                .iter()
                .filter(|d| has(d, a) && has(d, b))
                .count()
        };
        assert_eq!(two(DeputyLevel::City, DeputyLevel::District), 30);
        assert_eq!(two(DeputyLevel::District, DeputyLevel::Town), 60);
        let sub_of: BTreeMap<&str, &str> = dir
            .stations
            .iter()
            .map(|s| (s.id.as_str(), s.subdistrict_id.as_str()))
            .collect();
        let town_ids: BTreeSet<&str> = towns.iter().map(|s| s.id.as_str()).collect();
        for p in &dir.deputies {
            let sub = sub_of[p.station_id.as_str()];
            assert!(!p.levels.is_empty());
            if has(p, DeputyLevel::Town) {
                assert!(town_ids.contains(sub), "{p:?}: a town deputy in a street");
            }
        }
        for s in &dir.stations {
            assert!(sub_of.contains_key(s.id.as_str()));
            assert!(
                dir.deputies.iter().any(|p| p.station_id == s.id),
                "{} has no deputy",
                s.id
            );
            let staff = dir.staff.iter().filter(|x| x.station_id == s.id).count();
            assert!((1..=2).contains(&staff), "{}: {staff} staff", s.id);
        }
        let names: Vec<&str> = dir.deputies.iter().map(|p| p.name.as_str()).collect();
        let distinct: BTreeSet<&str> = names.iter().copied().collect();
        assert!(
            names.len() - distinct.len() <= 5,
            "duplicate names are rare"
        );
        assert!(names.iter().all(|n| (2..=3).contains(&n.chars().count())));
        let ids = dir
            .subdistricts
            .iter()
            .map(|x| &x.id)
            .chain(dir.stations.iter().map(|x| &x.id))
            .chain(dir.deputies.iter().map(|x| &x.id))
            .chain(dir.staff.iter().map(|x| &x.id))
            .chain(dir.departments.iter().map(|x| &x.id))
            .chain(dir.campaigns.iter().map(|x| &x.id));
        let mut seen = BTreeSet::new();
        for id in ids {
            assert!(valid_id(id), "{id}");
            assert!(seen.insert(id), "{id} twice");
        }
        assert!(dir.departments.len() > 9);
        let january = dir
            .campaigns
            .iter()
            .find(|c| c.id == VOTER_MEETING_CAMPAIGN)
            .unwrap();
        assert_eq!(january.activity_kind, ActivityKind::VoterMeeting);
        assert_eq!((january.starts, january.ends), (d(1, 1), d(1, 31)));
        assert_eq!(january.station_ids.len(), dir.stations.len());
        let listening = dir
            .campaigns
            .iter()
            .find(|c| c.id == HOME_LISTENING_CAMPAIGN)
            .unwrap();
        assert_eq!(listening.activity_kind, ActivityKind::HomeListening);
        assert_eq!((listening.starts, listening.ends), (d(9, 15), d(10, 15)));
        let subs: BTreeSet<&str> = listening
            .station_ids
            .iter()
            .map(|s| sub_of[s.as_str()])
            .collect();
        assert_eq!(subs.len(), 25);
        let draft = dir.drafts.iter().find(|x| x.id == DRAFT_ID).unwrap();
        assert_eq!(draft.title, "北京市接诉即办条例(草案)");
    }

    #[test]
    fn it_holds_every_record_of_the_small_demo() {
        let big = super::directory();
        let small = crate::demo::directory();
        for x in &small.subdistricts {
            assert!(big.subdistricts.contains(x), "{x:?}");
        }
        for x in &small.stations {
            assert!(big.stations.contains(x), "{x:?}");
        }
        for x in &small.deputies {
            assert!(big.deputies.contains(x), "{x:?}");
        }
        for x in &small.staff {
            assert!(big.staff.contains(x), "{x:?}");
        }
        for x in &small.departments {
            assert!(big.departments.contains(x), "{x:?}");
        }
        for c in &small.campaigns {
            let b = big.campaigns.iter().find(|b| b.id == c.id).unwrap();
            assert_eq!(
                (&b.name, b.activity_kind, b.starts, b.ends),
                (&c.name, c.activity_kind, c.starts, c.ends)
            );
            assert!(c.station_ids.iter().all(|s| b.station_ids.contains(s)));
        }
        assert_eq!(big.drafts, small.drafts);
    }

    /// The report's figures, counted from the records alone.
    #[derive(Debug, PartialEq, Eq)]
    struct Figures {
        january_deputies: usize,
        january_voters: u32,
        january_online: bool,
        listening_subdistricts: usize,
        listening_deputies: usize,
        /// Attendances (one deputy at one activity) at each level held.
        consultation_by_level: [u32; 3],
        consultation_citizens: u32,
        consultation_opinions: usize,
        model_home: (usize, u32, usize),
    }

    fn figures(dir: &Directory, y: &super::YearRecords) -> Figures {
        let deputy: BTreeMap<&str, &Deputy> =
            dir.deputies.iter().map(|p| (p.id.as_str(), p)).collect();
        let sub_of: BTreeMap<&str, &str> = dir
            .stations
            .iter()
            .map(|s| (s.id.as_str(), s.subdistrict_id.as_str()))
            .collect();
        let tagged = |c: &str| -> Vec<&Activity> {
            y.activities
                .iter()
                .filter(|a| a.campaign_id.as_deref() == Some(c))
                .collect()
        };
        let january = tagged(VOTER_MEETING_CAMPAIGN);
        assert!(january.iter().all(|a| a.kind == ActivityKind::VoterMeeting
            && a.date >= d(1, 1)
            && a.date <= d(1, 31)));
        let listening = tagged(HOME_LISTENING_CAMPAIGN);
        assert!(
            listening
                .iter()
                .all(|a| a.kind == ActivityKind::HomeListening
                    && a.date >= d(9, 15)
                    && a.date <= d(10, 15))
        );
        // Nothing of a campaign's kind in its window is left untagged.
        assert!(!y.activities.iter().any(|a| a.campaign_id.is_none()
            && ((a.kind == ActivityKind::VoterMeeting && a.date.month() == 1)
                || (a.kind == ActivityKind::HomeListening
                    && a.date >= d(9, 15)
                    && a.date <= d(10, 15)))));
        let people = |acts: &[&Activity]| -> usize {
            acts.iter()
                .flat_map(|a| &a.deputy_ids)
                .collect::<BTreeSet<_>>()
                .len()
        };
        let draft = dir.drafts.iter().find(|x| x.id == DRAFT_ID).unwrap();
        let consultation: Vec<&Activity> = y
            .activities
            .iter()
            .filter(|a| a.draft_id.as_deref() == Some(DRAFT_ID))
            .collect();
        let mut by_level = [0u32; 3];
        for a in &consultation {
            assert_eq!(a.kind, ActivityKind::LegislativeConsultation);
            assert!(a.date >= draft.opens && a.date <= draft.closes);
            for id in &a.deputy_ids {
                for l in &deputy[id.as_str()].levels {
                    by_level[*l as usize] += 1;
                }
            }
        }
        let on_draft: Vec<&Opinion> = y
            .opinions
            .iter()
            .filter(|o| o.draft_id.as_deref() == Some(DRAFT_ID))
            .collect();
        for o in &on_draft {
            assert!(
                draft
                    .articles
                    .iter()
                    .any(|x| Some(&x.id) == o.article_id.as_ref())
            );
            let a = consultation
                .iter()
                .find(|a| Some(&a.id) == o.activity_id.as_ref())
                .expect("collected at a consultation");
            assert_eq!((&a.station_id, a.date), (&o.station_id, o.date));
        }
        let model_acts: Vec<&Activity> = y
            .activities
            .iter()
            .filter(|a| a.station_id == MODEL_HOME)
            .collect();
        Figures {
            january_deputies: people(&january),
            january_voters: january.iter().map(|a| a.voters_received).sum(),
            january_online: january.iter().any(|a| a.online) && january.iter().any(|a| !a.online),
            listening_subdistricts: listening
                .iter()
                .map(|a| sub_of[a.station_id.as_str()])
                .collect::<BTreeSet<_>>()
                .len(),
            listening_deputies: people(&listening),
            consultation_by_level: by_level,
            consultation_citizens: consultation.iter().map(|a| a.voters_received).sum(),
            consultation_opinions: on_draft.len(),
            model_home: (
                model_acts.len(),
                model_acts.iter().map(|a| a.voters_received).sum(),
                y.opinions
                    .iter()
                    .filter(|o| o.station_id == MODEL_HOME)
                    .count(),
            ),
        }
    }

    fn reported() -> Figures {
        Figures {
            january_deputies: 330,
            january_voters: 4_655,
            january_online: true,
            listening_subdistricts: 25,
            listening_deputies: 363,
            consultation_by_level: [257, 1_375, 1_412],
            consultation_citizens: 21_936,
            consultation_opinions: 1_472,
            model_home: (16, 312, 78),
        }
    }

    use chrono::Datelike as _;

    #[test]
    fn the_year_has_the_reports_figures() {
        let dir = super::directory();
        let started = std::time::Instant::now();
        let y = super::year(&dir, super::DEMO_SEED);
        let took = started.elapsed();
        assert_eq!(figures(&dir, &y), reported());
        let kinds: BTreeMap<ActivityKind, usize> =
            y.activities.iter().fold(BTreeMap::new(), |mut m, a| {
                *m.entry(a.kind).or_default() += 1;
                m
            });
        eprintln!(
            "generated in {took:?}: {} activities {kinds:?}, {} opinions, {} referrals, {} answers, {} suggestions, {} leads",
            y.activities.len(),
            y.opinions.len(),
            y.referrals.len(),
            y.answers.len(),
            y.suggestions.len(),
            y.leads.len()
        );
        assert_eq!(kinds.len(), ActivityKind::ALL.len(), "every kind happens");
        let size = y.activities.len() + y.opinions.len();
        assert!(
            (5_000..=10_000).contains(&size),
            "{size} activities and opinions"
        );
    }

    #[test]
    fn a_seed_decides_the_records_never_the_figures() {
        let dir = super::directory();
        let a = super::year(&dir, 7);
        assert_eq!(a, super::year(&dir, 7), "the same seed, the same year");
        for seed in [8, 1, u64::MAX] {
            let b = super::year(&dir, seed);
            assert_ne!(a.activities, b.activities);
            assert_ne!(a.opinions, b.opinions);
            assert_eq!(figures(&dir, &b), reported(), "seed {seed}");
        }
    }

    #[test]
    fn every_record_points_at_what_exists_and_agrees_with_it() {
        let dir = super::directory();
        let y = super::year(&dir, 3);
        let station: BTreeMap<&str, &Station> =
            dir.stations.iter().map(|s| (s.id.as_str(), s)).collect();
        let deputy: BTreeMap<&str, &Deputy> =
            dir.deputies.iter().map(|p| (p.id.as_str(), p)).collect();
        let departments: BTreeSet<&str> = dir.departments.iter().map(|x| x.id.as_str()).collect();
        let activity: BTreeMap<&str, &Activity> =
            y.activities.iter().map(|a| (a.id.as_str(), a)).collect();
        let opinion: BTreeMap<&str, &Opinion> =
            y.opinions.iter().map(|o| (o.id.as_str(), o)).collect();
        let referral: BTreeMap<&str, &Referral> =
            y.referrals.iter().map(|r| (r.id.as_str(), r)).collect();
        assert_eq!(
            activity.len(),
            y.activities.len(),
            "activity ids are unique"
        );
        assert_eq!(opinion.len(), y.opinions.len(), "opinion ids are unique");
        assert_eq!(referral.len(), y.referrals.len(), "referral ids are unique");
        let ids = y
            .activities
            .iter()
            .map(|x| &x.id)
            .chain(y.opinions.iter().map(|x| &x.id))
            .chain(y.referrals.iter().map(|x| &x.id))
            .chain(y.answers.iter().map(|x| &x.id))
            .chain(y.suggestions.iter().map(|x| &x.id))
            .chain(y.leads.iter().map(|x| &x.id));
        let mut seen = BTreeSet::new();
        for id in ids {
            assert!(valid_id(id) && seen.insert(id), "{id}");
        }
        let in_year = |x: NaiveDate| x.year() == 2022;
        for a in &y.activities {
            let s = station[a.station_id.as_str()];
            assert!(in_year(a.date) && !a.deputy_ids.is_empty(), "{a:?}");
            for p in &a.deputy_ids {
                let home = station[deputy[p.as_str()].station_id.as_str()];
                if a.kind == ActivityKind::HomeListening {
                    assert_eq!(home.subdistrict_id, s.subdistrict_id, "{a:?}");
                } else {
                    assert_eq!(home.id, s.id, "{a:?}");
                }
            }
            if let Some(c) = &a.campaign_id {
                let c = dir.campaigns.iter().find(|x| &x.id == c).unwrap();
                assert!(c.station_ids.contains(&a.station_id) && c.activity_kind == a.kind);
                assert!(a.date >= c.starts && a.date <= c.ends);
            }
            if let Some(x) = &a.draft_id {
                assert!(dir.drafts.iter().any(|d| &d.id == x));
            }
        }
        for o in &y.opinions {
            assert!(station.contains_key(o.station_id.as_str()));
            assert!((1..=3).contains(&o.categories.len()), "{o:?}");
            if let Some(a) = &o.activity_id {
                let a = activity[a.as_str()];
                assert_eq!((&a.station_id, a.date), (&o.station_id, o.date));
                if let Some(p) = &o.received_by {
                    assert!(a.deputy_ids.contains(p), "{o:?}");
                }
            } else {
                assert_eq!(o.channel, Some(OpinionChannel::Online), "{o:?}");
                assert!(o.received_by.is_none());
            }
            if o.feedback_date.is_some() {
                let answered = y
                    .answers
                    .iter()
                    .find(|x| x.opinion_id == o.id && x.status == AnswerStatus::Answered);
                assert!(
                    answered.is_some_and(|x| Some(x.date) <= o.feedback_date),
                    "{o:?}"
                );
                assert!(!o.feedback.is_empty());
            }
        }
        for r in &y.referrals {
            let o = opinion[r.opinion_id.as_str()];
            assert_eq!(
                (&r.station_id, &r.categories, &r.content),
                (&o.station_id, &o.categories, &o.content)
            );
            assert!(departments.contains(r.department_id.as_str()));
            assert!(r.referred_on > o.date && in_year(r.referred_on));
            assert!((15..=30).contains(&(r.deadline - r.referred_on).num_days()));
        }
        let mut answered = BTreeSet::new();
        for x in &y.answers {
            let r = referral[x.referral_id.as_str()];
            assert_eq!(
                (&x.opinion_id, &x.station_id, &x.department_id),
                (&r.opinion_id, &r.station_id, &r.department_id)
            );
            assert!(x.date > r.referred_on && in_year(x.date));
            assert!(answered.insert(&x.referral_id), "one answer a referral");
        }
        for s in &y.suggestions {
            assert!(!s.deputy_ids.is_empty() && !s.opinion_ids.is_empty());
            for p in &s.deputy_ids {
                assert_eq!(deputy[p.as_str()].station_id, s.station_id);
            }
            for o in &s.opinion_ids {
                let o = opinion[o.as_str()];
                assert!(o.station_id == s.station_id && o.date <= s.date);
            }
            assert!(
                s.department_id
                    .as_deref()
                    .is_some_and(|x| departments.contains(x))
            );
        }
        for l in &y.leads {
            for o in &l.opinion_ids {
                let o = opinion[o.as_str()];
                assert!(o.station_id == l.station_id && o.date <= l.date);
            }
        }
    }

    #[test]
    fn every_record_passes_the_forms_validation() {
        let dir = super::directory();
        let y = super::year(&dir, 5);
        for a in &y.activities {
            let mut checked = ActivityInput::from(a).validate(a.date).unwrap();
            checked.id = a.id.clone();
            assert_eq!(&checked, a);
        }
        for o in &y.opinions {
            let mut checked = OpinionInput::from(o).validate(o.date).unwrap();
            checked.id = o.id.clone();
            checked.channel = o.channel;
            checked.feedback_date = o.feedback_date;
            checked.feedback = o.feedback.clone();
            checked.satisfaction = o.satisfaction;
            assert_eq!(&checked, o);
            if let Some(day) = o.feedback_date {
                let input = FeedbackInput {
                    opinion_id: o.id.clone(),
                    date: day.to_string(),
                    text: o.feedback.clone(),
                    satisfaction: o.satisfaction,
                };
                assert_eq!(input.validate(day).unwrap(), (day, o.feedback.clone()));
            }
        }
        for r in &y.referrals {
            let input = ReferralInput {
                opinion_id: r.opinion_id.clone(),
                department_id: r.department_id.clone(),
                deadline: r.deadline.to_string(),
                content: r.content.clone(),
                note: r.note.clone(),
            };
            assert_eq!(
                input.validate(r.referred_on).unwrap(),
                (
                    r.department_id.clone(),
                    r.deadline,
                    r.content.clone(),
                    r.note.clone()
                )
            );
        }
        for x in &y.answers {
            let input = AnswerInput {
                referral_id: x.referral_id.clone(),
                status: x.status,
                date: x.date.to_string(),
                text: x.text.clone(),
            };
            assert_eq!(input.validate(x.date).unwrap(), (x.date, x.text.clone()));
        }
        for s in &y.suggestions {
            let input = SuggestionInput {
                station_id: s.station_id.clone(),
                date: s.date.to_string(),
                title: s.title.clone(),
                content: s.content.clone(),
                deputy_ids: s.deputy_ids.clone(),
                opinion_ids: s.opinion_ids.clone(),
                department_id: s.department_id.clone().unwrap_or_default(),
                supervised: s.supervised,
            };
            let mut checked = input.validate(s.date).unwrap();
            checked.id = s.id.clone();
            assert_eq!(&checked, s);
        }
        for l in &y.leads {
            let input = LeadInput {
                station_id: l.station_id.clone(),
                date: l.date.to_string(),
                title: l.title.clone(),
                content: l.content.clone(),
                opinion_ids: l.opinion_ids.clone(),
            };
            let mut checked = input.validate(l.date).unwrap();
            checked.id = l.id.clone();
            assert_eq!(&checked, l);
        }
    }

    #[test]
    fn the_year_is_lived_in() {
        let dir = super::directory();
        let y = super::year(&dir, 9);
        let deputies = dir.deputies.len() as f64;
        // 月进站: most deputies most months, with gaps.
        let month_kinds = [
            ActivityKind::VoterMeeting,
            ActivityKind::ReceptionDay,
            ActivityKind::BureauVisit,
            ActivityKind::ProsecutorVisit,
            ActivityKind::LegislativeConsultation,
        ];
        let mut months = BTreeSet::new();
        let mut quarters = BTreeSet::new();
        let mut reported = BTreeSet::new();
        for a in &y.activities {
            for p in &a.deputy_ids {
                if month_kinds.contains(&a.kind) {
                    months.insert((p, a.date.month()));
                }
                if a.kind == ActivityKind::HomeListening {
                    quarters.insert((p, a.date.month0() / 3));
                }
                if a.kind == ActivityKind::DutyReport {
                    assert!(a.date.month() >= 11);
                    reported.insert(p);
                }
            }
        }
        let share = |n: usize, of: f64| n as f64 / of;
        let monthly = share(months.len(), deputies * 12.0);
        assert!((0.6..0.95).contains(&monthly), "月进站 {monthly}");
        let quarterly = share(quarters.len(), deputies * 4.0);
        assert!((0.6..0.97).contains(&quarterly), "季回家 {quarterly}");
        let yearly = share(reported.len(), deputies);
        assert!((0.75..0.99).contains(&yearly), "年述职 {yearly}");
        // Opinions: a few sent online, very few with a name or phone (always with consent).
        let regular: Vec<&Opinion> = y.opinions.iter().filter(|o| o.draft_id.is_none()).collect();
        let online = regular.iter().filter(|o| o.channel.is_some()).count();
        let online = share(online, regular.len() as f64);
        assert!((0.03..0.08).contains(&online), "online {online}");
        let personal: Vec<&&Opinion> = regular
            .iter()
            .filter(|o| !o.voter_name.is_empty() || !o.voter_phone.is_empty())
            .collect();
        assert!(!personal.is_empty() && personal.len() * 20 < regular.len());
        assert!(
            y.opinions
                .iter()
                .all(|o| o.consent != o.voter_name.is_empty())
        );
        // Referred, answered and fed back, most of them; some left behind or overdue.
        let referred: BTreeSet<&str> = y.referrals.iter().map(|r| r.opinion_id.as_str()).collect();
        let unreferred = regular
            .iter()
            .filter(|o| !referred.contains(o.id.as_str()))
            .count();
        assert!(unreferred > 0 && referred.len() > regular.len() * 3 / 4);
        let answered: BTreeSet<&str> = y
            .answers
            .iter()
            .filter(|x| x.status == AnswerStatus::Answered)
            .map(|x| x.referral_id.as_str())
            .collect();
        let overdue = y
            .referrals
            .iter()
            .filter(|r| !answered.contains(r.id.as_str()))
            .count();
        assert!(overdue > 0 && answered.len() > y.referrals.len() * 3 / 4);
        assert!(
            y.answers
                .iter()
                .any(|x| x.status == AnswerStatus::InProgress)
        );
        let fed_back = y
            .opinions
            .iter()
            .filter(|o| o.satisfaction.is_some())
            .count();
        assert!(fed_back > answered.len() * 3 / 4 && fed_back < answered.len());
        let satisfaction: BTreeSet<_> = y
            .opinions
            .iter()
            .filter_map(|o| o.satisfaction.map(|s| s as u8))
            .collect();
        assert_eq!(satisfaction.len(), 3);
        assert!(y.suggestions.iter().any(|s| s.supervised));
        assert!(y.suggestions.iter().any(|s| !s.supervised));
        assert!(!y.leads.is_empty());
        // Some meetings were held online; most were not.
        let online_acts = y.activities.iter().filter(|a| a.online).count();
        assert!(online_acts > 0 && online_acts * 5 < y.activities.len());
    }
}
