//! `lookout replay FILE... --to tcp://HOST:PORT|udp://HOST:PORT [--speed 60x] [--loop]`:
//! plays NMEA files (gzip allowed) as a live feed, paced by their receive times (tag
//! blocks, `$PGHP` lines or leading stamps, as the decoder reads them): for demos, tests
//! and the benchmark. Lines without a time go out at once after the previous one.

use std::io::{BufRead, Read, Write};
use std::net::{TcpStream, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::Context;
use lookout_nmea::{Decoder, DecoderOptions};

#[derive(clap::Args)]
pub(crate) struct ReplayArgs {
    /// NMEA files (plain or gzip).
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// Where to send: `tcp://HOST:PORT` (connects) or `udp://HOST:PORT`.
    #[arg(long)]
    pub to: String,
    /// `60x` plays an hour of data in a minute; `max` sends as fast as the receiver takes.
    #[arg(long, default_value = "1x")]
    pub speed: String,
    /// Start again at the end, forever (stop with ctrl-c).
    #[arg(long = "loop")]
    pub repeat: bool,
    /// Lines per UDP datagram (never split across datagrams).
    #[arg(long, default_value_t = 10)]
    pub lines_per_datagram: usize,
}

enum Target {
    Tcp(std::io::BufWriter<TcpStream>),
    Udp { socket: UdpSocket, pending: Vec<u8>, lines: usize },
}

fn parse_speed(raw: &str) -> anyhow::Result<Option<f64>> {
    if raw == "max" {
        return Ok(None);
    }
    let n: f64 = raw
        .strip_suffix('x')
        .unwrap_or(raw)
        .parse()
        .with_context(|| format!("--speed {raw:?}: a factor such as 1x, 60x, or max"))?;
    anyhow::ensure!(n.is_finite() && n > 0.0, "--speed {raw:?}: must be positive");
    Ok(Some(n))
}

fn open_lines(path: &Path) -> anyhow::Result<Box<dyn BufRead>> {
    let mut f = std::fs::File::open(path).with_context(|| format!("opening {}", path.display()))?;
    let mut magic = [0u8; 2];
    let n = f.read(&mut magic)?;
    let f = std::fs::File::open(path)?;
    Ok(if n == 2 && magic == [0x1f, 0x8b] {
        Box::new(std::io::BufReader::new(flate2::read::MultiGzDecoder::new(f)))
    } else {
        Box::new(std::io::BufReader::new(f))
    })
}

impl Target {
    fn connect(to: &str, lines_per_datagram: usize) -> anyhow::Result<Target> {
        if let Some(addr) = to.strip_prefix("tcp://") {
            let s = TcpStream::connect(addr).with_context(|| format!("connecting to {addr}"))?;
            Ok(Target::Tcp(std::io::BufWriter::with_capacity(64 * 1024, s)))
        } else if let Some(addr) = to.strip_prefix("udp://") {
            let socket = UdpSocket::bind("0.0.0.0:0").context("binding a UDP socket")?;
            socket.connect(addr).with_context(|| format!("--to {to}"))?;
            Ok(Target::Udp { socket, pending: Vec::new(), lines: lines_per_datagram.max(1) })
        } else {
            anyhow::bail!("--to {to:?}: tcp://HOST:PORT or udp://HOST:PORT")
        }
    }

    fn line(&mut self, line: &[u8]) -> anyhow::Result<()> {
        match self {
            Target::Tcp(w) => {
                w.write_all(line)?;
                w.write_all(b"\n")?;
            }
            Target::Udp { pending, lines, .. } => {
                pending.extend_from_slice(line);
                pending.push(b'\n');
                if pending.iter().filter(|&&b| b == b'\n').count() >= *lines {
                    self.flush()?;
                }
            }
        }
        Ok(())
    }

    fn flush(&mut self) -> anyhow::Result<()> {
        match self {
            Target::Tcp(w) => w.flush()?,
            Target::Udp { socket, pending, .. } => {
                if !pending.is_empty() {
                    socket.send(pending).context("sending a datagram")?;
                    pending.clear();
                    // Loopback receivers drop what their socket buffer cannot hold.
                    std::thread::sleep(Duration::from_micros(200));
                }
            }
        }
        Ok(())
    }
}

pub(crate) fn run(args: ReplayArgs) -> anyhow::Result<ExitCode> {
    let speed = parse_speed(&args.speed)?;
    let mut target = Target::connect(&args.to, args.lines_per_datagram)?;
    let mut sent = 0u64;
    let started = Instant::now();
    loop {
        for path in &args.files {
            sent += play(path, &mut target, speed)?;
        }
        if !args.repeat {
            break;
        }
    }
    target.flush()?;
    if let Target::Tcp(w) = target {
        // Close the write half so the receiver sees the end of the feed.
        let s = w.into_inner().map_err(|e| anyhow::anyhow!("flushing: {}", e.error()))?;
        let _ = s.shutdown(std::net::Shutdown::Write);
    }
    outln!("lookout replay: {sent} lines sent in {:.1}s", started.elapsed().as_secs_f64());
    Ok(ExitCode::SUCCESS)
}

/// Sends one file; returns the lines sent.
fn play(path: &Path, target: &mut Target, speed: Option<f64>) -> anyhow::Result<u64> {
    let mut reader = open_lines(path)?;
    // The decoder reads each line's receive time exactly as a receiver would.
    let mut decoder = Decoder::new(DecoderOptions::default());
    let mut outcomes = Vec::new();
    let mut first: Option<(chrono::DateTime<chrono::Utc>, Instant)> = None;
    let mut line = Vec::new();
    let mut n = 0u64;
    loop {
        line.clear();
        if reader.read_until(b'\n', &mut line).with_context(|| format!("reading {}", path.display()))? == 0 {
            break;
        }
        while matches!(line.last(), Some(b'\n' | b'\r')) {
            line.pop();
        }
        n += 1;
        if let Some(speed) = speed {
            outcomes.clear();
            decoder.feed(n, &line, &mut outcomes);
            let at = outcomes.iter().filter_map(|o| o.as_ref().ok().and_then(|d| d.received)).max();
            if let Some(at) = at {
                let (t0, i0) = *first.get_or_insert((at, Instant::now()));
                let offset = (at - t0).to_std().unwrap_or_default().div_f64(speed);
                let due = i0 + offset;
                let now = Instant::now();
                if due > now {
                    target.flush()?;
                    std::thread::sleep(due - now);
                }
            }
        }
        target.line(&line)?;
    }
    target.flush()?;
    Ok(n)
}
