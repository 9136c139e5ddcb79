//! The Chinese fonts the files we hand over look for, written once: the PDF reports
//! (`export::pdf`) and the sync server's station posters search the system's fonts for
//! these families, preferred first, and take the first that has [`TEST_CHAR`].

/// Simplified Chinese sans-serif families, preferred first: Noto Sans CJK (Debian's and
/// Android's), Adobe's names for the same design, WenQuanYi, Android's old fallback,
/// macOS, Windows, and a serif as the last resort.
pub const CJK_FAMILIES: &[&str] = &[
    "Noto Sans CJK SC",
    "Noto Sans SC",
    "Source Han Sans SC",
    "Source Han Sans CN",
    "WenQuanYi Micro Hei",
    "WenQuanYi Zen Hei",
    "Droid Sans Fallback",
    "PingFang SC",
    "Hiragino Sans GB",
    "Microsoft YaHei",
    "Noto Serif CJK SC",
];

/// Every font made for simplified Chinese has this character.
pub const TEST_CHAR: char = '站';
