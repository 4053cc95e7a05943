// SPDX-FileCopyrightText: vtranscode authors
// SPDX-License-Identifier: LGPL-2.1-or-later
//
// Validates every manifest in k8s/ three ways:
//   1. schema: each object against the Kubernetes API schema of its apiVersion/kind
//      (kubernetes-models; KEDA and Prometheus Operator CRDs from their packages);
//   2. strict fields: the same object as a TypeScript literal of the model's type, so
//      an unknown or misspelt field (which the JSON schemas accept silently, and the
//      API server would drop or, with strict field validation, refuse) is an error;
//   3. policy: the security context and image rules every pod must follow, the
//      worker-specific rules (probes, health port, work volume, grace period) and
//      the references between objects (selectors, targets, Secrets, ConfigMaps).
// With --self-test it instead breaks the real manifests one rule at a time and
// checks that each break is reported, so the checks themselves are tested.
//
// usage: node validate_manifests.mjs --src SOURCE_ROOT --version PROJECT_VERSION [--self-test]
// Run through run_node.sh, which installs the pinned npm packages it imports.

import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import YAML from 'yaml';

const here = path.dirname(fileURLToPath(import.meta.url));

function parseArgs(argv) {
  const args = { selfTest: false };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--src') args.src = argv[++i];
    else if (argv[i] === '--version') args.version = argv[++i];
    else if (argv[i] === '--self-test') args.selfTest = true;
    else throw new Error(`unknown argument ${argv[i]}`);
  }
  if (!args.src || !args.version) throw new Error('usage: validate_manifests.mjs --src DIR --version X.Y.Z [--self-test]');
  return args;
}

// The files the deployment guide (k8s/README.md) walks through.
const REQUIRED_FILES = [
  'namespace.yaml', 'configmap.yaml', 'worker-deployment.yaml', 'worker-deployment-nvidia.yaml',
  'worker-deployment-intel.yaml', 'worker-hpa.yaml', 'worker-scaledobject.yaml', 'worker-pdb.yaml',
  'worker-pdb-nvidia.yaml', 'worker-pdb-intel.yaml', 'cleanup-cronjob.yaml', 'networkpolicy.yaml',
  'backup-cronjob.yaml', 'podmonitor.yaml', 'README.md', 'scripts/backup.sh',
];

// VLOG_* variables the worker reads (protocol §9.1, plus the worker's own additions in
// issue 4). A misspelt name in a manifest is silently ignored by the worker.
const KNOWN_VLOG_VARS = new Set([
  'VLOG_WORKER_API_URL', 'VLOG_WORKER_API_KEY', 'VLOG_WORKER_HEARTBEAT_INTERVAL', 'VLOG_WORKER_POLL_INTERVAL',
  'VLOG_POLL_INTERVAL', 'VLOG_WORKER_WORK_DIR', 'VLOG_WORKER_HEALTH_PORT', 'VLOG_WORKER_STREAMING_UPLOAD',
  'VLOG_STREAMING_FORMAT', 'VLOG_STREAMING_CODEC', 'VLOG_STREAMING_ENABLE_DASH', 'VLOG_HLS_SEGMENT_DURATION',
  'VLOG_HWACCEL_TYPE', 'VLOG_HWACCEL_PREFERRED_CODEC', 'VLOG_PARALLEL_QUALITIES', 'VLOG_PARALLEL_QUALITIES_AUTO',
  'VLOG_FFMPEG_TIMEOUT_BASE_MULTIPLIER', 'VLOG_FFMPEG_TIMEOUT_MINIMUM', 'VLOG_FFMPEG_TIMEOUT_MAXIMUM',
  'VLOG_ERROR_DETAIL_MAX_LENGTH', 'VLOG_JOB_QUEUE_MODE', 'VLOG_REDIS_URL', 'VLOG_REDIS_POOL_SIZE',
  'VLOG_REDIS_SOCKET_TIMEOUT', 'VLOG_REDIS_SOCKET_CONNECT_TIMEOUT', 'VLOG_REDIS_HEALTH_CHECK_INTERVAL',
  'VLOG_REDIS_CONSUMER_GROUP', 'VLOG_REDIS_CONSUMER_BLOCK_MS', 'VLOG_REDIS_PENDING_TIMEOUT_MS',
  'VLOG_REDIS_PUBSUB_PREFIX', 'VLOG_CODE_VERSION', 'VLOG_BUILD_TIMESTAMP', 'VLOG_WORKER_SHUTDOWN_GRACE',
  'VLOG_LOG_FORMAT', 'VLOG_WORKER_ADMIN_SECRET',
]);

const NAMESPACE = 'vlog';
const CLUSTER_SCOPED = new Set(['Namespace', 'ClusterRole', 'ClusterRoleBinding', 'PersistentVolume',
  'StorageClass', 'RuntimeClass', 'PriorityClass', 'ClusterTriggerAuthentication']);
const REDIS_STREAMS = ['vlog:jobs:high', 'vlog:jobs:normal', 'vlog:jobs:low'];

// ---------------------------------------------------------------------------------
// Loading

export function loadManifests(srcRoot) {
  const dir = path.join(srcRoot, 'k8s');
  const problems = [];
  const docs = [];
  for (const rel of REQUIRED_FILES) {
    if (!fs.existsSync(path.join(dir, rel))) problems.push(`k8s/${rel}: missing (the deployment guide needs it)`);
  }
  const files = fs.readdirSync(dir).filter((f) => /\.ya?ml$/.test(f)).sort();
  for (const file of files) {
    const text = fs.readFileSync(path.join(dir, file), 'utf8');
    // YAML 1.1, as Kubernetes' parser reads it (0555 is octal, yes/no are booleans).
    const parsed = YAML.parseAllDocuments(text, { version: '1.1', uniqueKeys: true, prettyErrors: true });
    const list = Array.isArray(parsed) ? parsed : [parsed];
    list.forEach((d, index) => {
      for (const e of [...d.errors, ...d.warnings]) problems.push(`k8s/${file}: YAML: ${e.message.split('\n')[0]}`);
      const obj = d.toJS({ maxAliasCount: 0 });
      if (obj === null || obj === undefined) return;
      docs.push({ file, index, obj });
    });
  }
  return { docs, problems, files };
}

