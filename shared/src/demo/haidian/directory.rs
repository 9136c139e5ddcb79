//! The directory: 海淀区's streets and towns, their homes and stations, departments and
//! deputies.

use super::*;

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
pub(super) fn new_name(rng: &mut ChaCha8Rng, used: &mut BTreeSet<String>) -> String {
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
/// a fixed seed), and a superset of the small [`crate::demo::directory`]: every id there is
/// here with the same record, so accounts and tests naming them work on either.
pub fn directory() -> Directory {
    use DeputyLevel::{City, District, Town as TownLevel};
    let small = crate::demo::directory();
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
