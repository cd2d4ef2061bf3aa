//! Code tables (代码表) used in rosters, registrations, agreements and statistics.
//!
//! Each table is plain data in one `static`, so that it can be corrected against the ministry's
//! current data dictionary without touching logic. Entries marked "unverified" came from
//! secondary sources (see shared/REFERENCE.md).

use serde::Serialize;

/// One code and its Chinese name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct CodeEntry {
    pub code: &'static str,
    pub name: &'static str,
}

/// A named code table.
#[derive(Debug)]
pub struct CodeTable {
    /// snake_case identifier, e.g. "education_level".
    pub key: &'static str,
    /// Chinese title, e.g. "学历".
    pub title: &'static str,
    pub entries: &'static [CodeEntry],
}

impl CodeTable {
    /// The entry with exactly this code (surrounding whitespace ignored).
    pub fn by_code(&self, code: &str) -> Option<&'static CodeEntry> {
        let code = code.trim();
        self.entries.iter().find(|e| e.code == code)
    }

    /// The entry with exactly this Chinese name (surrounding whitespace ignored).
    pub fn by_name(&self, name: &str) -> Option<&'static CodeEntry> {
        let name = name.trim();
        self.entries.iter().find(|e| e.name == name)
    }

    /// Looks a value up as a code first, then as a name.
    ///
    /// Spreadsheets turn a code such as "01" into the number 1, so an all-digit value shorter
    /// than the table's codes is also tried left-padded with zeros.
    pub fn resolve(&self, code_or_name: &str) -> Option<&'static CodeEntry> {
        let v = code_or_name.trim();
        if v.is_empty() {
            return None;
        }
        self.by_code(v)
            .or_else(|| self.by_name(v))
            .or_else(|| self.by_padded_code(v))
    }

    /// The name for a code, if the code exists.
    pub fn name_of(&self, code: &str) -> Option<&'static str> {
        self.by_code(code).map(|e| e.name)
    }

    fn by_padded_code(&self, v: &str) -> Option<&'static CodeEntry> {
        if !v.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        self.entries.iter().find(|e| {
            e.code
                .strip_suffix(v)
                .is_some_and(|pad| !pad.is_empty() && is_zeros(pad))
        })
    }
}

fn is_zeros(s: &str) -> bool {
    s.bytes().all(|b| b == b'0')
}

const fn e(code: &'static str, name: &'static str) -> CodeEntry {
    CodeEntry { code, name }
}

/// 学历 (education level).
pub static EDUCATION_LEVEL: CodeTable = CodeTable {
    key: "education_level",
    title: "学历",
    entries: &[
        // Doctoral codes 01 / 03 / 09 are unverified.
        e("01", "博士生毕业"),
        e("03", "博士生结业"),
        e("09", "博士生肄业"),
        e("11", "硕士生毕业"),
        e("13", "硕士生结业"),
        e("19", "硕士生肄业"),
        e("21", "研究生班毕业"),
        e("25", "双学位毕业"),
        e("31", "本科生毕业"),
        e("33", "本科生结业"),
        e("39", "本科生肄业"),
        e("41", "专科生毕业"),
        e("43", "专科生结业"),
        e("49", "专科生肄业"),
        e("61", "高职"),
    ],
};

/// 单位性质 (nature of the employing unit).
pub static UNIT_NATURE: CodeTable = CodeTable {
    key: "unit_nature",
    title: "单位性质",
    entries: &[
        e("10", "机关"),
        e("20", "科研设计单位"),
        e("21", "高等教育单位"),
        e("22", "中初教育单位"),
        e("23", "医疗卫生单位"),
        e("29", "其他事业单位"),
        e("31", "国有企业"),
        e("32", "三资企业"),
        e("39", "其他企业"),
        e("40", "部队"),
        e("55", "农村建制村"),
        e("56", "城镇社区"),
        e("99", "其他"),
    ],
};

/// 所属行业: GB/T 4754-2017 sections with the employment system's numeric codes.
pub static INDUSTRY: CodeTable = CodeTable {
    key: "industry",
    title: "所属行业",
    entries: &[
        e("11", "农、林、牧、渔业"),
        e("21", "采矿业"),
        e("22", "制造业"),
        e("23", "电力、热力、燃气及水生产和供应业"),
        e("24", "建筑业"),
        e("31", "批发和零售业"),
        e("32", "交通运输、仓储和邮政业"),
        e("33", "住宿和餐饮业"),
        e("34", "信息传输、软件和信息技术服务业"),
        e("35", "金融业"),
        e("36", "房地产业"),
        e("37", "租赁和商务服务业"),
        e("38", "科学研究和技术服务业"),
        e("39", "水利、环境和公共设施管理业"),
        e("41", "居民服务、修理和其他服务业"),
        e("42", "教育"),
        e("43", "卫生和社会工作"),
        e("44", "文化、体育和娱乐业"),
        e("45", "公共管理、社会保障和社会组织"),
        // Section T: the numeric code 46 is unverified.
        e("46", "国际组织"),
    ],
};

