// Card gallery: renders every cards/<name>.json that has cards/samples/<name>.data.json to docs/cards/<name>.png
// (Teams-like light theme), docs/cards/<name>.dark.png and <name>.contrast.png (dark, high contrast), and rewrites the gallery table in README.md
// (light images, three to a row, linking the dark and high-contrast ones)
// between <!-- card-gallery:start --> and <!-- card-gallery:end -->.
//   node tests/peers/render-gallery.mjs        (or ./build.sh gallery)
//   GALLERY_OUT=/tmp/x node tests/peers/render-gallery.mjs   writes the PNGs elsewhere and leaves README.md alone
// Templates are expanded with the official adaptivecards-templating package and rendered by the official adaptivecards
// renderer in headless Debian Chromium (/usr/bin/chromium, or $CHROMIUM); the page makes no network requests.
// Exit code 1 when any card failed to expand, parse or render, or the renderer reported warnings; the other cards are
// still rendered.
import { chromium } from "playwright-core";
import { createRequire } from "node:module";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const require = createRequire(import.meta.url);
const ACData = require("adaptivecards-templating");
const rendererBundle = require.resolve("adaptivecards/dist/adaptivecards.min.js");

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
const cardsDir = join(root, "cards");
const samplesDir = join(cardsDir, "samples");
const outDir = process.env.GALLERY_OUT ? resolve(process.env.GALLERY_OUT) : join(root, "docs", "cards");
const readme = join(root, "README.md");
const chromiumPath = process.env.CHROMIUM ?? "/usr/bin/chromium";
const cardWidth = 480;

// Teams-like palettes (desktop chat: light text #252424 on white, dark theme white on #2D2C2C, high contrast on black).
const themes = {
  light: {
    page: "#F5F5F5", card: "#FFFFFF", border: "#E1DFDD", text: "#252424", subtle: "#605E5C", emphasis: "#F3F2F1",
    accent: "#6264A7", good: "#237B4B", warning: "#835C00", attention: "#C4314B", light: "#FFFFFF", dark: "#252424",
    goodBg: "#E7F2DA", warningBg: "#FBF6D9", attentionBg: "#FCF4F6", accentBg: "#E8EBFA",
    button: "#FFFFFF", buttonText: "#252424", buttonBorder: "#E1DFDD", link: "#6264A7",
  },
  dark: {
    page: "#1F1F1F", card: "#2D2C2C", border: "#3B3A39", text: "#FFFFFF", subtle: "#C8C6C4", emphasis: "#3B3A39",
    accent: "#A6A7DC", good: "#92C353", warning: "#F8D22A", attention: "#F9526B", light: "#FFFFFF", dark: "#252424",
    goodBg: "#0D2E0D", warningBg: "#463100", attentionBg: "#3E1F25", accentBg: "#2F2F4A",
    button: "#292828", buttonText: "#FFFFFF", buttonBorder: "#605E5C", link: "#A6A7DC",
  },
  contrast: {
    page: "#000000", card: "#000000", border: "#FFFFFF", text: "#FFFFFF", subtle: "#FFFFFF", emphasis: "#000000",
    accent: "#1AEBFF", good: "#3FF23F", warning: "#FFFF01", attention: "#FF5F5F", light: "#FFFFFF", dark: "#FFFFFF",
    goodBg: "#000000", warningBg: "#000000", attentionBg: "#000000", accentBg: "#000000",
    button: "#000000", buttonText: "#FFFFFF", buttonBorder: "#FFFFFF", link: "#FFFF01",
  },
};

