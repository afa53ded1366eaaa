#!/usr/bin/env python3
"""Generate the benchmark inputs by replaying the real AIS samples in shared/data/ais.

Nothing here is simulated: every sentence and every row comes from a real sample; copies
get shifted vessel ids (MMSIs) and shifted times so that the large files look like more
traffic, not like the same vessels repeated.

Outputs (in --out-dir, default bench/work/):

  replay.nmea        >= --nmea-target AIS sentences. Sources: GFW ais-listener (tag-block
                     feed and plain stream), pyais' sample, DMA AisAbnormal and AisLib
                     streams, the gpsd daemon logs and gpsd's sample. Copy k (k = 0 is the
                     original) rewrites the 30 MMSI bits (8..37) of every first fragment,
                     keeping the MID (first three digits), recomputes the sentence checksum,
                     and shifts times by k days. Times: the tag-block `c:` of the GFW feed;
                     the DMA `$PGHP` receive times become a `\\c:<unix s>*hh\\` tag block on
                     the sentence they stamp, so every tool reads the same one-sentence-per-
                     line file. Non-AIS lines ($GP..., $PGHP, comments) are dropped.
  positions_mc.csv   >= --csv-target rows in the MarineCadastre layout, replaying
                     marinecadastre_2022-01-03_first99999.csv.gz; copy k shifts MMSIs (MID
                     kept) and dates by k days.
  tracks.csv         >= --tracks-target rows, generic layout
                     mmsi,timestamp,lat,lon,sog,cog,heading,nav_status,ship_kind_code,
                     replaying the Kitimat shipstrike tracks (2018-07..10 and 2019, real
                     multi-day tracks with real gaps). Ids become 316xxxxxx (Canada MID):
                     316000000 + copy*10000 + (5000 for the 2019 file) + anonymised id.
                     Copy k shifts times by -k days. Rows without a position or time and
                     repeated (id, timestamp) rows are dropped (the oracle's sort is not
                     stable on ties). Ship type Fishing/Cargo become the registry codes
                     000020/000023 the reference model understands; others stay empty.
  tracks_50k.csv     the first --subset rows of tracks.csv (for the slow Python oracle).
"""
import argparse
import csv
import datetime as dt
import gzip
import io
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_DATA = os.path.normpath(os.path.join(HERE, '..', '..', 'shared', 'data', 'ais'))

# --- NMEA -----------------------------------------------------------------------------

DEARMOR = {}
for _c in range(48, 88):
    DEARMOR[_c] = _c - 48
for _c in range(96, 120):
    DEARMOR[_c] = _c - 56
ARMOR = [chr(v + 48) if v < 40 else chr(v + 56) for v in range(64)]


def xor_all(s: str) -> int:
    x = 0
    for ch in s.encode('latin-1'):
        x ^= ch
    return x


def open_text(path):
    if path.endswith('.gz'):
        return io.TextIOWrapper(gzip.open(path, 'rb'), encoding='latin-1', newline='')
    return open(path, encoding='latin-1', newline='')


def pghp_unix(line):
    # $PGHP,1,YYYY,M,D,h,m,s,ms,...*hh
    f = line.split('*', 1)[0].split(',')
    try:
        y, mo, d, h, mi, s = (int(v) for v in f[2:8])
        t = dt.datetime(y, mo, d, h, mi, s, tzinfo=dt.timezone.utc)
    except (ValueError, IndexError):
        return None
    return int(t.timestamp())


