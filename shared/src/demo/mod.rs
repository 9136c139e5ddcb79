//! Demo reference data: real Haidian streets, towns and stations named in the district's
//! 2022 work report, with invented deputies. [`directory`] is the small one tests build
//! on; [`haidian`] is the whole district with a lived-in year of records, which the sync
//! server's demo commands load so a fresh install has something to record against.

/// The generated records as documents, for the sync server to load.
#[cfg(feature = "store")]
pub mod documents;
pub mod haidian;

use chrono::NaiveDate;

use crate::model::{
    ActivityKind, Article, Campaign, Department, Deputy, DeputyLevel, Directory, DraftRegulation,
    Station, StationKind, StationStaff, Subdistrict, SubdistrictKind,
};

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("valid demo date")
}

/// The demo directory. Ids are stable so tests and fixtures can name them.
pub fn directory() -> Directory {
    use DeputyLevel::{City, District, Town};
    let sub = |id: &str, name: &str, kind| Subdistrict {
        id: id.into(),
        name: name.into(),
        kind,
    };
    let st = |id: &str, name: &str, kind, sub: &str| Station {
        id: id.into(),
        name: name.into(),
        kind,
        subdistrict_id: sub.into(),
    };
    let dep = |id: &str, name: &str, levels: &[DeputyLevel], station: &str| Deputy {
        id: id.into(),
        name: name.into(),
        levels: levels.to_vec(),
        station_id: station.into(),
    };
    let staff = |id: &str, station: &str, name: &str, post: &str| StationStaff {
        id: id.into(),
        station_id: station.into(),
        name: name.into(),
        post: post.into(),
    };
    let dept = |id: &str, name: &str| Department {
        id: id.into(),
        name: name.into(),
    };
    let article = |id: &str, number, text: &str| Article {
        id: id.into(),
        number,
        text: text.into(),
    };
    Directory {
        subdistricts: vec![
            sub("sd-zizhuyuan", "紫竹院街道", SubdistrictKind::Street),
            sub("sd-shangdi", "上地街道", SubdistrictKind::Street),
            sub("sd-xueyuanlu", "学院路街道", SubdistrictKind::Street),
            sub("sd-xibeiwang", "西北旺镇", SubdistrictKind::Town),
            sub("sd-sujiatuo", "苏家坨镇", SubdistrictKind::Town),
        ],
        stations: vec![
            st(
                "st-zizhuyuan-home",
                "紫竹院街道人大代表之家",
                StationKind::Home,
                "sd-zizhuyuan",
            ),
            st(
                "st-shangdi-park",
                "上地街道高科技产业园区人大代表联络站",
                StationKind::LiaisonPoint,
                "sd-shangdi",
            ),
            st(
                "st-xueyuanlu-shiyou",
                "学院路街道石油共生大院代表联络站",
                StationKind::LiaisonPoint,
                "sd-xueyuanlu",
            ),
            st(
                "st-xibeiwang-yongfeng",
                "西北旺镇永丰基地(拉拉)人大代表联络站",
                StationKind::LiaisonPoint,
                "sd-xibeiwang",
            ),
            st(
                "st-xibeiwang-hanjiachuan",
                "西北旺镇韩家川村代表联络站",
                StationKind::LiaisonPoint,
                "sd-xibeiwang",
            ),
            st(
                "st-sujiatuo-xinmu",
                "苏家坨镇新牧置业公司代表联络站",
                StationKind::LiaisonPoint,
                "sd-sujiatuo",
            ),
        ],
        deputies: vec![
            dep("dep-001", "王建华", &[District], "st-zizhuyuan-home"),
            dep("dep-002", "李秀英", &[City, District], "st-zizhuyuan-home"),
            dep("dep-003", "张伟", &[District], "st-zizhuyuan-home"),
            dep("dep-004", "刘洋", &[District], "st-shangdi-park"),
            dep("dep-005", "陈静", &[City], "st-shangdi-park"),
            dep("dep-006", "杨帆", &[District], "st-xueyuanlu-shiyou"),
            dep("dep-007", "赵敏", &[District], "st-xueyuanlu-shiyou"),
            dep(
                "dep-008",
                "黄志强",
                &[District, Town],
                "st-xibeiwang-yongfeng",
            ),
            dep("dep-009", "周丽", &[Town], "st-xibeiwang-yongfeng"),
            dep("dep-010", "吴刚", &[Town], "st-xibeiwang-hanjiachuan"),
            dep("dep-011", "徐红梅", &[Town], "st-xibeiwang-hanjiachuan"),
            dep("dep-012", "孙国庆", &[District, Town], "st-sujiatuo-xinmu"),
            dep("dep-013", "马丽娟", &[Town], "st-sujiatuo-xinmu"),
        ],
        staff: vec![
            staff("staff-01", "st-zizhuyuan-home", "郑晓燕", "站长"),
            staff("staff-02", "st-shangdi-park", "何磊", "联络员"),
            staff("staff-03", "st-xueyuanlu-shiyou", "高敏", "联络员"),
            staff("staff-04", "st-xibeiwang-yongfeng", "林涛", "站长"),
            staff("staff-05", "st-xibeiwang-hanjiachuan", "罗春花", "联络员"),
            staff("staff-06", "st-sujiatuo-xinmu", "梁永", "联络员"),
        ],
        departments: vec![
            dept("dept-traffic", "区交通委"),
            dept("dept-health", "区卫生健康委"),
            dept("dept-civil", "区民政局"),
            dept("dept-education", "区教委"),
            dept("dept-culture", "区文化和旅游局"),
            dept("dept-commerce", "区商务局"),
            dept("dept-agriculture", "区农业农村局"),
            dept("dept-urban", "区城市管理委"),
            dept("dept-housing", "区住房城乡建设委"),
        ],
        campaigns: vec![Campaign {
            id: "cmp-2022-home-listening".into(),
            name: "回家站听意见".into(),
            activity_kind: ActivityKind::HomeListening,
            starts: date(2022, 9, 15),
            ends: date(2022, 10, 15),
            station_ids: vec![
                "st-zizhuyuan-home".into(),
                "st-shangdi-park".into(),
                "st-xueyuanlu-shiyou".into(),
                "st-xibeiwang-yongfeng".into(),
                "st-xibeiwang-hanjiachuan".into(),
                "st-sujiatuo-xinmu".into(),
            ],
        }],
        drafts: vec![DraftRegulation {
            id: "draft-jiesujiban".into(),
            title: "北京市接诉即办条例(草案)".into(),
            opens: date(2022, 6, 1),
            closes: date(2022, 7, 31),
            articles: vec![
                article(
                    "art-1",
                    1,
                    "为了规范接诉即办工作，及时回应民众诉求，根据有关法律，结合本市实际，制定本条例。",
                ),
                article(
                    "art-2",
                    2,
                    "本条例所称接诉即办，是指对民众通过12345市民服务热线提出的诉求予以快速响应、高效办理、及时反馈和主动治理的为民服务机制。",
                ),
                article(
                    "art-3",
                    3,
                    "诉求人可以通过热线电话、网站、移动客户端等渠道提出诉求。",
                ),
            ],
        }],
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_deputy_and_station_points_at_something_that_exists() {
        let d = super::directory();
        for s in &d.stations {
            assert!(
                d.subdistricts.iter().any(|x| x.id == s.subdistrict_id),
                "{s:?}"
            );
            assert!(
                d.deputies.iter().any(|x| x.station_id == s.id),
                "{s:?} has nobody"
            );
        }
        for p in &d.deputies {
            assert!(d.stations.iter().any(|x| x.id == p.station_id), "{p:?}");
            assert!(!p.levels.is_empty());
        }
    }
}
