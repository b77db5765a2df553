//! The `--timeline FILE.svg` picture: every HTTP request of a crawl as one
//! horizontal bar over time, one row per request.
//!
//! Side by side, the two crawls explain themselves: the sync crawl draws a
//! staircase (each request starts when the one before it ends, ~260 rows over
//! ~26 s) and the async crawl draws two blocks (ten list pages at once, then
//! 250 movie pages all overlapping, ~0.2 s). The crawler records one [`Bar`]
//! per attempt and calls [`render`] once at the end. Rendering is pure (no
//! clock, no I/O), so the same bars always give the same bytes and the tests
//! below can parse what comes out.
//!
//! The SVG is written with `write!` rather than an XML crate: it is a handful
//! of element kinds, and every piece of text, most of which came from the
//! network, goes through `escape`.

use std::fmt::{self, Write};
use std::time::Duration;

/// Which kind of page a request fetched.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PageKind {
    /// A page of the Top 250 list, 25 movies each.
    List,
    /// One movie's own page.
    Movie,
}

/// How one request (one attempt) ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// A page came back (2xx).
    Ok,
    /// 404: the page does not exist.
    Missing,
    /// This attempt failed and the crawler tried again; the text says why.
    Retried(String),
    /// This attempt failed and the crawler gave up on the page; the text says why.
    Failed(String),
    /// The site refused the crawler (a ban answer); the crawl stopped here.
    Banned(String),
}

/// One request, as the timeline draws it.
#[derive(Clone, Debug)]
pub struct Bar {
    /// Which kind of page was fetched; picks the bar's colour when it succeeded.
    pub kind: PageKind,
    /// What was fetched, e.g. "list start=25" or "rank 3 subject 1292720".
    pub label: String,
    /// When the request started, measured from the crawl's start.
    pub start: Duration,
    /// When it ended (the body read), measured from the crawl's start.
    pub end: Duration,
    /// When the loop took the response head, if one came.
    pub head: Option<Duration>,
    /// When the crawler had read the page's fields (a movie page that came
    /// back), after `end`.
    pub parsed: Option<Duration>,
    /// The wait after this attempt before the next one, if it was retried.
    pub wait: Option<Wait>,
    /// How it ended; anything but `Ok` overrides the kind's colour.
    pub outcome: Outcome,
}

/// A pause between a failed attempt and its retry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Wait {
    /// How long.
    pub duration: Duration,
    /// Whether the server asked for it (`Retry-After`) rather than the backoff.
    pub retry_after: bool,
}

/// One crawl's bars, for a picture that may hold several on one time axis.
pub struct Run<'a> {
    /// The panel's heading, e.g. "sync crawl: 260 requests in 26.9 s".
    pub name: String,
    /// Its requests, sorted by start.
    pub bars: &'a [Bar],
    /// Its whole duration.
    pub total: Duration,
}

impl Bar {
    /// When the crawler was done with this request: parsed, or the body read.
    fn finish(&self) -> Duration {
        self.parsed.unwrap_or(self.end).max(self.end).max(self.start)
    }

    /// While the loop worked on this page: from taking its head until its
    /// fields were read.
    fn work(&self) -> Option<(Duration, Duration)> {
        self.head.map(|head| (head, self.finish()))
    }
}

/// Width of the whole picture, px.
const WIDTH: f64 = 1200.0;
/// Space left of the plot, px: the row labels.
const LEFT: f64 = 110.0;
/// Space right of the plot, px: room for the last tick label and a failure's × mark.
const RIGHT: f64 = 40.0;
/// Top of the plot, px: below the title, the two legend lines and the top row of tick labels.
const PLOT_TOP: f64 = 104.0;
/// Space above each run's rows, px: its heading and its loop-busy strip.
const PANEL_HEAD: f64 = 38.0;
/// The loop-busy strip's height, px.
const BUSY_H: f64 = 8.0;
/// Space below the plot, px: the bottom row of tick labels and the reading hint.
const BOTTOM: f64 = 44.0;
/// Row pitch when there is room, px: a 3 px bar and a 1 px gap.
const ROW_PITCH: f64 = 4.0;
/// Height the rows shrink to fit into, px. A sync crawl's 260 rows fit at full
/// pitch (1040 px); more rows get thinner so the picture stays one screenful.
const MAX_PLOT_HEIGHT: f64 = 1100.0;
/// Thinnest row, px. Past `MAX_PLOT_HEIGHT / MIN_ROW` rows the picture grows
/// taller instead: a row thinner than a pixel would be antialiased away.
const MIN_ROW: f64 = 1.0;
/// Plot height when there are no bars, px: room for the "no requests" line.
const EMPTY_PLOT_HEIGHT: f64 = 24.0;
/// Narrowest bar, px, so a request that took no measurable time still shows.
const MIN_BAR_WIDTH: f64 = 1.0;
/// Closest two tick labels may be, px, so labels like "12.5 s" never touch.
const MIN_TICK_SPACING: f64 = 70.0;
/// Closest two row labels may be, px.
const MIN_LABEL_SPACING: f64 = 13.0;
/// Colours and fonts. Outcome rules come after kind rules so that a failed
/// movie page is red, not green; `.cross` comes last so its `fill:none` wins.
/// A bar's own colour, light, is the wait for the server; darker overlays
/// mark the wait for a loop busy with other pages, and the loop's work on
/// this page.
const STYLE: &str = "text{font:12px sans-serif;fill:#333}\
.title{font-size:15px;font-weight:bold}.run{font-weight:bold}.tick{text-anchor:middle;fill:#666}.hint{fill:#888}\
.label{font-size:10px;text-anchor:end;fill:#555}\
.grid{stroke:#e6e6e6}.axis{stroke:#aaa}\
.bar,.swatch{fill-opacity:.45}.list{fill:#3b6fb6}.movie{fill:#4e9f50}.retried{fill:#f39c28}.failed{fill:#d62728}\
.missing{fill:#b4b4b4}.banned{fill:#6b0000}\
.queued{fill:#000;fill-opacity:.22}.work{fill:#000;fill-opacity:.6}.busy{fill:#555}\
.wait{stroke:#f39c28;stroke-width:1;stroke-dasharray:3 2}.wait.server{stroke:#8e44ad}\
.cross{fill:none;stroke:#d62728;stroke-width:1.5}.cross.banned{stroke:#6b0000}";