/// 毕业去向 (graduation destination).
pub static DESTINATION: CodeTable = CodeTable {
    key: "destination",
    title: "毕业去向",
    entries: &[
        e("10", "签就业协议形式就业"),
        e("11", "签劳动合同形式就业"),
        e("12", "其他录用形式就业"),
        e("27", "科研助理、管理助理"),
        e("46", "应征义务兵"),
        e("50", "国家基层项目"),
        e("51", "地方基层项目"),
        e("70", "待就业"),
        e("71", "不就业拟升学"),
        e("72", "其他暂不就业"),
        e("75", "自主创业"),
        e("76", "自由职业"),
        e("80", "升学"),
        e("85", "出国、出境"),
    ],
};

/// 政治面貌 (political status, GB/T 4762).
pub static POLITICAL_STATUS: CodeTable = CodeTable {
    key: "political_status",
    title: "政治面貌",
    entries: &[
        e("01", "中共党员"),
        e("02", "中共预备党员"),
        e("03", "共青团员"),
        e("04", "民革党员"),
        e("05", "民盟盟员"),
        e("06", "民建会员"),
        e("07", "民进会员"),
        e("08", "农工党党员"),
        e("09", "致公党党员"),
        e("10", "九三学社社员"),
        e("11", "台盟盟员"),
        e("12", "无党派人士"),
        e("13", "群众"),
    ],
};

/// 民族 (ethnicity, GB 3304-1991).
pub static ETHNICITY: CodeTable = CodeTable {
    key: "ethnicity",
    title: "民族",
    entries: &[
        e("01", "汉族"),
        e("02", "蒙古族"),
        e("03", "回族"),
        e("04", "藏族"),
        e("05", "维吾尔族"),
        e("06", "苗族"),
        e("07", "彝族"),
        e("08", "壮族"),
        e("09", "布依族"),
        e("10", "朝鲜族"),
        e("11", "满族"),
        e("12", "侗族"),
        e("13", "瑶族"),
        e("14", "白族"),
        e("15", "土家族"),
        e("16", "哈尼族"),
        e("17", "哈萨克族"),
        e("18", "傣族"),
        e("19", "黎族"),
        e("20", "傈僳族"),
        e("21", "佤族"),
        e("22", "畲族"),
        e("23", "高山族"),
        e("24", "拉祜族"),
        e("25", "水族"),
        e("26", "东乡族"),
        e("27", "纳西族"),
        e("28", "景颇族"),
        e("29", "柯尔克孜族"),
        e("30", "土族"),
        e("31", "达斡尔族"),
        e("32", "仫佬族"),
        e("33", "羌族"),
        e("34", "布朗族"),
        e("35", "撒拉族"),
        e("36", "毛南族"),
        e("37", "仡佬族"),
        e("38", "锡伯族"),
        e("39", "阿昌族"),
        e("40", "普米族"),
        e("41", "塔吉克族"),
        e("42", "怒族"),
        e("43", "乌孜别克族"),
        e("44", "俄罗斯族"),
        e("45", "鄂温克族"),
        e("46", "德昂族"),
        e("47", "保安族"),
        e("48", "裕固族"),
        e("49", "京族"),
        e("50", "塔塔尔族"),
        e("51", "独龙族"),
        e("52", "鄂伦春族"),
        e("53", "赫哲族"),
        e("54", "门巴族"),
        e("55", "珞巴族"),
        e("56", "基诺族"),
        e("97", "其他"),
        e("98", "外国血统中国籍人士"),
    ],
};

/// 培养方式 (training mode). Only 非定向 may sign online (SPEC §4).
pub static TRAINING_MODE: CodeTable = CodeTable {
    key: "training_mode",
    title: "培养方式",
    entries: &[e("1", "非定向"), e("2", "定向"), e("3", "委培")],
};

/// 性别 (gender, GB/T 2261.1).
pub static GENDER: CodeTable = CodeTable {
    key: "gender",
    title: "性别",
    entries: &[e("1", "男"), e("2", "女")],
};

/// 单位规模 (number of staff).
pub static UNIT_SIZE: CodeTable = CodeTable {
    key: "unit_size",
    title: "单位规模",
    entries: &[
        e("1", "50人以下"),
        e("2", "50-99人"),
        e("3", "100-499人"),
        e("4", "500-999人"),
        e("5", "1000人以上"),
    ],
};

/// 注册资金 (registered capital bands, 元).
pub static REGISTERED_CAPITAL: CodeTable = CodeTable {
    key: "registered_capital",
    title: "注册资金",
    entries: &[
        e("1", "100万以下"),
        e("2", "100-500万"),
        e("3", "500-1000万"),
        e("4", "1000万以上"),
    ],
};

/// 工作职位类别 (job category, the employment-data standard's codes).
pub static JOB_CATEGORY: CodeTable = CodeTable {
    key: "job_category",
    title: "工作职位类别",
    entries: &[
        e("10", "公务员"),
        e("11", "科学研究人员"),
        e("13", "工程技术人员"),
        e("17", "农林牧渔业技术人员"),
        e("19", "卫生专业技术人员"),
        e("21", "经济业务人员"),
        e("22", "金融业务人员"),
        e("23", "法律专业人员"),
        e("24", "教学人员"),
        e("25", "文学艺术工作人员"),
        e("26", "体育工作人员"),
        e("27", "新闻出版和文化工作人员"),
        e("29", "其他专业技术人员"),
        e("30", "办事人员和有关人员"),
        e("40", "商业和服务业人员"),
        e("60", "生产和运输设备操作人员"),
        e("80", "军人"),
        e("90", "其他人员"),
    ],
};

