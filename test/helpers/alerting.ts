/**
 * The monitoring centre's alerting stack from Debian, on 127.0.0.1: Prometheus Alertmanager
 * (prometheus-alertmanager) and vmalert (victoria-metrics). Tests skip when they are missing.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startDaemon, type Daemon } from './daemons.js';

export const ALERTMANAGER = ['/usr/bin/prometheus-alertmanager', '/usr/local/bin/alertmanager'].find((p) => existsSync(p)) ?? null;
export const VMALERT = ['/usr/bin/vmalert', '/usr/local/bin/vmalert'].find((p) => existsSync(p)) ?? null;

export function startAlertmanager(): Promise<Daemon> {
  return startDaemon(
    ALERTMANAGER!,
    (port, dir) => {
      const cfg = join(dir, 'alertmanager.yml');
      // A receiver that sends nothing anywhere: the test reads the alerts through the API.
      writeFileSync(cfg, "route: { receiver: 'null', group_wait: 1s, group_interval: 1s }\nreceivers: [{ name: 'null' }]\n");
      return [`--config.file=${cfg}`, `--storage.path=${dir}`, `--web.listen-address=127.0.0.1:${port}`, '--cluster.listen-address=', '--log.level=error'];
    },
    '/-/ready',
  );
}

export function startVmalert(rulesFile: string, datasource: string, notifier: string): Promise<Daemon> {
  return startDaemon(
    VMALERT!,
    (port) => [`-rule=${rulesFile}`, `-datasource.url=${datasource}`, `-notifier.url=${notifier}`, '-evaluationInterval=2s', `-httpListenAddr=127.0.0.1:${port}`, '-loggerLevel=ERROR'],
    '/health',
  );
}

export interface AmAlert {
  labels: Record<string, string>;
  startsAt: string;
  endsAt: string;
  status: { state: string };
}

/** Alerts Alertmanager holds as active now. */
export async function activeAlerts(am: Daemon): Promise<AmAlert[]> {
  const res = await fetch(`${am.url}/api/v2/alerts?active=true&silenced=false&inhibited=false`);
  return (await res.json()) as AmAlert[];
}
