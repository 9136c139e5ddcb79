//! The year's records, generated from a seed: the plan of activities (`campaigns`), then
//! the voters, opinions and what became of them (`records`).

use super::directory::new_name;
use super::*;
use SubdistrictKind::Town;

mod campaigns;
mod records;

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
        if kind.rhythm() == Some(Rhythm::Month) {
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
}
