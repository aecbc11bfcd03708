import { describe, expect, it } from 'vitest';
import { monitorSchtasksCommand, monitorSystemdService } from '../../src/schedule/generate.js';
import { BIN, builtCliAvailable, runCli } from '../helpers/cli.js';

describe('schedule --monitor: the monitor as a service, not a timer', () => {
  const input = { node: '/usr/bin/node', bin: '/opt/q p/bin/qosprobe.js', config: '/etc/qosprobe.yaml', extraArgs: ['--push', 'http://127.0.0.1:8428/write?x=%d'] };

  it('systemd: a service that restarts, quoted, % escaped, exit 6 not a failure', () => {
    const { serviceName, service } = monitorSystemdService(input);
    expect(serviceName).toBe('qosprobe-monitor.service');
    expect(service).toContain('ExecStart=/usr/bin/node "/opt/q p/bin/qosprobe.js" monitor --config /etc/qosprobe.yaml --push "http://127.0.0.1:8428/write?x=%%d"');
    expect(service).toMatch(/^Restart=always$/m);
    expect(service).toMatch(/^SuccessExitStatus=6$/m);
    expect(service).not.toMatch(/Type=oneshot|OnCalendar/);
  });

  it('Windows: a task at boot', () => {
    const { command } = monitorSchtasksCommand(input);
    expect(command).toContain('/SC ONSTART /RU SYSTEM /TR "/usr/bin/node \\"/opt/q p/bin/qosprobe.js\\" monitor --config /etc/qosprobe.yaml');
  });

  it.skipIf(!builtCliAvailable())('the command: --monitor takes no --every; neither is a usage error (exit 2)', async () => {
    const ok = await runCli(['schedule', '--monitor']);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain(`${process.execPath} ${BIN} monitor`);
    expect((await runCli(['schedule', '--monitor', '--every', '15m'])).code).toBe(2);
    const none = await runCli(['schedule']);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('--every');
  });
});
