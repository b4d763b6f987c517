/**
 * A Redis Cluster of the test's own: 3 masters and 3 replicas (one each), redis-server processes on free ports
 * (client and cluster-bus ports both picked free) with their files in a temporary folder, joined by
 * `redis-cli --cluster create … --cluster-replicas 1`, ready once every node reports `cluster_state:ok` and every
 * replica is in sync. Stopped and removed by `stop()` (and at exit). A short cluster-node-timeout makes a replica
 * take over a killed master within a few seconds.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { freePort } from './redis.js';

export interface ClusterNode {
  port: number;
  busPort: number;
  proc: ReturnType<typeof Bun.spawn> | null;
}

/** One line of CLUSTER NODES. */
export interface NodeView {
  id: string;
  port: number;
  role: 'master' | 'slave';
  masterId: string | null;
  failed: boolean;
  slots: [number, number][];
}

const live = new Set<RedisCluster>();
process.on('exit', () => {
  for (const c of live) c.killAllNow();
});

export class RedisCluster {
  private constructor(
    readonly dir: string,
    readonly nodes: ClusterNode[],
    readonly nodeTimeoutMs: number,
  ) {}

  /** Why a cluster cannot be started here, or null. */
  static available(): string | null {
    if (!Bun.which('redis-server')) return 'redis-server is not installed';
    if (!Bun.which('redis-cli')) return 'redis-cli is not installed';
    const version = /v=(\d+)\./.exec(Bun.spawnSync(['redis-server', '--version']).stdout.toString())?.[1];
    if (Number(version) < 7) return `redis-server ${version} is older than 7 (cluster-port, sharded pub/sub)`;
    return null;
  }

  static async start(options: { masters?: number; replicas?: number; nodeTimeoutMs?: number } = {}) {
    const masters = options.masters ?? 3;
    const replicas = options.replicas ?? 1;
    const dir = mkdtempSync(join(tmpdir(), 'branchat-test-redis-cluster-'));
    const count = masters * (1 + replicas);
    const ports = new Set<number>();
    while (ports.size < count * 2) ports.add(await freePort());
    const list = [...ports];
    const nodes: ClusterNode[] = Array.from({ length: count }, (_, i) => ({
      port: list[2 * i] as number,
      busPort: list[2 * i + 1] as number,
      proc: null,
    }));
    const cluster = new RedisCluster(dir, nodes, options.nodeTimeoutMs ?? 1000);
    live.add(cluster);
    try {
      for (const n of nodes) await cluster.startNode(n);
      const create = Bun.spawn(
        [
          'redis-cli',
          '--cluster',
          'create',
          ...nodes.map((n) => `127.0.0.1:${n.port}`),
          '--cluster-replicas',
          String(replicas),
          '--cluster-yes',
        ],
        { stdout: 'pipe', stderr: 'pipe' },
      );
      const code = await create.exited;
      if (code !== 0) {
        const out = `${await new Response(create.stdout).text()}${await new Response(create.stderr).text()}`;
        throw new Error(`redis-cli --cluster create exited ${code}: ${out.slice(-2000)}`);
      }
      await cluster.waitHealthy(30_000);
      return cluster;
    } catch (e) {
      await cluster.stop();
      throw e;
    }
  }

  /** Starts (or restarts, same port and files) one node's redis-server and waits until it answers PING. */
  async startNode(n: ClusterNode) {
    n.proc = Bun.spawn(
      [
        'redis-server',
        '--port',
        String(n.port),
        '--cluster-port',
        String(n.busPort),
        '--bind',
        '127.0.0.1',
        '--cluster-enabled',
        'yes',
        '--cluster-config-file',
        `nodes-${n.port}.conf`,
        '--cluster-node-timeout',
        String(this.nodeTimeoutMs),
        '--dir',
        this.dir,
        '--save',
        '',
        '--appendonly',
        'no',
      ],
      { stdout: 'ignore', stderr: 'ignore' },
    );
    for (let i = 0; i < 100; i++) {
      try {
        if ((await this.command(n.port, 'ping')) === 'PONG') return;
      } catch {}
      await Bun.sleep(50);
    }
    throw new Error(`redis-server on ${n.port} did not start`);
  }

  /** `host:port,…` of every node: the value of REDIS_CLUSTER_NODES. */
  get startupNodes(): string {
    return this.nodes.map((n) => `127.0.0.1:${n.port}`).join(',');
  }