static ALL_TABLES: [&CodeTable; 11] = [
    &EDUCATION_LEVEL,
    &UNIT_NATURE,
    &INDUSTRY,
    &DESTINATION,
    &POLITICAL_STATUS,
    &ETHNICITY,
    &TRAINING_MODE,
    &GENDER,
    &UNIT_SIZE,
    &REGISTERED_CAPITAL,
    &JOB_CATEGORY,
];

/// Every code table, e.g. for a data-dictionary page or an export.
pub fn all_tables() -> &'static [&'static CodeTable] {
    &ALL_TABLES
}

/// The table with this `key`.
pub fn table(key: &str) -> Option<&'static CodeTable> {
    ALL_TABLES.iter().copied().find(|t| t.key == key)
}

/// Whether graduates in this training mode (code or name) may sign online: only 非定向;
/// 定向 and 委培 graduates are bound to their sponsoring unit (SPEC §4).
pub fn training_mode_may_sign(code: &str) -> bool {
    TRAINING_MODE.resolve(code).is_some_and(|e| e.code == "1")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn codes_and_names_are_unique_per_table() {
        for t in all_tables() {
            let codes: HashSet<_> = t.entries.iter().map(|e| e.code).collect();
            let names: HashSet<_> = t.entries.iter().map(|e| e.name).collect();
            assert_eq!(codes.len(), t.entries.len(), "duplicate code in {}", t.key);
            assert_eq!(names.len(), t.entries.len(), "duplicate name in {}", t.key);
            assert!(!t.entries.is_empty(), "{} is empty", t.key);
            for e in t.entries {
                assert!(!e.code.is_empty() && e.code.bytes().all(|b| b.is_ascii_digit()));
                assert!(!e.name.is_empty());
            }
        }
    }

    #[test]
    fn table_keys_are_unique_and_findable() {
        let keys: HashSet<_> = all_tables().iter().map(|t| t.key).collect();
        assert_eq!(keys.len(), all_tables().len());
        for t in all_tables() {
            assert!(std::ptr::eq(table(t.key).expect("found"), *t));
        }
        assert!(table("nope").is_none());
    }

    #[test]
    fn all_56_ethnicities_present() {
        for n in 1..=56 {
            let code = format!("{n:02}");
            let entry = ETHNICITY.by_code(&code).expect("ethnicity code");
            assert!(entry.name.ends_with('族'), "{code} {}", entry.name);
        }
        assert_eq!(ETHNICITY.name_of("01"), Some("汉族"));
        assert_eq!(ETHNICITY.name_of("56"), Some("基诺族"));
        assert_eq!(ETHNICITY.entries.len(), 58);
    }

    #[test]
    fn lookups_by_code_and_name() {
        assert_eq!(
            EDUCATION_LEVEL.by_code("31").map(|e| e.name),
            Some("本科生毕业")
        );
        assert_eq!(
            EDUCATION_LEVEL.by_name("硕士生毕业").map(|e| e.code),
            Some("11")
        );
        assert_eq!(
            POLITICAL_STATUS.resolve(" 共青团员 ").map(|e| e.code),
            Some("03")
        );
        assert_eq!(POLITICAL_STATUS.resolve("13").map(|e| e.name), Some("群众"));
        assert_eq!(UNIT_NATURE.name_of("39"), Some("其他企业"));
        assert_eq!(INDUSTRY.resolve("教育").map(|e| e.code), Some("42"));
        assert_eq!(DESTINATION.name_of("10"), Some("签就业协议形式就业"));
        assert_eq!(JOB_CATEGORY.name_of("13"), Some("工程技术人员"));
        assert_eq!(JOB_CATEGORY.entries.len(), 18);
        assert!(JOB_CATEGORY.by_name("软件开发").is_none());
        assert!(UNIT_NATURE.resolve("").is_none());
        assert!(UNIT_NATURE.resolve("不存在").is_none());
        assert!(UNIT_NATURE.name_of("机关").is_none());
    }

    #[test]
    fn resolve_tolerates_lost_leading_zero() {
        assert_eq!(ETHNICITY.resolve("1").map(|e| e.name), Some("汉族"));
        assert_eq!(
            POLITICAL_STATUS.resolve("3").map(|e| e.name),
            Some("共青团员")
        );
        assert!(ETHNICITY.resolve("99").is_none());
        assert!(TRAINING_MODE.resolve("01").is_none());
    }

    #[test]
    fn only_non_directed_training_may_sign() {
        assert!(training_mode_may_sign("1"));
        assert!(training_mode_may_sign("非定向"));
        assert!(!training_mode_may_sign("2"));
        assert!(!training_mode_may_sign("3"));
        assert!(!training_mode_may_sign("委培"));
        assert!(!training_mode_may_sign(""));
    }
}
