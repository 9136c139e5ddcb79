//! The town the sync benchmarks hold: the demo directory with 22 more stations in
//! 西北旺镇, and records spread over its stations and months.

use std::path::Path;
use std::sync::Mutex;

use chrono::NaiveDate;
use shared::{ActivityFilter, ActivityInput, Store, StoreKey, SyncClient};

/// The password of the benchmarks' accounts made with it.
pub const PASSWORD: &str = "correct horse battery";

pub fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 25).unwrap()
}

/// The town the benchmark's devices coordinate: its two demo stations and 22 more.
pub const TOWN: &str = "sd-xibeiwang";
pub const STATIONS: usize = 24;

/// Station `i` of the town and a deputy of it.
pub fn station(i: usize) -> (String, String) {
    match i % STATIONS {
        0 => ("st-xibeiwang-yongfeng".into(), "dep-008".into()),
        1 => ("st-xibeiwang-hanjiachuan".into(), "dep-010".into()),
        n => (format!("st-bench-{n:02}"), format!("dep-bench-{n:02}")),
    }
}

/// The demo directory with the town's extra stations, each with a deputy.
pub fn directory() -> shared::Directory {
    let mut dir = shared::demo::directory();
    for i in 2..STATIONS {
        let (id, deputy) = station(i);
        dir.stations.push(shared::Station {
            id: id.clone(),
            name: format!("西北旺镇第{i}代表联络站"),
            kind: shared::StationKind::LiaisonPoint,
            subdistrict_id: TOWN.into(),
        });
        dir.deputies.push(shared::Deputy {
            id: deputy,
            name: format!("代表{i}"),
            levels: vec![shared::DeputyLevel::Town],
            station_id: id,
        });
    }
    dir
}

/// Record `i`: spread over stations and months (so over many documents), about
/// `chars` characters of summary put together from varied phrases (text as people
/// write it, not one sentence repeated, which would flatter gzip).
pub fn input(i: usize, chars: usize) -> ActivityInput {
    const PHRASES: [&str; 16] = [
        "居民反映小区周边停车难",
        "早晚高峰车辆乱停乱放",
        "影响消防通道和老人出行",
        "建议协调增设停车位",
        "老旧小区加装电梯进展缓慢",
        "社区卫生服务站看病排队时间长",
        "希望增加老年餐桌的供应",
        "村里机井年久失修，春灌用水紧张",
        "学校周边上下学时段交通拥堵",
        "节假日景区周边道路拥堵严重",
        "缺少文化活动场所",
        "早餐点和便民菜店不足",
        "煤改气后取暖费用偏高",
        "垃圾分类桶站设置不合理",
        "园区通勤班车班次太少",
        "夜间施工噪音扰民",
    ];
    let (station, deputy) = station(i);
    let mut x = (i as u64 + 1).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    let mut summary = format!("第{i}次，{}位选民：", i % 37 + 3);
    while summary.chars().count() < chars {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        summary.push_str(PHRASES[(x % PHRASES.len() as u64) as usize]);
        summary.push_str(if x.is_multiple_of(3) { "。" } else { "，" });
    }
    let summary: String = summary.chars().take(chars).collect();
    ActivityInput {
        station_id: station,
        // Each (station, month) is one document: 24 stations over 20 years.
        date: (today() - chrono::Months::new((i / STATIONS % 240) as u32)).to_string(),
        deputy_ids: vec![deputy],
        voters_received: (i % 50).to_string(),
        location: "社区活动室".into(),
        summary,
        ..ActivityInput::default()
    }
}

/// A device of the app (`Store` + `SyncClient`).
pub struct Device {
    pub store: Mutex<Store>,
    pub client: SyncClient,
}

impl Device {
    /// A device signed in (over HTTP) to account `bench-<name>`, made beforehand.
    pub async fn new(dir: &Path, name: &str, url: &str) -> Device {
        let device = Device {
            store: Mutex::new(
                Store::open(
                    &dir.join(format!("{name}.db")),
                    &StoreKey::generate().unwrap(),
                )
                .unwrap(),
            ),
            client: SyncClient::new(false).unwrap(),
        };
        device
            .client
            .sign_in(&device.store, url, &format!("bench-{name}"), PASSWORD, name)
            .await
            .unwrap();
        device
    }

    pub async fn sync(&self) -> shared::SyncReport {
        self.client.sync(&self.store).await.unwrap()
    }

    pub fn count(&self) -> usize {
        self.store
            .lock()
            .unwrap()
            .list_activities(&ActivityFilter::default())
            .unwrap()
            .len()
    }

    pub fn create(&self, input: &ActivityInput) {
        self.store
            .lock()
            .unwrap()
            .create_activity(input, today())
            .unwrap();
    }
}
