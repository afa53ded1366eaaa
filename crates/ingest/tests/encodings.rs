//! Text that is not UTF-8: real AIS rows re-encoded as Korean CP949, Chinese GB18030,
//! Japanese Shift_JIS and Latin-1 (`testdata/encodings`, made by `make_samples.py` there)
//! are detected without `--encoding` and read exactly as their UTF-8 original.

use std::io::Read;
use std::path::{Path, PathBuf};

use lookout_ingest::readers::{encoding_for_label, open, ReadOptions};
use lookout_model::Record;

fn sample(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../testdata/encodings").join(name)
}

fn read_all(path: &Path, encoding: Option<&str>) -> (Vec<Record>, Vec<String>) {
    let opts = ReadOptions { encoding: encoding.map(str::to_string), ..ReadOptions::default() };
    let mut r = open(path, &opts).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let records = r.by_ref().map(|x| x.unwrap_or_else(|rej| panic!("{}: reject {rej:?}", path.display()))).collect();
    assert!(r.error().is_none(), "{:?}", r.error());
    (records, r.notes())
}

/// The sample's text as UTF-8, decoded with the encoding it was made in (no detection).
fn utf8_original(path: &Path, label: &str, dir: &Path) -> PathBuf {
    let mut bytes = Vec::new();
    flate2::read::GzDecoder::new(std::fs::File::open(path).expect("sample")).read_to_end(&mut bytes).expect("gzip");
    let enc = encoding_for_label(label).expect("known label");
    let (text, malformed) = enc.decode_without_bom_handling(&bytes);
    assert!(!malformed, "{label}: the sample is valid {}", enc.name());
    let out = dir.join(format!("{label}.csv"));
    std::fs::write(&out, text.as_bytes()).expect("write");
    out
}

fn first_name(records: &[Record]) -> Option<String> {
    records.iter().find_map(|r| match r {
        Record::Static { data, .. } => data.name.clone(),
        Record::Position(_) => None,
    })
}

#[test]
fn legacy_encodings_are_detected_and_read_as_their_utf8_original() {
    let dir = tempfile::tempdir().expect("tmp");
    for (file, label, detected_as, name) in [
        ("ko_cp949.csv.gz", "cp949", "EUC-KR (CP949", "선박 1"),
        ("zh_gb18030.csv.gz", "gb18030", "GBK", "船舶 1"),
        ("ja_shift_jis.csv.gz", "shift_jis", "Shift_JIS", "船舶 1"),
        ("latin1.csv.gz", "latin1", "windows-1252 (Latin-1)", "Fartøj 1"),
    ] {
        let path = sample(file);
        let (original, plain_notes) = read_all(&utf8_original(&path, label, dir.path()), None);
        assert!(!plain_notes.iter().any(|n| n.contains("decoded")), "{file}: {plain_notes:?}");
        assert_eq!(original.iter().filter(|r| matches!(r, Record::Position(_))).count(), 400, "{file}");
        assert_eq!(first_name(&original).as_deref(), Some(name), "{file}");

        let (detected, notes) = read_all(&path, None);
        let note = format!("text is not UTF-8: decoded as {detected_as}");
        assert!(notes.iter().any(|n| n.starts_with(&note)), "{file}: {notes:?}");
        assert_eq!(detected, original, "{file}: detected");

        let (given, notes) = read_all(&path, Some(label));
        assert!(notes.iter().any(|n| n.starts_with("text decoded from")), "{file}: {notes:?}");
        assert_eq!(given, original, "{file}: --encoding {label}");
    }
}

#[test]
fn korean_code_page_names_are_accepted() {
    let euc_kr = encoding_rs::EUC_KR;
    for label in ["cp949", "CP949", "ms949", "MS949", "uhc", "windows-949", " cp949 ", "euc-kr"] {
        assert_eq!(encoding_for_label(label), Some(euc_kr), "{label}");
    }
    assert_eq!(encoding_for_label("cp936"), Some(encoding_rs::GBK));
    assert_eq!(encoding_for_label("cp932"), Some(encoding_rs::SHIFT_JIS));
    assert_eq!(encoding_for_label("no-such-encoding"), None);

    // 똠 is one of the 8,822 syllables CP949 adds to EUC-KR (KS X 1001): it must survive.
    let text = "선박ID,수신일시,위도,경도,선명\n440123450,2023-01-11 09:00:00,35.1,129.04,똠방호\n";
    let (bytes, _, unmappable) = euc_kr.encode(text);
    assert!(!unmappable);
    let dir = tempfile::tempdir().expect("tmp");
    let path = dir.path().join("uhc.csv");
    std::fs::write(&path, &bytes).expect("write");
    for label in ["cp949", "ms949", "uhc", "windows-949"] {
        let (records, _) = read_all(&path, Some(label));
        assert_eq!(first_name(&records).as_deref(), Some("똠방호"), "{label}");
    }
}

#[test]
fn every_label_the_readme_lists_is_accepted() {
    for label in [
        "cp949",
        "ms949",
        "uhc",
        "windows-949",
        "euc-kr",
        "ks_c_5601-1987",
        "korean",
        "gbk",
        "gb18030",
        "gb2312",
        "cp936",
        "ms936",
        "windows-936",
        "big5",
        "big5-hkscs",
        "shift_jis",
        "sjis",
        "cp932",
        "ms932",
        "windows-31j",
        "euc-jp",
        "iso-2022-jp",
        "latin1",
        "iso-8859-1",
        "windows-1252",
        "cp1252",
        "iso-8859-15",
        "windows-1251",
        "koi8-r",
        "iso-8859-2",
        "utf-16le",
        "utf-16be",
    ] {
        assert!(encoding_for_label(label).is_some(), "{label}");
    }
}
