// SPDX-FileCopyrightText: vtranscode authors
// SPDX-License-Identifier: LGPL-2.1-or-later
//
// Lints containers/Dockerfile.worker and Dockerfile.worker.gpu and the .dockerignore:
//   - dockerfile-utils' validator (syntax, flags, instruction arguments), every
//     diagnostic an error;
//   - image rules: multi-stage, base images pinned to a version, the runtime stage
//     runs as the numeric user 1000, has a HEALTHCHECK on /health, exposes 8080,
//     starts vtranscode-worker, and installs no compiler or -dev package;
//   - the RUN steps call scripts that exist in containers/ with the right variant;
//   - the build context: every COPY source exists and survives .dockerignore, every
//     tracked source file is in the context and every build output is out of it.
//
// usage: node lint_containers.mjs --src SOURCE_ROOT
// Run through run_node.sh, which installs the pinned npm packages it imports.

import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { validate } from 'dockerfile-utils';
import { DockerfileParser } from 'dockerfile-ast';
import dockerignore from '@balena/dockerignore';

const srcArg = process.argv.indexOf('--src');
if (srcArg < 0 || !process.argv[srcArg + 1]) {
  console.error('usage: lint_containers.mjs --src SOURCE_ROOT');
  process.exit(2);
}
const src = path.resolve(process.argv[srcArg + 1]);

let passed = 0;
let failed = 0;
const check = (ok, what, detail = '') => {
  if (ok) {
    passed++;
    console.log(`PASS: ${what}`);
  } else {
    failed++;
    console.log(`FAIL: ${what}${detail ? `: ${detail}` : ''}`);
  }
};

const pinned = (ref) => {
  const at = ref.indexOf('@');
  if (at >= 0) return /^sha256:[0-9a-f]{64}$/.test(ref.slice(at + 1));
  const slash = ref.lastIndexOf('/');
  const colon = ref.lastIndexOf(':');
  const tag = colon > slash ? ref.slice(colon + 1) : null;
  return !!tag && tag !== 'latest' && /\d+\.\d+/.test(tag);
};

// ---- .dockerignore and the build context ----
const ignoreFile = path.join(src, '.dockerignore');
check(fs.existsSync(ignoreFile), '.dockerignore exists at the repository root');
const ig = dockerignore({ ignorecase: false }).add(fs.existsSync(ignoreFile) ? fs.readFileSync(ignoreFile, 'utf8') : '');
const inContext = (rel) => !ig.ignores(rel);

// Tracked files: what a clean checkout (CI, a release tarball) hands to docker build.
const git = spawnSync('git', ['ls-files', '-z'], { cwd: src, encoding: 'utf8' });
const tracked = git.status === 0 ? git.stdout.split('\0').filter(Boolean) : null;
check(tracked !== null, 'the source tree is a git checkout (needed to list the tracked files)', git.stderr?.trim());
// Not needed to build the image; everything else tracked must be in the context.
const notNeeded = [/^\.ci\//, /^k8s\//, /^\.git/];
if (tracked) {
  const dropped = tracked.filter((f) => !inContext(f) && !notNeeded.some((re) => re.test(f)));
  check(dropped.length === 0, `.dockerignore keeps all ${tracked.length} tracked source files needed by the build`,
    dropped.slice(0, 10).join(', '));
}
check(!inContext('.git/HEAD'), '.dockerignore excludes .git');
// Every meson build directory and node_modules under the source root must stay out.
const outputs = [];
const walk = (dir, rel) => {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    if (!e.isDirectory() || e.name === '.git') continue;
    const r = rel ? `${rel}/${e.name}` : e.name;
    const full = path.join(dir, e.name);
    if (e.name === 'node_modules' || fs.existsSync(path.join(full, 'meson-private'))) outputs.push(r);
    else walk(full, r);
  }
};
walk(src, '');
const leaked = outputs.filter((r) => inContext(`${r}/build.ninja`) || inContext(`${r}/x/package.json`));
check(leaked.length === 0, `.dockerignore excludes build directories and node_modules (${outputs.length} found)`, leaked.join(', '));
for (const probe of ['build/build.ninja', 'build-test/meson-private/coredata.dat', 'tests/deploy/node_modules/x.js']) {
  check(!inContext(probe), `.dockerignore excludes ${probe}`);
}

