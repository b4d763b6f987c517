/**
 * The Kubernetes manifests of deploy/k8s, checked without a cluster: every object validates against the Kubernetes
 * v1.32 JSON schemas (the strict ones: an unknown or misspelt field is an error), vendored in deploy/schemas/
 * (deploy/README.md says where from; its sha256 is checked here), and the project's own rules hold: probes on
 * /healthz and /readyz, the Dockerfile's non-root user and a locked-down security context, secrets only through
 * secretKeyRef, a grace period that covers the drain, selectors that match. A copy with a wrong field type or an
 * unknown field must fail, so the validation itself is tested.
 */
import { describe, expect, test } from 'bun:test';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv, { type ValidateFunction } from 'ajv';
import { parseAllDocuments } from 'yaml';

const ROOT = join(import.meta.dir, '..', '..');
const K8S = join(ROOT, 'deploy', 'k8s');
const SCHEMA = 'deploy/schemas/kubernetes-v1.32.2-standalone-strict-definitions.json';
/** sha256 of v1.32.2-standalone-strict/_definitions.json as vendored (deploy/README.md). */
const SCHEMA_SHA256 = 'b6c84308a4216971a2d7144f1cda7550b4d281226dce1351f3876ba2312452b2';
const SECRETS = ['JWT_SECRET', 'DATABASE_URL', 'REDIS_URL', 'MONGO_URL', 'OPENAI_API_KEY'];

type Obj = Record<string, any>;

const schemaText = readFileSync(join(ROOT, SCHEMA), 'utf8');
const definitions: Record<string, Obj> = JSON.parse(schemaText).definitions;

/** One validator per (apiVersion, kind), found through each definition's x-kubernetes-group-version-kind. */
const validators = (() => {
  const ajv = new Ajv({ strict: false, allErrors: true });
  const int = (bits: number) => (n: number) => Number.isInteger(n) && Math.abs(n) <= 2 ** (bits - 1);
  ajv.addFormat('int32', { type: 'number', validate: int(32) });
  ajv.addFormat('int64', { type: 'number', validate: int(64) });
  ajv.addFormat('double', { type: 'number', validate: () => true });
  ajv.addFormat('byte', /^[A-Za-z0-9+/]*={0,2}$/);
  ajv.addFormat('date-time', { type: 'string', validate: (s: string) => !Number.isNaN(Date.parse(s)) });
  ajv.addSchema({ $id: 'k8s', definitions });
  const byKind = new Map<string, () => ValidateFunction>();
  for (const [name, def] of Object.entries(definitions)) {
    for (const gvk of (def['x-kubernetes-group-version-kind'] ?? []) as Obj[]) {
      const apiVersion = gvk.group ? `${gvk.group}/${gvk.version}` : gvk.version;
      let compiled: ValidateFunction | undefined;
      byKind.set(`${apiVersion} ${gvk.kind}`, () => {
        compiled ??= ajv.getSchema(`k8s#/definitions/${name}`);
        if (!compiled) throw new Error(`no schema for ${name}`);
        return compiled;
      });
    }
  }
  return byKind;
})();

