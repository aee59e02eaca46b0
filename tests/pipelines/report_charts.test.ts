/**
 * The report's hand-written SVG and HTML: escaping, well-formed markup (checked by a small tag-stack parser written
 * here, since Deno has no DOMParser), every name shown escaped, values where they belong (heatmap cells with two
 * decimals, points ordered by x, bars by height), and a report that cannot be scripted through a feature-set name.
 */
import assert from "node:assert/strict";
import type { ProbeResult } from "@saeflow/probe";
import { escapeXml, groupedBars, heatmap, lineChart } from "../../pipelines/lib/report/svg_charts.ts";
import { renderReport, type ReportData } from "../../pipelines/lib/report/render_report.ts";

/** HTML elements that have no end tag. */
const VOID = new Set(["meta", "br", "hr", "img", "input", "link"]);

/**
 * Checks markup is well formed: tags balanced and properly nested, attribute values double-quoted with no raw `<`
 * or `"` inside, text with no raw `<` and no `&` outside an entity. Returns the element names in document order and
 * the root element's name (there must be exactly one root; a leading `<!doctype …>` is allowed).
 */
function checkMarkup(markup: string): { root: string; elements: string[] } {
  const stack: string[] = [];
  const elements: string[] = [];
  const roots: string[] = [];
  const text = (t: string, at: number) => {
    assert.ok(!t.includes(">"), `raw ">" in text at ${at}: ${JSON.stringify(t.slice(0, 60))}`);
    for (const m of t.matchAll(/&/g)) {
      assert.match(t.slice(m.index!), /^&(#\d+|#x[0-9a-f]+|[a-z]+);/i, `bare "&" in text at ${at + m.index!}`);
    }
  };
  let i = 0;
  while (i < markup.length) {
    const open = markup.indexOf("<", i);
    if (open < 0) {
      text(markup.slice(i), i);
      break;
    }
    text(markup.slice(i, open), i);
    const tag = /^<(\/?)([a-zA-Z][\w:-]*)((?:\s+[\w:-]+="[^"<]*")*)\s*(\/?)>/.exec(markup.slice(open));
    if (!tag) {
      const doctype = /^<!doctype [^<>]*>/i.exec(markup.slice(open));
      assert.ok(doctype && open === 0, `malformed tag at ${open}: ${JSON.stringify(markup.slice(open, open + 60))}`);
      i = open + doctype![0].length;
      continue;
    }
    const [whole, closing, name, attributes, selfClosing] = tag;
    for (const [, value] of attributes.matchAll(/="([^"]*)"/g)) text(value, open);
    if (closing) {
      assert.equal(stack.pop(), name, `</${name}> at ${open} closes the wrong element`);
    } else {
      elements.push(name);
      if (stack.length === 0) roots.push(name);
      if (!selfClosing && !VOID.has(name)) stack.push(name);
    }
    i = open + whole.length;
  }
  assert.deepEqual(stack, [], "every element closed");
  assert.equal(roots.length, 1, `one root element, got ${roots.join(", ")}`);
  return { root: roots[0], elements };
}

/** Attribute values of every `<name …>` element, in order. */
function attributesOf(markup: string, name: string): Record<string, string>[] {
  return [...markup.matchAll(new RegExp(`<${name}((?:\\s+[\\w:-]+="[^"]*")*)\\s*/?>`, "g"))].map(([, attrs]) =>
    Object.fromEntries([...attrs.matchAll(/([\w:-]+)="([^"]*)"/g)].map(([, k, v]) => [k, v]))
  );
}

/** Text of every `<text>` element, unescaped. */
function texts(svg: string): string[] {
  return [...svg.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map(([, t]) => unescape(t));
}

const unescape = (s: string) => s.replace(/&#(\d+);/g, (_, code) => String.fromCharCode(Number(code)));

const NASTY = `Tom & "Jerry" <b>'s</b>`;

Deno.test("the markup checker itself rejects what it should", () => {
  assert.equal(checkMarkup(`<svg a="1"><g><rect x="0"/></g><text>a &#38; b</text></svg>`).root, "svg");
  for (
    const bad of [
      `<svg><g></svg></g>`, // misnested
      `<svg><g></svg>`, // unclosed
      `<svg></svg><svg></svg>`, // two roots
      `<svg><text>a & b</text></svg>`, // bare &
      `<svg><text>a > b</text></svg>`, // raw >
      `<svg><text>a <b </text></svg>`, // raw <
      `<svg a='1'></svg>`, // single-quoted attribute
      `<svg a="<"></svg>`, // raw < in an attribute
    ]
  ) {
    assert.throws(() => checkMarkup(bad), assert.AssertionError, bad);
  }
});

Deno.test("escapeXml: & < > \" ' become character references; everything else is kept", () => {
  assert.equal(escapeXml(`&<>"'`), "&#38;&#60;&#62;&#34;&#39;");
  assert.equal(escapeXml("plain text, ümlaut — 数据 0.5"), "plain text, ümlaut — 数据 0.5");
  assert.equal(escapeXml("&amp;"), "&#38;amp;", "already-escaped text is escaped again (it is text)");
  assert.equal(unescape(escapeXml(NASTY)), NASTY);
  assert.ok(!/[<>"']|&(?!#\d+;)/.test(escapeXml(NASTY)));
});

Deno.test("lineChart: well-formed SVG, names escaped, points placed by x and y", () => {
  const series = [
    // Points deliberately out of order.
    {
      name: NASTY,
      points: [{ x: 3, y: 0.9, lo: 0.8, hi: 0.95 }, { x: 0, y: 0.5, lo: 0.4, hi: 0.6 }, { x: 1, y: 0.7 }],
    },
    { name: "b<c>", points: [{ x: 1, y: 0.2 }, { x: 0, y: 0.3 }, { x: 3, y: 0.1 }, { x: 2, y: 0.4 }] },
  ];
  const svg = lineChart("F1 & <layers>", "layer", 'macro-F1 "test"', series);
  assert.equal(checkMarkup(svg).root, "svg");
  assert.ok(svg.startsWith(`<svg xmlns="http://www.w3.org/2000/svg"`));
  for (const name of [NASTY, "b<c>"]) {
    assert.ok(svg.includes(escapeXml(name)), `${name} escaped`);
    assert.ok(!svg.includes(name), `${name} never raw`);
  }
  assert.ok(texts(svg).includes(NASTY), "the legend shows the name");
  assert.ok(texts(svg).includes("F1 & <layers>"), "the title shows");
  assert.ok(texts(svg).includes('macro-F1 "test"'), "the y label shows");

  // Every x tick once, ascending left to right; the same x gets the same horizontal position in every series.
  const ticks = attributesOf(svg, "text").filter((a) => a["text-anchor"] === "middle" && !a.transform);
  const tickTexts = texts(svg).filter((t) => /^\d+$/.test(t));
  assert.deepEqual(tickTexts, ["0", "1", "2", "3"]);
  const circles = attributesOf(svg, "circle");
  assert.equal(circles.length, 3 + 4);
  const cx = circles.map((c) => Number(c.cx)), cy = circles.map((c) => Number(c.cy));
  // Series 1: x 0, 1, 3 in that order after sorting; series 2: 0, 1, 2, 3.
  assert.ok(cx[0] < cx[1] && cx[1] < cx[2], `series 1 left to right: ${cx.slice(0, 3)}`);
  assert.ok(cx[3] < cx[4] && cx[4] < cx[5] && cx[5] < cx[6], `series 2 left to right: ${cx.slice(3)}`);
  assert.deepEqual([cx[0], cx[1], cx[2]], [cx[3], cx[4], cx[6]], "x 0, 1, 3 line up across series");
  // Equal spacing in x: 0 → 1 is a third of 0 → 3.
  assert.ok(Math.abs((cx[6] - cx[3]) - 3 * (cx[4] - cx[3])) < 1e-9);
  // Higher y is higher up (smaller cy): series 1 at x = 0, 1, 3 has y 0.5, 0.7, 0.9.
  assert.ok(cy[0] > cy[1] && cy[1] > cy[2]);
  // y = 0.5 sits halfway between the y = 0 and y = 1 grid lines; the error bar spans lo..hi around it.
  const grid = attributesOf(svg, "line").filter((l) => l.stroke === "#eee").map((l) => Number(l.y1));
  const [y1, y0] = [Math.min(...grid), Math.max(...grid)];
  assert.ok(Math.abs(cy[0] - (y0 + y1) / 2) < 1e-9, "y = 0.5 halfway");
  const bar = attributesOf(svg, "line").find((l) => l.x1 === String(cx[0]) && l.stroke !== "#eee")!;
  assert.ok(Number(bar.y1) > cy[0] && Number(bar.y2) < cy[0], "error bar from lo (below) to hi (above)");
  // The path of each series runs left to right.
  for (const { d } of attributesOf(svg, "path")) {
    const xs = [...d.matchAll(/[ML](-?[\d.]+),/g)].map(([, x]) => Number(x));
    assert.ok(xs.every((x, k) => k === 0 || x > xs[k - 1]), `path ${d} monotone in x`);
  }
  assert.ok(ticks.length >= 4);
});

Deno.test("lineChart: a single x value and an empty series still give well-formed SVG", () => {
  const svg = lineChart("one layer", "layer", "F1", [{ name: "only", points: [{ x: 5, y: 0.5 }] }]);
  assert.equal(checkMarkup(svg).root, "svg");
  assert.ok(!svg.includes("NaN"));
  const empty = lineChart("nothing", "layer", "F1", [{ name: "none", points: [] }]);
  assert.equal(checkMarkup(empty).root, "svg");
  assert.ok(!empty.includes("NaN"));
});

Deno.test("groupedBars: well-formed SVG, group and bar names escaped, heights follow values (clamped to [0, 1])", () => {
  const groups = [
    { name: "sae <A>", bars: [{ name: "continuous", value: 0.8 }, { name: "binarized gt:1 & more", value: 0.4 }] },
    { name: "sae 'B'", bars: [{ name: "binarized gt:1 & more", value: 1.7 }, { name: "continuous", value: -0.2 }] },
  ];
  const svg = groupedBars('Test "macro-F1"', "macro-F1", groups);
  assert.equal(checkMarkup(svg).root, "svg");
  for (const name of ["sae <A>", "sae 'B'", "binarized gt:1 & more", 'Test "macro-F1"']) {
    assert.ok(svg.includes(escapeXml(name)), name);
  }
  assert.ok(!svg.includes("<A>") && !svg.includes("gt:1 & more"));
  // One bar per (group, member) with a title naming both and the value to 3 decimals.
  const titles = [...svg.matchAll(/<rect[^>]*><title>([^<]*)<\/title><\/rect>/g)].map(([, t]) => unescape(t));
  assert.deepEqual(titles, [
    "sae <A> continuous: 0.800",
    "sae <A> binarized gt:1 & more: 0.400",
    "sae 'B' binarized gt:1 & more: 1.700",
    "sae 'B' continuous: -0.200",
  ]);
  const bars = attributesOf(svg, "rect").filter((r) => Number(r.width) > 10);
  assert.equal(bars.length, 4);
  const h = bars.map((b) => Number(b.height));
  assert.ok(Math.abs(h[0] - 2 * h[1]) < 1e-9, "0.8 is twice as tall as 0.4");
  assert.equal(h[3], 0, "a negative value is clamped to 0");
  assert.ok(Math.abs(h[2] - h[0] / 0.8) < 1e-9, "a value above 1 is clamped to 1");
  // The same member has the same colour in every group; bars stand on one baseline.
  assert.equal(bars[0].fill, bars[3].fill);
  assert.equal(bars[1].fill, bars[2].fill);
  const bottoms = bars.map((b) => Number(b.y) + Number(b.height));
  assert.ok(bottoms.every((b) => Math.abs(b - bottoms[0]) < 1e-9));
});

Deno.test("heatmap: well-formed SVG, every cell's value with 2 decimals, names escaped, NaN shown as a dash", () => {
  const names = ["amazon", "i<m>db", "yelp & co"];
  const values = [
    [0.8123, 0.5, 0.6666],
    [0.25, 1, NaN],
    [0, 0.049, 0.995],
  ];
  const svg = heatmap("Transfer <macro-F1>", names, names, values);
  assert.equal(checkMarkup(svg).root, "svg");
  assert.ok(!svg.includes("NaN"));
  for (const name of names) {
    assert.ok(svg.includes(escapeXml(name)), name);
    // Once as a row name, once as a column name.
    assert.equal(texts(svg).filter((t) => t === name).length, 2, name);
  }
  const cells = texts(svg).filter((t) => /^(\d\.\d\d|–)$/.test(t));
  assert.deepEqual(cells, ["0.81", "0.50", "0.67", "0.25", "1.00", "–", "0.00", "0.05", "0.99"]);
  // Row-major cells: 3 × 3 rectangles, rows top to bottom, columns left to right.
  const rects = attributesOf(svg, "rect");
  assert.equal(rects.length, 9);
  for (let i = 0; i < 3; i++) {
    for (let j = 0; j < 3; j++) {
      const r = rects[i * 3 + j];
      if (j > 0) assert.ok(Number(r.x) > Number(rects[i * 3 + j - 1].x));
      if (i > 0) assert.ok(Number(r.y) > Number(rects[(i - 1) * 3 + j].y));
    }
  }
  // Darker (smaller red channel) for larger values.
  const red = (fill: string) => Number(/^rgb\((\d+),/.exec(fill)![1]);
  assert.ok(red(rects[4].fill) < red(rects[0].fill) && red(rects[0].fill) < red(rects[6].fill));
});

/** A ProbeResult with what the report reads. */
function result(overrides: Partial<ProbeResult>): ProbeResult {
  return {
    featureSet: "hidden/l1/last",
    featureKind: "hidden-last",
    hook: "blocks.1.hook_resid_post",
    layer: 1,
    pooling: "last-token",
    width: 64,
    probe: "logistic",
    params: { C: 0.1, chosenBy: "cv" },
    classes: ["negative", "positive"],
    nTrain: 80,
    nTest: 20,
    macroF1: { value: 0.75, lo: 0.6, hi: 0.9 },
    accuracy: { value: 0.8, lo: 0.65, hi: 0.95 },
    perClass: [],
    confusion: [[8, 2], [2, 8]],
    seconds: 0.1,
    ...overrides,
  };
}

Deno.test("renderReport: every section, the numbers, and a feature-set name that tries to inject a script", () => {
  const evil = `sae/l1.<script>alert("x")</script>/sum/gt-1`;
  const data: ReportData = {
    title: "A & B <report>",
    about: [["model", "stories<260K> & friends"], ["config", "abc123"]],
    results: [
      result({}),
      result({
        layer: 2,
        hook: "blocks.2.hook_resid_post",
        featureSet: "hidden/l2/last",
        macroF1: { value: 0.5, lo: 0.4, hi: 0.6 },
      }),
      result({
        featureSet: evil,
        featureKind: "sae-binary",
        sae: "l1.<img src=x onerror=alert(1)>",
        pooling: "sum",
        threshold: "gt:1",
        macroF1: { value: 0.875, lo: 0.8, hi: 0.95 },
        rocAuc: { value: 0.9, lo: 0.85, hi: 0.97 },
        topFeatures: [
          { class: "<neg>", features: [{ feature: 17, weight: -1.25, neuronpedia: "x/<17>" }] },
          { class: "positive", features: [{ feature: 3, weight: 0.5 }] },
        ],
      }),
      result({ featureSet: evil, featureKind: "sae-binary", probe: "tree", params: { maxDepth: 3 } }),
    ],
    transfer: [{
      title: `Transfer across domains: ${evil}`,
      result: {
        domains: ["amazon", "imdb", "yelp"],
        scores: [[0.9, 0.6, 0.7], [0.5, 0.8, 0.6], [0.55, 0.65, 0.85]],
        diagonal: (0.9 + 0.8 + 0.85) / 3,
        offDiagonal: (0.6 + 0.7 + 0.5 + 0.6 + 0.55 + 0.65) / 6,
        gap: (0.9 + 0.8 + 0.85) / 3 - (0.6 + 0.7 + 0.5 + 0.6 + 0.55 + 0.65) / 6,
      },
    }],
    featureExamples: {
      "17": [
        {
          value: 2.5,
          record: "r1",
          position: 9,
          context: [" <script>", "bad", " token"],
          at: 1,
          cut: { before: true, after: false },
        },
        {
          value: 1.25,
          record: "r2",
          position: 1,
          context: ["Good", " one"],
          at: 0,
          cut: { before: false, after: true },
        },
      ],
    },
  };
  const html = renderReport(data);
  const { root, elements } = checkMarkup(html);
  assert.equal(root, "html");
  assert.ok(html.startsWith("<!doctype html>"));
  // Nothing executable, nothing injected.
  assert.ok(!elements.includes("script") && !elements.includes("img"), `elements: ${[...new Set(elements)]}`);
  assert.ok(!html.includes("<script") && !html.includes("<img") && !html.includes("<neg>"));
  assert.ok(html.includes(escapeXml(evil)), "the feature-set name is shown, escaped");
  assert.ok(html.includes(escapeXml("A & B <report>")) && html.includes(escapeXml("stories<260K> & friends")));
  // The sections.
  const headings = [...html.matchAll(/<h2>([^<]*)<\/h2>/g)].map(([, h]) => unescape(h));
  assert.deepEqual(headings, [
    "What was run",
    "Results",
    "Macro-F1 per layer (logistic probes)",
    "Binarized vs continuous SAE features (logistic probes)",
    `Transfer across domains: ${evil}`,
    "Top features per class",
  ]);
  assert.equal(elements.filter((e) => e === "svg").length, 3, "layer curves, bars and the transfer heatmap");
  // The results table, best first, with CIs to 3 decimals.
  const rows = [...html.matchAll(/<tr><td>([^<]*)<\/td><td>([^<]*)<\/td><td>([\d.]+) <small>\[([\d.]+), ([\d.]+)\]/g)]
    .map(([, set, probe, value, lo, hi]) => [unescape(set), probe, value, lo, hi]);
  assert.deepEqual(rows, [
    [evil, "logistic", "0.875", "0.800", "0.950"],
    ["hidden/l1/last", "logistic", "0.750", "0.600", "0.900"],
    [evil, "tree", "0.750", "0.600", "0.900"],
    ["hidden/l2/last", "logistic", "0.500", "0.400", "0.600"],
  ]);
  assert.ok(html.includes("0.900 <small>[0.850, 0.970]</small>"), "ROC-AUC with its CI");
  assert.ok(html.includes(`gap ${data.transfer![0].result.gap.toFixed(3)}`));
  // Top features of the best SAE probe, signed weights to 4 decimals, classes escaped.
  assert.ok(html.includes(`<h3>${escapeXml("<neg>")}</h3>`));
  assert.ok(html.includes("<td>17</td><td>-1.2500</td>"));
  assert.ok(html.includes(escapeXml("x/<17>")));
  // Each top feature's strongest activations: the token in bold, ellipses where the record goes on, text escaped.
  assert.ok(
    html.includes(
      `…${escapeXml(" <script>")}<b>bad</b> token <small>2.50</small><br><b>Good</b> one… <small>1.25</small>`,
    ),
  );
  assert.ok(html.includes("<td>3</td><td>0.5000</td><td>–</td>"), "a feature without examples");
  assert.ok(!html.includes("NaN"));
});

Deno.test("renderReport: no layers, no SAE features, no transfer: placeholders instead of charts", () => {
  const html = renderReport({
    title: "tfidf only",
    about: [],
    results: [result({ featureSet: "tfidf", featureKind: "tfidf", layer: undefined, hook: undefined })],
  });
  assert.equal(checkMarkup(html).root, "html");
  assert.ok(html.includes("<p>No layered features.</p>"));
  assert.ok(html.includes("<p>No SAE features.</p>"));
  assert.ok(html.includes("<p>No SAE probe.</p>"));
  assert.ok(!html.includes("<svg"));
});
