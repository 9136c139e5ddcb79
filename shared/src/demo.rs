//! Demo reference data: real Haidian streets, towns and stations named in the district's
//! 2022 work report, with invented deputies. The sync server loads it on request so a
//! fresh install has something to record against.

use crate::model::{
    Deputy, DeputyLevel, Directory, Station, StationKind, Subdistrict, SubdistrictKind,
};

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
                "st-xibeiwang-xixiaoying",
                "西北旺镇西小营村代表联络站",
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
            dep("dep-010", "吴刚", &[Town], "st-xibeiwang-xixiaoying"),
            dep("dep-011", "徐红梅", &[Town], "st-xibeiwang-xixiaoying"),
            dep("dep-012", "孙国庆", &[District, Town], "st-sujiatuo-xinmu"),
            dep("dep-013", "马丽娟", &[Town], "st-sujiatuo-xinmu"),
        ],
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