const label = (d) => `k8s/${d.file}: ${d.obj?.kind ?? '?'}/${d.obj?.metadata?.name ?? '?'}`;

// ---------------------------------------------------------------------------------
// 1. Schema validation with kubernetes-models

function modelModule(apiVersion, kind) {
  const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : ['', apiVersion];
  if (group === 'keda.sh') return `@kubernetes-models/keda/keda.sh/${version}/${kind}`;
  if (group === 'monitoring.coreos.com') {
    return `@kubernetes-models/prometheus-operator/monitoring.coreos.com/${version}/${kind}`;
  }
  return group === '' ? `kubernetes-models/${version}/${kind}` : `kubernetes-models/${group}/${version}/${kind}`;
}

export async function schemaCheck(docs) {
  const problems = [];
  for (const d of docs) {
    const { apiVersion, kind } = d.obj;
    if (typeof apiVersion !== 'string' || typeof kind !== 'string') {
      problems.push(`${label(d)}: apiVersion and kind are required`);
      continue;
    }
    let Model;
    try {
      Model = (await import(modelModule(apiVersion, kind)))[kind];
    } catch {
      Model = undefined;
    }
    if (typeof Model !== 'function') {
      problems.push(`${label(d)}: no schema for ${apiVersion} ${kind} (unknown apiVersion/kind)`);
      continue;
    }
    try {
      new Model(d.obj).validate();
    } catch (e) {
      problems.push(`${label(d)}: schema: ${e.message}`);
    }
  }
  return problems;
}

// ---------------------------------------------------------------------------------
// 2. Strict fields: each object type-checked as a literal of its model interface.

export function strictFieldCheck(docs, workDir) {
  const genDir = fs.mkdtempSync(path.join(workDir, 'strict-'));
  const byFile = new Map();
  docs.forEach((d, i) => {
    const { apiVersion, kind } = d.obj;
    if (typeof apiVersion !== 'string' || typeof kind !== 'string') return;
    const name = `doc${i}_${kind}.mts`;
    byFile.set(name, d);
    fs.writeFileSync(path.join(genDir, name),
      `import type { I${kind} } from ${JSON.stringify(modelModule(apiVersion, kind))};\n` +
      `const manifest: I${kind} = ${JSON.stringify(d.obj, null, 2)};\nexport default manifest;\n`);
  });
  fs.writeFileSync(path.join(genDir, 'tsconfig.json'), JSON.stringify({
    compilerOptions: {
      strict: true, noEmit: true, skipLibCheck: true, module: 'nodenext', moduleResolution: 'nodenext',
      target: 'es2022', types: [],
    },
    include: ['*.mts'],
  }));
  const tsc = path.join(here, 'node_modules', 'typescript', 'bin', 'tsc');
  const r = spawnSync(process.execPath, [tsc, '-p', path.join(genDir, 'tsconfig.json'), '--pretty', 'false'],
    { encoding: 'utf8' });
  const problems = [];
  for (const line of `${r.stdout}${r.stderr}`.split('\n')) {
    const m = /([^/\s]+\.mts)\((\d+),\d+\): error (TS\d+): (.*)$/.exec(line);
    if (m) {
      const d = byFile.get(m[1]);
      problems.push(`${d ? label(d) : m[1]}: field check: ${m[4]}`);
    } else if (/error TS/.test(line)) {
      problems.push(`field check: ${line.trim()}`);
    }
  }
  if (r.status !== 0 && problems.length === 0) problems.push(`field check: tsc failed: ${r.stdout}${r.stderr}`);
  fs.rmSync(genDir, { recursive: true, force: true });
  return problems;
}

// ---------------------------------------------------------------------------------
// 3. Policy

const QUANTITY_UNITS = {
  m: 1e-3, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18,
  Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60,
};
export function quantity(q) {
  if (typeof q === 'number') return q;
  const m = /^([0-9]+(?:\.[0-9]+)?)(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$/.exec(String(q ?? ''));
  return m ? parseFloat(m[1]) * (m[2] ? QUANTITY_UNITS[m[2]] : 1) : NaN;
}

export function selectorMatches(selector, labels = {}) {
  if (!selector) return false;
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) if (labels[k] !== v) return false;
  for (const e of selector.matchExpressions ?? []) {
    const has = Object.hasOwn(labels, e.key);
    if (e.operator === 'In' && !(has && e.values.includes(labels[e.key]))) return false;
    if (e.operator === 'NotIn' && has && e.values.includes(labels[e.key])) return false;
    if (e.operator === 'Exists' && !has) return false;
    if (e.operator === 'DoesNotExist' && has) return false;
  }
  return true;
}

export function parseImage(ref) {
  let rest = ref;
  let digest = null;
  const at = ref.indexOf('@');
  if (at >= 0) {
    digest = ref.slice(at + 1);
    rest = ref.slice(0, at);
  }
  const slash = rest.lastIndexOf('/');
  const colon = rest.lastIndexOf(':');
  return colon > slash ? { repo: rest.slice(0, colon), tag: rest.slice(colon + 1), digest } :
    { repo: rest, tag: null, digest };
}

function podTemplates(obj) {
  switch (obj.kind) {
    case 'Deployment': case 'StatefulSet': case 'DaemonSet': case 'ReplicaSet': case 'Job':
      return [obj.spec?.template];
    case 'CronJob':
      return [obj.spec?.jobTemplate?.spec?.template];
    case 'Pod':
      return [{ metadata: obj.metadata, spec: obj.spec }];
    default:
      return [];
  }
}

// Effective environment of a container: envFrom ConfigMaps first, then env.
function containerEnv(container, configMaps) {
  const env = new Map();
  for (const src of container.envFrom ?? []) {
    const cm = src.configMapRef && configMaps.get(src.configMapRef.name);
    for (const [k, v] of Object.entries(cm?.data ?? {})) env.set(k, { value: String(v), from: `ConfigMap ${cm.metadata.name}` });
  }
  for (const e of container.env ?? []) env.set(e.name, { value: e.value, valueFrom: e.valueFrom, from: 'env' });
  return env;
}

