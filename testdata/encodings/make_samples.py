#!/usr/bin/env python3
"""Makes the encoding samples from real AIS rows: the first 400 data rows of
testdata/ais/aisanalyze_northsea_2022-11-01_1h.csv.gz (real North Sea AIS, MIT; see
testdata/SOURCES.md), re-encoded as Korean CP949, Chinese GB18030, Japanese Shift_JIS and
Latin-1. Positions, times, speeds and codes are the real values, unchanged. What is
translated is text a user of that language would have in such a file:
- the anonymised name `Vessel N` (a placeholder of the data's authors, not a real name)
  becomes `선박 N` / `船舶 N` / `船舶 N` / `Fartøj N` (the word "vessel");
- a `remarks` column (`비고` in Korean) is added holding the row's real ship type
  translated (Fishing -> 어선 / 渔船 / 漁船 / Fiskefartøj, ...);
- the Korean file also gets the Korean column names of Korea Coast Guard exports
  (선박ID, 수신일시, 위도, 경도, ...).
Standard library only; the output is deterministic (gzip without name or time).

Usage: python3 testdata/encodings/make_samples.py
"""
import csv
import gzip
import io
import os

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.path.join(HERE, "..", "ais", "aisanalyze_northsea_2022-11-01_1h.csv.gz")
ROWS = 400

TYPES = {
    #  English       Korean      Chinese      Japanese            Danish
    "Cargo": ("화물선", "货船", "貨物船", "Lastskib"),
    "Dredging": ("준설선", "挖泥船", "浚渫船", "Opmudringsfartøj"),
    "Fishing": ("어선", "渔船", "漁船", "Fiskefartøj"),
    "HSC": ("고속선", "高速船", "高速船", "Hurtigfærge"),
    "Medical": ("의료선", "医疗船", "医療船", "Hospitalsskib"),
    "Military": ("군함", "军舰", "軍艦", "Orlogsskib"),
    "Other": ("기타", "其他", "その他", "Andet"),
    "Passenger": ("여객선", "客船", "旅客船", "Passagerskib"),
    "Pilot": ("도선선", "引航船", "水先船", "Lodsbåd"),
    "Pleasure": ("레저선박", "游艇", "プレジャーボート", "Lystfartøj"),
    "Port tender": ("항만업무선", "港务船", "港湾作業船", "Havnefartøj"),
    "Reserved": ("예약", "保留", "予約", "Reserveret"),
    "SAR": ("수색구조선", "搜救船", "捜索救助船", "Redningsfartøj"),
    "Tanker": ("유조선", "油轮", "タンカー", "Tankskib"),
    "Tug": ("예인선", "拖船", "タグボート", "Slæbebåd"),
    "Undefined": ("미정", "未定义", "未定義", "Udefineret"),
}

KOREAN_HEADER = {
    "datetime": "수신일시",
    "mmsi": "선박ID",
    "lon": "경도",
    "lat": "위도",
    "navigational_status": "항해상태",
    "SOG": "대지속력",
    "Heading": "선수방위",
    "shiptype": "선종",
    "length": "전장",
    "name": "선명",
}

# (file, Python codec, index into TYPES' tuples, word for "vessel", Korean headers)
SAMPLES = [
    ("ko_cp949.csv.gz", "cp949", 0, "선박", True),
    ("zh_gb18030.csv.gz", "gb18030", 1, "船舶", False),
    ("ja_shift_jis.csv.gz", "shift_jis", 2, "船舶", False),
    ("latin1.csv.gz", "latin-1", 3, "Fartøj", False),
]


def main():
    with gzip.open(SOURCE, "rt", encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    header, data = rows[0], rows[1 : ROWS + 1]
    name_col, type_col = header.index("name"), header.index("shiptype")
    for file, codec, lang, vessel, korean in SAMPLES:
        out = io.StringIO()
        w = csv.writer(out, lineterminator="\n")
        names = [KOREAN_HEADER.get(h, h) for h in header] if korean else list(header)
        w.writerow(names + ["비고" if korean else "remarks"])
        for row in data:
            row = list(row)
            row[name_col] = row[name_col].replace("Vessel", vessel)
            w.writerow(row + [TYPES[row[type_col]][lang]])
        with open(os.path.join(HERE, file), "wb") as raw:
            with gzip.GzipFile(filename="", mode="wb", compresslevel=9, fileobj=raw, mtime=0) as gz:
                gz.write(out.getvalue().encode(codec))
        print(file, len(data), "rows")


if __name__ == "__main__":
    main()