class Template:
    """One AIS sentence, pre-split so that a copy costs a few string operations."""
    __slots__ = ('tag_fields', 'head', 'pre', 'mmsi_chars', 'post', 'cs', 'bits42', 'mmsi')

    def __init__(self, tag_fields, sentence):
        # tag_fields: list of (key, value) or None; c: values are ints.
        self.tag_fields = tag_fields
        self.mmsi = None
        star = sentence.rfind('*')
        body = sentence[1:star] if star > 0 else sentence[1:]
        tail = sentence[star + 1:] if star > 0 else ''
        try:
            cs = int(tail[:2], 16)
        except ValueError:
            cs = None
        f = body.split(',')
        first_fragment = len(f) >= 7 and f[2] == '1'
        payload = f[5] if len(f) >= 7 else ''
        self.head = sentence[0]
        self.cs = cs
        if not first_fragment or len(payload) < 7 or cs is None \
                or any(ord(ch) not in DEARMOR for ch in payload[:7]):
            self.pre, self.mmsi_chars, self.post = body, None, tail[2:]
            return
        pre = ','.join(f[:5]) + ','
        self.pre = pre + payload[0]
        self.mmsi_chars = payload[1:7]
        self.post = payload[7:] + ',' + ','.join(f[6:])
        bits = 0
        for ch in payload[:7]:
            bits = (bits << 6) | DEARMOR[ord(ch)]
        self.bits42 = bits
        self.mmsi = (bits >> 4) & ((1 << 30) - 1)

    def render(self, k, day_shift_s):
        tag = ''
        if self.tag_fields:
            parts = []
            for key, val in self.tag_fields:
                if key == 'c':
                    parts.append(f'c:{val + k * day_shift_s}')
                else:
                    parts.append(f'{key}:{val}')
            tb = ','.join(parts)
            tag = f'\\{tb}*{xor_all(tb):02X}\\'
        if self.mmsi_chars is None:
            if self.cs is None:  # no checksum in the original: left as it was
                return tag + self.head + self.pre + self.post
            return f'{tag}{self.head}{self.pre}*{self.cs:02X}{self.post}'
        if k == 0:
            return f'{tag}{self.head}{self.pre}{self.mmsi_chars}{self.post}*{self.cs:02X}'
        m = self.mmsi
        if m >= 100_000_000:
            new = (m // 1_000_000) * 1_000_000 + ((m % 1_000_000) + k * 7_919) % 1_000_000
        else:
            new = (m + k * 7_919) % 100_000_000
        bits = (self.bits42 & ~(((1 << 30) - 1) << 4)) | (new << 4)
        chars = ''.join(ARMOR[(bits >> (6 * (5 - i))) & 63] for i in range(6))
        cs = self.cs ^ xor_all(self.mmsi_chars) ^ xor_all(chars)
        return f'{tag}{self.head}{self.pre}{chars}{self.post}*{cs:02X}'


def parse_tag(tb):
    """'s:117,c:1668046497*0A' -> [('s','117'),('c',1668046497)] (checksum recomputed later)."""
    content = tb.split('*', 1)[0]
    out = []
    for part in content.split(','):
        if ':' not in part:
            return None
        k, v = part.split(':', 1)
        if k == 'c':
            try:
                v = int(v)
            except ValueError:
                return None
        out.append((k, v))
    return out


def nmea_templates(data_dir):
    sources = [
        'gfw_ais_listener/nmea-with-tagblock.txt',
        'gfw_ais_listener/nmea.txt',
        'gfw_ais_listener/mixed-nmea.txt',
        'pyais_nmea_data_sample.txt',
        'dma_aisabnormal/ais-sample.txt.gz',
        'dma_aisabnormal/538004030_drift_1.ais',
        'dma_aisabnormal/212123000_drift_1.ais',
        'dma_aisabnormal/219165000_ssc_1.ais',
        'dma_aislib_stream_example_2010-06-11.txt',
        'gpsd_daemon_ais/ais-nmea.log',
        'gpsd_daemon_ais/ais-18-27.log',
        'gpsd_daemon_ais/ais-nmea-type6-fid55.log',
        'gpsd_daemon_ais/ais-raw-messages.log',
        'gpsd_sample.aivdm',
    ]
    templates = []
    per_source = {}
    for rel in sources:
        path = os.path.join(data_dir, rel)
        n = 0
        pending_time = None
        with open_text(path) as fh:
            for raw in fh:
                line = raw.strip()
                if not line:
                    continue
                if line.startswith('$PGHP'):
                    pending_time = pghp_unix(line)
                    continue
                tag_fields = None
                if line.startswith('\\'):
                    end = line.find('\\', 1)
                    if end < 0:
                        continue
                    tag_fields = parse_tag(line[1:end])
                    line = line[end + 1:]
                    if not line:  # a tag block on its own line (DMA `\si:AISD*3F\`)
                        continue
                    if tag_fields is None:
                        continue
                if not (line.startswith('!') and line[3:6] in ('VDM', 'VDO')):
                    continue
                if pending_time is not None and tag_fields is None:
                    tag_fields = [('c', pending_time)]
                pending_time = None
                templates.append(Template(tag_fields, line))
                n += 1
        per_source[rel] = n
    return templates, per_source


def gen_nmea(data_dir, out_path, target):
    templates, per_source = nmea_templates(data_dir)
    base = len(templates)
    copies = max(1, -(-target // base))
    t0 = time.time()
    with open(out_path, 'w', encoding='latin-1', newline='\n') as out:
        for k in range(copies):
            out.write('\n'.join(t.render(k, 86_400) for t in templates))
            out.write('\n')
    n = base * copies
    print(f'gen: {out_path}: {n:,} sentences ({copies} copies of {base:,} real sentences '
          f'from {len(per_source)} files) in {time.time() - t0:.1f}s', file=sys.stderr)
    return {'file': out_path, 'sentences': n, 'copies': copies, 'base_sentences': base,
            'sources': per_source}


# --- MarineCadastre CSV ----------------------------------------------------------------

def shift_mmsi(m, k):
    if m >= 100_000_000:
        return (m // 1_000_000) * 1_000_000 + ((m % 1_000_000) + k * 7_919) % 1_000_000
    return m + k * 7_919


def gen_csv(data_dir, out_path, target):
    path = os.path.join(data_dir, 'marinecadastre_2022-01-03_first99999.csv.gz')
    with open_text(path) as fh:
        header = fh.readline().rstrip('\r\n')
        rows = []
        for line in fh:
            line = line.rstrip('\r\n')
            mmsi, rest = line.split(',', 1)
            date, rest2 = rest.split('T', 1)
            rows.append((int(mmsi), date, rest2))
    base = len(rows)
    copies = max(1, -(-target // base))
    t0 = time.time()
    dates = sorted({r[1] for r in rows})
    with open(out_path, 'w', encoding='utf-8', newline='\n') as out:
        out.write(header + '\n')
        for k in range(copies):
            dmap = {d: (dt.date.fromisoformat(d) + dt.timedelta(days=k)).isoformat() for d in dates}
            out.write(''.join(f'{shift_mmsi(m, k)},{dmap[d]}T{rest}\n' for m, d, rest in rows))
    n = base * copies
    print(f'gen: {out_path}: {n:,} rows ({copies} copies of {base:,} real rows) '
          f'in {time.time() - t0:.1f}s', file=sys.stderr)
    return {'file': out_path, 'rows': n, 'copies': copies, 'base_rows': base}


# --- tracks (generic layout) -----------------------------------------------------------

KIND = {'fishing': '000020', 'cargo': '000023'}
PDT = dt.timezone(dt.timedelta(hours=-7))


def num(v):
    v = v.strip()
    if v == '' or v.upper() == 'NA':
        return None
    try:
        return float(v)
    except ValueError:
        return None


def fmt(v):
    return '' if v is None else repr(v)


def track_rows(data_dir):
    """(id_offset + anon id, unix seconds, lat, lon, sog, cog, kind) from both files."""
    out = []
    with open_text(os.path.join(data_dir, 'shipstrike_ais_kitimat_2018-07_10.csv.gz')) as fh:
        for r in csv.DictReader(fh):
            lat, lon = num(r['Latitude']), num(r['Longitude'])
            if lat is None or lon is None or not r['Local.Time'].strip():
                continue
            t = dt.datetime.strptime(r['Local.Time'].strip(), '%Y-%m-%d %H:%M').replace(tzinfo=PDT)
            out.append((int(r['ID']), int(t.timestamp()), lat, lon, num(r['SOG']), num(r['COG']),
                        KIND.get(r['Type'].strip().lower(), '')))
    with open_text(os.path.join(data_dir, 'shipstrike_ais_kitimat_2019.csv.gz')) as fh:
        for r in csv.DictReader(fh):
            lat, lon, t = num(r['y']), num(r['x']), num(r['datetime'])
            if lat is None or lon is None or t is None or num(r['vid']) is None:
                continue
            out.append((5000 + int(num(r['vid'])), int(t), lat, lon, num(r['speed']), None,
                        KIND.get(r['type'].strip().lower(), '')))
    seen = set()
    uniq = []
    for row in out:
        key = (row[0], row[1])
        if key in seen:
            continue
        seen.add(key)
        uniq.append(row)
    uniq.sort(key=lambda r: (r[1], r[0]))  # a feed arrives in time order
    return uniq, len(out) - len(uniq)


def gen_tracks(data_dir, out_path, subset_path, target, subset):
    rows, dropped = track_rows(data_dir)
    base = len(rows)
    copies = max(1, -(-target // base))
    t0 = time.time()
    pre = [(vid, t, f'{lat!r},{lon!r},{fmt(sog)},{fmt(cog)},,,{kind}\n') for vid, t, lat, lon, sog, cog, kind in rows]
    header = 'mmsi,timestamp,lat,lon,sog,cog,heading,nav_status,ship_kind_code\n'
    iso_cache = {}

    def iso(t):
        s = iso_cache.get(t)
        if s is None:
            s = dt.datetime.fromtimestamp(t, dt.timezone.utc).strftime('%Y-%m-%dT%H:%M:%SZ')
            if len(iso_cache) < 2_000_000:
                iso_cache[t] = s
        return s

    written = 0
    with open(out_path, 'w', encoding='utf-8', newline='\n') as out, \
            open(subset_path, 'w', encoding='utf-8', newline='\n') as sub:
        out.write(header)
        sub.write(header)
        for k in range(copies):
            shift = -k * 86_400
            idbase = 316_000_000 + k * 10_000
            chunk = [f'{idbase + vid},{iso(t + shift)},{rest}' for vid, t, rest in pre]
            out.write(''.join(chunk))
            if written < subset:
                sub.write(''.join(chunk[:subset - written]))
            written += len(chunk)
    n = base * copies
    print(f'gen: {out_path}: {n:,} rows ({copies} copies of {base:,} real rows; {dropped:,} '
          f'repeated (id, time) rows dropped) in {time.time() - t0:.1f}s', file=sys.stderr)
    return {'file': out_path, 'rows': n, 'copies': copies, 'base_rows': base,
            'dropped_duplicates': dropped, 'subset_file': subset_path, 'subset_rows': min(subset, n)}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('--data', default=DEFAULT_DATA, help='shared/data/ais directory')
    ap.add_argument('--out-dir', default=os.path.join(HERE, 'work'))
    ap.add_argument('--nmea-target', type=int, default=2_000_000)
    ap.add_argument('--csv-target', type=int, default=3_000_000)
    ap.add_argument('--tracks-target', type=int, default=2_500_000)
    ap.add_argument('--subset', type=int, default=50_000)
    ap.add_argument('--only', choices=['nmea', 'csv', 'tracks'], action='append')
    args = ap.parse_args()
    os.makedirs(args.out_dir, exist_ok=True)
    only = set(args.only or ['nmea', 'csv', 'tracks'])
    import json
    manifest = {}
    if 'nmea' in only:
        manifest['nmea'] = gen_nmea(args.data, os.path.join(args.out_dir, 'replay.nmea'), args.nmea_target)
    if 'csv' in only:
        manifest['csv'] = gen_csv(args.data, os.path.join(args.out_dir, 'positions_mc.csv'), args.csv_target)
    if 'tracks' in only:
        manifest['tracks'] = gen_tracks(args.data, os.path.join(args.out_dir, 'tracks.csv'),
                                        os.path.join(args.out_dir, 'tracks_50k.csv'),
                                        args.tracks_target, args.subset)
    print(json.dumps(manifest))


if __name__ == '__main__':
    main()