  /** One command on one node (its own short-lived connection). */
  async command(port: number, ...args: (string | number)[]): Promise<unknown> {
    const c = new Redis({
      port,
      host: '127.0.0.1',
      lazyConnect: true,
      connectTimeout: 1000,
      commandTimeout: 2000,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    c.on('error', () => {});
    try {
      await c.connect();
      return await c.call(String(args[0]), ...args.slice(1).map(String));
    } finally {
      c.disconnect();
    }
  }

  /** The cluster as one live node sees it. */
  async view(): Promise<NodeView[]> {
    for (const n of this.nodes.filter((x) => x.proc)) {
      try {
        const text = String(await this.command(n.port, 'cluster', 'nodes'));
        return text
          .trim()
          .split('\n')
          .map((line) => {
            const f = line.split(' ');
            const flags = (f[2] as string).split(',');
            return {
              id: f[0] as string,
              port: Number(/:(\d+)@/.exec(f[1] as string)?.[1]),
              role: flags.includes('master') ? 'master' : 'slave',
              masterId: f[3] === '-' ? null : (f[3] as string),
              failed: flags.includes('fail') || flags.includes('fail?'),
              slots: f
                .slice(8)
                .filter((s) => /^\d/.test(s))
                .map((s) => {
                  const [a, b] = s.split('-');
                  return [Number(a), Number(b ?? a)] as [number, number];
                }),
            };
          });
      } catch {}
    }
    throw new Error('no node of the cluster answers');
  }

  async keyslot(key: string): Promise<number> {
    return Number(await this.command(this.liveNode().port, 'cluster', 'keyslot', key));
  }

  /** The port of the master serving `slot` (as a live node sees it). */
  async masterOf(slot: number): Promise<number> {
    const m = (await this.view()).find(
      (v) => v.role === 'master' && !v.failed && v.slots.some(([a, b]) => slot >= a && slot <= b),
    );
    if (!m) throw new Error(`no master serves slot ${slot}`);
    return m.port;
  }

  /** Ports of the masters that serve slots. */
  async masters(): Promise<number[]> {
    return (await this.view()).filter((v) => v.role === 'master' && !v.failed && v.slots.length > 0).map((v) => v.port);
  }

  /** Every key on every live master (they are few in a test): what the service wrote. */
  async keys(pattern = '*'): Promise<string[]> {
    const all: string[] = [];
    for (const port of await this.masters()) all.push(...((await this.command(port, 'keys', pattern)) as string[]));
    return all;
  }

  /** SIGKILL one node (as a crash would). */
  async kill(port: number) {
    const n = this.nodes.find((x) => x.port === port);
    if (!n?.proc) return;
    n.proc.kill('SIGKILL');
    await n.proc.exited;
    n.proc = null;
  }

  private liveNode(): ClusterNode {
    const n = this.nodes.find((x) => x.proc);
    if (!n) throw new Error('every node is stopped');
    return n;
  }

  /**
   * Until every live node says cluster_state:ok, every slot has a live master, every live replica's link to its
   * master is up, and (after a kill) the nodes agree that the dead ones failed.
   */
  async waitHealthy(timeoutMs: number) {
    const deadline = Date.now() + timeoutMs;
    let last = '';
    while (Date.now() < deadline) {
      try {
        const states = await Promise.all(
          this.nodes.filter((n) => n.proc).map((n) => this.command(n.port, 'cluster', 'info')),
        );
        const ok = states.every((s) => String(s).includes('cluster_state:ok'));
        const view = await this.view();
        const served = view
          .filter((v) => v.role === 'master' && !v.failed)
          .reduce((sum, v) => sum + v.slots.reduce((s, [a, b]) => s + b - a + 1, 0), 0);
        const replicasUp = await Promise.all(
          view
            .filter((v) => v.role === 'slave' && !v.failed && this.nodes.find((n) => n.port === v.port)?.proc)
            .map(async (v) =>
              String(await this.command(v.port, 'info', 'replication')).includes('master_link_status:up'),
            ),
        );
        last = `ok=${ok} served=${served} replicasUp=${replicasUp}`;
        if (ok && served === 16_384 && replicasUp.every(Boolean)) return;
      } catch (e) {
        last = e instanceof Error ? e.message : String(e);
      }
      await Bun.sleep(100);
    }
    throw new Error(`cluster not healthy within ${timeoutMs} ms (${last})`);
  }

  killAllNow() {
    for (const n of this.nodes) n.proc?.kill('SIGKILL');
  }

  async stop() {
    for (const n of this.nodes) {
      n.proc?.kill('SIGKILL');
      await n.proc?.exited;
      n.proc = null;
    }
    live.delete(this);
    rmSync(this.dir, { recursive: true, force: true });
  }
}
