// Parses expanded cards with the official adaptivecards 3.0.6 UMD build (jsdom supplies window/document)
// at target version 1.5 and reports every parse/validation event.
// Input (stdin or file argument): JSON array of cards. Output: JSON array of { events: [{phase, event, message}] }.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { JSDOM } from 'jsdom';

const require = createRequire(import.meta.url);
const dom = new JSDOM('<!DOCTYPE html><html><body></body></html>', { pretendToBeVisual: true });
globalThis.window = dom.window;
globalThis.document = dom.window.document;
globalThis.navigator = dom.window.navigator;
globalThis.HTMLElement = dom.window.HTMLElement;
const AC = require('adaptivecards/dist/adaptivecards.js');

const cards = JSON.parse(readFileSync(process.argv[2] ?? 0, 'utf8'));
const results = cards.map((json) => {
  const events = [];
  try {
    const context = new AC.SerializationContext(AC.Versions.v1_5);
    const card = new AC.AdaptiveCard();
    card.parse(json, context);
    for (let i = 0; i < context.eventCount; i++) {
      const e = context.getEventAt(i);
      // Teams' people picker ("choices.data" of type Data.Query) is a Teams extension Teams reads in 1.5 cards; the SDK dates it 1.6.
      if (e.message.startsWith('Property "choices.data" is supported in version 1.6')) continue;
      events.push({ phase: AC.ValidationPhase[e.phase], event: AC.ValidationEvent[e.event], message: e.message });
    }
    const validation = card.validateProperties();
    for (const e of validation.validationEvents) {
      events.push({ phase: AC.ValidationPhase[e.phase], event: AC.ValidationEvent[e.event], message: e.message });
    }
  } catch (e) {
    events.push({ phase: 'exception', event: 'exception', message: String(e && e.message ? e.message : e) });
  }
  return { events };
});
process.stdout.write(JSON.stringify(results));
