/**
 * The report's plots as plain SVG strings: line chart, grouped bars and heatmap. Hand-written because they are small
 * and fixed, and a charting library would need a DOM or a browser to render.
 * @module
 */

/** Escapes text for HTML and SVG. */
export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const PALETTE = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf"];
const FONT = `font-family="system-ui, sans-serif" font-size="11"`;

/** One line of a {@link lineChart}: y per x, missing points skipped. */
export interface Series {
  name: string;
  points: { x: number; y: number; lo?: number; hi?: number }[];
}

/** Axes around a plot area of `width` × `height`, y in [0, 1]. */
function frame(width: number, height: number, title: string, yLabel: string, body: string): string {
  const ticks = [0, 0.25, 0.5, 0.75, 1].map((t) => {
    const y = 30 + (1 - t) * height;
    return `<line x1="50" x2="${50 + width}" y1="${y}" y2="${y}" stroke="#eee"/>` +
      `<text x="44" y="${y + 4}" text-anchor="end" ${FONT}>${t.toFixed(2)}</text>`;
  }).join("");
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width + 230}" height="${height + 70}" role="img">` +
    `<title>${escapeXml(title)}</title>` +
    `<text x="50" y="16" ${FONT} font-weight="bold">${escapeXml(title)}</text>${ticks}` +
    `<text x="12" y="${30 + height / 2}" ${FONT} transform="rotate(-90 12 ${30 + height / 2})" text-anchor="middle">` +
    `${escapeXml(yLabel)}</text>${body}</svg>`;
}

function legend(names: string[], x: number): string {
  return names.map((name, i) =>
    `<rect x="${x}" y="${30 + i * 16}" width="10" height="10" fill="${PALETTE[i % PALETTE.length]}"/>` +
    `<text x="${x + 14}" y="${39 + i * 16}" ${FONT}>${escapeXml(name)}</text>`
  ).join("");
}

/**
 * A line per series over numeric x (e.g. layer), y in [0, 1] (e.g. macro-F1), with error bars where `lo`/`hi` are
 * given.
 */
export function lineChart(title: string, xLabel: string, yLabel: string, series: Series[]): string {
  const width = 420, height = 220;
  const xs = [...new Set(series.flatMap((s) => s.points.map((p) => p.x)))].sort((a, b) => a - b);
  const px = (x: number) => 50 + (xs.length < 2 ? width / 2 : ((x - xs[0]) / (xs.at(-1)! - xs[0])) * width);
  const py = (y: number) => 30 + (1 - Math.max(0, Math.min(1, y))) * height;
  const lines = series.map((s, i) => {
    const color = PALETTE[i % PALETTE.length];
    const points = [...s.points].sort((a, b) => a.x - b.x);
    const path = points.map((p, j) => `${j ? "L" : "M"}${px(p.x).toFixed(1)},${py(p.y).toFixed(1)}`).join("");
    const marks = points.map((p) =>
      (p.lo !== undefined && p.hi !== undefined
        ? `<line x1="${px(p.x)}" x2="${px(p.x)}" y1="${py(p.lo)}" y2="${py(p.hi)}" stroke="${color}"/>`
        : "") +
      `<circle cx="${px(p.x)}" cy="${py(p.y)}" r="3" fill="${color}"><title>${
        escapeXml(`${s.name}: ${p.y.toFixed(3)}`)
      }` +
      `</title></circle>`
    ).join("");
    return `<path d="${path}" fill="none" stroke="${color}" stroke-width="2"/>${marks}`;
  }).join("");
  const xTicks = xs.map((x) => `<text x="${px(x)}" y="${height + 46}" text-anchor="middle" ${FONT}>${x}</text>`).join(
    "",
  );
  const xTitle = `<text x="${50 + width / 2}" y="${height + 64}" text-anchor="middle" ${FONT}>${
    escapeXml(xLabel)
  }</text>`;
  return frame(width, height, title, yLabel, lines + xTicks + xTitle + legend(series.map((s) => s.name), width + 70));
}

/** Bars per group (e.g. per SAE × pooling), one bar per member (e.g. binarized, continuous), y in [0, 1]. */
export function groupedBars(
  title: string,
  yLabel: string,
  groups: { name: string; bars: { name: string; value: number }[] }[],
): string {
  const members = [...new Set(groups.flatMap((g) => g.bars.map((b) => b.name)))];
  const barWidth = 14, gap = 18;
  const groupWidth = members.length * barWidth + gap;
  const width = Math.max(240, groups.length * groupWidth), height = 200;
  const bars = groups.map((g, gi) =>
    g.bars.map((b) => {
      const m = members.indexOf(b.name);
      const x = 50 + gi * groupWidth + m * barWidth;
      const h = Math.max(0, Math.min(1, b.value)) * height;
      return `<rect x="${x}" y="${30 + height - h}" width="${barWidth - 2}" height="${h}" ` +
        `fill="${PALETTE[m % PALETTE.length]}"><title>${escapeXml(`${g.name} ${b.name}: ${b.value.toFixed(3)}`)}` +
        `</title></rect>`;
    }).join("") +
    `<text x="${50 + gi * groupWidth}" y="${height + 44}" ${FONT} transform="rotate(20 ${50 + gi * groupWidth} ` +
    `${height + 44})">${escapeXml(g.name)}</text>`
  ).join("");
  return frame(width, height + 40, title, yLabel, bars + legend(members, width + 70));
}

/** A matrix of values in [0, 1] (e.g. transfer macro-F1: rows trained on, columns tested on). */
export function heatmap(title: string, rows: string[], cols: string[], values: number[][]): string {
  const cell = 56, left = 90, top = 40;
  const color = (v: number) => {
    if (!Number.isFinite(v)) return "#ddd"; // an undefined score: neutral grey (rgb(NaN, …) is no colour)
    const t = Math.max(0, Math.min(1, v));
    return `rgb(${Math.round(255 - 200 * t)},${Math.round(255 - 120 * t)},${Math.round(255 - 40 * t)})`;
  };
  const cells = values.map((row, i) =>
    row.map((v, j) =>
      `<rect x="${left + j * cell}" y="${top + i * cell}" width="${cell - 2}" height="${cell - 2}" fill="${
        color(v)
      }"/>` +
      `<text x="${left + j * cell + cell / 2}" y="${top + i * cell + cell / 2 + 4}" text-anchor="middle" ${FONT}>` +
      `${Number.isFinite(v) ? v.toFixed(2) : "–"}</text>`
    ).join("")
  ).join("");
  const rowNames = rows.map((r, i) =>
    `<text x="${left - 6}" y="${top + i * cell + cell / 2 + 4}" text-anchor="end" ${FONT}>${escapeXml(r)}</text>`
  ).join("");
  const colNames = cols.map((c, j) =>
    `<text x="${left + j * cell + cell / 2}" y="${top - 6}" text-anchor="middle" ${FONT}>${escapeXml(c)}</text>`
  ).join("");
  const w = left + cols.length * cell + 20, h = top + rows.length * cell + 30;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" role="img"><title>${
    escapeXml(title)
  }</title><text x="4" y="14" ${FONT} font-weight="bold">${escapeXml(title)}</text>` +
    `<text x="4" y="${h - 8}" ${FONT}>rows: trained on · columns: tested on</text>${cells}${rowNames}${colNames}</svg>`;
}