function hostConfig(p) {
  const colours = {
    default: { default: p.text, subtle: p.subtle },
    dark: { default: p.dark, subtle: p.dark },
    light: { default: p.light, subtle: p.light },
    accent: { default: p.accent, subtle: p.accent },
    good: { default: p.good, subtle: p.good },
    warning: { default: p.warning, subtle: p.warning },
    attention: { default: p.attention, subtle: p.attention },
  };
  const style = backgroundColor => ({ backgroundColor, foregroundColors: colours });
  const font = family => ({
    fontFamily: family,
    fontSizes: { small: 12, default: 14, medium: 14, large: 18, extraLarge: 24 },
    fontWeights: { lighter: 200, default: 400, bolder: 600 },
  });
  return {
    supportsInteractivity: true,
    spacing: { small: 8, default: 12, medium: 16, large: 20, extraLarge: 24, padding: 16 },
    separator: { lineThickness: 1, lineColor: p.border },
    imageSizes: { small: 32, medium: 52, large: 100 },
    fontStyles: {
      default: font("'Segoe UI', 'Liberation Sans', 'DejaVu Sans', sans-serif"),
      monospace: font("Consolas, 'Liberation Mono', 'DejaVu Sans Mono', monospace"),
    },
    containerStyles: {
      default: style(p.card), emphasis: style(p.emphasis), accent: style(p.accentBg),
      good: style(p.goodBg), warning: style(p.warningBg), attention: style(p.attentionBg),
    },
    actions: {
      maxActions: 6, spacing: "default", buttonSpacing: 8, actionsOrientation: "horizontal", actionAlignment: "left",
      showCard: { actionMode: "inline", inlineTopMargin: 16, style: "emphasis" },
    },
    adaptiveCard: { allowCustomStyle: false },
    imageSet: { imageSize: "medium", maxImageHeight: 100 },
    factSet: {
      title: { size: "default", color: "default", isSubtle: false, weight: "bolder", wrap: true, maxWidth: 150 },
      value: { size: "default", color: "default", isSubtle: false, weight: "default", wrap: true },
      spacing: 16,
    },
  };
}

function pageCss(p) {
  return `
    body { margin: 0; background: ${p.page}; font-family: 'Segoe UI', 'Liberation Sans', 'DejaVu Sans', sans-serif; }
    #stage { display: inline-block; padding: 16px; background: ${p.page}; }
    #card { width: ${cardWidth}px; border: 1px solid ${p.border}; border-radius: 6px; overflow: hidden; background: ${p.card}; }
    #card a { color: ${p.link}; }
    .ac-pushButton { font: 600 14px 'Segoe UI', 'Liberation Sans', 'DejaVu Sans', sans-serif; color: ${p.buttonText};
      background: ${p.button}; border: 1px solid ${p.buttonBorder}; border-radius: 4px; padding: 5px 12px; min-height: 32px;
      overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
    .ac-input { font: 14px 'Segoe UI', 'Liberation Sans', 'DejaVu Sans', sans-serif; color: ${p.text}; background: ${p.card};
      border: 1px solid ${p.buttonBorder}; border-radius: 4px; padding: 5px 8px; box-sizing: border-box; }
    .ac-input-container input, .ac-input-container select, .ac-input-container textarea { width: 100%; }
    .ac-image[alt]:not([src^="data:"]) { outline: 1px dashed ${p.border}; }
  `;
}

function discoverCards() {
  const names = readdirSync(cardsDir).filter(f => f.endsWith(".json")).map(f => basename(f, ".json")).sort();
  const missing = names.filter(n => !existsSync(join(samplesDir, `${n}.data.json`)));
  for (const n of missing) console.warn(`skip   ${n}: no cards/samples/${n}.data.json`);
  return names.filter(n => !missing.includes(n));
}

function expand(name) {
  const template = JSON.parse(readFileSync(join(cardsDir, `${name}.json`), "utf8"));
  const data = JSON.parse(readFileSync(join(samplesDir, `${name}.data.json`), "utf8"));
  const card = new ACData.Template(template).expand({ $root: data });
  const leftover = JSON.stringify(card).match(/\$\{[^}]*\}/g);
  return { card, problems: leftover ? [`unexpanded ${[...new Set(leftover)].join(", ")}`] : [] };
}