/** Schema errors of one object ([] when valid); an unknown apiVersion/kind is an error too. */
function schemaErrors(o: Obj): string[] {
  const get = validators.get(`${o.apiVersion} ${o.kind}`);
  if (!get) return [`unknown apiVersion/kind: ${o.apiVersion} ${o.kind}`];
  const validate = get();
  if (validate(o)) return [];
  return (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message} ${JSON.stringify(e.params)}`);
}

const files = (dir: string) =>
  readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .sort();
const load = (path: string): Obj[] =>
  parseAllDocuments(readFileSync(path, 'utf8')).map((d) => {
    if (d.errors.length) throw new Error(`${path}: ${d.errors.map((e) => e.message).join('; ')}`);
    return d.toJS() as Obj;
  });

const manifests = files(K8S)
  .filter((f) => f !== 'kustomization.yaml')
  .flatMap((f) => load(join(K8S, f)).map((o) => ({ file: f, o })));
const examples = files(join(K8S, 'examples')).flatMap((f) =>
  load(join(K8S, 'examples', f)).map((o) => ({ file: `examples/${f}`, o })),
);
const one = (kind: string) => {
  const found = manifests.filter((m) => m.o.kind === kind);
  expect(found).toHaveLength(1);
  return found[0]!.o;
};
const clone = <T>(v: T): T => structuredClone(v);

describe('deploy/k8s: the Kubernetes JSON schemas (v1.32, strict)', () => {
  test('the vendored schema is the file deploy/README.md names (sha256)', () => {
    expect(new Bun.CryptoHasher('sha256').update(schemaText).digest('hex')).toBe(SCHEMA_SHA256);
  });

  test('every manifest and example validates', () => {
    const kinds = [...manifests, ...examples].map((m) => m.o.kind).sort();
    expect(kinds).toEqual([
      'ConfigMap',
      'Deployment',
      'HorizontalPodAutoscaler',
      'Job',
      'Namespace',
      'PodDisruptionBudget',
      'Secret',
      'Service',
    ]);
    for (const { file, o } of [...manifests, ...examples])
      expect({ file, kind: o.kind, errors: schemaErrors(o) }).toEqual({ file, kind: o.kind, errors: [] });
  });

  test('a broken copy is refused: wrong field types, an unknown (misspelt) field, a missing required field', () => {
    const deployment = one('Deployment');
    expect(schemaErrors(deployment)).toEqual([]);
    const replicas = clone(deployment);
    replicas.spec.replicas = 'two';
    expect(schemaErrors(replicas).join('\n')).toContain('/spec/replicas must be integer');
    const port = clone(deployment);
    port.spec.template.spec.containers[0].ports[0].containerPort = '3000';
    expect(schemaErrors(port).join('\n')).toContain('containerPort must be integer');
    const typo = clone(deployment);
    typo.spec.template.spec.containers[0].readinesProbe = typo.spec.template.spec.containers[0].readinessProbe;
    expect(schemaErrors(typo).join('\n')).toContain('readinesProbe');
    const noName = clone(one('Job'));
    delete noName.spec.template.spec.containers[0].name;
    expect(schemaErrors(noName).join('\n')).toContain("must have required property 'name'");
    const hpa = clone(one('HorizontalPodAutoscaler'));
    hpa.apiVersion = 'autoscaling/v2beta1'; // removed in v1.25
    expect(schemaErrors(hpa)).toEqual(['unknown apiVersion/kind: autoscaling/v2beta1 HorizontalPodAutoscaler']);
  });
});

describe('deploy/k8s: what the project requires of them', () => {
  const deployment = () => one('Deployment');
  const podSpecs = () => [deployment().spec.template.spec, one('Job').spec.template.spec];

  test('kustomization.yaml applies every manifest (and no Secret) into one namespace', () => {
    const [k] = load(join(K8S, 'kustomization.yaml'));
    expect([...k!.resources].sort()).toEqual(files(K8S).filter((f) => f !== 'kustomization.yaml'));
    expect(k!.namespace).toBe(one('Namespace').metadata.name);
    expect(manifests.some((m) => m.o.kind === 'Secret')).toBe(false);
  });

  test('probes: startup and liveness on /healthz, readiness on /readyz, on the container port', () => {
    const c = deployment().spec.template.spec.containers[0];
    expect(c.ports).toEqual([{ name: 'http', containerPort: 3000, protocol: 'TCP' }]);
    expect(c.startupProbe.httpGet).toEqual({ path: '/healthz', port: 'http' });
    expect(c.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'http' });
    expect(c.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'http' });
    // The Dockerfile's port and user.
    const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
    expect(dockerfile).toContain('EXPOSE 3000');
    expect(dockerfile).toContain('USER 1000:1000');
  });

  test('the security context of the Dockerfile, locked down, on every pod (API and migration Job)', () => {
    for (const spec of podSpecs()) {
      expect(spec.securityContext).toMatchObject({
        runAsNonRoot: true,
        runAsUser: 1000,
        runAsGroup: 1000,
        seccompProfile: { type: 'RuntimeDefault' },
      });
      expect(spec.automountServiceAccountToken).toBe(false);
      for (const c of spec.containers) {
        expect(c.securityContext).toEqual({
          allowPrivilegeEscalation: false,
          privileged: false,
          readOnlyRootFilesystem: true,
          runAsNonRoot: true,
          runAsUser: 1000,
          runAsGroup: 1000,
          capabilities: { drop: ['ALL'] },
          seccompProfile: { type: 'RuntimeDefault' },
        });
        // A read-only root: /tmp is the one writable mount.
        expect(c.volumeMounts).toEqual([{ name: 'tmp', mountPath: '/tmp' }]);
        expect(spec.volumes.find((v: Obj) => v.name === 'tmp')?.emptyDir).toBeDefined();
        expect(c.image).toBe('branchat:0.1.0');
      }
    }
  });

  test('secrets only from the Secret (secretKeyRef), never as values; the example holds placeholders only', () => {
    const env: Obj[] = deployment().spec.template.spec.containers[0].env;
    for (const name of SECRETS) {
      const e = env.find((x) => x.name === name);
      expect(e?.value).toBeUndefined();
      expect(e?.valueFrom?.secretKeyRef).toMatchObject({ name: 'branchat', key: name });
      // Only JWT_SECRET and DATABASE_URL are required.
      expect(Boolean(e?.valueFrom?.secretKeyRef?.optional)).toBe(!['JWT_SECRET', 'DATABASE_URL'].includes(name));
    }
    const config = one('ConfigMap').data as Record<string, string>;
    for (const name of SECRETS) expect(Object.keys(config)).not.toContain(name);
    // Every ConfigMap key is a variable the server reads (src/config.ts) or Bun's own.
    const configSource = readFileSync(join(ROOT, 'src', 'config.ts'), 'utf8');
    for (const key of Object.keys(config))
      expect({ key, known: key.startsWith('BUN_') || configSource.includes(`  ${key}:`) }).toEqual({
        key,
        known: true,
      });
    const jobEnv: Obj[] = one('Job').spec.template.spec.containers[0].env;
    expect(jobEnv.find((x) => x.name === 'DATABASE_URL')?.valueFrom?.secretKeyRef).toEqual({
      name: 'branchat',
      key: 'DATABASE_URL',
    });
    const [secret] = examples.filter((m) => m.o.kind === 'Secret').map((m) => m.o);
    expect(Object.keys(secret!.stringData).sort()).toEqual([...SECRETS].sort());
    for (const v of Object.values(secret!.stringData as Record<string, string>)) expect(v).toMatch(/REPLACE_(ME|WITH)/);
  });

  test('graceful shutdown: the grace period covers preStop + the drain (SHUTDOWN_GRACE_MS) + closing', () => {
    const spec = deployment().spec.template.spec;
    const preStop = spec.containers[0].lifecycle.preStop.sleep.seconds;
    const drain = Number(one('ConfigMap').data.SHUTDOWN_GRACE_MS) / 1000;
    // server.ts: after the drain, sockets, pools and the trace exporter close (the exporter is bounded at 5 s).
    expect(spec.terminationGracePeriodSeconds).toBeGreaterThanOrEqual(preStop + drain + 5);
    const server = readFileSync(join(ROOT, 'src', 'server.ts'), 'utf8');
    expect(server).toContain("process.on('SIGTERM'");
    expect(server).toContain('config.SHUTDOWN_GRACE_MS');
  });

  test('resources sized from BENCHMARKS.md: requests set, memory limit above the measured 500 MB peak', () => {
    const r = deployment().spec.template.spec.containers[0].resources;
    expect(r.requests).toEqual({ cpu: '500m', memory: '256Mi' });
    expect(r.limits).toEqual({ memory: '768Mi' });
    const mi = (q: string) => Number(q.replace(/Mi$/, ''));
    expect(mi(r.limits.memory) * 1.048576).toBeGreaterThan(500); // MB
    expect(Number(one('ConfigMap').data.IMPORT_MAX_MB)).toBeLessThanOrEqual(10);
  });

  test('Service, HorizontalPodAutoscaler and PodDisruptionBudget point at the API pods', () => {
    const d = deployment();
    const labels = d.spec.template.metadata.labels;
    const matches = (selector: Record<string, string>) =>
      Object.entries(selector).every(([k, v]) => labels[k] === v) && Object.keys(selector).length > 0;
    expect(matches(d.spec.selector.matchLabels)).toBe(true);
    const svc = one('Service');
    expect(matches(svc.spec.selector)).toBe(true);
    expect(svc.spec.ports[0].targetPort).toBe('http');
    const hpa = one('HorizontalPodAutoscaler');
    expect(hpa.spec.scaleTargetRef).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', name: d.metadata.name });
    expect(hpa.spec.metrics[0].resource.name).toBe('cpu');
    expect(hpa.spec.minReplicas).toBeGreaterThanOrEqual(2);
    const pdb = one('PodDisruptionBudget');
    expect(matches(pdb.spec.selector.matchLabels)).toBe(true);
    expect(pdb.spec.maxUnavailable).toBeLessThan(hpa.spec.minReplicas);
  });

  test('the migration Job calls the migrate() that takes the advisory lock', () => {
    const job = one('Job');
    const script = job.spec.template.spec.containers[0].command.join(' ');
    expect(script).toContain("import('./src/stores/postgres.ts')");
    expect(script).toContain('migrate(process.env.DATABASE_DIRECT_URL || process.env.DATABASE_URL)');
    const postgres = readFileSync(join(ROOT, 'src', 'stores', 'postgres.ts'), 'utf8');
    expect(postgres).toMatch(/select pg_advisory_lock\(hashtext\(\$\{MIGRATION_LOCK\}\)\)/);
    expect(job.spec.template.spec.restartPolicy).toBe('Never');
    expect(job.spec.backoffLimit).toBeGreaterThan(0);
  });
});