// ---- the Dockerfiles ----
const copied = new Set();
const EXPECT = {
  'Dockerfile.worker': { deps: 'containers/debian-deps.sh', variant: 'cpu', base: /debian:12(\.\d+)+-slim$/ },
  'Dockerfile.worker.gpu': { deps: 'containers/rocky-deps.sh', variant: 'gpu', base: /rockylinux:10(\.\d+)+$/ },
};
for (const [name, want] of Object.entries(EXPECT)) {
  const file = path.join(src, 'containers', name);
  if (!fs.existsSync(file)) {
    check(false, `containers/${name} exists`);
    continue;
  }
  const text = fs.readFileSync(file, 'utf8');
  const tag = `containers/${name}`;

  const diags = validate(text);
  check(diags.length === 0, `${tag}: dockerfile-utils reports nothing`,
    diags.map((d) => `line ${d.range.start.line + 1}: ${d.message}`).join('; '));

  const df = DockerfileParser.parse(text);
  const instructions = df.getInstructions();
  const froms = df.getFROMs();
  const stageNames = froms.map((f) => f.getBuildStage()).filter(Boolean);
  check(froms.length >= 2, `${tag}: multi-stage (build and runtime stages)`, `${froms.length} stage(s)`);

  // Global ARG defaults, for FROM ${VAR}.
  const firstFrom = froms[0]?.getRange().start.line ?? 0;
  const globalArgs = new Map();
  for (const a of df.getARGs()) {
    if (a.getRange().start.line < firstFrom && a.getProperty()) globalArgs.set(a.getProperty().getName(), a.getProperty().getValue());
  }
  const bases = new Set(froms.map((f) => (f.getImage() ?? '')
    .replace(/\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?/g, (_, v) => globalArgs.get(v) ?? `<unset ${v}>`)));
  for (const image of bases) {
    if (stageNames.includes(image)) continue;
    check(pinned(image), `${tag}: base image ${image} is pinned`);
    check(want.base.test(image), `${tag}: base image ${image} is the expected distribution`, `${want.base}`);
  }

  // Instructions of the last (runtime) stage.
  const lastFrom = froms[froms.length - 1]?.getRange().start.line ?? 0;
  const runtime = instructions.filter((i) => i.getRange().start.line > lastFrom);
  const build = instructions.filter((i) => i.getRange().start.line < lastFrom);
  const last = (kw) => runtime.filter((i) => i.getKeyword() === kw).pop();
  const args = (i) => (i ? i.getArgumentsContent() ?? '' : '');
  check(/^1000(:1000)?$/.test(args(last('USER')).trim()), `${tag}: runtime stage runs as USER 1000 (numeric)`, args(last('USER')));
  const hc = args(last('HEALTHCHECK'));
  check(/\/health\b/.test(hc) && !/^NONE/i.test(hc), `${tag}: HEALTHCHECK probes /health`, hc || 'no HEALTHCHECK');
  check(/\b8080\b/.test(args(last('EXPOSE'))), `${tag}: EXPOSE 8080`);
  check(/vtranscode-worker/.test(args(last('ENTRYPOINT'))), `${tag}: ENTRYPOINT is vtranscode-worker`);
  check(/"run"/.test(args(last('CMD'))), `${tag}: default command is run`);
  const runtimeRuns = runtime.filter((i) => i.getKeyword() === 'RUN').map(args).join('\n');
  check(!/\b(meson|ninja|gcc|g\+\+|cmake)\b|-dev\b|-devel\b/.test(runtimeRuns), `${tag}: runtime stage installs no build tools`);
  check(runtimeRuns.includes(`${path.basename(want.deps)} runtime`), `${tag}: runtime stage installs with ${want.deps} runtime`);
  const buildRuns = build.filter((i) => i.getKeyword() === 'RUN').map(args).join('\n');
  check(buildRuns.includes(`${want.deps} build`), `${tag}: build stage installs with ${want.deps} build`);
  for (const step of ['configure', 'compile', 'install']) {
    check(buildRuns.includes(`containers/build.sh ${step}`), `${tag}: build stage runs containers/build.sh ${step}`);
  }
  check(buildRuns.includes(`--variant ${want.variant}`), `${tag}: builds the ${want.variant} variant`);
  check(!/\bADD\b/.test(instructions.map((i) => i.getKeyword()).join(' ')), `${tag}: uses COPY, not ADD`);
  check(!/(curl|wget)[^\n|]*\|\s*(ba)?sh/.test(text), `${tag}: no download piped into a shell`);

  // Every script a RUN names exists, and every COPY source is in the context.
  for (const rel of new Set([...text.matchAll(/containers\/[A-Za-z0-9_.-]+\.sh/g)].map((m) => m[0]))) {
    check(fs.existsSync(path.join(src, rel)) && (fs.statSync(path.join(src, rel)).mode & 0o111) !== 0,
      `${tag}: ${rel} exists and is executable`);
  }
  for (const i of instructions.filter((x) => x.getKeyword() === 'COPY')) {
    if (i.getFromFlag && i.getFromFlag()) continue;
    const parts = i.getArguments().map((a) => a.getValue());
    for (const source of parts.slice(0, -1)) {
      if (source === '.' || copied.has(`${tag}:${source}`)) continue;
      copied.add(`${tag}:${source}`);
      const exists = fs.existsSync(path.join(src, source));
      check(exists && inContext(source), `${tag}: COPY source ${source} exists and is in the build context`);
    }
  }
}

console.log(`${passed} passed, ${failed} failed`);
process.exitCode = failed === 0 ? 0 : 1;