// Runs in the page: parse at schema 1.5, render, report the renderer's validation events.
function renderInPage({ card, config, css }) {
  const AC = window.AdaptiveCards;
  document.getElementById("theme").textContent = css;
  AC.AdaptiveCard.onProcessMarkdown = (text, result) => {
    // The subset Teams supports in TextBlocks: **bold**, _italic_, [links](url), "- " / "1. " lists, line breaks.
    const escape = s => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
    const inline = s => escape(s)
      .replace(/\*\*(.+?)\*\*/g, "<strong>$1</strong>")
      .replace(/(^|\W)_(.+?)_(?=\W|$)/g, "$1<em>$2</em>")
      .replace(/\[([^\]]+)\]\((https?:[^)\s]+)\)/g, '<a href="$2">$1</a>');
    const lines = text.split(/\r\n|\r|\n/);
    let html = "", list = null;
    for (const line of lines) {
      const item = /^\s*(-|\d+\.)\s+(.*)$/.exec(line);
      const kind = item ? (item[1] === "-" ? "ul" : "ol") : null;
      if (list && list !== kind) { html += `</${list}>`; list = null; }
      if (kind) { if (!list) { html += `<${kind} style="margin:0;padding-left:20px">`; list = kind; } html += `<li>${inline(item[2])}</li>`; }
      else html += (html && !html.endsWith(">") ? "<br>" : "") + inline(line);
    }
    if (list) html += `</${list}>`;
    result.outputHtml = `<p style="margin:0">${html}</p>`;
    result.didProcess = true;
  };
  const adaptiveCard = new AC.AdaptiveCard();
  adaptiveCard.hostConfig = new AC.HostConfig(config);
  const context = new AC.SerializationContext(AC.Versions.v1_5);
  adaptiveCard.parse(card, context);
  const problems = [];
  // Teams' people picker (Input.ChoiceSet "choices.data" of type Data.Query) is a Teams extension Teams reads in 1.5 cards; the SDK dates it 1.6.
  const teamsExtension = (m) => m.startsWith('Property "choices.data" is supported in version 1.6');
  for (let i = 0; i < context.eventCount; i++) if (!teamsExtension(context.getEventAt(i).message)) problems.push(`parse: ${context.getEventAt(i).message}`);
  for (const e of adaptiveCard.validateProperties().validationEvents) problems.push(`validate: ${e.message}`);
  const element = adaptiveCard.render();
  if (!element) problems.push("render: the renderer returned nothing");
  else document.getElementById("card").replaceChildren(element);
  return problems;
}

function updateReadme(rendered) {
  const start = "<!-- card-gallery:start -->", end = "<!-- card-gallery:end -->";
  const text = readFileSync(readme, "utf8");
  const from = text.indexOf(start), to = text.indexOf(end);
  if (from < 0 || to < from) { console.warn(`README.md has no ${start} … ${end} block; not updated`); return; }
  const columns = 3;
  const cell = n => `\`${n}\` · [dark](docs/cards/${n}.dark.png) · [high contrast](docs/cards/${n}.contrast.png)<br>` +
    `<img src="docs/cards/${n}.png" alt="${n} card, light theme" width="260">`;
  const rows = [];
  for (let i = 0; i < rendered.length; i += columns) {
    const cells = rendered.slice(i, i + columns).map(cell);
    while (cells.length < columns) cells.push(" ");
    rows.push(`| ${cells.join(" | ")} |`);
  }
  const table = [`|${" |".repeat(columns)}`, `|${"---|".repeat(columns)}`, ...rows].join("\n");
  writeFileSync(readme, `${text.slice(0, from + start.length)}\n${table}\n${text.slice(to)}`);
}

const names = discoverCards();
mkdirSync(outDir, { recursive: true });
const browser = await chromium.launch({
  executablePath: chromiumPath,
  headless: true,
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync"],
});
let failed = 0;
const rendered = [];
try {
  const context = await browser.newContext({ viewport: { width: cardWidth + 64, height: 600 }, deviceScaleFactor: 1 });
  await context.route("**/*", route => route.request().url().startsWith("data:") ? route.continue() : route.abort());
  const page = await context.newPage();
  await page.setContent('<!doctype html><html><head><meta charset="utf-8"><style id="theme"></style></head><body><div id="stage"><div id="card"></div></div></body></html>');
  await page.addScriptTag({ path: rendererBundle });

  for (const name of names) {
    let problems = [];
    try {
      const { card, problems: expandProblems } = expand(name);
      problems.push(...expandProblems);
      for (const [theme, palette] of Object.entries(themes)) {
        const renderProblems = await page.evaluate(renderInPage, { card, config: hostConfig(palette), css: pageCss(palette) });
        if (theme === "light") problems.push(...renderProblems);
        const file = join(outDir, theme === "light" ? `${name}.png` : `${name}.${theme}.png`);
        await page.locator("#stage").screenshot({ path: file });
      }
      rendered.push(name);
    } catch (e) {
      problems.push(`error: ${e.message}`);
    }
    problems = [...new Set(problems)];
    if (problems.length) failed++;
    console.log(`${problems.length ? "FAIL" : "ok"}     ${name}${problems.map(p => `\n         ${p}`).join("")}`);
  }
} finally {
  await browser.close();
}

const keep = new Set(rendered.flatMap(n => [`${n}.png`, ...Object.keys(themes).filter(t => t !== "light").map(t => `${n}.${t}.png`)]));
for (const f of readdirSync(outDir).filter(f => f.endsWith(".png") && !keep.has(f))) rmSync(join(outDir, f));
if (!process.env.GALLERY_OUT) updateReadme(rendered);
console.log(`${rendered.length} card(s) rendered to ${outDir}, ${failed} with problems`);
process.exit(failed ? 1 : 0);
