#!/usr/bin/env node
// The `edify` operator CLI. Commands are TypeScript in cli/commands, run directly by Node 24.
import { execute } from '@oclif/core';

const major = Number(process.versions.node.split('.')[0]);
if (major < 24) {
  process.stderr.write(
    `edify needs Node 24 or newer (this is ${process.version}). Run it as \`npx edify ...\` or \`npm start\`, which use the project's own Node 24.\n`,
  );
  process.exit(1);
}

await execute({ dir: import.meta.url });
// Exit with the command's own code, whatever a dependency's exit hook would choose.
process.exit(process.exitCode ?? 0);
