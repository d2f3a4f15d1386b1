// Usage: node parse.mjs FILE.mmd
// Parses the diagram with Mermaid's real parser and prints what it understood as JSON;
// exits 1 with the parser's message when Mermaid rejects the text.
import { readFileSync } from 'node:fs';
import { JSDOM } from 'jsdom';

// Mermaid's DOMPurify needs a window at import time.
const { window } = new JSDOM('<!doctype html><html><body></body></html>');
globalThis.window = window;
globalThis.document = window.document;
globalThis.DOMParser = window.DOMParser;
globalThis.Element = window.Element;

const { default: mermaid } = await import('mermaid');
mermaid.initialize({ startOnLoad: false });
const text = readFileSync(process.argv[2], 'utf8');
try {
  await mermaid.parse(text);
  const db = (await mermaid.mermaidAPI.getDiagramFromText(text)).db;
  const states = {};
  for (const [id, s] of db.getStates()) states[id] = { labels: s.descriptions, classes: s.classes };
  console.log(JSON.stringify({
    states,
    relations: db.getRelations().map(r => [r.id1, r.id2]),
  }));
} catch (e) {
  console.error(e?.message ?? String(e));
  process.exit(1);
}
