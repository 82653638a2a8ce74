// src/api/routes/rtp.ts — real-time protection diagnostics (admin: they reveal process names,
// executables and file paths):
//   GET /v1/rtp/statistics?sort=true&top=N         per process: files scanned, scan time (MDE's
//        `mdatp diagnostic real-time-protection-statistics`), as { counters: [...] }
//   GET /v1/rtp/hot-event-sources?kind=files|executables&seconds=S&top=N
//        the paths or executables causing most real-time events over the last S seconds
// Owns: HTTP shape only (src/rtp/runtime.ts does the rest).
import { Type } from '@sinclair/typebox';
import type { Api } from '../app.js';
import type { Services } from '../../daemon/services.js';
import { WdavError } from '../../shared/errors.js';
import { HotSources } from '../../rtp/hot-sources.js';
import type { RtpRuntime } from '../../rtp/runtime.js';

const StatsQuery = Type.Object(
  {
    sort: Type.Optional(Type.Union([Type.Literal('true'), Type.Literal('false')])),
    top: Type.Optional(Type.String({ pattern: '^[0-9]{1,7}$' })),
  },
  { additionalProperties: false },
);

const HotQuery = Type.Object(
  {
    kind: Type.Union([Type.Literal('files'), Type.Literal('executables')]),
    seconds: Type.Optional(Type.String({ pattern: '^[0-9]{1,5}$' })),
    top: Type.Optional(Type.String({ pattern: '^[0-9]{1,7}$' })),
  },
  { additionalProperties: false },
);

function runtime(s: Services): RtpRuntime {
  if (!s.rtp) throw new WdavError('WDAV_ERR_UNAVAILABLE', 'Real-time protection is not running yet');
  return s.rtp;
}

function positive(v: string | undefined, what: string, dflt: number): number {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (n < 1) throw new WdavError('WDAV_ERR_INVALID_ARGUMENT', `${what} must be at least 1, got ${v}`);
  return n;
}

export function rtpRoutes(s: Services) {
  return (app: Api): void => {
    app.get('/v1/rtp/statistics', { config: { access: 'admin' }, schema: { querystring: StatsQuery } }, async (req) => {
      const top = req.query.top === undefined ? undefined : positive(req.query.top, '--top', 1);
      return { counters: runtime(s).statistics({ sort: req.query.sort === 'true', ...(top !== undefined ? { top } : {}) }) };
    });
    app.get('/v1/rtp/hot-event-sources', { config: { access: 'admin' }, schema: { querystring: HotQuery } }, async (req) => {
      const seconds = positive(req.query.seconds, '--seconds', HotSources.maxSeconds);
      if (seconds > HotSources.maxSeconds) throw new WdavError('WDAV_ERR_INVALID_ARGUMENT', `--seconds must be at most ${HotSources.maxSeconds} (the window kept in memory), got ${seconds}`);
      return runtime(s).hotSources(req.query.kind, seconds, positive(req.query.top, '--top', 100));
    });
  };
}
