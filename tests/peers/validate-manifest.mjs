// Validates a Teams app manifest against the official JSON schema bundled in @microsoft/app-manifest (offline), with
// both ManifestUtil.validateManifestAgainstSchema (schema passed explicitly) and AppManifestUtils.validateAgainstSchema
// (schema resolved from $schema to the bundled copy).
//   node tests/peers/validate-manifest.mjs <manifest.json>
// Prints one JSON line {schema, errors:[...]} and exits 0 when there are no errors, 1 when there are, 2 on bad input.
import { readFileSync, existsSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";

const require = createRequire(import.meta.url);
const { ManifestUtil, AppManifestUtils } = require("@microsoft/app-manifest");

const file = process.argv[2];
if (!file) { console.error("usage: node validate-manifest.mjs <manifest.json>"); process.exit(2); }
const manifest = JSON.parse(readFileSync(file, "utf8"));

const match = /\/json-schemas\/teams\/(v[^/]+)\/MicrosoftTeams\.schema\.json$/.exec(manifest.$schema ?? "");
if (!match) { console.error(`$schema is not a Teams manifest schema URL: ${manifest.$schema}`); process.exit(2); }
const packageRoot = dirname(require.resolve("@microsoft/app-manifest/package.json"));
const schemaFile = join(packageRoot, "build", "json-schemas", "teams", match[1], "MicrosoftTeams.schema.json");
if (!existsSync(schemaFile)) { console.error(`@microsoft/app-manifest bundles no schema ${match[1]}`); process.exit(2); }
const schema = JSON.parse(readFileSync(schemaFile, "utf8"));

const errors = [...new Set([
  ...await ManifestUtil.validateManifestAgainstSchema(structuredClone(manifest), schema),
  ...await AppManifestUtils.validateAgainstSchema(structuredClone(manifest)),
])];
console.log(JSON.stringify({ schema: match[1], errors }));
process.exit(errors.length === 0 ? 0 : 1);