export function policyCheck(docs, ctx) {
  const problems = [];
  const p = (d, msg) => problems.push(`${label(d)}: ${msg}`);
  const objs = docs.map((d) => d.obj);
  const ofKind = (kind) => docs.filter((d) => d.obj.kind === kind);
  const configMaps = new Map(ofKind('ConfigMap').map((d) => [d.obj.metadata.name, d.obj]));
  const deployments = ofKind('Deployment');
  const workerDeployments = deployments.filter(
    (d) => d.obj.spec?.template?.metadata?.labels?.['app.kubernetes.io/component'] === 'worker');

  // Namespaces
  const ns = ofKind('Namespace').find((d) => d.obj.metadata?.name === NAMESPACE);
  if (!ns) problems.push(`k8s/namespace.yaml: no Namespace ${NAMESPACE}`);
  else if (ns.obj.metadata.labels?.['pod-security.kubernetes.io/enforce'] !== 'restricted') {
    p(ns, 'pod-security.kubernetes.io/enforce must be "restricted"');
  }
  for (const d of docs) {
    if (!CLUSTER_SCOPED.has(d.obj.kind) && d.obj.metadata?.namespace !== NAMESPACE) {
      p(d, `metadata.namespace must be ${NAMESPACE}, is ${d.obj.metadata?.namespace}`);
    }
  }

  // Every pod, every container.
  for (const d of docs) {
    for (const tpl of podTemplates(d.obj)) {
      const spec = tpl?.spec;
      if (!spec) {
        p(d, 'no pod template');
        continue;
      }
      const psc = spec.securityContext ?? {};
      if (psc.runAsNonRoot !== true) p(d, 'pod securityContext.runAsNonRoot must be true');
      if (psc.runAsUser !== 1000) p(d, `pod securityContext.runAsUser must be 1000, is ${psc.runAsUser}`);
      if (psc.runAsGroup !== 1000) p(d, `pod securityContext.runAsGroup must be 1000, is ${psc.runAsGroup}`);
      if (psc.fsGroup !== 1000) p(d, `pod securityContext.fsGroup must be 1000, is ${psc.fsGroup}`);
      if (psc.seccompProfile?.type !== 'RuntimeDefault') p(d, 'pod securityContext.seccompProfile.type must be RuntimeDefault');
      for (const flag of ['hostNetwork', 'hostPID', 'hostIPC']) if (spec[flag]) p(d, `${flag} is not allowed`);
      const volumes = new Map((spec.volumes ?? []).map((v) => [v.name, v]));
      let emptyDirBytes = 0;
      for (const v of volumes.values()) {
        if (v.hostPath) p(d, `volume ${v.name}: hostPath is not allowed (restricted Pod Security)`);
        if (v.emptyDir) {
          const size = quantity(v.emptyDir.sizeLimit);
          if (!(size > 0)) p(d, `emptyDir volume ${v.name} needs a sizeLimit`);
          else emptyDirBytes += size;
        }
      }
      const containers = [...(spec.initContainers ?? []), ...(spec.containers ?? [])];
      if (containers.length === 0) p(d, 'no containers');
      let ephemeralLimitBytes = 0;
      for (const c of containers) {
        const cp = (msg) => p(d, `container ${c.name}: ${msg}`);
        const sc = c.securityContext ?? {};
        const eff = (k) => (sc[k] !== undefined ? sc[k] : psc[k]);
        if (eff('runAsNonRoot') !== true) cp('runAsNonRoot must be true');
        if (eff('runAsUser') !== 1000) cp(`runAsUser must be 1000, is ${eff('runAsUser')}`);
        if (eff('runAsGroup') !== 1000) cp(`runAsGroup must be 1000, is ${eff('runAsGroup')}`);
        if ((sc.seccompProfile ?? psc.seccompProfile)?.type !== 'RuntimeDefault') cp('seccompProfile must be RuntimeDefault');
        if (sc.allowPrivilegeEscalation !== false) cp('securityContext.allowPrivilegeEscalation must be false');
        if (sc.readOnlyRootFilesystem !== true) cp('securityContext.readOnlyRootFilesystem must be true');
        if (sc.privileged === true) cp('privileged is not allowed');
        if (!(sc.capabilities?.drop ?? []).includes('ALL')) cp('securityContext.capabilities.drop must contain ALL');
        if ((sc.capabilities?.add ?? []).length > 0) cp('securityContext.capabilities.add must be empty');

        const img = typeof c.image === 'string' ? parseImage(c.image) : null;
        if (!img) cp('image is missing');
        else if (img.digest && !/^sha256:[0-9a-f]{64}$/.test(img.digest)) cp(`image ${c.image}: malformed digest`);
        else if (!img.digest && (!img.tag || img.tag === 'latest' || !/\d+\.\d+/.test(img.tag))) {
          cp(`image ${c.image} is not pinned: use a versioned tag (not latest, not a moving tag) or a digest`);
        }
        if (c.imagePullPolicy !== 'IfNotPresent') cp(`imagePullPolicy must be IfNotPresent, is ${c.imagePullPolicy}`);

        const req = c.resources?.requests ?? {};
        const lim = c.resources?.limits ?? {};
        for (const r of ['cpu', 'memory']) {
          if (!(quantity(req[r]) > 0)) cp(`resources.requests.${r} is required`);
          if (!(quantity(lim[r]) > 0)) cp(`resources.limits.${r} is required`);
          if (quantity(lim[r]) < quantity(req[r])) cp(`resources.limits.${r} is below the request`);
        }
        if (lim['ephemeral-storage'] !== undefined) ephemeralLimitBytes += quantity(lim['ephemeral-storage']);
        else ephemeralLimitBytes = Infinity;

        // A read-only root still needs a writable /tmp.
        const tmp = (c.volumeMounts ?? []).find((m) => m.mountPath === '/tmp');
        if (!tmp || tmp.readOnly || !volumes.get(tmp.name)?.emptyDir) cp('needs a writable emptyDir mounted at /tmp');
        for (const m of c.volumeMounts ?? []) if (!volumes.has(m.name)) cp(`volumeMount ${m.name} has no volume`);
        for (const [k] of containerEnv(c, configMaps)) {
          if (k.startsWith('VLOG_') && !KNOWN_VLOG_VARS.has(k)) cp(`unknown VLOG_ variable ${k} (misspelt?)`);
        }
        for (const src of c.envFrom ?? []) {
          if (src.configMapRef && !configMaps.has(src.configMapRef.name) && !src.configMapRef.optional) {
            cp(`envFrom ConfigMap ${src.configMapRef.name} is not defined in k8s/`);
          }
        }
      }
      if (emptyDirBytes > ephemeralLimitBytes) {
        p(d, `emptyDir size limits (${emptyDirBytes / 2 ** 30} Gi) exceed the containers' ephemeral-storage limits`);
      }
    }
  }

  // Worker pods.
  if (workerDeployments.length !== 3) problems.push(`expected 3 worker Deployments (CPU, NVIDIA, Intel), found ${workerDeployments.length}`);
  const apiKeys = new Map();
  const versionRe = new RegExp(`^v?${ctx.version.replace(/\./g, '\\.')}(-|$)`);
  for (const d of workerDeployments) {
    const spec = d.obj.spec.template.spec;
    const wp = (msg) => p(d, msg);
    if (!selectorMatches(d.obj.spec.selector, d.obj.spec.template.metadata?.labels)) wp('selector does not match its pod template');
    if (spec.terminationGracePeriodSeconds !== 300) wp(`terminationGracePeriodSeconds must be 300, is ${spec.terminationGracePeriodSeconds}`);
    if (spec.automountServiceAccountToken !== false) wp('automountServiceAccountToken must be false (the worker never calls the API server)');
    if (spec.enableServiceLinks !== false) wp('enableServiceLinks must be false (service links inject VLOG_* look-alikes)');
    const worker = (spec.containers ?? []).find((c) => c.name === 'worker');
    if (!worker) {
      wp('no container named worker');
      continue;
    }
    const img = parseImage(worker.image ?? '');
    if (!versionRe.test(img.tag ?? '')) wp(`worker image tag ${img.tag} does not match the project version ${ctx.version}`);
    const health = (worker.ports ?? []).find((x) => x.name === 'health');
    if (!health || health.containerPort !== 8080) wp('worker needs a container port named health on 8080');
    const probe = (kind, pathWanted) => {
      const pr = worker[kind]?.httpGet;
      if (!pr) wp(`${kind} must be an httpGet probe`);
      else if (pr.path !== pathWanted || pr.port !== 'health') wp(`${kind} must GET ${pathWanted} on port health, is ${pr.path} on ${pr.port}`);
    };
    probe('livenessProbe', '/health');
    probe('readinessProbe', '/ready');
    const env = containerEnv(worker, configMaps);
    const keyRef = env.get('VLOG_WORKER_API_KEY')?.valueFrom?.secretKeyRef;
    if (keyRef?.name !== 'vlog-worker-credentials' || !/^VLOG_WORKER_API_KEY(_[A-Z0-9]+)?$/.test(keyRef?.key ?? '')) {
      wp('VLOG_WORKER_API_KEY must come from Secret vlog-worker-credentials, key VLOG_WORKER_API_KEY[_SUFFIX]');
    } else if (apiKeys.has(keyRef.key)) {
      wp(`shares API key ${keyRef.key} with Deployment ${apiKeys.get(keyRef.key)}: each Deployment needs its own registration`);
    } else {
      apiKeys.set(keyRef.key, d.obj.metadata.name);
    }
    if (env.get('VLOG_WORKER_API_URL') === undefined) wp('VLOG_WORKER_API_URL is not set (ConfigMap vlog-worker-config)');
    const healthPort = env.get('VLOG_WORKER_HEALTH_PORT')?.value;
    if (healthPort !== undefined && Number(healthPort) !== health?.containerPort) {
      wp(`VLOG_WORKER_HEALTH_PORT ${healthPort} differs from the health container port`);
    }
    const grace = Number(env.get('VLOG_WORKER_SHUTDOWN_GRACE')?.value ?? 270);
    if (!(grace > 0 && grace <= spec.terminationGracePeriodSeconds - 15)) {
      wp(`VLOG_WORKER_SHUTDOWN_GRACE ${grace} must leave at least 15 s of the ${spec.terminationGracePeriodSeconds} s termination grace`);
    }
    const workDir = env.get('VLOG_WORKER_WORK_DIR')?.value ?? '/tmp/vlog-worker';
    const mount = (worker.volumeMounts ?? []).find((m) => m.mountPath === workDir);
    const vol = mount && (spec.volumes ?? []).find((v) => v.name === mount.name);
    if (!vol?.emptyDir) wp(`work dir ${workDir} must be an emptyDir volume mount`);
    else if (quantity(vol.emptyDir.sizeLimit) < 10 * 2 ** 30) wp(`work dir volume is ${vol.emptyDir.sizeLimit}; the guide's minimum is 10Gi`);
    const lim = worker.resources?.limits ?? {};
    const accel = env.get('VLOG_HWACCEL_TYPE')?.value;
    if (accel === 'nvidia') {
      if (spec.runtimeClassName !== 'nvidia') wp('NVIDIA workers need runtimeClassName: nvidia');
      if (Number(lim['nvidia.com/gpu']) !== 1) wp('NVIDIA workers need limits nvidia.com/gpu: 1');
      if (spec.nodeSelector?.['nvidia.com/gpu.present'] !== 'true') wp('NVIDIA workers need nodeSelector nvidia.com/gpu.present: "true"');
      if (!/video/.test(env.get('NVIDIA_DRIVER_CAPABILITIES')?.value ?? '')) wp('NVIDIA_DRIVER_CAPABILITIES must include video (NVENC)');
    } else if (accel === 'intel') {
      if (Number(lim['gpu.intel.com/xe'] ?? lim['gpu.intel.com/i915']) !== 1) wp('Intel workers need limits gpu.intel.com/xe (or i915): 1');
      if (spec.nodeSelector?.['intel.feature.node.kubernetes.io/gpu'] !== 'true') {
        wp('Intel workers need nodeSelector intel.feature.node.kubernetes.io/gpu: "true"');
      }
      if (!(spec.securityContext?.supplementalGroups ?? []).includes(44)) wp('Intel workers need the video group (44) in supplementalGroups');
    } else if (accel !== 'none') {
      wp(`VLOG_HWACCEL_TYPE must be none, nvidia or intel, is ${accel}`);
    }
  }
  for (const [i, a] of deployments.entries()) {
    for (const b of deployments.slice(i + 1)) {
      if (selectorMatches(a.obj.spec?.selector, b.obj.spec?.template?.metadata?.labels) ||
          selectorMatches(b.obj.spec?.selector, a.obj.spec?.template?.metadata?.labels)) {
        p(a, `selector overlaps Deployment ${b.obj.metadata.name}`);
      }
    }
  }

  // Scalers: target exists; minimum keeps the PDB satisfiable.
  const minReplicasFor = new Map();
  for (const d of [...ofKind('HorizontalPodAutoscaler'), ...ofKind('ScaledObject')]) {
    const target = d.obj.spec?.scaleTargetRef?.name;
    if (!deployments.some((x) => x.obj.metadata.name === target)) p(d, `scaleTargetRef ${target} is not a Deployment in k8s/`);
    const min = d.obj.kind === 'ScaledObject' ? d.obj.spec?.minReplicaCount : d.obj.spec?.minReplicas;
    minReplicasFor.set(`${d.obj.kind}:${target}`, { d, min: min ?? 1, target });
  }

  // PodDisruptionBudgets: one Deployment each, no pod in two budgets, enough replicas.
  const pdbs = ofKind('PodDisruptionBudget');
  for (const d of pdbs) {
    const selected = deployments.filter((x) => selectorMatches(d.obj.spec?.selector, x.obj.spec?.template?.metadata?.labels));
    if (selected.length !== 1) {
      p(d, `selector must match the pods of exactly one Deployment, matches ${selected.length === 0 ? 'none' : `more than one: ${selected.map((x) => x.obj.metadata.name).join(', ')}`}`);
      continue;
    }
    const min = d.obj.spec?.minAvailable;
    if (Number.isInteger(min)) {
      const dep = selected[0];
      if ((dep.obj.spec?.replicas ?? 1) < min + 1) {
        p(d, `minAvailable ${min} needs at least ${min + 1} replicas; Deployment ${dep.obj.metadata.name} has ${dep.obj.spec?.replicas ?? 1}`);
      }
      for (const { d: s, min: sMin, target } of minReplicasFor.values()) {
        if (target === dep.obj.metadata.name && sMin < min + 1) {
          p(s, `minimum replicas ${sMin} would block drains under PodDisruptionBudget ${d.obj.metadata.name} (minAvailable ${min})`);
        }
      }
    }
  }
  for (const dep of deployments) {
    const n = pdbs.filter((d) => selectorMatches(d.obj.spec?.selector, dep.obj.spec?.template?.metadata?.labels)).length;
    if (n > 1) p(dep, `pods are matched by ${n} PodDisruptionBudgets (such pods cannot be evicted at all)`);
  }
  for (const w of workerDeployments) {
    if (!pdbs.some((d) => selectorMatches(d.obj.spec?.selector, w.obj.spec.template.metadata?.labels))) {
      p(w, 'no PodDisruptionBudget covers these pods');
    }
  }

  // KEDA: backlog formula over the three VLog streams, consumer group vlog-workers.
  for (const d of ofKind('ScaledObject')) {
    const triggers = d.obj.spec?.triggers ?? [];
    const names = new Set(triggers.map((t) => t.name));
    const formula = d.obj.spec?.advanced?.scalingModifiers?.formula ?? '';
    const used = new Set(formula.match(/[A-Za-z_][A-Za-z0-9_]*/g) ?? []);
    for (const n of used) if (!names.has(n)) p(d, `formula uses ${n}, which is not a trigger name`);
    for (const n of names) if (!used.has(n)) p(d, `trigger ${n} is not used by the formula`);
    const seen = new Set();
    for (const t of triggers) {
      if (t.type !== 'redis-streams') continue;
      const m = t.metadata ?? {};
      if (!REDIS_STREAMS.includes(m.stream)) p(d, `trigger ${t.name}: stream ${m.stream} is not one of ${REDIS_STREAMS.join(', ')}`);
      if (m.consumerGroup !== 'vlog-workers') p(d, `trigger ${t.name}: consumerGroup must be vlog-workers`);
      const mode = m.lagCount !== undefined ? 'lag' : m.pendingEntriesCount !== undefined ? 'pending' : null;
      if (!mode || (m.lagCount !== undefined && m.pendingEntriesCount !== undefined)) {
        p(d, `trigger ${t.name}: set exactly one of lagCount and pendingEntriesCount`);
      }
      seen.add(`${m.stream}/${mode}`);
      const auth = t.authenticationRef?.name;
      if (auth && !ofKind('TriggerAuthentication').some((x) => x.obj.metadata.name === auth)) {
        p(d, `trigger ${t.name}: TriggerAuthentication ${auth} is not defined`);
      }
    }
    for (const s of REDIS_STREAMS) {
      for (const mode of ['pending', 'lag']) if (!seen.has(`${s}/${mode}`)) p(d, `no ${mode} trigger for stream ${s}`);
    }
  }

  // PodMonitor and NetworkPolicy cover every worker pod.
  for (const d of ofKind('PodMonitor')) {
    for (const w of workerDeployments) {
      if (!selectorMatches(d.obj.spec?.selector, w.obj.spec.template.metadata?.labels)) {
        p(d, `selector misses Deployment ${w.obj.metadata.name}`);
      }
    }
    const ep = d.obj.spec?.podMetricsEndpoints ?? [];
    if (!ep.some((e) => e.port === 'health' && e.path === '/metrics' && e.interval === '30s')) {
      p(d, 'needs an endpoint port: health, path: /metrics, interval: 30s');
    }
  }
  if (ofKind('PodMonitor').length === 0) problems.push('no PodMonitor');
  for (const d of ofKind('NetworkPolicy')) {
    for (const w of workerDeployments) {
      if (!selectorMatches(d.obj.spec?.podSelector, w.obj.spec.template.metadata?.labels)) {
        p(d, `podSelector misses Deployment ${w.obj.metadata.name}`);
      }
    }
    const types = d.obj.spec?.policyTypes ?? [];
    if (!types.includes('Ingress') || !types.includes('Egress')) p(d, 'policyTypes must include Ingress and Egress');
    const egressPorts = (d.obj.spec?.egress ?? []).flatMap((r) => r.ports ?? []);
    if (!egressPorts.some((x) => x.port === 53 && x.protocol === 'UDP')) p(d, 'egress must allow DNS (UDP 53)');
    if (!egressPorts.some((x) => x.port === 9002)) p(d, 'egress must allow the Worker API (TCP 9002)');
    for (const r of d.obj.spec?.ingress ?? []) {
      for (const x of r.ports ?? [{ port: 'any' }]) {
        if (x.port !== 'health' && x.port !== 8080) p(d, `ingress may only open the health port, opens ${x.port}`);
      }
    }
  }

  // Cleanup CronJob: list + delete pods in vlog, nothing else.
  for (const d of ofKind('Role')) {
    const rules = d.obj.rules ?? [];
    const ok = rules.length === 1 && JSON.stringify(rules[0].apiGroups) === '[""]' &&
      JSON.stringify(rules[0].resources) === '["pods"]' &&
      JSON.stringify([...(rules[0].verbs ?? [])].sort()) === '["delete","list"]';
    if (!ok) p(d, 'the cleanup Role must grant exactly list and delete on pods');
  }
  for (const d of ofKind('CronJob')) {
    const spec = d.obj.spec?.jobTemplate?.spec?.template?.spec ?? {};
    if (spec.serviceAccountName) {
      const sa = spec.serviceAccountName;
      if (!ofKind('ServiceAccount').some((x) => x.obj.metadata.name === sa)) p(d, `ServiceAccount ${sa} is not defined`);
      const rb = ofKind('RoleBinding').find((x) => (x.obj.subjects ?? []).some((s) => s.kind === 'ServiceAccount' && s.name === sa));
      if (!rb) p(d, `no RoleBinding for ServiceAccount ${sa}`);
      else if (!ofKind('Role').some((x) => x.obj.metadata.name === rb.obj.roleRef?.name)) p(rb, `Role ${rb.obj.roleRef?.name} is not defined`);
    }
    if (d.obj.spec?.concurrencyPolicy !== 'Forbid') p(d, 'concurrencyPolicy must be Forbid');
  }

  // Backup CronJob runs k8s/scripts/backup.sh, daily at 02:00 UTC, 7-day retention.
  const backup = ofKind('CronJob').find((d) => (d.obj.spec?.jobTemplate?.spec?.template?.spec?.volumes ?? [])
    .some((v) => v.configMap?.name === 'postgres-backup-script'));
  if (!backup) {
    problems.push('k8s/backup-cronjob.yaml: no CronJob mounts ConfigMap postgres-backup-script');
  } else {
    const b = backup.obj;
    if (b.spec.schedule !== '0 2 * * *' || !/^(Etc\/)?UTC$/.test(b.spec.timeZone ?? '')) {
      p(backup, 'must run daily at 02:00 UTC (schedule "0 2 * * *", timeZone Etc/UTC)');
    }
    const c = b.spec.jobTemplate.spec.template.spec.containers?.[0] ?? {};
    if (!(c.envFrom ?? []).some((e) => e.secretRef?.name === 'postgres-backup-credentials')) {
      p(backup, 'credentials must come from Secret postgres-backup-credentials (envFrom)');
    }
    const env = containerEnv(c, configMaps);
    if (env.get('BACKUP_RETENTION_DAYS')?.value !== '7') p(backup, 'BACKUP_RETENTION_DAYS must be "7"');
    const scriptMount = (c.volumeMounts ?? []).find((m) => {
      const v = b.spec.jobTemplate.spec.template.spec.volumes.find((x) => x.name === m.name);
      return v?.configMap?.name === 'postgres-backup-script';
    });
    if (!scriptMount || !(c.command ?? []).includes(`${scriptMount.mountPath}/backup.sh`)) {
      p(backup, 'command must run backup.sh from the postgres-backup-script ConfigMap mount');
    }
    const cm = configMaps.get('postgres-backup-script');
    const source = fs.readFileSync(path.join(ctx.src, 'k8s', 'scripts', 'backup.sh'), 'utf8');
    if (!cm) problems.push('k8s/backup-cronjob.yaml: ConfigMap postgres-backup-script is not defined');
    else if (cm.data?.['backup.sh'] !== source) {
      const a = (cm.data?.['backup.sh'] ?? '').split('\n');
      const s = source.split('\n');
      const line = s.findIndex((x, i) => x !== a[i]);
      problems.push(`k8s/backup-cronjob.yaml: the embedded backup.sh differs from k8s/scripts/backup.sh ` +
        `(first at line ${line + 1}); paste the script into the "backup.sh: |" block, indented 4 spaces`);
    }
  }
  void objs;
  return problems;
}

