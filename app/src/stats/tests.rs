use super::*;

#[test]
fn figure_links_carry_the_query() {
    let q = StatsQuery {
        from: "2022-01-01".parse().ok(),
        to: "2022-12-31".parse().ok(),
        subdistrict_id: Some("sd-zzy".into()),
        ..StatsQuery::default()
    };
    assert_eq!(
        base("/activities", &q).with("level", "city").href(),
        "/activities?from=2022-01-01&to=2022-12-31&subdistrict=sd-zzy&level=city"
    );
    assert_eq!(days(3.0), "3");
    assert_eq!(days(2.5), "2.5");
}

#[test]
fn every_kind_category_and_level_has_a_figure_text() {
    for l in [DeputyLevel::City, DeputyLevel::District, DeputyLevel::Town] {
        let key = format!("stats.sub.{}", snake(&l));
        assert!(!t(&key).starts_with("stats."), "{key}");
    }
    for k in PeriodKind::ALL {
        assert!(!k.label().starts_with("stats."), "{k:?}");
    }
    for q in 1..=4 {
        assert!(!t(&format!("period.quarter_short{q}")).starts_with("period."));
        assert!(!t(&format!("period.q{q}")).starts_with("period."));
    }
}
