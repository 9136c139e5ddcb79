//! The order people expect of Chinese names: by their pinyin, as Excel and phones sort
//! them ("甘家口" before "紫竹院"), not by code point.

use pinyin::ToPinyin as _;

/// A key that sorts `name` by its pinyin: each Chinese character as its syllable (one
/// syllable compared before the next, so "西安" comes before "先"), any other character
/// as itself, lower-cased.
pub fn pinyin_key(name: &str) -> String {
    let mut key = String::with_capacity(name.len() * 2);
    for c in name.chars() {
        match c.to_pinyin() {
            Some(p) => {
                key.push_str(p.plain());
                key.push(' ');
            }
            None => key.extend(c.to_lowercase()),
        }
    }
    key
}

/// Sorts `items` by the pinyin of their `name` (homophones by the name itself).
pub fn sort_by_pinyin<T>(items: &mut [T], name: impl Fn(&T) -> &str) {
    items.sort_by_cached_key(|item| {
        let name = name(item);
        (pinyin_key(name), name.to_owned())
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_sort_by_their_pinyin() {
        let mut names = vec![
            "紫竹院街道人大代表之家",
            "万寿路街道人大代表之家",
            "甘家口街道人大代表之家",
            "北下关街道代表联络站",
            "先农坛",
            "西安门",
            "A座联络站",
        ];
        sort_by_pinyin(&mut names, |n| n);
        assert_eq!(
            names,
            [
                "A座联络站",
                "北下关街道代表联络站",
                "甘家口街道人大代表之家",
                "万寿路街道人大代表之家",
                "西安门",
                "先农坛",
                "紫竹院街道人大代表之家",
            ]
        );
    }
}