// ---------------------------------------------------------------------------------
// Self-test: each mutation must be reported.

function find(docs, file, kind, fn) {
  const d = docs.find((x) => x.file === file && x.obj.kind === kind);
  if (!d) throw new Error(`self-test: ${file} has no ${kind}`);
  fn(d.obj);
}
const workerC = (o) => o.spec.template.spec.containers[0];
const cronC = (o) => o.spec.jobTemplate.spec.template.spec.containers[0];

const MUTATIONS = [
  ['GPU workers share the CPU key', 'own registration',
    (ds) => find(ds, 'worker-deployment-nvidia.yaml', 'Deployment', (o) => {
      workerC(o).env.find((e) => e.name === 'VLOG_WORKER_API_KEY').valueFrom.secretKeyRef.key = 'VLOG_WORKER_API_KEY';
    })],
  ['readOnlyRootFilesystem removed', 'readOnlyRootFilesystem',
    (ds) => find(ds, 'worker-deployment.yaml', 'Deployment', (o) => delete workerC(o).securityContext.readOnlyRootFilesystem)],
  ['privilege escalation allowed', 'allowPrivilegeEscalation',
    (ds) => find(ds, 'worker-deployment-intel.yaml', 'Deployment', (o) => { workerC(o).securityContext.allowPrivilegeEscalation = true; })],
  ['capabilities not dropped', 'capabilities.drop',
    (ds) => find(ds, 'cleanup-cronjob.yaml', 'CronJob', (o) => { cronC(o).securityContext.capabilities.drop = []; })],
  ['container runs as root', 'runAsUser must be 1000',
    (ds) => find(ds, 'backup-cronjob.yaml', 'CronJob', (o) => { cronC(o).securityContext.runAsUser = 0; })],
  ['pod seccomp removed', 'seccompProfile',
    (ds) => find(ds, 'worker-deployment-nvidia.yaml', 'Deployment', (o) => {
      delete o.spec.template.spec.securityContext.seccompProfile;
      delete workerC(o).securityContext.seccompProfile;
    })],
  ['fsGroup removed', 'fsGroup',
    (ds) => find(ds, 'worker-deployment.yaml', 'Deployment', (o) => delete o.spec.template.spec.securityContext.fsGroup)],
  ['image :latest', 'not pinned',
    (ds) => find(ds, 'cleanup-cronjob.yaml', 'CronJob', (o) => { cronC(o).image = 'registry.k8s.io/kubectl:latest'; })],
  ['image without tag', 'not pinned',
    (ds) => find(ds, 'backup-cronjob.yaml', 'CronJob', (o) => { cronC(o).image = 'docker.io/library/postgres'; })],
  ['moving tag', 'not pinned',
    (ds) => find(ds, 'worker-deployment-nvidia.yaml', 'Deployment', (o) => { workerC(o).image = 'registry.example.com/vlog-worker-gpu:rocky10'; })],
  ['worker image of another release', 'project version',
    (ds) => find(ds, 'worker-deployment.yaml', 'Deployment', (o) => { workerC(o).image = 'registry.example.com/vlog-worker:9.9.9'; })],
  ['pull policy Always', 'imagePullPolicy',
    (ds) => find(ds, 'worker-deployment-intel.yaml', 'Deployment', (o) => { workerC(o).imagePullPolicy = 'Always'; })],
  ['no memory limit', 'limits.memory',
    (ds) => find(ds, 'worker-deployment.yaml', 'Deployment', (o) => delete workerC(o).resources.limits.memory)],
  ['work dir without size limit', 'sizeLimit',
    (ds) => find(ds, 'worker-deployment.yaml', 'Deployment', (o) => delete o.spec.template.spec.volumes[0].emptyDir.sizeLimit)],
  ['no /tmp mount', '/tmp',
    (ds) => find(ds, 'worker-deployment-nvidia.yaml', 'Deployment', (o) => {
      workerC(o).volumeMounts = workerC(o).volumeMounts.filter((m) => m.mountPath !== '/tmp');
    })],
  ['readiness probe on /health', 'readinessProbe',
    (ds) => find(ds, 'worker-deployment.yaml', 'Deployment', (o) => { workerC(o).readinessProbe.httpGet.path = '/health'; })],
  ['liveness probe by number', 'livenessProbe',
    (ds) => find(ds, 'worker-deployment-intel.yaml', 'Deployment', (o) => { workerC(o).livenessProbe.httpGet.port = 8081; })],
  ['short termination grace', 'terminationGracePeriodSeconds',
    (ds) => find(ds, 'worker-deployment-nvidia.yaml', 'Deployment', (o) => { o.spec.template.spec.terminationGracePeriodSeconds = 30; })],
  ['shutdown grace beyond termination grace', 'SHUTDOWN_GRACE',
    (ds) => find(ds, 'configmap.yaml', 'ConfigMap', (o) => { o.data.VLOG_WORKER_SHUTDOWN_GRACE = '299'; })],
  ['misspelt VLOG variable', 'unknown VLOG_',
    (ds) => find(ds, 'configmap.yaml', 'ConfigMap', (o) => { o.data.VLOG_WORKER_HEARTBEAT_INTERVALL = '30'; })],
  ['hostPath volume', 'hostPath',
    (ds) => find(ds, 'worker-deployment-intel.yaml', 'Deployment', (o) => {
      o.spec.template.spec.volumes.push({ name: 'dri', hostPath: { path: '/dev/dri' } });
    })],
  ['NVIDIA runtime class missing', 'runtimeClassName',
    (ds) => find(ds, 'worker-deployment-nvidia.yaml', 'Deployment', (o) => delete o.spec.template.spec.runtimeClassName)],
  ['PDB selects every worker', 'more than one',
    (ds) => find(ds, 'worker-pdb.yaml', 'PodDisruptionBudget', (o) => delete o.spec.selector.matchLabels['app.kubernetes.io/instance'])],
  ['single replica under minAvailable 1', 'replicas',
    (ds) => find(ds, 'worker-deployment-intel.yaml', 'Deployment', (o) => { o.spec.replicas = 1; })],
  ['HPA minimum of 1', 'block drains',
    (ds) => find(ds, 'worker-hpa.yaml', 'HorizontalPodAutoscaler', (o) => { o.spec.minReplicas = 1; })],
  ['HPA target misspelt', 'scaleTargetRef',
    (ds) => find(ds, 'worker-hpa.yaml', 'HorizontalPodAutoscaler', (o) => { o.spec.scaleTargetRef.name = 'vlog-workers'; })],
  ['KEDA formula ignores a stream', 'lag_low',
    (ds) => find(ds, 'worker-scaledobject.yaml', 'ScaledObject', (o) => {
      o.spec.advanced.scalingModifiers.formula = o.spec.advanced.scalingModifiers.formula.replace(' + lag_low', '');
    })],
  ['KEDA wrong consumer group', 'consumerGroup',
    (ds) => find(ds, 'worker-scaledobject.yaml', 'ScaledObject', (o) => { o.spec.triggers[0].metadata.consumerGroup = 'workers'; })],
  ['PodMonitor on the wrong port', 'port: health',
    (ds) => find(ds, 'podmonitor.yaml', 'PodMonitor', (o) => { o.spec.podMetricsEndpoints[0].port = 'metrics'; })],
  ['NetworkPolicy without DNS', 'DNS',
    (ds) => find(ds, 'networkpolicy.yaml', 'NetworkPolicy', (o) => { o.spec.egress.shift(); })],
  ['cleanup Role may create pods', 'list and delete',
    (ds) => find(ds, 'cleanup-cronjob.yaml', 'Role', (o) => { o.rules[0].verbs.push('create'); })],
  ['backup at the wrong hour', '02:00 UTC',
    (ds) => find(ds, 'backup-cronjob.yaml', 'CronJob', (o) => { o.spec.schedule = '0 3 * * *'; })],
  ['backup credentials from elsewhere', 'postgres-backup-credentials',
    (ds) => find(ds, 'backup-cronjob.yaml', 'CronJob', (o) => { cronC(o).envFrom[0].secretRef.name = 'pg'; })],
  ['embedded backup script drifted', 'differs from k8s/scripts/backup.sh',
    (ds) => find(ds, 'backup-cronjob.yaml', 'ConfigMap', (o) => { o.data['backup.sh'] = o.data['backup.sh'].replace('-mmin', '-mtime'); })],
  ['wrong namespace', 'metadata.namespace',
    (ds) => find(ds, 'podmonitor.yaml', 'PodMonitor', (o) => { o.metadata.namespace = 'default'; })],
];
// Schema and strict-field mutations (checked by the other two passes).
const SCHEMA_MUTATIONS = [
  ['port as text', 'must be integer',
    (ds) => find(ds, 'worker-deployment.yaml', 'Deployment', (o) => { workerC(o).ports[0].containerPort = 'eighty'; })],
  ['bad quantity', 'quantity',
    (ds) => find(ds, 'worker-deployment.yaml', 'Deployment', (o) => { workerC(o).resources.limits.cpu = '2 cores'; })],
  ['unknown kind', 'no schema',
    (ds) => find(ds, 'podmonitor.yaml', 'PodMonitor', (o) => { o.kind = 'PodMonitr'; })],
];
const FIELD_MUTATIONS = [
  ['misspelt field', 'imagePullPolicyy',
    (ds) => find(ds, 'worker-deployment.yaml', 'Deployment', (o) => { workerC(o).imagePullPolicyy = 'IfNotPresent'; })],
  ['unknown KEDA trigger field', 'consumerGroupp',
    (ds) => find(ds, 'worker-scaledobject.yaml', 'ScaledObject', (o) => { o.spec.triggers[0].consumerGroupp = 'x'; })],
];

