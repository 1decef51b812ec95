/**
 * The real `pipewright dev` server, in the test's own process, serving the end-to-end tests' build
 * of the designer for one pipeline file on the given brokers (the live-mode browser tests).
 */
import { join } from 'node:path';
import { startDevServer, type DevServer } from '../../codegen/dev/node-server.js';
import { configFromEnv } from '../../runtime/service/config.js';
import { designerBuildFor } from './harness.js';

export function startLiveServer(o: { file: string; brokers: string; work: string; buildId: string; log?: (line: string) => void }): Promise<DevServer> {
  return startDevServer({
    config: configFromEnv({ ...process.env, KAFKA_BROKERS: o.brokers }, { pipeline: 'pipewright-dev' }),
    pipelinePath: o.file,
    host: '127.0.0.1',
    port: 0,
    designerDir: designerBuildFor(o.buildId),
    cacheDir: join(o.work, 'builds'),
    log: o.log ?? (() => {}),
  });
}
