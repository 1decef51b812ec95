#!/usr/bin/env node
// The Pipewright CLI. The sources are TypeScript; tsx runs them without a build step.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../codegen/cli.ts');
process.exitCode = await main(process.argv.slice(2));