async function selfTest(base, ctx, workDir) {
  let passed = 0;
  let failed = 0;
  const clone = () => base.map((d) => ({ ...d, obj: structuredClone(d.obj) }));
  const run = async (name, expect, mutate, check) => {
    const docs = clone();
    mutate(docs);
    const problems = await check(docs);
    if (problems.some((x) => x.includes(expect))) {
      passed++;
      console.log(`PASS: ${name} -> ${problems.find((x) => x.includes(expect))}`);
    } else {
      failed++;
      console.log(`FAIL: ${name}: no problem mentioning "${expect}" (got: ${problems.join(' | ') || 'none'})`);
    }
  };
  const baseline = [...policyCheck(clone(), ctx), ...(await schemaCheck(clone()))];
  if (baseline.length) {
    console.log(`FAIL: the unmodified manifests must be clean for the self-test: ${baseline.join(' | ')}`);
    failed++;
  }
  for (const [n, e, m] of MUTATIONS) await run(n, e, m, (ds) => policyCheck(ds, ctx));
  for (const [n, e, m] of SCHEMA_MUTATIONS) await run(n, e, m, (ds) => schemaCheck(ds));
  // One tsc run for all field mutations: each mutates a different document.
  const docs = clone();
  for (const [, , m] of FIELD_MUTATIONS) m(docs);
  const problems = strictFieldCheck(docs, workDir);
  for (const [n, e] of FIELD_MUTATIONS) {
    if (problems.some((x) => x.includes(e))) {
      passed++;
      console.log(`PASS: ${n} -> ${problems.find((x) => x.includes(e))}`);
    } else {
      failed++;
      console.log(`FAIL: ${n}: field check did not report "${e}" (got: ${problems.join(' | ') || 'none'})`);
    }
  }
  return { passed, failed };
}