/// Renders one crawl's bars as a standalone SVG document. `title` is a
/// heading line such as "async crawl of http://127.0.0.1:8250 — 260
/// requests in 0.23 s". `total` is the crawl's whole duration (the x axis
/// spans 0..max(total, last bar end)).
///
/// Bars are drawn one per row in the order given, so pass them sorted by
/// start; hovering a bar in a browser shows its label, times and outcome.
pub fn render(title: &str, bars: &[Bar], total: Duration) -> String {
    render_runs(title, &[Run { name: String::new(), bars, total }])
}

/// Renders several crawls, one panel each, on one shared time axis: a
/// sync and an async crawl of the same site side by side show the
/// tutorial's point at a glance.
pub fn render_runs(title: &str, runs: &[Run]) -> String {
    let mut svg = String::new();
    // Writing into a String cannot fail, so there is no error to pass on.
    let _ = write_svg(&mut svg, title, runs);
    svg
}

/// Where things go: the time axis and the rows.
struct Layout {
    /// The axis's span, ms (positive).
    span_ms: f64,
    /// The plot's width, px.
    plot_w: f64,
    /// The time one pixel of the axis stands for.
    pixel: Duration,
    /// A row's pitch, px.
    pitch: f64,
    /// A bar's height, px.
    bar_h: f64,
}

impl Layout {
    /// The x coordinate of time `t`.
    fn x(&self, t: Duration) -> f64 {
        LEFT + ms(t) / self.span_ms * self.plot_w
    }
}

