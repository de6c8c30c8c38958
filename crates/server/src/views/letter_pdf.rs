//! The decision letter as a PDF: real text in an embedded DejaVu Sans
//! (which covers Cyrillic), so that the letter can be searched, copied and
//! read out, and `pdftotext` gives back what was printed.
//!
//! The font is embedded whole as a CID-keyed TrueType font with its glyph
//! ids as character codes (`Identity-H`) and a `ToUnicode` map for the
//! glyphs used. Lines are broken at spaces by the glyphs' advance widths;
//! pages are A4.

use super::letter::PrintedLetter;
use pdf_writer::types::{CidFontType, FontFlags, SystemInfo, UnicodeCmap};
use pdf_writer::{Content, Filter, Finish, Name, Pdf, Rect, Ref, Str, TextStr};
use std::collections::BTreeMap;
use std::io::Write as _;
use std::sync::OnceLock;
use ttf_parser::Face;

/// DejaVu Sans 2.37 (Bitstream Vera licence; assets/fonts).
const FONT: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");

const PAGE_WIDTH: f32 = 595.0;
const PAGE_HEIGHT: f32 = 842.0;
const MARGIN: f32 = 56.0;
const LABEL_WIDTH: f32 = 190.0;
const BODY: f32 = 9.5;

/// The font file, compressed once.
fn compressed_font() -> &'static [u8] {
    static ONCE: OnceLock<Vec<u8>> = OnceLock::new();
    ONCE.get_or_init(|| {
        let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        // Writing to a Vec cannot fail.
        let _ = z.write_all(FONT);
        z.finish().unwrap_or_default()
    })
}

struct Metrics<'a> {
    face: Face<'a>,
    units: f32,
}

impl Metrics<'_> {
    fn glyph(&self, c: char) -> u16 {
        self.face
            .glyph_index(c)
            .or_else(|| self.face.glyph_index('?'))
            .map_or(0, |g| g.0)
    }

    fn advance(&self, glyph: u16) -> f32 {
        f32::from(
            self.face
                .glyph_hor_advance(ttf_parser::GlyphId(glyph))
                .unwrap_or(0),
        ) * 1000.0
            / self.units
    }

    fn width(&self, text: &str, size: f32) -> f32 {
        text.chars()
            .map(|c| self.advance(self.glyph(c)))
            .sum::<f32>()
            * size
            / 1000.0
    }

    /// `text` broken into lines no wider than `width` (at spaces, or
    /// anywhere in a word longer than a line).
    fn wrap(&self, text: &str, size: f32, width: f32) -> Vec<String> {
        let mut lines = Vec::new();
        for paragraph in text.split('\n') {
            let mut current = String::new();
            for word in paragraph.split(' ') {
                let candidate = if current.is_empty() {
                    word.to_owned()
                } else {
                    format!("{current} {word}")
                };
                if self.width(&candidate, size) <= width {
                    current = candidate;
                    continue;
                }
                if !current.is_empty() {
                    lines.push(std::mem::take(&mut current));
                }
                for c in word.chars() {
                    current.push(c);
                    if self.width(&current, size) > width {
                        current.pop();
                        lines.push(std::mem::take(&mut current));
                        current.push(c);
                    }
                }
            }
            lines.push(current);
        }
        lines
    }
}

/// A run of text placed on a page.
struct Placed {
    x: f32,
    y: f32,
    size: f32,
    text: String,
    grey: bool,
}

struct Layout<'a> {
    m: &'a Metrics<'a>,
    pages: Vec<Vec<Placed>>,
    y: f32,
}

impl Layout<'_> {
    fn room(&mut self, height: f32) {
        if self.y - height < MARGIN + 20.0 {
            self.pages.push(Vec::new());
            self.y = PAGE_HEIGHT - MARGIN;
        }
    }

    fn put(&mut self, x: f32, size: f32, text: String, grey: bool) {
        if let Some(page) = self.pages.last_mut() {
            page.push(Placed {
                x,
                y: self.y,
                size,
                text,
                grey,
            });
        }
    }

    fn paragraph(&mut self, text: &str, size: f32, grey: bool) {
        let leading = size * 1.35;
        for l in self.m.wrap(text, size, PAGE_WIDTH - 2.0 * MARGIN) {
            self.room(leading);
            self.y -= leading;
            self.put(MARGIN, size, l, grey);
        }
    }

    fn labelled(&mut self, label: &str, value: &str) {
        let leading = BODY * 1.35;
        let labels = self.m.wrap(label, BODY, LABEL_WIDTH - 10.0);
        let values = self
            .m
            .wrap(value, BODY, PAGE_WIDTH - 2.0 * MARGIN - LABEL_WIDTH);
        let rows = labels.len().max(values.len());
        for i in 0..rows {
            self.room(leading);
            self.y -= leading;
            if let Some(l) = labels.get(i) {
                self.put(MARGIN, BODY, l.clone(), true);
            }
            if let Some(v) = values.get(i) {
                self.put(MARGIN + LABEL_WIDTH, BODY, v.clone(), false);
            }
        }
        self.y -= 3.0;
    }

    fn gap(&mut self, points: f32) {
        self.y -= points;
    }
}