// ---------------------------------------------------------------------------------

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const ctx = { src: path.resolve(args.src), version: args.version };
  const workDir = fs.mkdtempSync(path.join(here, 'work-'));
  try {
    const { docs, problems: loadProblems } = loadManifests(ctx.src);
    let result;
    if (args.selfTest) {
      result = await selfTest(docs, ctx, workDir);
      if (loadProblems.length) {
        result.failed += loadProblems.length;
        for (const x of loadProblems) console.log(`FAIL: ${x}`);
      }
    } else {
      result = { passed: 0, failed: 0 };
      const passes = [
        ['load', loadProblems],
        ['schema', await schemaCheck(docs)],
        ['fields', strictFieldCheck(docs, workDir)],
        ['policy', policyCheck(docs, ctx)],
      ];
      for (const [name, problems] of passes) {
        if (problems.length === 0) {
          result.passed++;
          console.log(`PASS: ${name}: ${docs.length} objects in ${new Set(docs.map((d) => d.file)).size} files`);
        } else {
          result.failed += problems.length;
          for (const x of problems) console.log(`FAIL: ${name}: ${x}`);
        }
      }
      for (const d of docs) console.log(`  checked ${label(d)} (${d.obj.apiVersion})`);
    }
    console.log(`${result.passed} passed, ${result.failed} failed`);
    process.exitCode = result.failed === 0 ? 0 : 1;
  } finally {
    fs.rmSync(workDir, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(`validate_manifests: ${e.stack ?? e}`);
  process.exitCode = 1;
});
