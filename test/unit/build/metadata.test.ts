// The config instructions as the Dockerfile reference defines them, applied to
// a config without a build: ENV's two forms, ENTRYPOINT resetting an inherited
// CMD, EXPOSE ranges, HEALTHCHECK durations, WORKDIR relative to the last, the
// history lines, and the refusals naming line and column.
import t from 'tap';
import { applyMetadata } from '../../../lib/build/metadata';
import { parseDockerfile } from '../../../lib/build/parse/dockerfile';
import { scratch, type BuildConfig } from '../../../lib/build/state';

function apply(lines: string[], base?: (c: BuildConfig) => void): { cfg: BuildConfig; history: string[] } {
  const df = parseDockerfile(['FROM scratch', ...lines].join('\n'));
  const cfg = scratch({ os: 'linux', architecture: 'amd64' }).config;
  base?.(cfg);
  const history: string[] = [];
  const stage = { cmdSet: false };
  for (const ins of df.stages[0].instructions) {
    const vars = new Map((cfg.config.Env ?? []).map((e) => e.split('=', 2) as [string, string]));
    history.push(applyMetadata(ins, cfg, vars, df.escape, stage));
    if (ins.keyword === 'CMD') stage.cmdSet = true;
  }
  return { cfg, history };
}

t.test('ENV forms and substitution between instructions', async (t) => {
  const { cfg, history } = apply(['ENV A=1 B="two words"', 'ENV C old form ${A}', 'ENV A=${A}${A}']);
  t.same(cfg.config.Env, ['B=two words', 'C=old form 1', 'A=11']);
  t.equal(history[0], '/bin/sh -c #(nop)  ENV A=1 B=two words');
});

t.test('ENTRYPOINT resets an inherited CMD, not one set in this stage', async (t) => {
  t.same(apply(['ENTRYPOINT ["a"]'], (c) => (c.config.Cmd = ['base'])).cfg.config.Cmd, null);
  const { cfg } = apply(['CMD ["x"]', 'ENTRYPOINT b c'], (c) => (c.config.Cmd = ['base']));
  t.same(cfg.config.Cmd, ['x']);
  t.same(cfg.config.Entrypoint, ['/bin/sh', '-c', 'b c']);
  t.same(apply(['SHELL ["/bin/bash", "-xc"]', 'CMD echo']).cfg.config.Cmd, ['/bin/bash', '-xc', 'echo']);
});

t.test('EXPOSE, VOLUME, WORKDIR, USER, STOPSIGNAL, LABEL, HEALTHCHECK, ONBUILD', async (t) => {
  const { cfg, history } = apply([
    'EXPOSE 80 8000-8002/udp',
    'VOLUME /a /b',
    'VOLUME ["/c"]',
    'WORKDIR /srv',
    'WORKDIR app/../web',
    'USER 1000:1000',
    'STOPSIGNAL SIGQUIT',
    'LABEL a=1 "b c"="d e"',
    'HEALTHCHECK --interval=1m30s --timeout=500ms --start-period=2s --retries=3 CMD ["check", "--now"]',
    'ONBUILD RUN make',
  ]);
  const c = cfg.config;
  t.same(Object.keys(c.ExposedPorts ?? {}), ['80/tcp', '8000/udp', '8001/udp', '8002/udp']);
  t.same(Object.keys(c.Volumes ?? {}), ['/a', '/b', '/c']);
  t.equal(c.WorkingDir, '/srv/web');
  t.equal(c.User, '1000:1000');
  t.equal(c.StopSignal, 'SIGQUIT');
  t.same(c.Labels, { a: '1', 'b c': 'd e' });
  t.same(c.Healthcheck, { Test: ['CMD', 'check', '--now'], Interval: 90e9, Timeout: 500e6, StartPeriod: 2e9, Retries: 3 });
  t.same(c.OnBuild, ['RUN make']);
  t.equal(history[4], '/bin/sh -c #(nop) WORKDIR /srv/web');
  t.same(apply(['HEALTHCHECK NONE']).cfg.config.Healthcheck, { Test: ['NONE'] });
});

t.test('refusals name line and column', async (t) => {
  t.throws(() => apply(['EXPOSE 80/xyz']), /^Dockerfile:2:8: EXPOSE: invalid port "80\/xyz"/);
  t.throws(() => apply(['HEALTHCHECK --interval=5 CMD x']), /--interval: time: invalid duration "5"/);
  t.throws(() => apply(['HEALTHCHECK --bogus=1 CMD x']), /unknown flag: --bogus/);
  t.throws(() => apply(['SHELL /bin/sh -c']), /SHELL requires the arguments to be in JSON form/);
  t.throws(() => apply(['ONBUILD FROM x']), /FROM isn't allowed as an ONBUILD trigger/);
  t.throws(() => apply(['ENV A']), /ENV A needs a value/);
  t.throws(() => apply(['LABEL novalue']), /"novalue" is not KEY=VALUE/);
});
