#!/usr/bin/env node
// Checks a `helm template` output: it must parse as YAML (duplicate keys are errors), contain the
// expected number of objects per kind, and hang together (selectors, named ports, env, refs).
// Usage: node tools/helm/check-rendered.js <rendered.yaml> [Kind=count ...]
// Exits 0 when every check passes, 1 with one line per problem otherwise.
const fs = require('node:fs');

const loadYaml = () => {
  try {
    return require('yaml');
  } catch {
    console.error('check-rendered: the "yaml" package is not installed (run npm ci)');
    process.exit(2);
  }
};

const SERVICES = ['delivery-planner', 'sending-mta', 'bounce-qualifier', 'feedback-projector'];
const DNS_LABEL = /^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;

function parse(file) {
  const YAML = loadYaml();
  const problems = [];
  const docs = YAML.parseAllDocuments(fs.readFileSync(file, 'utf8'), { uniqueKeys: true, strict: true });
  const objects = [];
  docs.forEach((doc, i) => {
    for (const e of [...doc.errors, ...doc.warnings])
      problems.push(`document ${i}: ${e.message.split('\n')[0]}`);
    const value = doc.toJS();
    if (value !== null && value !== undefined) objects.push(value);
  });
  return { objects, problems };
}

const ref = (o) => `${o.kind}/${o.metadata?.name}`;
const matches = (selector, labels) => Object.entries(selector ?? {}).every(([k, v]) => labels?.[k] === v);
const podSpecOf = (o) => (o.kind === 'Deployment' || o.kind === 'Job' ? o.spec?.template?.spec : undefined);

function checkObject(o, names, problems) {
  if (!o.apiVersion || !o.kind || !o.metadata?.name)
    return problems.push(`object without apiVersion/kind/name: ${JSON.stringify(o).slice(0, 80)}`);
  const nameRule = o.kind === 'Service' ? DNS_LABEL : DNS_SUBDOMAIN;
  if (!nameRule.test(o.metadata.name) || o.metadata.name.length > 63)
    problems.push(`${ref(o)}: invalid name`);
  for (const [k, v] of Object.entries(o.metadata.labels ?? {})) {
    if (typeof v !== 'string' || v.length > 63)
      problems.push(`${ref(o)}: label ${k} must be a string of at most 63 characters`);
  }
  const pod = podSpecOf(o);
  if (!pod) return;
  if (o.kind === 'Deployment' && !matches(o.spec.selector?.matchLabels, o.spec.template.metadata?.labels)) {
    problems.push(`${ref(o)}: selector does not match the pod template labels`);
  }
  for (const c of pod.containers ?? []) {
    const where = `${ref(o)} container ${c.name}`;
    if (!c.image || /:$|@$/.test(c.image)) problems.push(`${where}: missing image or tag`);
    if (!c.resources?.requests || !c.resources?.limits)
      problems.push(`${where}: resources need requests and limits`);
    const envNames = (c.env ?? []).map((e) => e.name);
    const dup = envNames.filter((n, i) => envNames.indexOf(n) !== i);
    if (dup.length) problems.push(`${where}: duplicate env ${[...new Set(dup)].join(', ')}`);
    const portNames = new Set();
    for (const p of c.ports ?? []) {
      if (!Number.isInteger(p.containerPort) || p.containerPort < 1 || p.containerPort > 65535)
        problems.push(`${where}: bad containerPort ${p.containerPort}`);
      portNames.add(p.name);
    }
    for (const probe of ['startupProbe', 'readinessProbe', 'livenessProbe']) {
      const port = c[probe]?.httpGet?.port;
      if (o.kind === 'Deployment' && !c[probe]) problems.push(`${where}: no ${probe}`);
      if (typeof port === 'string' && !portNames.has(port))
        problems.push(`${where}: ${probe} uses unknown port ${port}`);
    }
    for (const from of c.envFrom ?? []) {
      if (from.configMapRef && !names.has(`ConfigMap/${from.configMapRef.name}`))
        problems.push(`${where}: unknown ConfigMap ${from.configMapRef.name}`);
    }
    const mounts = new Set((pod.volumes ?? []).map((v) => v.name));
    for (const m of c.volumeMounts ?? [])
      if (!mounts.has(m.name)) problems.push(`${where}: mount of unknown volume ${m.name}`);
  }
  if (
    pod.serviceAccountName &&
    pod.serviceAccountName !== 'default' &&
    !names.has(`ServiceAccount/${pod.serviceAccountName}`)
  ) {
    problems.push(`${ref(o)}: unknown ServiceAccount ${pod.serviceAccountName}`);
  }
}

function checkService(svc, objects, problems) {
  const pods = objects.filter(
    (o) => o.kind === 'Deployment' && matches(svc.spec?.selector, o.spec.template.metadata?.labels),
  );
  if (pods.length !== 1) return problems.push(`${ref(svc)}: selector matches ${pods.length} Deployments`);
  const portNames = new Set(
    pods[0].spec.template.spec.containers.flatMap((c) => (c.ports ?? []).map((p) => p.name)),
  );
  for (const p of svc.spec.ports ?? []) {
    if (typeof p.targetPort === 'string' && !portNames.has(p.targetPort))
      problems.push(`${ref(svc)}: targetPort ${p.targetPort} not on ${ref(pods[0])}`);
  }
}

function main() {
  const [file, ...expectations] = process.argv.slice(2);
  if (!file) {
    console.error('usage: check-rendered.js <rendered.yaml> [Kind=count ...]');
    process.exit(2);
  }
  const { objects, problems } = parse(file);
  const names = new Set(objects.map(ref));
  objects.forEach((o) => checkObject(o, names, problems));
  objects.filter((o) => o.kind === 'Service').forEach((s) => checkService(s, objects, problems));
  for (const e of expectations) {
    const [kind, count] = e.split('=');
    const actual = objects.filter((o) => o.kind === kind).length;
    if (actual !== Number(count)) problems.push(`expected ${count} ${kind}, found ${actual}`);
  }
  if (expectations.includes(`Deployment=${SERVICES.length}`)) {
    const deployed = objects
      .filter((o) => o.kind === 'Deployment')
      .map((o) => o.spec.template.spec.containers[0]?.args?.[0]);
    for (const app of SERVICES) if (!deployed.includes(app)) problems.push(`no Deployment runs ${app}`);
  }
  for (const job of objects.filter((o) => o.kind === 'Job')) {
    const args = job.spec.template.spec.containers[0]?.args ?? [];
    if (args[0] !== 'feedback-projector' || args[1] !== 'rebuild')
      problems.push(`${ref(job)}: args must start with "feedback-projector rebuild"`);
    if (job.spec.template.spec.restartPolicy !== 'Never')
      problems.push(`${ref(job)}: restartPolicy must be Never`);
  }
  if (problems.length) {
    problems.forEach((p) => console.error(`check-rendered: ${file}: ${p}`));
    process.exit(1);
  }
  const kinds = Object.entries(
    objects.reduce((acc, o) => ({ ...acc, [o.kind]: (acc[o.kind] ?? 0) + 1 }), {}),
  );
  console.log(`check-rendered: ${file}: ok (${kinds.map(([k, n]) => `${n} ${k}`).join(', ')})`);
}

main();