/// The body of [`render_runs`], with `?` for the `fmt::Result`s.
fn write_svg(out: &mut String, title: &str, runs: &[Run]) -> fmt::Result {
    let plot_w = WIDTH - LEFT - RIGHT;
    // The axis spans the longest crawl, or further if a bar's end was
    // measured after its crawl's `total`.
    let last_end = runs.iter().flat_map(|run| run.bars).map(Bar::finish).max().unwrap_or_default();
    let span_ms = ms(runs.iter().map(|run| run.total).max().unwrap_or_default().max(last_end));
    // An empty or instant crawl has a zero span, which would put NaN into
    // every coordinate; a 1 ms axis draws the same picture with finite numbers.
    let span_ms = if span_ms > 0.0 { span_ms } else { 1.0 };

    let rows: usize = runs.iter().map(|run| run.bars.len()).sum();
    let pitch = row_pitch(rows);
    // Keep a 1 px gap between rows while they are at least 2 px; thinner rows
    // touch, and the colour changes alone separate them.
    let bar_h = if pitch >= 2.0 { pitch - 1.0 } else { pitch };
    // A single unnamed run has no panel heading; every named one has one.
    let head_h = |run: &Run| if run.name.is_empty() { BUSY_H + 18.0 } else { PANEL_HEAD };
    let panel_h =
        |run: &Run| head_h(run) + if run.bars.is_empty() { EMPTY_PLOT_HEIGHT } else { pitch * run.bars.len() as f64 };
    let plot_bottom = PLOT_TOP + runs.iter().map(panel_h).sum::<f64>();
    let height = plot_bottom + BOTTOM;

    let (w, h) = (num(WIDTH), num(height));
    writeln!(out, r#"<?xml version="1.0" encoding="UTF-8"?>"#)?;
    writeln!(out, r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}">"#)?;
    writeln!(out, "<style>{STYLE}</style>")?;
    // An explicit background: a transparent SVG is unreadable in a dark viewer.
    writeln!(out, r##"<rect width="100%" height="100%" fill="#fff"/>"##)?;
    writeln!(out, r#"<text class="title" x="20" y="22">{}</text>"#, escape(title))?;
    let all: Vec<Bar> = runs.iter().flat_map(|run| run.bars.iter().cloned()).collect();
    write_legend(out, &all)?;

    // Grid lines and tick labels, above and below the plot so that a tall
    // sync timeline can be read at either end.
    let step = tick_step_ms(span_ms, plot_w);
    let ticks = (span_ms / step + 1e-9).floor() as u64;
    for i in 0..=ticks {
        let t = i as f64 * step;
        let tx = num(LEFT + t / span_ms * plot_w);
        let label = tick_label(t, step);
        let (top, bottom) = (num(PLOT_TOP), num(plot_bottom));
        writeln!(out, r#"<line class="grid" x1="{tx}" y1="{top}" x2="{tx}" y2="{bottom}"/>"#)?;
        writeln!(out, r#"<text class="tick" x="{tx}" y="{}">{label}</text>"#, num(PLOT_TOP - 6.0))?;
        writeln!(out, r#"<text class="tick" x="{tx}" y="{}">{label}</text>"#, num(plot_bottom + 15.0))?;
    }
    for y in [PLOT_TOP, plot_bottom] {
        let (x1, x2, y) = (num(LEFT), num(LEFT + plot_w), num(y));
        writeln!(out, r#"<line class="axis" x1="{x1}" y1="{y}" x2="{x2}" y2="{y}"/>"#)?;
    }

    // The time one pixel of the axis stands for.
    let pixel = Duration::from_secs_f64(span_ms / plot_w / 1000.0);
    let layout = Layout { span_ms, plot_w, pixel, pitch, bar_h };
    let mut top = PLOT_TOP;
    for run in runs {
        write_run(out, run, top, head_h(run), &layout)?;
        top += panel_h(run);
    }

    let hint = "one row per request, in start order; light: waiting for the server, \
                shaded: waiting for the loop, dark: the loop on this page; hover a bar for its times";
    writeln!(out, r#"<text class="hint" x="20" y="{}">{hint}</text>"#, num(plot_bottom + 34.0))?;
    writeln!(out, "</svg>")
}

/// One run's panel from `top`: its heading and loop-busy strip in `head_h`
/// px, then a row per bar.
fn write_run(out: &mut String, run: &Run, top: f64, head_h: f64, layout: &Layout) -> fmt::Result {
    let (pitch, bar_h) = (layout.pitch, layout.bar_h);
    let x = |t| layout.x(t);
    let busy = busy_spans(run.bars, layout.pixel);
    let busy_ms: f64 = busy.iter().map(|(from, to)| ms(to.saturating_sub(*from))).sum();
    // 7 px above the rows, so its label and the first row's keep apart.
    let strip_y = top + head_h - BUSY_H - 7.0;
    if !run.name.is_empty() {
        let heading = format!("{}; the loop busy with pages for {} ms", run.name, num(busy_ms.round()));
        writeln!(out, r#"<text class="run" x="20" y="{}">{}</text>"#, num(top + 14.0), escape(&heading))?;
    }
    writeln!(
        out,
        r#"<text class="label" x="{}" y="{}">loop busy</text>"#,
        num(LEFT - 4.0),
        num(strip_y + BUSY_H - 1.0)
    )?;
    for (from, to) in &busy {
        let (bx, bw) = (x(*from), (x(*to) - x(*from)).max(MIN_BAR_WIDTH / 2.0));
        let tip = format!("the loop busy with pages: {}–{} ms", num(ms(*from)), num(ms(*to)));
        write!(
            out,
            r#"<rect class="busy" x="{}" y="{}" width="{}" height="{}">"#,
            num(bx),
            num(strip_y),
            num(bw),
            num(BUSY_H)
        )?;
        writeln!(out, "<title>{tip}</title></rect>")?;
    }

    let rows_top = top + head_h;
    if run.bars.is_empty() {
        writeln!(out, r#"<text class="hint" x="{}" y="{}">no requests</text>"#, num(LEFT + 6.0), num(rows_top + 16.0))?;
    }
    // Label every row while they are far enough apart, else every n-th.
    let every = (MIN_LABEL_SPACING / pitch).ceil().max(1.0) as usize;
    for (row, bar) in run.bars.iter().enumerate() {
        let y = rows_top + row as f64 * pitch;
        if row % every == 0 {
            let label = short_label(&bar.label);
            // The baseline a little below the row's middle centres 10 px text on it.
            let baseline = num(y + bar_h / 2.0 + 3.5);
            writeln!(out, r#"<text class="label" x="{}" y="{baseline}">{}</text>"#, num(LEFT - 4.0), escape(label))?;
        }
        write_bar(out, bar, y, &busy, layout)?;
    }
    Ok(())
}

/// One bar: the attempt in its colour, the waits for the loop and the
/// loop's work on it darker, a retry's wait dashed after it, a × after a
/// failure.
fn write_bar(out: &mut String, bar: &Bar, y: f64, busy: &[(Duration, Duration)], layout: &Layout) -> fmt::Result {
    let (x, bar_h) = (|t| layout.x(t), layout.bar_h);
    let x0 = x(bar.start);
    let width = (x(bar.finish()) - x0).max(MIN_BAR_WIDTH);
    let class = format!("bar {}{}", kind_class(bar.kind), outcome_class(&bar.outcome));
    let (by, bh) = (num(y), num(bar_h));
    write!(out, r#"<rect class="{class}" x="{}" y="{by}" width="{}" height="{bh}">"#, num(x0), num(width))?;
    writeln!(out, "<title>{}</title></rect>", escape(&tooltip_text(bar)))?;
    // The part of the wait for the head during which the loop was busy with
    // other pages: the answer may have been there, unread.
    if let Some(head) = bar.head {
        for (from, to) in overlap(busy, bar.start, head) {
            let (qx, qw) = (x(from), x(to) - x(from));
            writeln!(out, r#"<rect class="queued" x="{}" y="{by}" width="{}" height="{bh}"/>"#, num(qx), num(qw))?;
        }
    }
    if let Some((from, to)) = bar.work() {
        let (wx, ww) = (x(from), (x(to) - x(from)).max(MIN_BAR_WIDTH / 2.0));
        writeln!(out, r#"<rect class="work" x="{}" y="{by}" width="{}" height="{bh}"/>"#, num(wx), num(ww))?;
    }
    let end_x = x0 + width;
    if let Some(wait) = bar.wait {
        let class = if wait.retry_after { "wait server" } else { "wait" };
        let (x1, x2, wy) = (num(end_x), num(x(bar.end + wait.duration)), num(y + bar_h / 2.0));
        writeln!(out, r#"<line class="{class}" x1="{x1}" y1="{wy}" x2="{x2}" y2="{wy}"/>"#)?;
    }
    // A red bar three pixels high is easy to miss among 250 others; the
    // × beside its end is not.
    if let Outcome::Failed(_) | Outcome::Banned(_) = bar.outcome {
        write_cross(out, end_x + 5.0, y + bar_h / 2.0, outcome_class(&bar.outcome))?;
    }
    Ok(())
}

/// A bar's tooltip: label, times, outcome, and the split of its time.
fn tooltip_text(bar: &Bar) -> String {
    let mut tip = format!(
        "{}: {}–{} ms ({} ms), {}",
        bar.label,
        num(ms(bar.start)),
        num(ms(bar.end)),
        num(ms(bar.end.saturating_sub(bar.start))),
        describe(&bar.outcome)
    );
    if let Some(head) = bar.head {
        tip.push_str(&format!("; head taken at {} ms", num(ms(head))));
    }
    if let Some(parsed) = bar.parsed {
        tip.push_str(&format!(", fields read by {} ms", num(ms(parsed))));
    }
    if let Some(wait) = bar.wait {
        let why = if wait.retry_after { "as Retry-After asked" } else { "backoff" };
        tip.push_str(&format!("; then waited {} ms ({why})", num(ms(wait.duration))));
    }
    tip
}

/// The row label for a bar's label: "rank 3" of "rank 3 subject 1292720".
fn short_label(label: &str) -> &str {
    match label.find(" subject ") {
        Some(at) => &label[..at],
        None => label,
    }
}

/// When the loop was working on some page: the union of every bar's work
/// span, sorted, and merged across gaps shorter than `gap` (a pixel's
/// worth of time: thousands of slivers would draw the same picture, slower).
fn busy_spans(bars: &[Bar], gap: Duration) -> Vec<(Duration, Duration)> {
    let mut spans: Vec<(Duration, Duration)> = bars.iter().filter_map(Bar::work).collect();
    spans.sort();
    let mut merged: Vec<(Duration, Duration)> = Vec::new();
    for (from, to) in spans {
        match merged.last_mut() {
            Some(last) if from <= last.1 + gap => last.1 = last.1.max(to),
            _ => merged.push((from, to)),
        }
    }
    merged
}

/// The parts of `from..to` that `spans` (sorted, disjoint) cover.
fn overlap(spans: &[(Duration, Duration)], from: Duration, to: Duration) -> Vec<(Duration, Duration)> {
    spans.iter().map(|(a, b)| ((*a).max(from), (*b).min(to))).filter(|(a, b)| a < b).collect()
}

/// The legend line under the title: one swatch per colour, with how many bars have it.
fn write_legend(out: &mut String, bars: &[Bar]) -> fmt::Result {
    let count = |keep: &dyn Fn(&Bar) -> bool| bars.iter().filter(|bar| keep(bar)).count();
    let entries = [
        ("list", "list page", count(&|bar| bar.kind == PageKind::List)),
        ("movie", "movie page", count(&|bar| bar.kind == PageKind::Movie)),
        ("retried", "failed, retried", count(&|bar| matches!(bar.outcome, Outcome::Retried(_)))),
        ("failed", "failed, gave up", count(&|bar| matches!(bar.outcome, Outcome::Failed(_)))),
        ("missing", "404 missing", count(&|bar| bar.outcome == Outcome::Missing)),
        ("banned", "banned, crawl stopped", count(&|bar| matches!(bar.outcome, Outcome::Banned(_)))),
    ];
    let mut x = 20.0;
    for (class, name, n) in entries {
        writeln!(out, r#"<rect class="swatch {class}" x="{}" y="40" width="14" height="10"/>"#, num(x))?;
        x += 19.0;
        // The × that marks these bars goes right after the swatch, as on the bars.
        if class == "failed" || class == "banned" {
            write_cross(out, x + 2.0, 45.0, &format!(" {class}"))?;
            x += 11.0;
        }
        let text = format!("{name} ({n})");
        writeln!(out, r#"<text x="{}" y="49">{text}</text>"#, num(x))?;
        // No font metrics here: 6.5 px a character is a safe overestimate for
        // lowercase 12 px sans-serif, so entries may be a little far apart but never overlap.
        x += 6.5 * text.chars().count() as f64 + 20.0;
    }
    // The second line: how a bar's time divides, and the waits.
    let retry_waits = bars.iter().filter(|bar| bar.wait.is_some()).count();
    let mut x = 20.0;
    let parts = [
        ("bar movie", "waiting for the server"),
        ("queued", "waiting for the loop (busy with other pages)"),
        ("work", "the loop on this page: body, inflate, regexes"),
    ];
    for (class, name) in parts {
        writeln!(out, r#"<rect class="swatch movie" x="{}" y="58" width="14" height="10"/>"#, num(x))?;
        if class != "bar movie" {
            writeln!(out, r#"<rect class="swatch {class}" x="{}" y="58" width="14" height="10"/>"#, num(x))?;
        }
        x += 19.0;
        writeln!(out, r#"<text x="{}" y="67">{name}</text>"#, num(x))?;
        x += 6.5 * name.chars().count() as f64 + 20.0;
    }
    let (x1, x2) = (num(x), num(x + 16.0));
    writeln!(out, r#"<line class="wait" x1="{x1}" y1="63" x2="{x2}" y2="63"/>"#)?;
    writeln!(out, r#"<line class="wait server" x1="{}" y1="63" x2="{}" y2="63" transform="translate(0 3)"/>"#, x1, x2)?;
    writeln!(out, r#"<text x="{}" y="67">retry wait: backoff, Retry-After ({retry_waits})</text>"#, num(x + 21.0))?;
    Ok(())
}

/// A small × centred on (`x`, `y`); `class` is the outcome's class words, with a leading space.
fn write_cross(out: &mut String, x: f64, y: f64, class: &str) -> fmt::Result {
    let (l, r, t, b) = (num(x - 3.0), num(x + 3.0), num(y - 3.0), num(y + 3.0));
    writeln!(out, r#"<path class="cross{class}" d="M{l} {t}L{r} {b}M{l} {b}L{r} {t}"/>"#)
}

/// The row pitch for `rows` rows: full height while they fit into
/// [`MAX_PLOT_HEIGHT`], then thinner, but never below [`MIN_ROW`].
fn row_pitch(rows: usize) -> f64 {
    if rows == 0 { ROW_PITCH } else { (MAX_PLOT_HEIGHT / rows as f64).clamp(MIN_ROW, ROW_PITCH) }
}

/// The distance between ticks, ms: the smallest 1, 2 or 5 × 10^k that keeps
/// labels [`MIN_TICK_SPACING`] apart on a `plot_w` px axis spanning `span_ms`.
/// `span_ms` must be positive.
fn tick_step_ms(span_ms: f64, plot_w: f64) -> f64 {
    let max_ticks = (plot_w / MIN_TICK_SPACING).floor().max(1.0);
    let raw = span_ms / max_ticks;
    let magnitude = 10f64.powf(raw.log10().floor());
    [1.0, 2.0, 5.0, 10.0].into_iter().map(|m| m * magnitude).find(|&step| step >= raw).unwrap_or(10.0 * magnitude)
}

/// A tick's label: milliseconds while the step is under a second, seconds after.
fn tick_label(t_ms: f64, step_ms: f64) -> String {
    if t_ms == 0.0 {
        "0".to_string()
    } else if step_ms >= 1000.0 {
        format!("{} s", num(t_ms / 1000.0))
    } else {
        format!("{} ms", num(t_ms))
    }
}

/// The class word for a page kind.
fn kind_class(kind: PageKind) -> &'static str {
    match kind {
        PageKind::List => "list",
        PageKind::Movie => "movie",
    }
}

/// The extra class word for an outcome, with its leading space; none for `Ok`.
fn outcome_class(outcome: &Outcome) -> &'static str {
    match outcome {
        Outcome::Ok => "",
        Outcome::Missing => " missing",
        Outcome::Retried(_) => " retried",
        Outcome::Failed(_) => " failed",
        Outcome::Banned(_) => " banned",
    }
}

/// An outcome in words, for the tooltip.
fn describe(outcome: &Outcome) -> String {
    match outcome {
        Outcome::Ok => "ok".to_string(),
        Outcome::Missing => "404, no such page".to_string(),
        Outcome::Retried(why) => format!("retried after: {why}"),
        Outcome::Failed(why) => format!("gave up: {why}"),
        Outcome::Banned(why) => format!("banned, crawl stopped: {why}"),
    }
}

/// A duration in milliseconds.
fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// A number with at most two decimals and no trailing zeros: `12.5`, `3`, `0.25`.
fn num(v: f64) -> String {
    let s = format!("{v:.2}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    // Rounding a tiny negative gives "-0"; no coordinate here means that.
    if s == "-0" { "0".to_string() } else { s.to_string() }
}

/// `text` made safe inside an XML attribute or element. Besides the five
/// markup characters, control characters other than tab and newline are
/// replaced with U+FFFD: XML 1.0 forbids them even as `&#1;`, and a stray one
/// in a server's error text must not make the whole picture unreadable.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            '\u{0}'..='\u{1f}' | '\u{fffe}' | '\u{ffff}' => out.push('\u{fffd}'),
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bar(kind: PageKind, label: &str, start_ms: u64, end_ms: u64, outcome: Outcome) -> Bar {
        let (start, end) = (Duration::from_millis(start_ms), Duration::from_millis(end_ms));
        Bar { kind, label: label.to_string(), start, end, head: None, parsed: None, wait: None, outcome }
    }

    /// A small crawl with one bar of every outcome.
    fn sample() -> Vec<Bar> {
        vec![
            bar(PageKind::List, "list start=0", 0, 90, Outcome::Ok),
            bar(PageKind::List, "list start=25", 1, 95, Outcome::Retried("connection reset".into())),
            bar(PageKind::Movie, "rank 1 subject 1292052", 100, 180, Outcome::Ok),
            bar(PageKind::Movie, "rank 2 subject 1291546", 101, 140, Outcome::Missing),
            bar(PageKind::Movie, "rank 3 subject 1292720", 102, 205, Outcome::Failed("timed out".into())),
            bar(PageKind::Movie, "rank 4 subject 1295644", 103, 150, Outcome::Banned("403 forbidden".into())),
        ]
    }

    fn has_class(node: roxmltree::Node, word: &str) -> bool {
        node.attribute("class").is_some_and(|class| class.split_whitespace().any(|w| w == word))
    }

    /// The elements with the `bar` class word, in document order.
    fn bar_rects<'a>(doc: &'a roxmltree::Document) -> Vec<roxmltree::Node<'a, 'a>> {
        doc.descendants().filter(|node| has_class(*node, "bar")).collect()
    }

    fn number(node: roxmltree::Node, attribute: &str) -> f64 {
        node.attribute(attribute).and_then(|value| value.parse().ok()).expect(attribute)
    }

    fn tooltip(node: roxmltree::Node) -> String {
        node.children().find(|child| child.has_tag_name("title")).and_then(|t| t.text()).unwrap_or("").to_string()
    }

    #[test]
    fn every_bar_is_one_rect_with_its_kind_and_outcome_classes_and_a_tooltip() {
        let bars = sample();
        let svg = render("async crawl", &bars, Duration::from_millis(210));
        let doc = roxmltree::Document::parse(&svg).expect("well-formed svg");
        assert_eq!(doc.root_element().tag_name().name(), "svg");
        assert_eq!(doc.root_element().tag_name().namespace(), Some("http://www.w3.org/2000/svg"));
        let rects = bar_rects(&doc);
        assert_eq!(rects.len(), bars.len());
        let expected = [
            ("list", None),
            ("list", Some("retried")),
            ("movie", None),
            ("movie", Some("missing")),
            ("movie", Some("failed")),
            ("movie", Some("banned")),
        ];
        for ((rect, bar), (kind, outcome)) in rects.iter().zip(&bars).zip(expected) {
            assert!(rect.has_tag_name("rect"), "{:?}", rect.tag_name());
            assert!(has_class(*rect, kind), "{}: {:?}", bar.label, rect.attribute("class"));
            let other = if kind == "list" { "movie" } else { "list" };
            assert!(!has_class(*rect, other), "{}", bar.label);
            for word in ["retried", "missing", "failed", "banned"] {
                assert_eq!(has_class(*rect, word), outcome == Some(word), "{}: {word}", bar.label);
            }
            assert!(tooltip(*rect).starts_with(&bar.label), "{}", tooltip(*rect));
        }
        assert_eq!(tooltip(rects[4]), "rank 3 subject 1292720: 102–205 ms (103 ms), gave up: timed out");
    }

    #[test]
    fn failed_and_banned_bars_get_a_cross_beside_their_end() {
        let svg = render("crawl", &sample(), Duration::from_millis(210));
        let doc = roxmltree::Document::parse(&svg).expect("well-formed svg");
        // One cross each in the legend, one for each of the two bars.
        assert_eq!(doc.descendants().filter(|node| has_class(*node, "cross")).count(), 4);
        let failed = bar_rects(&doc).into_iter().find(|rect| has_class(*rect, "failed")).expect("a failed bar");
        let end = number(failed, "x") + number(failed, "width");
        let cross = failed.next_sibling_element().expect("an element after the failed bar");
        assert!(has_class(cross, "cross") && has_class(cross, "failed"), "{:?}", cross.attribute("class"));
        // The path starts "M<left> <top>", three pixels left of the cross's centre.
        let d = cross.attribute("d").expect("a path");
        let cross_x: f64 = d[1..].split(' ').next().and_then(|left| left.parse::<f64>().ok()).expect("a number") + 3.0;
        assert!(cross_x > end && cross_x < end + 10.0, "cross at {cross_x}, bar ends at {end}");
    }

    #[test]
    fn markup_in_labels_and_reasons_survives_escaping() {
        let nasty = r#"<b>&"quoted" 'single'</b>"#;
        let bars = vec![
            bar(PageKind::Movie, nasty, 0, 10, Outcome::Failed(format!("server said {nasty}\u{1}"))),
            bar(PageKind::List, "ok", 0, 10, Outcome::Ok),
        ];
        let svg = render(&format!("title {nasty}"), &bars, Duration::from_millis(10));
        let doc = roxmltree::Document::parse(&svg).expect("well-formed svg");
        let rects = bar_rects(&doc);
        assert_eq!(rects.len(), 2);
        let tip = tooltip(rects[0]);
        assert!(tip.starts_with(nasty), "{tip}");
        assert!(tip.ends_with(&format!("server said {nasty}\u{fffd}")), "{tip}");
        let title = doc.descendants().find(|node| has_class(*node, "title")).and_then(|t| t.text());
        assert_eq!(title, Some(format!("title {nasty}").as_str()));
    }

    #[test]
    fn an_empty_crawl_and_a_zero_length_one_render_finite_numbers() {
        let instant = vec![bar(PageKind::List, "list start=0", 0, 0, Outcome::Ok)];
        for bars in [vec![], instant] {
            let svg = render("nothing", &bars, Duration::ZERO);
            assert!(!svg.contains("NaN") && !svg.contains("\"inf") && !svg.contains("-inf"), "{svg}");
            let doc = roxmltree::Document::parse(&svg).expect("well-formed svg");
            let rects = bar_rects(&doc);
            assert_eq!(rects.len(), bars.len());
            for rect in rects {
                assert_eq!(rect.attribute("width"), Some("1"), "a zero-length bar is still a pixel wide");
            }
        }
    }

    #[test]
    fn the_same_bars_render_the_same_bytes() {
        let total = Duration::from_millis(210);
        assert_eq!(render("crawl", &sample(), total), render("crawl", &sample(), total));
    }

    #[test]
    fn the_axis_spans_the_last_bar_when_it_ends_after_total() {
        let bars = vec![bar(PageKind::Movie, "late", 100, 200, Outcome::Ok)];
        let svg = render("crawl", &bars, Duration::from_millis(100));
        let doc = roxmltree::Document::parse(&svg).expect("well-formed svg");
        let rect = bar_rects(&doc)[0];
        let end = number(rect, "x") + number(rect, "width");
        assert!((end - (WIDTH - RIGHT)).abs() < 0.02, "bar ends at {end}");
    }

    #[test]
    fn ticks_step_by_one_two_or_five_and_stay_apart() {
        let plot_w = WIDTH - LEFT - RIGHT;
        for (span_ms, step) in [(1.0, 0.1), (210.0, 20.0), (1000.0, 100.0), (26_000.0, 2000.0), (30_000.0, 2000.0)] {
            assert!((tick_step_ms(span_ms, plot_w) - step).abs() < step * 1e-9, "span {span_ms} ms");
            assert!(plot_w / (span_ms / step) >= MIN_TICK_SPACING, "span {span_ms} ms");
        }
        assert_eq!(tick_label(0.0, 20.0), "0");
        assert_eq!(tick_label(40.0, 20.0), "40 ms");
        assert_eq!(tick_label(12_500.0, 2500.0), "12.5 s");
    }

    #[test]
    fn rows_shrink_to_fit_but_never_below_a_pixel() {
        assert_eq!(row_pitch(260), ROW_PITCH);
        assert_eq!(row_pitch(550), 2.0);
        assert_eq!(row_pitch(5000), MIN_ROW);
    }

    /// A movie bar whose head came at `head_ms` and whose fields were read at `parsed_ms`.
    fn worked(label: &str, start_ms: u64, head_ms: u64, end_ms: u64, parsed_ms: u64) -> Bar {
        Bar {
            head: Some(Duration::from_millis(head_ms)),
            parsed: Some(Duration::from_millis(parsed_ms)),
            ..bar(PageKind::Movie, label, start_ms, end_ms, Outcome::Ok)
        }
    }

    fn rects_of<'a>(doc: &'a roxmltree::Document, class: &str) -> Vec<roxmltree::Node<'a, 'a>> {
        // The legend's swatches share the class; they are not drawings of bars.
        let drawn = |node: &roxmltree::Node| node.has_tag_name("rect") && !has_class(*node, "swatch");
        doc.descendants().filter(|node| drawn(node) && has_class(*node, class)).collect()
    }

    /// The x coordinate of loop time `t_ms` on a single run's axis spanning `span_ms`.
    fn x_at(t_ms: f64, span_ms: f64) -> f64 {
        LEFT + t_ms / span_ms * (WIDTH - LEFT - RIGHT)
    }

    #[test]
    fn a_bar_splits_into_waiting_for_the_server_waiting_for_the_loop_and_the_loops_work() {
        // Two answers ready together at 100 ms: the loop works on the first
        // until 150 ms, so the second's head is taken only then.
        let bars = vec![worked("rank 1 subject 1", 0, 100, 120, 150), worked("rank 2 subject 2", 0, 150, 160, 200)];
        let svg = render("crawl", &bars, Duration::from_millis(200));
        let doc = roxmltree::Document::parse(&svg).expect("well-formed svg");
        let span = 200.0;
        let work = rects_of(&doc, "work");
        assert_eq!(work.len(), 2);
        for (rect, (from, to)) in work.iter().zip([(100.0, 150.0), (150.0, 200.0)]) {
            assert!((number(*rect, "x") - x_at(from, span)).abs() < 0.02);
            assert!((number(*rect, "width") - (x_at(to, span) - x_at(from, span))).abs() < 0.02);
        }
        // Only the second waited for the loop, from 100 ms (the first's work) to its head.
        let queued = rects_of(&doc, "queued");
        assert_eq!(queued.len(), 1);
        assert!((number(queued[0], "x") - x_at(100.0, span)).abs() < 0.02);
        assert!((number(queued[0], "width") - (x_at(150.0, span) - x_at(100.0, span))).abs() < 0.02);
        // The loop-busy strip is the union: one span, 100 to 200 ms.
        let busy = rects_of(&doc, "busy");
        assert_eq!(busy.len(), 1);
        assert!((number(busy[0], "width") - (x_at(200.0, span) - x_at(100.0, span))).abs() < 0.02);
        assert_eq!(
            tooltip(bar_rects(&doc)[1]),
            "rank 2 subject 2: 0–160 ms (160 ms), ok; head taken at 150 ms, fields read by 200 ms"
        );
    }

    #[test]
    fn a_retry_draws_its_wait_dashed_and_says_whether_the_server_asked() {
        let mut retried = bar(PageKind::Movie, "rank 1 subject 1", 0, 100, Outcome::Retried("503".into()));
        retried.wait = Some(Wait { duration: Duration::from_millis(300), retry_after: true });
        let mut backoff = bar(PageKind::Movie, "rank 2 subject 2", 0, 50, Outcome::Retried("reset".into()));
        backoff.wait = Some(Wait { duration: Duration::from_millis(100), retry_after: false });
        let bars = vec![retried, backoff, bar(PageKind::Movie, "rank 1 subject 1", 400, 500, Outcome::Ok)];
        let svg = render("crawl", &bars, Duration::from_millis(500));
        let doc = roxmltree::Document::parse(&svg).expect("well-formed svg");
        let waits: Vec<_> =
            doc.descendants().filter(|node| node.has_tag_name("line") && has_class(*node, "wait")).collect();
        // The legend's two samples, then one per retried bar.
        assert_eq!(waits.len(), 4);
        let server = waits[2];
        assert!(has_class(server, "server"));
        assert!((number(server, "x1") - x_at(100.0, 500.0)).abs() < 0.02);
        assert!((number(server, "x2") - x_at(400.0, 500.0)).abs() < 0.02);
        assert!(!has_class(waits[3], "server"));
        assert!(tooltip(bar_rects(&doc)[0]).ends_with("; then waited 300 ms (as Retry-After asked)"));
    }

    #[test]
    fn rows_are_labelled_by_page_and_runs_share_one_time_axis() {
        let sync: Vec<Bar> = (0..4)
            .map(|i| bar(PageKind::List, &format!("list start={}", i * 25), i * 1000, i * 1000 + 900, Outcome::Ok))
            .collect();
        let fast = vec![
            bar(PageKind::List, "list start=0", 0, 100, Outcome::Ok),
            bar(PageKind::Movie, "rank 1 subject 1292052", 100, 200, Outcome::Ok),
        ];
        let runs = [
            Run { name: "sync crawl".into(), bars: &sync, total: Duration::from_millis(4000) },
            Run { name: "async crawl".into(), bars: &fast, total: Duration::from_millis(200) },
        ];
        let svg = render_runs("both", &runs);
        let doc = roxmltree::Document::parse(&svg).expect("well-formed svg");
        let rects = bar_rects(&doc);
        assert_eq!(rects.len(), 6);
        // On the shared 4 s axis the async run's last bar ends at 200 ms.
        let end = number(rects[5], "x") + number(rects[5], "width");
        assert!((end - x_at(200.0, 4000.0)).abs() < 0.02, "{end}");
        let labels: Vec<&str> =
            doc.descendants().filter(|node| has_class(*node, "label")).filter_map(|node| node.text()).collect();
        // Rows of 4 px are labelled every fourth, so labels stay 13 px apart.
        assert_eq!(labels, ["loop busy", "list start=0", "loop busy", "list start=0"]);
        assert_eq!(short_label("rank 1 subject 1292052"), "rank 1");
        let headings: Vec<&str> =
            doc.descendants().filter(|node| has_class(*node, "run")).filter_map(|node| node.text()).collect();
        assert_eq!(
            headings,
            ["sync crawl; the loop busy with pages for 0 ms", "async crawl; the loop busy with pages for 0 ms"]
        );
    }

    #[test]
    fn numbers_have_at_most_two_decimals() {
        assert_eq!(num(12.0), "12");
        assert_eq!(num(12.345), "12.35");
        assert_eq!(num(0.1), "0.1");
        assert_eq!(num(-0.001), "0");
    }
}