/// The letter as a PDF document.
pub fn render(letter: &PrintedLetter, base_url: &str) -> Vec<u8> {
    let Ok(face) = Face::parse(FONT, 0) else {
        return Vec::new();
    };
    let m = Metrics {
        units: f32::from(face.units_per_em()),
        face,
    };
    let mut l = Layout {
        m: &m,
        pages: vec![Vec::new()],
        y: PAGE_HEIGHT - MARGIN,
    };
    l.paragraph(&letter.issuer, 11.0, true);
    l.gap(4.0);
    l.paragraph(&letter.title, 17.0, false);
    l.paragraph(&letter.number, 13.0, false);
    if let Some(s) = &letter.superseded {
        l.gap(6.0);
        l.paragraph(s, 10.5, false);
    }
    for section in &letter.sections {
        l.gap(10.0);
        l.room(40.0);
        l.paragraph(&section.title, 12.5, false);
        l.gap(3.0);
        for line in &section.lines {
            l.labelled(&line.label, &line.value);
        }
    }
    l.gap(14.0);
    l.room(80.0);
    l.paragraph(
        &format!("Код перевірки / Verification code: {}", letter.code),
        11.0,
        false,
    );
    l.paragraph(&format!("SHA-256: {}", letter.content_hash), 8.5, false);
    l.paragraph(
        &format!("{} {base_url}{}", letter.verify_note, letter.verify_path),
        9.0,
        true,
    );
    write(&m, &l.pages, letter)
}

fn write(m: &Metrics<'_>, pages: &[Vec<Placed>], letter: &PrintedLetter) -> Vec<u8> {
    let total = pages.len();
    let footer = |i: usize| format!("{} · {} / {total}", letter.number, i + 1);
    let mut used: BTreeMap<u16, char> = BTreeMap::new();
    let mut note = |text: &str| {
        for c in text.chars() {
            used.entry(m.glyph(c)).or_insert(c);
        }
    };
    for (i, page) in pages.iter().enumerate() {
        note(&footer(i));
        for p in page {
            note(&p.text);
        }
    }

    let mut next = 1;
    let mut id = || {
        let r = Ref::new(next);
        next += 1;
        r
    };
    let catalog = id();
    let tree = id();
    let info = id();
    let type0 = id();
    let cid = id();
    let descriptor = id();
    let font_file = id();
    let to_unicode = id();
    let page_ids: Vec<(Ref, Ref)> = (0..total).map(|_| (id(), id())).collect();
    let font_name = Name(b"F1");
    let base_font = Name(b"DejaVuSans");

    let mut pdf = Pdf::new();
    pdf.catalog(catalog).pages(tree);
    pdf.pages(tree)
        .kids(page_ids.iter().map(|(p, _)| *p))
        .count(i32::try_from(total).unwrap_or(i32::MAX));
    pdf.document_info(info)
        .title(TextStr(&format!("{} {}", letter.title, letter.number)))
        .producer(TextStr("Redress"));

    let system = SystemInfo {
        registry: Str(b"Adobe"),
        ordering: Str(b"Identity"),
        supplement: 0,
    };
    pdf.type0_font(type0)
        .base_font(base_font)
        .encoding_predefined(Name(b"Identity-H"))
        .descendant_font(cid)
        .to_unicode(to_unicode);
    let mut cid_font = pdf.cid_font(cid);
    cid_font
        .subtype(CidFontType::Type2)
        .base_font(base_font)
        .system_info(system)
        .font_descriptor(descriptor)
        .default_width(0.0)
        .cid_to_gid_map_predefined(Name(b"Identity"));
    {
        let mut widths = cid_font.widths();
        for glyph in used.keys() {
            widths.consecutive(*glyph, [m.advance(*glyph)]);
        }
    }
    cid_font.finish();
    let bbox = m.face.global_bounding_box();
    let scale = |v: i16| f32::from(v) * 1000.0 / m.units;
    pdf.font_descriptor(descriptor)
        .name(base_font)
        .flags(FontFlags::NON_SYMBOLIC)
        .bbox(Rect::new(
            scale(bbox.x_min),
            scale(bbox.y_min),
            scale(bbox.x_max),
            scale(bbox.y_max),
        ))
        .italic_angle(0.0)
        .ascent(scale(m.face.ascender()))
        .descent(scale(m.face.descender()))
        .cap_height(scale(m.face.capital_height().unwrap_or(m.face.ascender())))
        .stem_v(80.0)
        .font_file2(font_file);
    pdf.stream(font_file, compressed_font())
        .filter(Filter::FlateDecode)
        .pair(Name(b"Length1"), i32::try_from(FONT.len()).unwrap_or(0));
    let mut cmap = UnicodeCmap::new(Name(b"Redress-UTF16"), system);
    for (glyph, c) in &used {
        cmap.pair(*glyph, *c);
    }
    pdf.cmap(to_unicode, &cmap.finish());

    let encode = |text: &str| -> Vec<u8> {
        text.chars()
            .flat_map(|c| m.glyph(c).to_be_bytes())
            .collect()
    };
    for (i, (page_id, content_id)) in page_ids.iter().enumerate() {
        let mut page = pdf.page(*page_id);
        page.media_box(Rect::new(0.0, 0.0, PAGE_WIDTH, PAGE_HEIGHT));
        page.parent(tree);
        page.contents(*content_id);
        page.resources().fonts().pair(font_name, type0);
        page.finish();
        let mut content = Content::new();
        let mut show = |x: f32, y: f32, size: f32, text: &str, grey: bool| {
            let shade = if grey { 0.35 } else { 0.0 };
            content.set_fill_rgb(shade, shade, shade);
            content.begin_text();
            content.set_font(font_name, size);
            content.next_line(x, y);
            content.show(Str(&encode(text)));
            content.end_text();
        };
        for p in &pages[i] {
            show(p.x, p.y, p.size, &p.text, p.grey);
        }
        show(MARGIN, MARGIN - 20.0, 8.0, &footer(i), true);
        pdf.stream(*content_id, &content.finish());
    }
    pdf.finish()
}
